"""SVG snapshots of the writer's screens at a fixed size (look at them before accepting changes).

Update with ``pytest tests/test_snapshots.py --snapshot-update`` and open the SVGs.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from storyteller.app import StorytellerApp
from storyteller.app.widgets.writer_input import WriterInput
from storyteller.session import WriterSettings

from .conftest import TINY_MODEL
from .test_app import settle, write

SIZE = (110, 30)
SMALL = (80, 24)
"""The terminal most people have: the story must keep most of it."""


@pytest.fixture
def writer_app(tiny_model, tmp_path: Path):  # type: ignore[no-untyped-def]
    return StorytellerApp(tiny_model, tmp_path, WriterSettings(pace=0, seed=7, length=12))


async def _ready(pilot: Pilot) -> None:  # type: ignore[type-arg]
    pilot.app.writer.query_one(WriterInput).cursor_blink = False
    await settle(pilot)


@pytest.mark.parametrize("size", [SIZE, SMALL], ids=["110x30", "80x24"])
def test_writer_after_a_turn(snap_compare, writer_app, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot) -> None:  # type: ignore[type-arg]
        await _ready(pilot)
        await write(pilot, "The hedgehog filled the kettle.")
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(writer_app, terminal_size=size, run_before=run_before)


def test_colour_by_probability_and_an_unknown_word(snap_compare, writer_app) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot) -> None:  # type: ignore[type-arg]
        await _ready(pilot)
        pilot.app.settings = pilot.app.settings.__class__(pace=0, seed=7, length=12, colour=True)
        await write(pilot, "The hedgehog filled the kettle with [bold]zyzzyva[/bold].")
        await pilot.press("alt+left", "alt+left")
        await settle(pilot)

    assert snap_compare(writer_app, terminal_size=SIZE, run_before=run_before)


def test_help_screen(snap_compare, writer_app) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot) -> None:  # type: ignore[type-arg]
        await _ready(pilot)
        await pilot.press("f1")
        await pilot.pause()

    assert snap_compare(writer_app, terminal_size=(110, 44), run_before=run_before)


def test_retrain_panel_at_80_by_24(snap_compare, writer_app) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot) -> None:  # type: ignore[type-arg]
        await _ready(pilot)
        await pilot.press("ctrl+t")
        await pilot.pause()
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()

    assert snap_compare(writer_app, terminal_size=SMALL, run_before=run_before)


def test_models_screen_at_80_by_24(snap_compare, writer_app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "models").mkdir()
    shutil.copyfile(TINY_MODEL, tmp_path / "models" / "mine.onnx")

    async def run_before(pilot: Pilot) -> None:  # type: ignore[type-arg]
        await _ready(pilot)
        await pilot.press("f10")
        card = pilot.app.screen.query_one("#card", Static)
        for _ in range(200):
            await pilot.pause(0.02)
            if "LSTM" in str(card.render()):
                break
        await pilot.pause()

    assert snap_compare(writer_app, terminal_size=SMALL, run_before=run_before)
