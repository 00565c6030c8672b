"""SVG snapshots of the writer's screens at a fixed size (look at them before accepting changes).

Update with ``pytest tests/test_snapshots.py --snapshot-update`` and open the SVGs.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from storyteller.app import make_app
from storyteller.app.settings import WriterSettings
from storyteller.app.widgets.writer_input import WriterInput

from .test_app import settle, write

SIZE = (110, 30)


@pytest.fixture
def writer_app(tiny_model, tmp_path: Path):  # type: ignore[no-untyped-def]
    return make_app(tiny_model, tmp_path, WriterSettings(pace=0, seed=7, length=12))


async def _ready(pilot: Pilot) -> None:  # type: ignore[type-arg]
    pilot.app.writer.query_one(WriterInput).cursor_blink = False
    await settle(pilot)


def test_writer_after_a_turn(snap_compare, writer_app) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot) -> None:  # type: ignore[type-arg]
        await _ready(pilot)
        await write(pilot, "The hedgehog filled the kettle.")
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(writer_app, terminal_size=SIZE, run_before=run_before)


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
