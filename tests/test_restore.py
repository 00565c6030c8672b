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


HUGE = 300_000
"""Words in the huge story: drawing every one of them would take the UI many seconds."""


def _huge() -> Story:
    """A story of ``HUGE`` words in turns of 40, cheap to build: the same few words over and over,
    all scored (the model has nothing to read again); it ends "... the quiet hedgehog slept"."""
    words = {
        (token, author): Word(token, author, 0.25)
        for token in ("the", "fox", "ran", ".", "quiet", "hedgehog", "slept")
        for author in (Author.WRITER, Author.MODEL)
    }
    tokens = ["the", "fox", "ran", "."]
    story = Story(
        words[tokens[i % 4], Author.MODEL if (i // 40) % 2 else Author.WRITER] for i in range(HUGE - 3)
    )
    story.add([words["quiet", Author.MODEL], words["hedgehog", Author.MODEL], words["slept", Author.MODEL]])
    return story


async def test_a_huge_restored_story_draws_only_its_end_and_keeps_the_whole(
    tiny_model: Model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storyteller.app.widgets.story_view import TURNS_SHOWN, EarlierTurns, StoryView, TurnView
    from storyteller.engine.page import LOOKBACK

    huge = _huge()
    _left(tmp_path)  # an autosave is there to restore; what it holds is the huge story
    monkeypatch.setattr(shelf, "load_story", lambda path, tokenizer: huge)
    app = StorytellerApp(tiny_model, tmp_path, WriterSettings(pace=0))
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(6000):  # a bound that ends a failing test, not a measure of time
            if isinstance(app.screen, RestoreScreen):
                break
            await pilot.pause(0.02)
        await pilot.press("y")
        await settle(pilot)
        view = app.writer.query_one(StoryView)
        assert app.writer.story is huge and len(huge.words) == HUGE
        # Drawn: the latest turns, and the text of their words and a paragraph's worth before.
        drawn = list(view.query(TurnView))
        assert view.drawn == len(drawn) == TURNS_SHOWN
        assert view.spelled <= TURNS_SHOWN * 40 + LOOKBACK
        assert drawn[-1].start == HUGE - 40
        assert str(drawn[-1].render()).strip().endswith("quiet hedgehog slept")
        assert view.is_vertical_scroll_end and view.max_scroll_y > 0  # the end is in view
        status = str(app.writer.query_one(StatusBar).render())
        assert f" {huge.word_count():,} words " in status
        earlier = str(view.query_one(EarlierTurns).render())
        assert f"⋯ {HUGE // 40 - TURNS_SHOWN:,} earlier turns" in earlier
        # PageUp to the top, then once more: more of the earlier turns are drawn.
        for _ in range(1000):
            if view.scroll_y == 0:
                break
            await pilot.press("pageup")
            await pilot.pause()
        await pilot.press("pageup")
        await settle(pilot)
        drawn = list(view.query(TurnView))
        assert len(drawn) == 2 * TURNS_SHOWN and drawn[0].start == HUGE - 2 * TURNS_SHOWN * 40
        assert str(drawn[0].render()).strip().startswith("The fox ran.")
        assert f"⋯ {HUGE // 40 - 2 * TURNS_SHOWN:,} earlier turns" in str(
            view.query_one(EarlierTurns).render()
        )
        assert view.spelled <= 2 * TURNS_SHOWN * 40 + LOOKBACK
        # The writer writes on: the word is drawn, counted, and the whole story is saved.
        app.writer.query_one(WriterInput).value = "a hedgehog"
        await pilot.press("enter")
        await settle(pilot)
        assert huge.tokens[-2:] == ["a", "hedgehog"]
        assert str(list(view.query(TurnView))[-1].render()).strip() == "a hedgehog"  # a turn of its own
        assert f" {huge.word_count():,} words " in str(app.writer.query_one(StatusBar).render())
        assert view.spelled <= 2 * TURNS_SHOWN * 40 + LOOKBACK + 2
        assert app.writer.session.files.save_as(tmp_path / "saved.json") is not None
        for saved in (tmp_path / "saved.json", tmp_path / "autosave.json"):
            assert saved.read_text().count('{"t": ') == HUGE + 2
