"""Model cards migrate as story files do: one upgrade step per older format version, each with a fixture."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from storyteller.engine import card_upgrades, load
from storyteller.engine.model import FORMAT_VERSION, METADATA_KEY, ModelCard
from storyteller.engine.upgrades import NewerVersion

from .conftest import TINY_MODEL

OLD_CARDS = Path(__file__).parent / "fixtures" / "cards"


def _fixtures() -> list[Path]:
    return sorted(OLD_CARDS.glob("v*.json"))


def test_every_version_before_the_current_one_has_a_fixture_card() -> None:
    versions = {json.loads(p.read_text())["format_version"] for p in _fixtures()}
    assert set(range(1, FORMAT_VERSION)) <= versions <= set(range(1, FORMAT_VERSION + 1))
    assert len(card_upgrades.STEPS) + 1 == FORMAT_VERSION


@pytest.mark.parametrize("path", _fixtures(), ids=lambda p: p.stem)
def test_a_fixture_card_reads_as_a_current_card_and_keeps_what_it_says(path: Path) -> None:
    old = json.loads(path.read_text())
    card = ModelCard.from_json(path.read_text())
    assert card.name == old["name"] == "tiny"
    assert list(card.vocabulary.tokens) == old["vocabulary"]
    assert (card.layers, card.units, card.window) == (2, 16, 3)
    assert card.corpus == old["corpus"] and card.training["seed"] == 0
    # Written again, it is a current card, and reads back the same.
    again = json.loads(card.to_json())
    assert again["format_version"] == FORMAT_VERSION
    assert ModelCard.from_json(card.to_json()) == card


def test_a_model_file_with_an_old_card_loads_and_runs(tmp_path: Path) -> None:
    onnx = pytest.importorskip("onnx")
    proto = onnx.load(TINY_MODEL)
    for path in _fixtures():
        for entry in proto.metadata_props:
            if entry.key == METADATA_KEY:
                entry.value = path.read_text()
        changed = tmp_path / f"{path.stem}.onnx"
        onnx.save(proto, changed)
        model = load(changed)
        assert model.card.name == "tiny" and model.run([[1, 2, 3]])[0].shape[-1] == len(model.vocabulary)


def _renamed(card: dict[str, Any]) -> dict[str, Any]:
    """A pretend version 2 that calls the window 'context'."""
    card = {**card, "format_version": 2, "context": card.get("window")}
    card.pop("window", None)
    return card


def test_adding_a_version_is_one_function(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []

    def v1_to_v2(card: dict[str, Any]) -> dict[str, Any]:
        seen.append(card["format_version"])
        return _renamed(card)

    monkeypatch.setattr(card_upgrades, "STEPS", [v1_to_v2])
    v1 = json.loads((OLD_CARDS / "v1.json").read_text())
    assert card_upgrades.upgrade_card(v1)["context"] == 3 and seen == [1]
    current = card_upgrades.upgrade_card(_renamed(v1))  # already version 2: no step runs
    assert current["context"] == 3 and seen == [1]
    with pytest.raises(NewerVersion):
        card_upgrades.upgrade_card({**v1, "format_version": 3})


@pytest.mark.parametrize("version", [None, 0, -1, True, "1", 1.0])
def test_a_card_without_a_usable_version_is_one_sentence(version: object) -> None:
    card = json.loads((OLD_CARDS / "v1.json").read_text())
    card["format_version"] = version
    with pytest.raises(ValueError, match=r"^its metadata has no format version$"):
        ModelCard.from_json(json.dumps(card))


def test_a_newer_card_names_both_versions() -> None:
    card = json.loads((OLD_CARDS / "v1.json").read_text())
    card["format_version"] = FORMAT_VERSION + 1
    with pytest.raises(ValueError) as refused:
        ModelCard.from_json(json.dumps(card))
    assert str(refused.value) == (
        f"it was made by a newer storyteller (format {FORMAT_VERSION + 1}; "
        f"this version reads format {FORMAT_VERSION})"
    )
