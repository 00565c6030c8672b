"""Training while writing: the run outlives the panel, the status bar follows it, cancelling and
quitting ask first; the bar and its time left follow whichever limit ends the run first."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, ProgressBar, Sparkline, Static

from storyteller.app import StorytellerApp
from storyteller.app.screens.confirm import ConfirmScreen
from storyteller.app.screens.retrain import RetrainScreen
from storyteller.app.trainer import Outcome, TrainingRun
from storyteller.app.training import Training
from storyteller.app.widgets.status_bar import StatusBar
from storyteller.app.widgets.writer_input import WriterInput
from storyteller.engine import events
from storyteller.session import WriterSettings

from .test_app import settle
from .test_retrain import BIG, assert_gone, open_panel, run_to_end, scripted, wait_for_the_end

START = events.Start(100, 90, 10, 50, 1000, "cpu", 40, 100, {})


def step(number: int, total: int, loss: float = 1.0, elapsed: float = 0.0, eta: float = 0.0) -> events.Step:
    return events.Step(1, number, total, loss, 100.0, elapsed, eta)


def _training() -> Training:
    training = Training()
    training.begin(TrainingRun(["true"], Path("c.txt"), Path("m.onnx"), []), "mine")
    return training


def test_the_bar_and_time_left_follow_whichever_limit_ends_the_run_first() -> None:
    training = _training()
    assert training.fraction is None and training.status() == "training 'mine': starting…"
    training.follow(START)
    assert training.fraction == 0.0
    # 40 epochs would take 20 minutes, but a 90 s time limit ends the run: the trainer's ETA
    # says so, and the bar is the share of that time gone, not of the 4,000 steps.
    training.follow(step(30, 4000, elapsed=30.0, eta=60.0))
    assert training.fraction is not None and abs(training.fraction - 1 / 3) < 1e-9
    assert training.status() == "training 'mine' 33% · 1:00 left · Ctrl+T"
    training.follow(step(31, 4000, elapsed=31.0, eta=90.0))
    assert abs(training.fraction - 1 / 3) < 1e-9  # the bar never goes back
    # Patience ends it early: the run is over, so the bar is full.
    training.follow(events.Done("converged", 3.0, 20.0, {}, {}, True))
    assert training.fraction == 1.0 and training.eta is None
    assert training.status() == "training 'mine': exporting…"
    training.follow(events.Exported("m.onnx", 1e-6, 1000, 0.1))
    training.end(Outcome("exported", "saved", Path("m.onnx")))
    assert training.fraction == 1.0 and not training.running
    assert training.status() == "'mine' is trained: Ctrl+T to use it"
    training.taken()
    assert training.status() is None and training.result == Path("m.onnx")


def test_a_new_run_starts_with_empty_charts_and_bad_figures_are_skipped() -> None:
    training = _training()
    training.follow(step(1, 4, loss=3.5))
    training.follow(events.Epoch(1.0, 3.0, {"perplexity": 20.0, "top1": 0.2}, True, 0.01, 0.1))
    training.follow(step(2, 4, loss=float("nan"), elapsed=float("nan")))  # a diverging run
    training.follow(events.Epoch(2.0, 3.0, {"perplexity": float("inf"), "top1": 0.1}, False, 0.01, 0.1))
    assert training.charts.losses == [3.5] and training.charts.perplexities == [20.0]
    assert training.fraction == 0.5 and training.charts.accuracies == [0.2, 0.1]
    training.end(Outcome("error", "no"))
    assert training.status() is None
    training.begin(TrainingRun(["true"], Path("c.txt"), Path("n.onnx"), []), "next")
    assert training.charts.losses == training.charts.perplexities == training.charts.accuracies == []


def status(app: StorytellerApp) -> str:
    return str(app.writer.query_one(StatusBar).render())


async def write_beside_the_run(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    """Type and Enter, then wait for the model's work (the training worker runs on)."""
    app: StorytellerApp = pilot.app
    app.writer.query_one(WriterInput).value = text
    await pilot.press("enter")
    for _ in range(1000):
        await pilot.pause(0.01)
        if not any(w.is_running for w in app.workers if w.group != "training"):
            return
    raise AssertionError("the model's work did not end")


