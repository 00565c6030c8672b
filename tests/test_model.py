"""Loading a model file: a good one works; every bad one gives one sentence naming the problem."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from storyteller.engine import ModelError, load
from storyteller.engine.model import METADATA_KEY, ModelCard

from .conftest import TINY_MODEL

onnx = pytest.importorskip("onnx")


def test_the_tiny_model_loads_and_describes_itself(tiny_model) -> None:  # type: ignore[no-untyped-def]
    card = tiny_model.card
    assert card.name == "tiny"
    assert (card.layers, card.units, card.window) == (2, 16, 3)
    assert card.vocabulary.tokens[:2] == ("<unk>", "<p>")
    assert card.corpus["sha256"] and card.corpus["words"] > 100
    assert {"model", "unigram", "bigram"} <= set(card.metrics)
    assert card.training["seed"] == 0 and card.version and card.created


def test_run_accepts_any_batch_and_sequence_length(tiny_model) -> None:  # type: ignore[no-untyped-def]
    for batch, length in ((1, 1), (3, 7), (2, 60)):
        logits, (h, c) = tiny_model.run(np.ones((batch, length), np.int64))
        assert logits.shape == (batch, length, len(tiny_model.vocabulary))
        assert h.shape == c.shape == (2, batch, 16)


def _rewrite(tmp_path: Path, change) -> Path:  # type: ignore[no-untyped-def]
    proto = onnx.load(TINY_MODEL)
    change(proto)
    path = tmp_path / "changed.onnx"
    onnx.save(proto, path)
    return path


def _edit_card(edit):  # type: ignore[no-untyped-def]
    def change(proto) -> None:  # type: ignore[no-untyped-def]
        for entry in proto.metadata_props:
            if entry.key == METADATA_KEY:
                data = json.loads(entry.value)
                edit(data)
                entry.value = json.dumps(data)

    return change


def _expect(path: Path, *fragments: str) -> str:
    with pytest.raises(ModelError) as caught:
        load(path)
    message = str(caught.value)
    assert "\n" not in message and message.endswith(".")
    for fragment in fragments:
        assert fragment in message
    return message


def test_missing_file(tmp_path: Path) -> None:
    _expect(tmp_path / "nope.onnx", "does not exist")


def test_folder_instead_of_file(tmp_path: Path) -> None:
    _expect(tmp_path, "folder")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.onnx"
    path.write_bytes(b"")
    _expect(path, "empty")


def test_truncated_file(tmp_path: Path, tiny_model_bytes: bytes) -> None:
    path = tmp_path / "cut.onnx"
    path.write_bytes(tiny_model_bytes[: len(tiny_model_bytes) // 2])
    _expect(path, "not a readable ONNX model")


def test_a_png_is_not_a_model(tmp_path: Path) -> None:
    path = tmp_path / "picture.onnx"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200))
    _expect(path, "not a readable ONNX model")


def test_an_onnx_model_without_storyteller_metadata(tmp_path: Path) -> None:
    _expect(_rewrite(tmp_path, lambda p: p.ClearField("metadata_props")), "not a storyteller model")


def test_metadata_that_lies_about_the_vocabulary(tmp_path: Path) -> None:
    path = _rewrite(tmp_path, _edit_card(lambda d: d.update(vocabulary=d["vocabulary"][:-5])))
    _expect(path, "lists", "scores")


def test_metadata_that_lies_about_the_network(tmp_path: Path) -> None:
    path = _rewrite(tmp_path, _edit_card(lambda d: d["network"].update(units=32)))
    _expect(path, "2×32")


def test_a_newer_format_is_refused_by_name(tmp_path: Path) -> None:
    path = _rewrite(tmp_path, _edit_card(lambda d: d.update(format_version=99)))
    _expect(path, "newer storyteller", "format 99")


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d.update(vocabulary="not a list"),
        lambda d: d.update(vocabulary=["<unk>", "<p>", "a", "a"]),
        lambda d: d.update(window=0),
        lambda d: d["network"].update(layers=True),
        lambda d: d.update(tokenizer=[]),
    ],
)
def test_malformed_metadata(tmp_path: Path, edit) -> None:  # type: ignore[no-untyped-def]
    _expect(_rewrite(tmp_path, _edit_card(edit)), "cannot be used")


def test_metadata_that_is_not_json(tmp_path: Path) -> None:
    def change(proto) -> None:  # type: ignore[no-untyped-def]
        proto.metadata_props[0].value = "{not json"

    _expect(_rewrite(tmp_path, change), "not valid JSON")


def test_card_json_round_trip(tiny_model) -> None:  # type: ignore[no-untyped-def]
    card = tiny_model.card
    again = ModelCard.from_json(card.to_json())
    assert again == card


def test_a_session_can_be_injected(tiny_model) -> None:  # type: ignore[no-untyped-def]
    model = load("anything.onnx", session=tiny_model.session)
    assert model.card == tiny_model.card
