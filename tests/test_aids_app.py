"""The writing aids from the keyboard: Shift+Tab takes a phrase, Ctrl+E bridges to a word,
Ctrl+K fixes a loop; each at 110×36 and at 80×24."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static

from storyteller.app import StorytellerApp
from storyteller.app.screens.bridge import BridgeScreen
from storyteller.app.screens.help import HelpScreen
from storyteller.app.screens.loops import LoopScreen
from storyteller.app.widgets.candidates import CandidatesPanel
from storyteller.app.widgets.story_view import LOOP_STYLE, TurnView
from storyteller.engine.story import Author
from storyteller.session import WriterSettings

from .test_app import settle, write

SIZES = [(110, 36), (80, 24)]


def _app(model, folder: Path, **settings: object) -> StorytellerApp:  # type: ignore[no-untyped-def]
    return StorytellerApp(model, folder, WriterSettings(pace=0, seed=3, length=6, **settings))  # type: ignore[arg-type]


def _notices(app: StorytellerApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


def _fits(app: StorytellerApp, screen: object) -> None:
    """Every widget of the dialog lies inside the terminal."""
    width, height = app.size
    for widget in screen.query("*"):  # type: ignore[attr-defined]
        region = widget.region
        if widget.display and region.width:
            assert region.right <= width and region.bottom <= height, (widget, region, app.size)


async def _until(pilot: Pilot, done) -> None:  # type: ignore[type-arg, no-untyped-def]
    for _ in range(1000):
        await pilot.pause()
        if done():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("it did not happen")


@pytest.mark.parametrize("size", SIZES)
async def test_the_panel_shows_each_candidates_next_words_and_shift_tab_takes_them(
    tiny_model, tmp_path: Path, size: tuple[int, int]
) -> None:  # type: ignore[no-untyped-def]
    app = _app(tiny_model, tmp_path, lookahead=3)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await write(pilot, "the hedgehog filled the")
        panel = app.writer.query_one(CandidatesPanel)
        lines = str(panel.render()).splitlines()[1:11]
        assert all("│" in line and len(line) <= panel.content_size.width for line in lines), lines
        phrase = app.writer.session.phrases[0]
        before = len(app.writer.story.words)
        await pilot.press("shift+tab")
        await settle(pilot)
        added = app.writer.story.words[before:]
        assert [w.token for w in added] == phrase.tokens
        assert all(w.author is Author.PICKED for w in added)


async def test_shift_tab_without_the_lookahead_says_so(tiny_model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app = _app(tiny_model, tmp_path, lookahead=0)
    async with app.run_test(size=SIZES[0]) as pilot:
        await settle(pilot)
        await write(pilot, "the hedgehog filled the")
        before = list(app.writer.story.words)
        await pilot.press("shift+tab")
        await settle(pilot)
        assert app.writer.story.words == before
        assert any("lookahead is off" in n for n in _notices(app))


@pytest.mark.parametrize("size", SIZES)
async def test_ctrl_e_bridges_to_a_word(tiny_model, tmp_path: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    app = _app(tiny_model, tmp_path)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await write(pilot, "the hedgehog filled the")
        before = list(app.writer.story.words)
        await pilot.press("ctrl+e")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, BridgeScreen)
        dialog.query_one(Input).value = "kettel"
        await pilot.press("enter")
        await pilot.pause()
        assert "nearest words it knows: kettle" in str(dialog.query_one("#found").render())
        dialog.query_one(Input).value = "kettle 5"
        await pilot.press("enter")
        options = dialog.query_one(OptionList)
        await _until(pilot, lambda: options.display and options.option_count)
        assert 1 <= options.option_count <= 3
        assert all(
            str(options.get_option_at_index(i).prompt).split("  ")[0].lower().endswith("kettle")
            for i in range(options.option_count)
        )
        _fits(app, dialog)
        await pilot.press("1")
        await settle(pilot)
        assert not isinstance(app.screen, BridgeScreen)
        words = app.writer.story.words
        assert words[: len(before)] == before and words[-1].token == "kettle"
        assert all(w.author is Author.PICKED for w in words[len(before) :])


async def test_esc_leaves_the_bridge_and_the_story_as_it_was(tiny_model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app = _app(tiny_model, tmp_path)
    async with app.run_test(size=SIZES[0]) as pilot:
        await settle(pilot)
        await write(pilot, "the hedgehog")
        before = list(app.writer.story.words)
        await pilot.press("ctrl+e")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, BridgeScreen) and app.writer.story.words == before


@pytest.mark.parametrize("size", SIZES)
async def test_a_loop_is_marked_and_ctrl_k_fixes_it(
    tiny_model, tmp_path: Path, size: tuple[int, int]
) -> None:  # type: ignore[no-untyped-def]
    app = _app(tiny_model, tmp_path, greedy=True, repetition_penalty=1.0)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+k")
        await pilot.pause()
        assert not isinstance(app.screen, LoopScreen)
        assert any("No loop to fix" in n for n in _notices(app))
        app.writer.session.settings = app.writer.session.settings.__class__(
            pace=0, seed=3, length=20, greedy=True, repetition_penalty=1.0
        )
        await write(pilot, "the hedgehog")
        await pilot.press("enter")
        await settle(pilot)
        loop = app.writer.session.current_loop()
        assert loop is not None
        assert any("Ctrl+K offers fixes" in n for n in _notices(app))
        marked = [
            span
            for view in app.writer.query(TurnView)
            for span in view.render().spans  # type: ignore[attr-defined]
            if LOOP_STYLE in str(span.style)
        ]
        assert marked
        await pilot.press("ctrl+k")
        await pilot.pause()
        assert isinstance(app.screen, LoopScreen)
        _fits(app, app.screen)
        await pilot.press("1")
        await settle(pilot)
        assert not isinstance(app.screen, LoopScreen)
        tokens = app.writer.story.tokens
        assert len(tokens) > loop.start and app.writer.story.branches
        fixed = app.writer.session.current_loop()
        assert fixed is None or fixed.kind == "ping-pong"


async def test_the_aids_are_on_the_help_screen(tiny_model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app = _app(tiny_model, tmp_path)
    async with app.run_test(size=SIZES[1]) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        console = Console(record=True, width=78, file=io.StringIO())
        console.print(app.screen.query_one(Static).content)
        text = console.export_text()
        for key in ("Shift+Tab", "Ctrl+E", "Ctrl+K"):
            assert key in text