async def started(pilot, screen: RetrainScreen) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("ctrl+t")
    for _ in range(1000):
        await pilot.pause(0.02)
        if screen.training.charts.losses:
            return
    raise AssertionError("the scripted run did not start")


async def test_leaving_the_panel_never_cancels_and_the_status_bar_follows(tiny_model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app = StorytellerApp(tiny_model, tmp_path, WriterSettings(pace=0), trainer_command=scripted("slow"))
    async with app.run_test(size=BIG) as pilot:
        screen = await open_panel(pilot)
        bar = screen.query_one(ProgressBar)
        assert bar.total is not None and bar.progress == 0  # nothing runs: the bar stands still
        await started(pilot, screen)
        assert screen.run is not None and screen.run.process is not None
        process = screen.run.process
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.writer and screen.run is not None
        assert "training 'fable' 25% · 0:00 left · Ctrl+T" in status(app)
        await write_beside_the_run(pilot, "the kettle")  # writing goes on beside the run
        assert app.writer.story.tokens == ["the", "kettle"] and process.returncode is None
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert app.screen is screen and screen.query_one(ProgressBar).progress == 25
        await pilot.press("f4")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert screen.run is not None and process.returncode is None
        await pilot.press("f4")
        await pilot.pause()
        await pilot.press("y")
        await wait_for_the_end(pilot, screen)
        assert_gone(process)
        assert "cancelled" in str(screen.query_one("#outcome", Static).render())
        assert "training" not in status(app)


async def test_quitting_while_a_model_trains_asks_first(tiny_model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app = StorytellerApp(tiny_model, tmp_path, WriterSettings(pace=0), trainer_command=scripted("slow"))
    async with app.run_test(size=BIG) as pilot:
        screen = await open_panel(pilot)
        await started(pilot, screen)
        assert screen.run is not None and screen.run.process is not None
        process = screen.run.process
        await pilot.press("escape", "ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and app.is_running
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is app.writer and process.returncode is None
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("y")
        for _ in range(500):
            if not app.is_running:
                break
            await pilot.pause(0.02)
    assert_gone(process)
    assert not (tmp_path / "models").exists()


async def test_the_outcome_is_in_view_at_36_rows_and_short_charts_are_narrow(
    tiny_model, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    app = StorytellerApp(tiny_model, tmp_path, WriterSettings(pace=0), trainer_command=scripted("ok"))
    async with app.run_test(size=(100, 36)) as pilot:
        screen = await open_panel(pilot)
        await run_to_end(pilot, screen)
        await pilot.pause()
        outcome = screen.query_one("#outcome", Static)
        assert "Press Y" in str(outcome.render())
        assert outcome.region.y >= 0 and outcome.region.bottom <= 36 - 1  # above the footer
        assert screen.query_one(ProgressBar).progress == 100
        for chart, points in (("#loss", 1), ("#perplexity", 1), ("#accuracy", 1)):
            sparkline = screen.query_one(chart, Sparkline)
            assert sparkline.size.width == points  # one column a point, not a solid block


async def test_tab_in_the_path_field_takes_the_completion_shown(tiny_model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "stories").mkdir()
    (tmp_path / "stories" / "fables.txt").write_text("the fox ran .")
    app = StorytellerApp(tiny_model, tmp_path, WriterSettings(pace=0))
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+t")
        await pilot.pause()
        field = app.screen.query_one("#corpus", Input)
        field.value = str(tmp_path / "sto")
        field.cursor_position = len(field.value)
        for _ in range(100):
            await pilot.pause(0.01)
            if field._suggestion:
                break
        await pilot.press("tab")
        await pilot.pause()
        assert field.value == str(tmp_path / "stories") + "/" and field.has_focus
        for _ in range(100):
            await pilot.pause(0.01)
            if field._suggestion:
                break
        await pilot.press("tab")
        assert field.value == str(tmp_path / "stories" / "fables.txt")
        await pilot.pause()
        await pilot.press("tab")  # nothing more to complete: Tab moves on
        await pilot.pause()
        assert not field.has_focus
