"""The story's memory in the writer: a name typed once is offered again, marked, and can be picked."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from storyteller.app import StorytellerApp
from storyteller.app.widgets.candidates import MEMORY_MARK, CandidatesPanel
from storyteller.engine import Model
from storyteller.session import WriterSettings

from .test_app import SIZE, settle, write

FITTED = {"weight": 0.6, "scale": 2.0}
"""What an export would fit on text where names come back (the tiny fixture has no fitted values)."""


def _remembering(tiny_model: Model) -> Model:
    card = dataclasses.replace(tiny_model.card, cache=FITTED)
    return Model(tiny_model.session, card, tiny_model.path, tiny_model.sha256)


@pytest.mark.usefixtures("full_share")
async def test_a_name_typed_once_is_later_offered_from_the_storys_memory(tiny_model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app = StorytellerApp(_remembering(tiny_model), tmp_path, WriterSettings(pace=0, seed=3))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await write(pilot, "the hedgehog said to Quillibet . the hedgehog said to")
        offered = [c.token for c in app.writer._candidates]
        assert "quillibet" in offered
        panel = str(app.writer.query_one(CandidatesPanel).render())
        assert f"{MEMORY_MARK}quillibet" in panel and "from the story's memory" in panel
        number = offered.index("quillibet") + 1
        shown = app.writer._candidates[number - 1].probability
        await pilot.press(f"shift+f{number}")
        await settle(pilot)
        picked = app.writer.story.words[-1]
        assert picked.token == "quillibet" and picked.memory == WriterSettings().cache_words
        assert picked.probability == shown > 0 and picked.form == "Quillibet"


async def test_with_the_memory_off_the_name_is_never_offered(tiny_model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app = StorytellerApp(_remembering(tiny_model), tmp_path, WriterSettings(pace=0, seed=3, cache=False))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await write(pilot, "the hedgehog said to Quillibet . the hedgehog said to")
        assert "quillibet" not in [c.token for c in app.writer._candidates]
        assert MEMORY_MARK not in str(app.writer.query_one(CandidatesPanel).render())
        assert all(w.memory is None for w in app.writer.story.words)
