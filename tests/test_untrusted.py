"""Files and text from strangers: fuzzed model and story files, and escapes that must stay literal.

The fuzz tests run a short campaign by default; ``STORYTELLER_FUZZ_EXAMPLES=5000 pytest
tests/test_untrusted.py`` runs a long one.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storyteller.app import make_app
from storyteller.app.settings import WriterSettings
from storyteller.app.widgets.candidates import CandidatesPanel
from storyteller.cli import main
from storyteller.engine import Model, ModelError, load
from storyteller.engine.model import METADATA_KEY
from storyteller.engine.story import Story, StoryError, load_story

from .conftest import TINY_MODEL
from .test_app import SIZE, settle, write

EXAMPLES = int(os.environ.get("STORYTELLER_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=5000,  # a hang shows up as a deadline failure
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
MODEL_BYTES = TINY_MODEL.read_bytes()


@st.composite
def mutated(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` truncated, with bytes flipped, and with junk inserted, in some mix."""
    blob = bytearray(data)
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "zero"]))
        at = draw(st.integers(0, max(0, len(blob) - 1)))
        if kind == "flip" and blob:
            blob[at] ^= draw(st.integers(1, 255))
        elif kind == "cut":
            del blob[at:]
        elif kind == "insert":
            blob[at:at] = draw(st.binary(min_size=1, max_size=64))
        elif kind == "zero":
            blob[at : at + draw(st.integers(1, 512))] = bytes(min(512, len(blob) - at))
    return bytes(blob)


@FUZZ
@given(mutated(MODEL_BYTES))
def test_fuzzed_model_files_load_cleanly_or_fail_with_one_sentence(tmp_path_factory, blob: bytes) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("fuzz") / "model.onnx"
    path.write_bytes(blob)
    try:
        model = load(path)
    except ModelError as error:
        assert "\n" not in str(error) and str(error).endswith(".")
        return
    # A mutation that still loads must also still run.
    logits, _ = model.run(np.ones((1, 4), np.int64))
    assert logits.shape == (1, 4, len(model.vocabulary))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)
story_like = st.fixed_dictionaries(
    {"format": st.just("storyteller-story"), "version": st.sampled_from([1, 1, 1, 2, "1", None])},
    optional={
        "words": st.lists(
            st.fixed_dictionaries(
                {"t": st.text(max_size=5) | json_values},
                optional={
                    "by": st.sampled_from(["writer", "model", "picked", "x"]) | json_values,
                    "p": json_values,
                    "r": json_values,
                    "s": json_values,
                    "w": json_values,
                },
            ),
            max_size=5,
        )
        | json_values,
        "branches": json_values,
        "settings": json_values,
        "model": json_values,
        "title": json_values,
    },
)


@FUZZ
@given(story_like | json_values)
def test_fuzzed_story_files_read_cleanly_or_fail_with_one_sentence(tmp_path_factory, data: object) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("story") / "story.json"
    path.write_text(json.dumps(data))
    try:
        story = load_story(path)
    except StoryError as error:
        assert "\n" not in str(error)
        return
    assert isinstance(story, Story)
    story.turns()
    assert Story.from_json(json.loads(story.file().encode())).tokens == story.tokens


@FUZZ
@given(
    st.binary(max_size=300)
    | mutated(json.dumps({"format": "storyteller-story", "version": 1, "words": []}).encode())
)
def test_story_files_of_raw_bytes(tmp_path_factory, blob: bytes) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("raw") / "story.json"
    path.write_bytes(blob)
    try:
        load_story(path)
    except StoryError as error:
        assert "\n" not in str(error)


# -- escapes and markup from a model file are shown literally ---------------------------

HOSTILE = ["\x1b[31mred", "[bold]loud[/bold]", "\x1b]0;title\x07", "\u202eevil"]


@pytest.fixture
def hostile_model(tmp_path: Path) -> Path:
    """The tiny model whose name and most probable words carry escapes and markup."""
    onnx = pytest.importorskip("onnx")
    proto = onnx.load(TINY_MODEL)
    for entry in proto.metadata_props:
        if entry.key == METADATA_KEY:
            card = json.loads(entry.value)
            card["name"] = "\x1b[2Jwiped [red]name[/red]"
            vocabulary = card["vocabulary"]
            model = load(TINY_MODEL)
            probabilities = model.run(np.array([[1]], np.int64))[0][0, -1]
            best = np.argsort(-probabilities)
            targets = [int(i) for i in best if i > 1][: len(HOSTILE)]
            for index, token in zip(targets, HOSTILE, strict=True):
                vocabulary[index] = token
            entry.value = json.dumps(card)
    # The file's name is the model's name in the app: it carries an escape and markup too.
    path = tmp_path / "\x1b[2Jwiped [red]name.onnx"
    onnx.save(proto, path)
    return path


def test_the_command_line_prints_escapes_literally(hostile_model: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["candidates", "", "--model", str(hostile_model), "--k", "20"]) == 2  # empty prompt
    assert (
        main(
            ["generate", "the", "--model", str(hostile_model), "--words", "30", "--seed", "1", "--top-k", "5"]
        )
        == 0
    )
    assert main(["candidates", "the", "--model", str(hostile_model), "--k", "20"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\u202e" not in out and "\x07" not in out
    assert "\\x1b[31mred" in out


async def test_the_app_shows_escapes_and_markup_literally(hostile_model: Path, tmp_path: Path) -> None:
    model: Model = load(hostile_model)
    app = make_app(model, tmp_path, WriterSettings(pace=0, seed=2, length=20, top_k=5))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await write(pilot, "the hedgehog")
        await pilot.press("enter")
        await settle(pilot)
        panel = str(app.writer.query_one(CandidatesPanel).render())
        status = str(app.writer.query_one("#status").render())
        story = "".join(str(v.render()) for v in app.writer.query("TurnView"))
        for shown in (panel, status, story):
            assert "\x1b" not in shown and "\u202e" not in shown and "\x07" not in shown
        assert "\\x1b[2Jwiped [red]name " in status
        assert any(token.replace("\x1b", "\\x1b").replace("\u202e", "\\u202e") in panel for token in HOSTILE)
