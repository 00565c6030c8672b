"""Replaying a story written in the app: the recorded probabilities hold, and a change is caught."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storyteller.app import StorytellerApp
from storyteller.cli import main
from storyteller.engine.cache import DEFAULT_WORDS
from storyteller.engine.replay import replay
from storyteller.engine.story import load_story
from storyteller.session import WriterSettings

from .conftest import TINY_MODEL
from .test_app import SIZE, settle, write


@pytest.fixture
async def written_story(tiny_model, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    """A story with typed, picked and model words, in both the stateful and the windowed mode."""
    app = StorytellerApp(tiny_model, tmp_path, WriterSettings(pace=0, seed=5, length=5))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await write(pilot, "the hedgehog filled the kettle")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("tab")
        await settle(pilot)
        await pilot.press("f7")  # the model now reads the last 3 words only
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await write(pilot, "and the cat")
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("ctrl+q")
        await pilot.pause()
    (path,) = (tmp_path / "stories").glob("*.json")
    return path


async def test_every_recorded_probability_holds(written_story: Path, tiny_model) -> None:  # type: ignore[no-untyped-def]
    story = load_story(written_story)
    assert {w.window for w in story.words} == {None, 3}
    assert {w.author.value for w in story.words} == {"writer", "picked", "model"}
    report = replay(story, tiny_model)
    assert report.checked == sum(w.probability is not None for w in story.words) > 10
    assert report.holds and report.largest_difference < 1e-5
    assert report.same_model is True


async def test_replay_command_reports_and_catches_a_change(written_story: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["replay", str(written_story), "--model", str(TINY_MODEL)]) == 0
    assert "hold" in capsys.readouterr().out
    data = json.loads(written_story.read_text())
    data["words"][3]["p"] = 0.999
    written_story.write_text(json.dumps(data))
    assert main(["replay", str(written_story), "--model", str(TINY_MODEL)]) == 1
    out = capsys.readouterr().out
    assert "word 4" in out


def test_replay_of_a_broken_story_file_is_one_sentence(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "cut.json"
    path.write_text('{"format": "storyteller-story", "version": 1, "words": [{"t":')
    assert main(["replay", str(path), "--model", str(TINY_MODEL)]) == 2
    err = capsys.readouterr().err
    assert "not a story" in err and len(err.strip().splitlines()) == 1


async def test_words_measured_with_the_storys_memory_replay_with_it(written_story: Path, tiny_model) -> None:  # type: ignore[no-untyped-def]
    story = load_story(written_story)
    remembered = [w for w in story.words if w.memory is not None and w.probability is not None]
    # The memory is on by default; a window leaves the model none.
    assert remembered and all(w.window is None and w.memory == DEFAULT_WORDS for w in remembered)
    assert all(w.memory is None for w in story.words if w.window is not None)
    assert replay(story, tiny_model).holds
    without = replay(story, tiny_model, memory=False)
    assert without.skipped == len(remembered) and without.checked == without.holding
    assert main(["replay", str(written_story), "--model", str(TINY_MODEL), "--no-cache"]) == 0
