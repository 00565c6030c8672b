"""The retrain panel: pick a text, read its report, set a few things, train, watch, use the model.

Training runs as a child process (see ``trainer.py``) and belongs to the app's ``Training``:
Esc leaves the panel and the run goes on (the status bar shows it; Ctrl+T comes back here).
Cancelling is its own key and asks first. The form's parts are in ``retrain_form.py``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Log, ProgressBar, Select, Sparkline, Static

from ...engine import Corpus, CorpusError, CorpusReport, events, read_corpus, report, user_models_dir
from ...engine.corpus import held_out_chunk
from ...engine.presets import PRESETS, preset_for
from ...engine.registry import MODEL_NAME_RULE, is_model_name
from ...errors import training_missing
from ...figures import figures_table
from ...text import one_line, visible
from ..trainer import TRAINER, Outcome, TrainingRun, training_available
from ..training import Ended, Heard, Training, time_left
from .retrain_form import FIELDS, PathInput, PathSuggester, free_path, options_from

__all__ = ["PathSuggester", "RetrainScreen"]

FULL_CHART = 40
"""Points from which a chart spans its column; fewer are drawn one column each, not stretched
into solid blocks."""


class RetrainScreen(Screen[Path | None]):
    """Train a new model from the writer's own text without leaving the app."""

    BINDINGS = [
        Binding("escape", "back", "Back to writing"),
        Binding("ctrl+t", "train", "Train", priority=True),
        Binding("f4", "cancel", "Cancel the run"),
        Binding("y", "use", "Use the new model", show=False),
    ]

    def __init__(
        self, data_dir: Path, trainer_command: Sequence[str] = TRAINER, training: Training | None = None
    ) -> None:
        super().__init__()
        self.data_dir = data_dir
        self.trainer_command = list(trainer_command)
        self.training = training or Training()
        """The app's run: it outlives this screen's visits."""
        self.corpus: Corpus | None = None
        self.report: CorpusReport | None = None

    @property
    def run(self) -> TrainingRun | None:
        return self.training.run

    @property
    def result(self) -> Path | None:
        return self.training.result

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="retrain"):
            yield Label("Train a model on your own text", classes="title")
            yield PathInput(
                placeholder="a .txt file or a folder of them (Tab completes), then Enter", id="corpus"
            )
            yield Static("", id="report")
            with Horizontal(classes="settings"):
                yield Select(((p.label, key) for key, p in PRESETS.items()), value="balanced", id="preset")
                with Vertical(classes="field"):
                    yield Label("name")
                    yield Input(id="name", placeholder="name")
            with Horizontal(classes="settings"):
                # Labels of ten characters at most: seven fields share an 80-column row.
                for name, label, placeholder in (
                    ("units", "units", "units"),
                    ("layers", "layers", "layers"),
                    ("window", "window", "words"),
                    ("epochs", "epochs", "epochs"),
                    ("budget", "time limit", "none"),
                    ("lr", "learn rate", "default"),
                    ("seed", "seed", "seed"),
                ):
                    with Vertical(classes="field"):
                        yield Label(label)
                        yield Input(id=name, placeholder=placeholder)
            with Horizontal(id="buttons"):
                yield Button("Train (Ctrl+T)", id="start", variant="primary")
                yield Button("Cancel training (F4)", id="cancel", variant="error", disabled=True)
                yield Button("Use it now (Y)", id="use", variant="success", disabled=True)
            # Where the run ended and what to do next, near the top: never below the fold.
            yield Static("", id="outcome")
            with Horizontal(id="progress-row"):
                # A total from the start: without one the bar animates as if something were running.
                # Its own ETA would guess from the bar's pace; the trainer's knows the time limit.
                yield ProgressBar(id="progress", show_eta=False, total=100)
                yield Label("", id="eta")
            with Horizontal(id="charts"):
                with Vertical():
                    yield Label("training loss")
                    yield Sparkline([], id="loss")
                with Vertical():
                    yield Label("held-out perplexity")
                    yield Sparkline([], id="perplexity")
                with Vertical():
                    yield Label("held-out top-1 accuracy")
                    yield Sparkline([], id="accuracy")
            yield Static("", id="figures")
            yield Log(id="log", max_lines=500)
        yield Footer()

    def on_mount(self) -> None:
        self._apply_preset("balanced")
        self.query_one("#epochs", Input).value = "40"
        self.query_one("#lr", Input).placeholder = "default"
        self.query_one("#seed", Input).value = "0"
        if not training_available():
            self.query_one("#report", Static).update(Text(training_missing(), style="bold yellow"))
            self.query_one("#start", Button).disabled = True
        self.query_one("#corpus", Input).focus()
        self.training.listeners.append(self._progress)

    # -- the corpus --------------------------------------------------------------------

    @on(Input.Submitted, "#corpus")
    def _corpus_chosen(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.query_one("#report", Static).update(Text("Reading…", style="dim"))
            self._read(Path(event.value.strip()).expanduser())

    @work(thread=True, exclusive=True, group="corpus", exit_on_error=False)
    def _read(self, path: Path) -> None:
        try:
            corpus = read_corpus(path)
            figures = report(corpus.text)
        except CorpusError as error:
            self.app.call_from_thread(self._corpus_refused, str(error))
            return
        self.app.call_from_thread(self._corpus_read, path, corpus, figures)

    def _corpus_refused(self, message: str) -> None:
        self.corpus = self.report = None
        self.query_one("#report", Static).update(Text(visible(message), style="bold red"))

    def _corpus_read(self, path: Path, corpus: Corpus, figures: CorpusReport) -> None:
        self.corpus, self.report = corpus, figures
        preset = preset_for(figures.tokens)
        self.query_one("#preset", Select).value = preset
        self._apply_preset(preset)
        name = (
            re.sub(r"[^A-Za-z0-9_-]+", "-", path.stem if path.is_file() else path.name).strip("-") or "mine"
        )
        self.query_one("#name", Input).value = name
        self._show_report()

    def _show_report(self) -> None:
        if self.report is None or self.corpus is None:
            return
        r = self.report
        text = Text()
        files = len(self.corpus.files)
        text.append(f"{r.words:,} words", style="bold")
        text.append(f" ({r.tokens:,} tokens with punctuation) in {files} file{'s' * (files != 1)} · ")
        text.append(f"{r.distinct:,} distinct · {r.once_share:.0%} of them seen once · ")
        text.append(f"vocabulary with these settings: {r.vocabulary_size(None, 30_000):,}\n")
        for note in self.corpus.notes:
            text.append(f"note: {visible(note)}\n", style="yellow")
        if not held_out_chunk(r.tokens, 0.1):
            text.append(
                "This text is too small to hold any of it out: the figures will be measured on the "
                "training text itself, so they will look better than the model is.\n",
                style="bold yellow",
            )
        self.query_one("#report", Static).update(text)

    @on(Select.Changed, "#preset")
    def _preset_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self._apply_preset(event.value)

    def _apply_preset(self, key: str) -> None:
        preset = PRESETS[key]
        self.query_one("#units", Input).value = str(preset.units)
        self.query_one("#layers", Input).value = str(preset.layers)
        self.query_one("#window", Input).value = str(preset.window)

    # -- training ----------------------------------------------------------------------

    def _options(self) -> list[str] | None:
        """Command-line options from the form, or None after saying what is wrong."""
        options = options_from({name: self.query_one(f"#{name}", Input).value.strip() for name in FIELDS})
        if isinstance(options, str):
            self.notify(options, severity="error", markup=False)
            return None
        return options

    def action_train(self) -> None:
        if self.run is not None:
            return
        if not training_available():
            self.notify(training_missing(), severity="error", markup=False)
            return
        if self.corpus is None:
            self.notify("Choose a text first: type its path and press Enter.", markup=False)
            return
        options = self._options()
        if options is None:
            return
        name = options[1]
        if not is_model_name(name):
            self.notify(MODEL_NAME_RULE, markup=False)
            return
        out = free_path(user_models_dir(self.data_dir), name)
        corpus_path = Path(self.query_one("#corpus", Input).value.strip()).expanduser()
        run = TrainingRun(self.trainer_command, corpus_path, out, options)
        self.training.begin(run, out.stem)
        self.query_one("#figures", Static).update("")
        self.query_one("#outcome", Static).display = False
        log = self.query_one(Log)
        log.clear()
        log.write_line(f"training into {out}")
        self._show_standing()
        self._follow(run)

    @work(exclusive=True, group="training", exit_on_error=False)
    async def _follow(self, run: TrainingRun) -> None:
        try:
            await run.start()
        except OSError as error:
            self.training.end(Outcome("crashed", f"The trainer could not start ({error.strerror})."))
            return
        async for event in run.events():
            self.training.follow(event)
        self.training.end(await run.finish())

    def _progress(self, event: Heard) -> None:
        """The training's listener: log what the event says and show where the run stands."""
        log = _VisibleLog(self.query_one(Log))
        if isinstance(event, events.Start):
            log.write_line(
                f"{event.tokens:,} tokens, vocabulary {event.vocabulary:,}, "
                f"{event.parameters:,} weights, on {event.device}"
            )
            for note in event.notes:
                log.write_line(f"note: {note}")
        elif isinstance(event, events.Epoch):
            figures = event.metrics
            log.write_line(
                f"epoch {event.epoch:.1f}: "
                f"perplexity {figures.get('perplexity', float('nan')):.1f}, "
                f"top-1 {figures.get('top1', 0):.1%}, windowed {figures.get('windowed', 0):.1%}"
            )
        elif isinstance(event, events.Sample):
            log.write_line(f"  “{one_line(event.text)}”")
        elif isinstance(event, events.Done):
            metrics = {"held_out": event.held_out, "model": event.metrics, **event.baselines}
            self.query_one("#figures", Static).update(Text("\n".join(figures_table(metrics))))
            log.write_line(f"stopped: {event.stopped}; exporting and checking against torch…")
        elif isinstance(event, events.Exported):
            log.write_line(f"exported: parity {event.parity:.1e}")
        elif isinstance(event, events.Error):
            log.write_line(event.message)
        elif isinstance(event, events.Log):
            log.write_line(event.text)
        elif isinstance(event, Ended):
            self._finished(event.outcome)
        self._show_standing()

    def _show_standing(self) -> None:
        training = self.training
        self.query_one(ProgressBar).update(progress=round(100 * (training.fraction or 0)))
        says = {"starting": "starting…", "exporting": "exporting and checking…"}.get(training.phase)
        self.query_one("#eta", Label).update(says or time_left(training.eta))
        charts = training.charts
        for chart, data in (
            ("#loss", charts.losses),
            ("#perplexity", charts.perplexities),
            ("#accuracy", charts.accuracies),
        ):
            sparkline = self.query_one(chart, Sparkline)
            sparkline.data = list(data)
            sparkline.styles.width = "1fr" if len(data) >= FULL_CHART else max(len(data), 1)
        running = training.running
        self.query_one("#start", Button).disabled = running or not training_available()
        self.query_one("#cancel", Button).disabled = not running
        self.query_one("#use", Button).disabled = running or training.result is None

    def _finished(self, outcome: Outcome) -> None:
        log = _VisibleLog(self.query_one(Log))
        log.write_line(outcome.message)
        failed = outcome.kind not in ("exported", "cancelled")
        self.notify(outcome.message, severity="error" if failed else "information", markup=False)
        shown = Text(visible(outcome.message), style="bold red" if failed else "bold")
        if outcome.kind == "exported" and outcome.path is not None:
            shown.append("\nPress Y (or the button) to write with it now; the old model stays available.")
            self.query_one("#use", Button).focus()
        outcome_line = self.query_one("#outcome", Static)
        outcome_line.update(shown)
        outcome_line.display = True
        self.call_after_refresh(outcome_line.scroll_visible, animate=False)

    def action_back(self) -> None:
        """Back to writing; a run goes on (the status bar shows it, Ctrl+T comes back here)."""
        self.dismiss(None)

    def action_cancel(self) -> None:
        """Cancel the run, once the writer says so: what it has learnt is lost."""
        if self.run is None:
            self.notify("No training is running.", markup=False)
            return
        from .confirm import ConfirmScreen

        async def answer(yes: bool | None) -> None:
            if yes:
                await self.training.cancel()

        question = f"Cancel training '{self.training.name}'? Nothing of this run will be kept."
        self.app.push_screen(ConfirmScreen(question), answer)

    def action_use(self) -> None:
        result = self.result
        if result is None or self.run is not None:
            return
        self.training.taken()
        self.dismiss(result)

    @on(Button.Pressed)
    def _button(self, event: Button.Pressed) -> None:
        if event.button.id == "start":
            self.action_train()
        elif event.button.id == "cancel":
            self.action_cancel()
        elif event.button.id == "use":
            self.action_use()


class _VisibleLog:
    """Writes to a Log with control characters made visible (the trainer echoes file names)."""

    def __init__(self, log: Log) -> None:
        self._log = log

    def write_line(self, line: str) -> None:
        self._log.write_line(visible(line))
