"""Restoring what an earlier session left: read away from the UI, autosave writes held, nothing lost."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from storyteller.app import StorytellerApp
from storyteller.app.screens.restore import RestoreScreen
from storyteller.app.widgets.status_bar import StatusBar
from storyteller.app.widgets.writer_input import WriterInput
from storyteller.engine import Model
from storyteller.engine.story import Author, Story, Word, load_story, save_story
from storyteller.session import WriterSettings, shelf

from .test_app import SIZE, settle
from .test_session import session_in

LARGE = 20_000
"""Words in the large autosave: enough that reading and drawing it is real work."""


def _left(folder: Path, words: int = 3) -> bytes:
    """An autosave an earlier session left (it ended without closing), as it is on disk."""
    story = Story()
    story.add(Word(["the", "kettle", "sang"][i % 3], Author.WRITER) for i in range(words))
    save_story(story, folder / "autosave.json")
    return (folder / "autosave.json").read_bytes()


def test_while_a_restore_is_read_nothing_writes_over_the_autosave(tiny_model: Model, tmp_path: Path) -> None:
    left = _left(tmp_path)
    session = session_in(tmp_path, tiny_model)
    assert session.files.begin_restore()
    session.add_text("a hedgehog")  # the writer goes on while the autosave is read
    assert (tmp_path / "autosave.json").read_bytes() == left
    crashed, notices = session.files.crashed()
    assert crashed is not None and notices == []
    assert (tmp_path / "autosave.json").read_bytes() == left  # still: the writer has not answered
    session.files.restore(crashed, accept=True)
    assert session.story.tokens == ["the", "kettle", "sang"]
    assert load_story(tmp_path / "autosave.json").tokens == ["the", "kettle", "sang"]
    filed = [load_story(p).tokens for p in (tmp_path / "stories").glob("*.json")]
    assert filed == [["a", "hedgehog"]]  # what was written meanwhile is kept


def test_declining_keeps_both_stories(tiny_model: Model, tmp_path: Path) -> None:
    _left(tmp_path)
    session = session_in(tmp_path, tiny_model)
    assert session.files.begin_restore()
    session.add_text("a hedgehog")
    crashed, _ = session.files.crashed()
    session.files.restore(crashed, accept=False)
    assert session.story.tokens == ["a", "hedgehog"]
    assert load_story(tmp_path / "autosave.json").tokens == ["a", "hedgehog"]  # held, then written
    filed = [load_story(p).tokens for p in (tmp_path / "stories").glob("*.json")]
    assert filed == [["the", "kettle", "sang"]]


def test_quitting_mid_restore_leaves_the_autosave_for_next_time(tiny_model: Model, tmp_path: Path) -> None:
    left = _left(tmp_path)
    session = session_in(tmp_path, tiny_model)
    assert session.files.begin_restore()
    session.add_text("a hedgehog")
    assert session.files.close()
    session.files.remove_autosave()
    assert (tmp_path / "autosave.json").read_bytes() == left
    again = session_in(tmp_path, tiny_model)
    crashed, _ = again.files.crashed()
    assert crashed is not None and crashed.story.tokens == ["the", "kettle", "sang"]


def test_with_nothing_left_there_is_no_restore_and_no_hold(tiny_model: Model, tmp_path: Path) -> None:
    session = session_in(tmp_path, tiny_model)
    assert not session.files.begin_restore() and not session.autosave.held
    session.add_text("a hedgehog")
    assert load_story(tmp_path / "autosave.json").tokens == ["a", "hedgehog"]


async def test_a_large_autosave_is_read_while_the_writer_writes(
    tiny_model: Model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    left = _left(tmp_path, LARGE)
    # The read waits at its start until the test lets it go: however fast this machine reads, the
    # keys below are handled while the restore is under way.
    go = threading.Event()
    real = shelf.load_story

    def held_back(path, tokenizer):  # type: ignore[no-untyped-def]
        assert go.wait(120), "the test never let the read go"
        return real(path, tokenizer)

    monkeypatch.setattr(shelf, "load_story", held_back)
    app = StorytellerApp(tiny_model, tmp_path, WriterSettings(pace=0))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "restoring the last session's story…" in str(app.writer.query_one(StatusBar).render())
        app.writer.query_one(WriterInput).value = "a hedgehog"
        await pilot.press("enter")
        for _ in range(2000):  # a bound that ends a failing test, not a measure of time
            if app.writer.story.tokens == ["a", "hedgehog"]:
                break
            await pilot.pause(0.01)
        assert app.writer.story.tokens == ["a", "hedgehog"]  # the key was handled mid-restore
        assert not isinstance(app.screen, RestoreScreen)
        assert (tmp_path / "autosave.json").read_bytes() == left  # nothing wrote over it
        go.set()
        for _ in range(6000):
            if isinstance(app.screen, RestoreScreen):
                break
            await pilot.pause(0.02)
        assert isinstance(app.screen, RestoreScreen)
        await pilot.press("y")
        await settle(pilot)
        assert len(app.writer.story.words) == LARGE
        assert "restoring" not in str(app.writer.query_one(StatusBar).render())
        assert len(load_story(tmp_path / "autosave.json").words) == LARGE
        filed = [load_story(p).tokens for p in (tmp_path / "stories").glob("*.json")]
        assert filed == [["a", "hedgehog"]]
