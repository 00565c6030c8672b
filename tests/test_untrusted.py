"""Files and text from strangers: fuzzed model and story files, and escapes that must stay literal.

The fuzz tests run a short campaign by default; ``STORYTELLER_FUZZ_EXAMPLES=5000 pytest
tests/test_untrusted.py`` runs a long one.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storyteller.app import StorytellerApp
from storyteller.app.widgets.candidates import CandidatesPanel
from storyteller.cli import main
from storyteller.engine import Model, ModelCard, ModelError, Predictor, load
from storyteller.engine.model import METADATA_KEY
from storyteller.engine.story import Story, StoryError, load_story
from storyteller.session import WriterSettings
from storyteller.session.config_file import load_settings

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
    app = StorytellerApp(model, tmp_path, WriterSettings(pace=0, seed=2, length=20, top_k=5))
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


# -- nesting without a bound -------------------------------------------------------------

DEEP = 100_000


def nested(depth: int, kind: str = "list") -> str:
    """JSON nested ``depth`` deep: lists, or mappings."""
    return "[" * depth + "]" * depth if kind == "list" else '{"a":' * depth + "1" + "}" * depth


deep_json = st.builds(nested, st.integers(100, DEEP), st.sampled_from(["list", "dict"]))


@FUZZ
@given(deep_json, st.sampled_from(["whole", "settings", "model", "title", "word"]))
def test_stories_nested_without_bound_fail_with_one_sentence(tmp_path_factory, deep: str, where: str) -> None:  # type: ignore[no-untyped-def]
    head = '{"format": "storyteller-story", "version": 1, '
    text = {
        "whole": deep,
        "settings": head + f'"words": [], "settings": [{{"x": {deep}}}]}}',
        "model": head + f'"words": [], "model": {{"x": {deep}}}}}',
        "title": head + f'"words": [], "title": {deep}}}',
        "word": head + f'"words": [{{"t": "a", "p": {deep}}}]}}',
    }[where]
    path = tmp_path_factory.mktemp("deep") / "story.json"
    path.write_text(text)
    with pytest.raises(StoryError) as refused:
        load_story(path)
    assert "\n" not in str(refused.value)


@FUZZ
@given(deep_json, st.sampled_from(["training", "corpus", "metrics", "vocabulary"]))
def test_model_cards_nested_without_bound_fail_with_one_sentence(deep: str, where: str) -> None:
    card = json.loads(_tiny_card())
    card[where] = "DEEP" if where == "vocabulary" else {"x": "DEEP"}
    text = json.dumps(card).replace('"DEEP"', deep)
    with pytest.raises(ValueError) as refused:
        ModelCard.from_json(text)
    assert "nested too deeply" in str(refused.value) or "vocabulary" in str(refused.value)


def _tiny_card() -> str:
    session = load(TINY_MODEL).session
    return session.get_modelmeta().custom_metadata_map[METADATA_KEY]


@FUZZ
@given(st.integers(2_000, DEEP), st.sampled_from(["[", "{a = "]))
def test_config_files_nested_without_bound_give_the_defaults(
    tmp_path_factory, depth: int, opener: str
) -> None:  # type: ignore[no-untyped-def]
    closer = {"[": "]", "{a = ": "}"}[opener]
    path = tmp_path_factory.mktemp("deep") / "config.toml"
    path.write_text(f"[writer]\ntemperature = {opener * depth}1{closer * depth}\n")
    settings_, problem = load_settings(path)
    assert settings_ == WriterSettings()
    assert problem is not None and "\n" not in problem


# -- special files: never opened as if they were files, never waited on ----------------------


@contextlib.contextmanager
def within(seconds: float) -> Iterator[None]:
    """Fail, rather than hang the suite, when the body takes longer than ``seconds``."""

    def expired(signum: int, frame: object) -> None:
        raise TimeoutError(f"still waiting after {seconds} s: it hangs")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def special(folder: Path, kind: str, name: str) -> Path:
    """A path named ``name`` in ``folder`` that is no regular file: a FIFO, a folder, a link to
    an endless device, a dangling link, a link loop, a socket."""
    path = folder / name
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    elif kind == "zero":
        path.symlink_to("/dev/zero")
    elif kind == "dangling":
        path.symlink_to(folder / "nowhere")
    elif kind == "loop":
        path.symlink_to(path)
    elif kind == "socket":
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(path))
        server.close()
    return path


SPECIAL = st.sampled_from(["fifo", "folder", "zero", "dangling", "loop", "socket"])


@FUZZ
@given(SPECIAL)
def test_special_files_as_model_story_corpus_or_config_never_hang(tmp_path_factory, kind: str) -> None:  # type: ignore[no-untyped-def]
    from storyteller.engine import CorpusError, read_corpus

    folder = tmp_path_factory.mktemp("special")
    if kind == "socket" and len(str(folder)) > 90:
        return  # a socket's path has a length limit
    with within(5):
        with pytest.raises(ModelError) as model_error:
            load(special(folder, kind, "model.onnx"))
        with pytest.raises(StoryError) as story_error:
            load_story(special(folder, kind, "story.json"))
        corpus = special(folder, kind, "corpus.txt")
        if kind != "folder":
            with pytest.raises(CorpusError) as corpus_error:
                read_corpus(corpus)
            assert "\n" not in str(corpus_error.value)
        settings_, problem = load_settings(special(folder, kind, "config.toml"))
    assert settings_ == WriterSettings()
    for error in (model_error.value, story_error.value):
        assert "\n" not in str(error) and str(error).endswith(".")
    if kind in ("fifo", "zero", "folder"):
        assert problem is not None and "\n" not in problem


def test_a_fifo_among_a_corpus_folders_files_is_passed_over(tmp_path: Path) -> None:
    from storyteller.engine import read_corpus

    (tmp_path / "good.txt").write_text("the hedgehog filled the kettle . " * 20)
    os.mkfifo(tmp_path / "pipe.txt")
    (tmp_path / "zero.txt").symlink_to("/dev/zero")
    with within(5):
        corpus = read_corpus(tmp_path)
        assert [p.name for p, _ in corpus.sources] == ["good.txt"]
        assert "hedgehog" in corpus.text


def test_a_story_cannot_make_replay_open_a_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("/dev/zero", "../../models/x", str(TINY_MODEL), "a\nb"):
        story = tmp_path / "story.json"
        words = [{"t": "the", "by": "writer", "p": 0.5}]
        story.write_text(
            json.dumps({"format": "storyteller-story", "version": 1, "words": words, "model": {"name": name}})
        )
        with within(5):
            assert main(["replay", str(story)]) == 2
        err = capsys.readouterr().err
        assert "not a model's name" in err and len(err.strip().splitlines()) == 1


# -- a crafted model: non-finite scores hidden behind one word ------------------------------


def crafted_model(folder: Path, poison: float = float("nan"), always: bool = False) -> tuple[Path, str]:
    """The tiny model with every score made ``poison`` after one word: the graph adds
    ``table[input_id]`` to each position's scores, ``poison`` for that word and 0 for the rest.
    The loader probes every word, one step from a fresh state: it refuses the model when the
    poison is ``always`` there; otherwise the poison waits for a call the probe never makes (a
    longer sequence, or a state carried from an earlier step), which only the run-time checks
    can catch. Returns the path and the word."""
    onnx = pytest.importorskip("onnx")
    from onnx import helper, numpy_helper

    proto = onnx.load(TINY_MODEL)
    tiny: Model = load(TINY_MODEL)
    word = "the"
    table = np.zeros(len(tiny.vocabulary), np.float32)
    table[tiny.vocabulary.id(word)] = poison
    graph = proto.graph
    for node in graph.node:
        node.output[:] = ["clean_logits" if name == "logits" else name for name in node.output]
    graph.initializer.extend(
        [
            numpy_helper.from_array(table, "poison_table"),
            numpy_helper.from_array(np.array([2]), "last_axis"),
            numpy_helper.from_array(np.array(1), "one"),
            numpy_helper.from_array(np.array(0, np.float32), "zero"),
        ]
    )
    graph.node.extend(
        [
            helper.make_node("Gather", ["poison_table", "input_ids"], ["poison"]),
            helper.make_node("Unsqueeze", ["poison", "last_axis"], ["poison_column"]),
        ]
    )
    if always:
        graph.node.append(helper.make_node("Add", ["clean_logits", "poison_column"], ["logits"]))
    else:
        graph.node.extend(
            [
                helper.make_node("Shape", ["input_ids"], ["ids_shape"]),
                helper.make_node("Gather", ["ids_shape", "one"], ["seq_len"]),
                helper.make_node("Greater", ["seq_len", "one"], ["longer"]),
                helper.make_node("Abs", ["h0"], ["h0_size"]),
                helper.make_node("ReduceSum", ["h0_size"], ["h0_sum"], keepdims=0),
                helper.make_node("Greater", ["h0_sum", "zero"], ["carried"]),
                helper.make_node("Or", ["longer", "carried"], ["armed"]),
                helper.make_node("Where", ["armed", "poison_column", "zero"], ["gated"]),
                helper.make_node("Add", ["clean_logits", "gated"], ["logits"]),
            ]
        )
    path = folder / "crafted.onnx"
    onnx.save(proto, path)
    return path, word


@pytest.mark.parametrize("poison", [float("nan"), float("inf")])
def test_a_model_hiding_non_finite_scores_behind_a_word_is_refused_at_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], poison: float
) -> None:
    path, _ = crafted_model(tmp_path, poison, always=True)
    with pytest.raises(ModelError) as refused:
        load(path)
    assert str(refused.value) == f"Model file '{path}' produces non-finite scores."
    assert main(["candidates", "a", "--model", str(path)]) == 2  # even asked about another word
    err = capsys.readouterr().err
    assert "non-finite scores" in err and len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize("poison", [float("nan"), float("inf")])
def test_a_crafted_model_passes_the_load_check_but_every_command_says_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], poison: float
) -> None:
    path, word = crafted_model(tmp_path, poison)
    model = load(path)  # the probe reads each word once from a fresh state: it cannot see this
    story = tmp_path / "story.json"
    story.write_text(
        json.dumps(
            {
                "format": "storyteller-story",
                "version": 1,
                "words": [{"t": word, "by": "writer"}, {"t": "fox", "by": "writer", "p": 0.1}],
            }
        )
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy warning either
        for argv in (
            ["candidates", f"a {word}"],
            ["generate", f"a {word}", "--seed", "1"],
            ["generate", f"a {word}", "--greedy"],
            ["candidates", f"{word} a", "--window", "2"],
            ["replay", str(story)],
        ):
            assert main([*argv, "--model", str(path)]) == 2, argv
            err = capsys.readouterr().err
            assert "non-finite scores" in err and len(err.strip().splitlines()) == 1, err
        predictor = Predictor(model)
        with pytest.raises(ModelError):
            predictor.score([word, "a", "b"])


async def test_a_crafted_model_in_the_app_says_so_and_the_turn_ends(tmp_path: Path) -> None:
    path, word = crafted_model(tmp_path)
    app = StorytellerApp(load(path), tmp_path, WriterSettings(pace=0, seed=2, length=5))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await write(pilot, f"a {word}")
        await settle(pilot)
        await pilot.press("enter")  # the model's turn, from a story it cannot read
        await settle(pilot)
        notices = [str(n.message) for n in app._notifications]
        assert any("non-finite scores" in n for n in notices), notices
        assert not app.session.writing
        assert "writing" not in str(app.writer.query_one("#status").render())
        assert [t for t in app.session.story.tokens] == ["a", word]


# -- line breaks in names and tokens ------------------------------------------------------------


def test_visible_keeps_every_line_break_of_a_stranger_on_one_line() -> None:
    from storyteller.text import visible

    for breaking in ("\n", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029"):
        shown = visible(f"a{breaking}b")
        assert len(shown.splitlines()) == 1, repr(shown)
    assert visible("one\n\ntwo", keep_newlines=True) == "one\n\ntwo"
    assert visible("one\r\u2028two", keep_newlines=True) == "one\\x0d\\u2028two"


def test_a_training_sample_is_shown_on_one_line_with_its_paragraphs_marked() -> None:
    from storyteller.text import one_line

    assert one_line('"Me?"\n\n"I am frightened," she said.\nThen\x1b[2J quiet.') == (
        '"Me?" ¶ "I am frightened," she said. Then\\x1b[2J quiet.'
    )
    assert one_line("\n\n\nalone\n\n") == "alone"


def test_a_token_with_a_line_break_never_splits_the_candidate_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from .test_bad_input import _card_edit

    model = load(TINY_MODEL)
    best = [int(i) for i in np.argsort(-model.run(np.array([[1]], np.int64))[0][0, -1]) if i > 1][:3]

    def edit(card: dict) -> None:  # type: ignore[type-arg]
        for index, token in zip(best, ["two\nlines", "carriage\rreturn", "para\u2029graph"], strict=True):
            card["vocabulary"][index] = token
        card["name"] = "fake\n    1. line"

    path = _card_edit(tmp_path, edit)
    assert main(["candidates", "\n\n", "--model", str(path), "--k", "5"]) == 2  # an empty prompt
    assert main(["candidates", "the", "--model", str(path), "--k", "5"]) == 0
    out = capsys.readouterr().out
    ranked = [line for line in out.splitlines() if line[:4].strip().endswith(".")]
    assert len(ranked) == 5, out
    assert "two\\x0alines" in out or "carriage\\x0dreturn" in out or "para\\u2029graph" in out
