"""Pilot tests of the writer's app: every key and flow, on the tiny model, in a temporary folder."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import Input, OptionList

from storyteller.app import StorytellerApp
from storyteller.app.screens.help import HelpScreen
from storyteller.app.screens.restore import RestoreScreen
from storyteller.app.widgets.notice_bar import NoticeBar
from storyteller.app.widgets.story_view import TurnView
from storyteller.app.widgets.writer_input import WriterInput
from storyteller.engine.story import Author, Story, Word, save_story
from storyteller.session import WriterSettings

SIZE = (110, 36)


@pytest.fixture
def app(tiny_model, tmp_path: Path) -> StorytellerApp:  # type: ignore[no-untyped-def]
    return StorytellerApp(tiny_model, tmp_path, WriterSettings(pace=0, seed=3, length=6))


async def settle(pilot: Pilot) -> None:  # type: ignore[type-arg]
    """Wait until the model is idle: no worker running and no turn being written."""
    app: StorytellerApp = pilot.app  # type: ignore[assignment]
    for _ in range(1000):
        await pilot.pause()
        if not app.writer.writing and not any(w.is_running for w in app.workers):
            await pilot.pause()
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the app did not settle")


async def write(pilot: Pilot, text: str) -> None:  # type: ignore[type-arg]
    pilot.app.writer.query_one(WriterInput).value = text
    await pilot.press("enter")
    await settle(pilot)


def tokens(app: StorytellerApp) -> list[str]:
    return app.writer.story.tokens


async def test_enter_adds_the_writers_words_with_their_probabilities(app: StorytellerApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await write(pilot, "The hedgehog filled the kettle.")
        words = app.writer.story.words
        assert [w.token for w in words] == ["the", "hedgehog", "filled", "the", "kettle", "."]
        assert all(w.author is Author.WRITER and w.probability is not None and w.rank for w in words)
        assert "The hedgehog filled the kettle." in str(app.writer.query(TurnView)[0].render())


async def test_enter_on_an_empty_line_lets_the_model_write_a_turn(app: StorytellerApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await write(pilot, "the hedgehog")
        await pilot.press("enter")
        await settle(pilot)
        model_words = [w for w in app.writer.story.words if w.author is Author.MODEL]
        assert sum(w.token[:1].isalnum() for w in model_words) == 6
        assert all(w.probability is not None and w.rank and w.settings == 0 for w in model_words)
        assert app.writer.story.settings[0]["temperature"] == 0.8
        sides = [v.has_class("model") for v in app.writer.query(TurnView)]
        assert sides == [False, True]


async def test_the_same_seed_writes_the_same_words(tiny_model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    async def run(folder: Path) -> list[str]:
        app = StorytellerApp(tiny_model, folder, WriterSettings(pace=0, seed=11, length=8))
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await write(pilot, "the kettle")
            await pilot.press("enter")
            await settle(pilot)
            return tokens(app)

    assert await run(tmp_path / "a") == await run(tmp_path / "b")


async def test_escape_stops_the_model_and_keeps_its_words(tiny_model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app = StorytellerApp(tiny_model, tmp_path, WriterSettings(pace=0.05, seed=1, length=100))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        for _ in range(200):
            await pilot.pause(0.02)
            if len(app.writer.story.words) >= 3:
                break
        await pilot.press("escape")
        await settle(pilot)
        written = len(app.writer.story.words)
        assert 3 <= written < 100
        await pilot.pause(0.2)
        assert len(app.writer.story.words) == written  # nothing arrives after the stop


async def test_tab_accepts_the_top_candidate(app: StorytellerApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await write(pilot, "the")
        top = app.writer._candidates[0]
        await pilot.press("tab")
        await settle(pilot)
        form = top.token if top.token.lower() != top.token.upper() else None  # as shown, mid-sentence
        # Measured, as the candidates were, with the story's memory (on by default).
        memory = WriterSettings().cache_words
        expected = Word(top.token, Author.PICKED, top.probability, 1, form=form, memory=memory)
        assert app.writer.story.words[-1] == expected


async def test_digits_are_text_and_shift_f_keys_pick_a_candidate(app: StorytellerApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await write(pilot, "the")
        third = app.writer._candidates[2]
        await pilot.press("shift+f3")
        await settle(pilot)
        assert app.writer.story.words[-1].token == third.token
        assert app.writer.story.words[-1].rank == 3
        await pilot.press("2", " ", "f", "?")
        assert app.writer.query_one(WriterInput).value == "2 f?"
        assert len(app.writer.story.words) == 2
        tenth = app.writer._candidates[9]
        await pilot.press("shift+f10")
        await settle(pilot)
        assert app.writer.story.words[-1].token == tenth.token
        assert app.writer.query_one(WriterInput).value == "2 f?"  # picking leaves the typed line alone


async def test_undo_and_redo_word_by_word(app: StorytellerApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await write(pilot, "the hedgehog")
        await pilot.press("enter")
        await settle(pilot)
        full = tokens(app)
        await pilot.press("ctrl+z", "ctrl+z")
        await settle(pilot)
        assert tokens(app) == full[:-2]
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert tokens(app) == full[:-1]
        for _ in range(len(full)):
            await pilot.press("ctrl+z")
        await settle(pilot)
        assert tokens(app) == []


async def test_regenerate_rewrites_the_models_last_turn_and_keeps_the_old_one(app: StorytellerApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await write(pilot, "the hedgehog")
        await pilot.press("enter")
        await settle(pilot)
        first = tokens(app)
        await pilot.press("ctrl+r")
        await settle(pilot)
        story = app.writer.story
        assert tokens(app)[:2] == ["the", "hedgehog"]
        assert story.words[-1].author is Author.MODEL
        assert [w.token for w in story.branches[0].words] == first[2:]
        assert story.settings[-1]["seed"] != story.settings[0]["seed"]


async def test_regenerate_needs_a_model_turn(app: StorytellerApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await write(pilot, "the hedgehog")
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert tokens(app) == ["the", "hedgehog"]


async def test_going_back_picking_another_word_and_returning_to_the_branch(app: StorytellerApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await write(pilot, "the hedgehog filled the kettle")
        await pilot.press("alt+left", "alt+left", "alt+left")
        await settle(pilot)
        assert app.writer.cursor == 2
        offered = app.writer._candidates
        choice = next(i for i, c in enumerate(offered) if c.token != "filled")
        await pilot.press(f"shift+f{choice + 1}")
        await settle(pilot)
        assert tokens(app) == ["the", "hedgehog", offered[choice].token]
        assert app.writer.cursor is None
        await pilot.press("ctrl+b")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert tokens(app) == ["the", "hedgehog", "filled", "the", "kettle"]
        assert [w.token for w in app.writer.story.branches[0].words] == [offered[choice].token]


async def test_escape_leaves_the_word_cursor(app: StorytellerApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await write(pilot, "the hedgehog")
        await pilot.press("alt+left")
        await settle(pilot)
        assert app.writer.cursor == 1
        await pilot.press("escape")
        await settle(pilot)
        assert app.writer.cursor is None


async def test_settings_keys(app: StorytellerApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        assert app.settings.temperature == pytest.approx(0.9)
        await pilot.press("f2", "f2")
        assert app.settings.temperature == pytest.approx(0.7)
        await pilot.press("f4")
        assert app.settings.top_k == 100
        await pilot.press("f4")
        assert app.settings.top_k is None
        await pilot.press("f5", "f5")
        assert app.settings.length == 10  # 6 is not a choice: 5 first, then 10
        await pilot.press("f6")
        assert app.settings.greedy
        await pilot.press("f7")
        assert app.settings.window == 3
        await pilot.press("f8")
        assert app.settings.colour
        await pilot.press("f9")
        assert app.settings.pace == 0.08
        await settle(pilot)
        status = str(app.writer.query_one("#status").render())
        assert "greedy" in status and "last 3 words" in status


async def test_greedy_and_window_settings_reach_the_model(tiny_model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app = StorytellerApp(tiny_model, tmp_path, WriterSettings(pace=0, length=3, repetition_penalty=1))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f6", "f7")
        await write(pilot, "the hedgehog filled")
        expected = app.writer._candidates[0].token
        await pilot.press("enter")
        await settle(pilot)
        assert app.writer._predictor is not None and app.writer._predictor.window == 3
        assert tokens(app)[3] == expected


async def test_unknown_words_are_marked_and_one_key_replaces_them(app: StorytellerApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await write(pilot, "the hedgehgo")
        notice = app.writer.query_one(NoticeBar)
        assert notice.display
        assert "hedgehgo" in str(notice.render()) and "hedgehog" in str(notice.render())
        assert app.writer.story.words[1].probability is None
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert tokens(app) == ["the", "hedgehog"]
        assert not notice.display


async def test_markup_and_escapes_are_shown_literally(app: StorytellerApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await write(pilot, "[bold red]loud[/] \x1b[31m")
        shown = str(app.writer.query(TurnView)[0].render())
        assert shown.strip() == "[bold red]loud[/] [31m"  # as typed: neither interpreted nor re-spaced
        assert "\x1b" not in shown


async def test_a_paste_goes_into_the_input_line_once_and_enter_adds_it(app: StorytellerApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        prompt = app.writer.query_one(WriterInput)
        prompt.value = "so: "
        prompt.cursor_position = 4
        prompt.post_message(events.Paste("the kettle sang.\r\n\r\nthe cat\r\nslept."))
        await pilot.pause()
        assert prompt.value == "so: the kettle sang. ¶ the cat slept."
        assert tokens(app) == []
        await pilot.press("enter")
        await settle(pilot)
        assert tokens(app) == ["so", ":", "the", "kettle", "sang", ".", "<p>", "the", "cat", "slept", "."]
        assert prompt.value == ""


async def test_a_paragraph_break_from_the_keyboard_or_a_pilcrow(app: StorytellerApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.writer.query_one(WriterInput).value = "the end"
        await pilot.press("ctrl+l")
        await settle(pilot)
        await write(pilot, "the kettle ¶ the cat")
        assert tokens(app) == ["the", "end", "<p>", "the", "kettle", "<p>", "the", "cat"]
        assert app.writer.story.text() == "The end\n\nThe kettle\n\nThe cat"
        await pilot.press("ctrl+l", "ctrl+l")  # a second break in a row adds nothing
        await settle(pilot)
        assert tokens(app)[-2:] == ["cat", "<p>"]


async def test_f1_opens_and_closes_help_and_a_question_mark_is_text(app: StorytellerApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert not isinstance(app.screen, HelpScreen)
        assert app.writer.query_one(WriterInput).value == "?"
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("f1")
        assert not isinstance(app.screen, HelpScreen)


async def test_the_command_palette_lists_every_action(app: StorytellerApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        commands = list(app.get_system_commands(app.screen))
        titles = [c.title for c in commands]
        wanted = (
            "Undo (Ctrl+Z)",
            "Regenerate (Ctrl+R)",
            "Warmer (F3)",
            "Branches (Ctrl+B)",
            "Retrain (Ctrl+T)",
            "Models (F10)",
            "Previous model (Ctrl+G)",
            "Accept word (Tab)",
            "Pick candidate 10 (Shift+F10)",  # the way in where a terminal keeps Shift+F10
            "Help (F1)",
        )
        for action in wanted:
            assert action in titles
        assert len(titles) == len(set(titles))  # "Keys" (Textual's) and "Help" (ours) once each
        assert all(" key" not in c.help for c in commands if c.title in wanted)


async def test_save_as_markdown_and_find_it_in_the_story_list(app: StorytellerApp, tmp_path: Path) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await write(pilot, "the hedgehog filled the kettle.")
        await pilot.press("ctrl+s")
        await pilot.pause()
        target = tmp_path / "kettle.md"
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await settle(pilot)
        assert target.read_text() == "# Untitled story\n\nThe hedgehog filled the kettle.\n"
        filed = list((tmp_path / "stories").glob("*.json"))
        assert len(filed) == 1 and json.loads(filed[0].read_text())["words"][1]["t"] == "hedgehog"


async def test_open_an_earlier_story(app: StorytellerApp, tmp_path: Path) -> None:
    earlier = Story()
    earlier.add(Word(t, Author.WRITER) for t in ["once", "upon", "a", "time"])
    save_story(earlier, tmp_path / "stories" / "earlier.json")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await write(pilot, "the cat")
        await pilot.press("ctrl+o")
        await settle(pilot)  # the story list is read in a worker
        options = app.screen.query_one(OptionList)
        assert options.option_count == 1
        await pilot.press("enter")
        await settle(pilot)
        assert tokens(app) == ["once", "upon", "a", "time"]
        # The story that was open is kept in the list.
        assert len(list((tmp_path / "stories").glob("*.json"))) == 2


async def test_every_change_is_autosaved(app: StorytellerApp, tmp_path: Path) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await write(pilot, "the hedgehog")
        await pilot.press("ctrl+z")
        await settle(pilot)
        saved = json.loads((tmp_path / "autosave.json").read_text())
        assert [w["t"] for w in saved["words"]] == ["the"]
        assert saved["model"]["sha256"] == app.model.sha256


async def test_restore_after_a_crash(tiny_model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    crashed = Story()
    crashed.add(Word(t, Author.WRITER) for t in ["the", "kettle", "sang"])
    save_story(crashed, tmp_path / "autosave.json")
    app = StorytellerApp(tiny_model, tmp_path, WriterSettings(pace=0))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, RestoreScreen)
        await pilot.press("y")
        await settle(pilot)
        assert tokens(app) == ["the", "kettle", "sang"]


async def test_declining_a_restore_keeps_the_story_in_the_list(tiny_model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    crashed = Story()
    crashed.add(Word(t, Author.WRITER) for t in ["the", "kettle"])
    save_story(crashed, tmp_path / "autosave.json")
    app = StorytellerApp(tiny_model, tmp_path, WriterSettings(pace=0))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert tokens(app) == []
        assert not (tmp_path / "autosave.json").exists()
        assert len(list((tmp_path / "stories").glob("*.json"))) == 1


async def test_an_unreadable_autosave_is_set_aside_untouched_with_a_notice(
    tiny_model, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    cut = '{"format": "storyteller-story", "version": 1, "words": ['
    (tmp_path / "autosave.json").write_text(cut)
    app = StorytellerApp(tiny_model, tmp_path, WriterSettings(pace=0))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert not isinstance(app.screen, RestoreScreen)
        await write(pilot, "still works")
        assert tokens(app) == ["still", "works"]
        # Kept under a name of its own before anything was written; the new story autosaves apart.
        (kept,) = tmp_path.glob("unreadable-autosave-*.json")
        assert kept.read_text() == cut


async def test_quitting_files_the_story_and_removes_the_autosave(app: StorytellerApp, tmp_path: Path) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await write(pilot, "the end")
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert not (tmp_path / "autosave.json").exists()
    filed = list((tmp_path / "stories").glob("*.json"))
    assert len(filed) == 1
