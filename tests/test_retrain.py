"""The retrain panel and the models screen: a real tiny run, scripted endings, switching and rollback."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Input, Log, Static

from storyteller.app import StorytellerApp
from storyteller.app.screens.compare import CompareScreen
from storyteller.app.screens.confirm import ConfirmScreen
from storyteller.app.screens.models import ModelsScreen
from storyteller.app.screens.retrain import PathSuggester, RetrainScreen
from storyteller.engine import load
from storyteller.session import WriterSettings

from .conftest import FABLE, TINY_MODEL, farm_stories
from .test_app import settle, write

SCRIPTED = Path(__file__).parent / "fixtures" / "scripted_trainer.py"
BIG = (130, 50)


def scripted(mode: str) -> list[str]:
    return [sys.executable, str(SCRIPTED), mode]


async def open_panel(pilot: Pilot, corpus: Path = FABLE) -> RetrainScreen:  # type: ignore[type-arg]
    await settle(pilot)
    await pilot.press("ctrl+t")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, RetrainScreen)
    screen.query_one("#corpus", Input).value = str(corpus)
    await pilot.press("enter")
    for _ in range(400):
        await pilot.pause(0.01)
        if screen.corpus is not None or "red" in str(screen.query_one("#report", Static).render()):
            break
    return screen


async def run_to_end(pilot: Pilot, screen: RetrainScreen, timeout: float = 120) -> str:  # type: ignore[type-arg]
    await pilot.press("ctrl+t")
    for _ in range(int(timeout * 20)):
        await pilot.pause(0.05)
        if screen.run is None and "\n" in "\n".join(screen.query_one(Log).lines):
            return "\n".join(screen.query_one(Log).lines)
    raise AssertionError("the run did not end")


async def test_a_real_tiny_run_then_use_it_compare_and_roll_back(tiny_model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("torch")
    app = StorytellerApp(tiny_model, tmp_path, WriterSettings(pace=0))
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        await write(pilot, "the hedgehog")
        screen = await open_panel(pilot)
        report = str(screen.query_one("#report", Static).render())
        assert "182 words" in report and "too small to hold any of it out" in report
        assert screen.query_one("#name", Input).value == "fable"
        for field, value in (("units", "16"), ("layers", "1"), ("epochs", "2")):
            screen.query_one(f"#{field}", Input).value = value
        log = await run_to_end(pilot, screen)
        model_file = tmp_path / "models" / "fable.onnx"
        assert "saved as" in log and model_file.exists()
        assert "perplexity" in str(screen.query_one("#figures", Static).render())
        assert not screen.query_one("#use", Button).disabled

        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, CompareScreen)
        compare = app.screen
        for _ in range(100):
            await pilot.pause(0.02)
            if compare.columns is not None:
                break
        assert compare.columns is not None
        old, new = compare.columns
        assert len(old) == len(new) == 10 and old != new
        await pilot.press("enter")
        await settle(pilot)
        assert app.model.name == "fable" and app.previous_model is tiny_model
        assert app.writer._predictor is not None and app.writer._predictor.model is app.model
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert app.model is tiny_model
        assert app.writer.story.tokens == ["the", "hedgehog"]


async def test_a_second_run_never_replaces_the_first_model(tiny_model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app = StorytellerApp(tiny_model, tmp_path, WriterSettings(pace=0), trainer_command=scripted("ok"))
    async with app.run_test(size=BIG) as pilot:
        screen = await open_panel(pilot)
        await run_to_end(pilot, screen)
        await run_to_end(pilot, screen)
        assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["fable-2.onnx", "fable.onnx"]


@pytest.mark.parametrize(
    ("mode", "says"),
    [
        ("reject", "looks like a binary file"),
        ("parity", "disagrees with torch"),
        ("crash", "stopped with exit status 139"),
        ("killed", "was killed by signal 9"),
    ],
)
async def test_a_failed_run_says_why_and_leaves_the_model_alone(
    tiny_model, tmp_path: Path, mode: str, says: str
) -> None:  # type: ignore[no-untyped-def]
    app = StorytellerApp(tiny_model, tmp_path, WriterSettings(pace=0), trainer_command=scripted(mode))
    async with app.run_test(size=BIG) as pilot:
        screen = await open_panel(pilot)
        log = await run_to_end(pilot, screen, timeout=30)
        assert says in log
        assert screen.query_one("#use", Button).disabled
        assert not (tmp_path / "models").exists() or not list((tmp_path / "models").iterdir())
        assert app.model is tiny_model and load(TINY_MODEL).card == tiny_model.card
        await pilot.press("escape")
        await write(pilot, "the kettle")  # the writer still works
        assert app.writer.story.tokens == ["the", "kettle"]


async def test_a_trainer_speaking_a_newer_event_schema_is_one_sentence(tiny_model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app = StorytellerApp(tiny_model, tmp_path, WriterSettings(pace=0), trainer_command=scripted("newer"))
    async with app.run_test(size=BIG) as pilot:
        screen = await open_panel(pilot)
        log = await run_to_end(pilot, screen, timeout=30)
        assert "The trainer speaks a newer event schema (2) than this storyteller reads (1)." in log
        assert "No model was taken." in log and "saved as" not in log
        assert screen.query_one("#use", Button).disabled and app.model is tiny_model


async def wait_for_the_end(pilot: Pilot, screen: RetrainScreen) -> None:  # type: ignore[type-arg]
    """Wait until the run is over; the bound only ends a failing test, it measures nothing."""
    for _ in range(3000):
        if screen.run is None:
            return
        await pilot.pause(0.02)
    raise AssertionError("the run did not end after its cancel")


async def cancel(pilot: Pilot) -> None:  # type: ignore[type-arg]
    """Cancel the run as the writer does: its own key, then yes to the question."""
    await pilot.press("f4")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ConfirmScreen)
    await pilot.press("y")


def assert_gone(process: asyncio.subprocess.Process) -> None:
    """The child has exited and been reaped: no process is left with its id."""
    assert process.returncode is not None
    with pytest.raises(ProcessLookupError):
        os.kill(process.pid, 0)


# Speed is bench/app_latency.py's business; these tests check what no load can change.
async def test_cancel_ends_the_child_and_writes_nothing(tiny_model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app = StorytellerApp(tiny_model, tmp_path, WriterSettings(pace=0), trainer_command=scripted("slow"))
    async with app.run_test(size=BIG) as pilot:
        screen = await open_panel(pilot)
        await pilot.press("ctrl+t")
        for _ in range(1000):
            await pilot.pause(0.02)
            if any("scripted run" in line for line in screen.query_one(Log).lines):
                break
        assert screen.run is not None and screen.run.process is not None
        process = screen.run.process
        await cancel(pilot)
        # The scripted run never ends by itself: its end is the cancel's doing, not a wait.
        await wait_for_the_end(pilot, screen)
        assert_gone(process)
        assert "cancelled" in "\n".join(screen.query_one(Log).lines)
        assert not (tmp_path / "models").exists()


async def test_cancelling_a_real_run_writes_nothing(tiny_model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("torch")
    # Real prose with held-out figures: it keeps improving for many epochs, so it cannot end by
    # itself soon after the first (the fable is learnt by heart in seconds and stops on its own;
    # text with nothing to learn stops as soon as patience runs out).
    text = farm_stories(tmp_path / "corpus")
    app = StorytellerApp(tiny_model, tmp_path, WriterSettings(pace=0))
    async with app.run_test(size=BIG) as pilot:
        screen = await open_panel(pilot, text)
        screen.query_one("#epochs", Input).value = "500"
        await pilot.press("ctrl+t")
        for _ in range(3000):
            await pilot.pause(0.05)
            if any(line.startswith("epoch") for line in screen.query_one(Log).lines):
                break
        assert screen.run is not None and screen.run.process is not None
        process = screen.run.process
        await cancel(pilot)
        await wait_for_the_end(pilot, screen)
        assert_gone(process)
        lines = screen.query_one(Log).lines
        assert "cancelled" in "\n".join(lines)
        # The run did not go on to its end: stopped by the interrupt, if at all, and never exported.
        assert all("interrupted" in line for line in lines if line.startswith("stopped:"))
        assert not any(line.startswith("exported") for line in lines)
        models = tmp_path / "models"
        assert not models.exists() or not list(models.iterdir())  # no model, no temporary file
        assert app.model is tiny_model and load(TINY_MODEL).card == tiny_model.card


async def test_paths_complete_as_they_are_typed(tmp_path: Path) -> None:
    (tmp_path / "stories").mkdir()
    (tmp_path / "stories" / "fables.txt").write_text("x")
    (tmp_path / "notes.txt").write_text("x")
    suggester = PathSuggester()
    assert await suggester.get_suggestion(str(tmp_path / "st")) == str(tmp_path / "stories") + "/"
    assert await suggester.get_suggestion(str(tmp_path / "stories") + "/") == str(
        tmp_path / "stories" / "fables.txt"
    )
    assert await suggester.get_suggestion(str(tmp_path / "zzz")) is None
    assert await suggester.get_suggestion("/nonexistent/folder/x") is None


async def test_a_rejected_corpus_is_one_sentence_before_training(tiny_model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n")
    app = StorytellerApp(tiny_model, tmp_path, WriterSettings(pace=0))
    async with app.run_test(size=BIG) as pilot:
        screen = await open_panel(pilot, empty)
        assert "holds no text" in str(screen.query_one("#report", Static).render())
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert screen.run is None


async def test_without_torch_the_panel_says_what_to_install(tiny_model, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("storyteller.app.screens.retrain.training_available", lambda: False)
    app = StorytellerApp(tiny_model, tmp_path, WriterSettings(pace=0))
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+t")
        await pilot.pause()
        screen = app.screen
        assert "pip install 'storyteller[train]'" in str(screen.query_one("#report", Static).render())
        assert screen.query_one("#start", Button).disabled


async def test_models_screen_switches_renames_and_deletes_only_the_writers_own(
    tiny_model, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    own = tmp_path / "models"
    own.mkdir()
    shutil.copyfile(TINY_MODEL, own / "mine.onnx")
    app = StorytellerApp(tiny_model, tmp_path, WriterSettings(pace=0))
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        await pilot.press("f10")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ModelsScreen)
        names = [e.name for e in screen.entries]
        assert names[0] == "mine" and "default" in names
        await pilot.press("n")
        screen.query_one("#rename", Input).value = "renamed"
        await pilot.press("enter")
        await pilot.pause()
        assert (own / "renamed.onnx").exists() and not (own / "mine.onnx").exists()
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert not (own / "renamed.onnx").exists()
        assert [e.name for e in screen.entries] == ["default"]
        await pilot.press("d")  # the shipped model cannot be deleted
        await pilot.pause()
        assert [e.name for e in screen.entries] == ["default"]
        await pilot.press("enter")  # write with it
        await pilot.pause()
        assert isinstance(app.screen, CompareScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert app.model.name == "default"
    assert isinstance(app, StorytellerApp)
