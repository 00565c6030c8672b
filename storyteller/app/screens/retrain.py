"""The retrain panel: pick a text, read its report, set a few things, train, watch, use the model.

Training runs as a child process (see ``trainer.py``); this screen only reads its progress.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.suggester import Suggester
from textual.widgets import Button, Footer, Input, Label, Log, ProgressBar, Select, Sparkline, Static

from ...engine import Corpus, CorpusError, CorpusReport, read_corpus, report, user_models_dir
from ...engine.corpus import held_out_chunk
from ...engine.registry import MODEL_NAME, MODEL_SUFFIX
from ...figures import figures_table
from ...text import visible
from ..trainer import INSTALL_HINT, TRAINER, Outcome, TrainingRun, training_available


@dataclass(frozen=True)
class Preset:
    """A network size to start from."""

    label: str
    layers: int
    units: int
    window: int


PRESETS = {
    "fast": Preset("fast: 1×128, seconds on a small text", 1, 128, 3),
    "balanced": Preset("balanced: 2×256", 2, 256, 3),
    "seed": Preset("the classic example's 2×512, 3-word window", 2, 512, 3),
    "larger": Preset("larger: 2×768, for big texts and patience", 2, 768, 3),
}

FIELDS = ("name", "units", "layers", "window", "epochs", "budget", "lr", "seed")


def preset_for(tokens: int) -> str:
    """A preset sized to the corpus."""
    if tokens < 5_000:
        return "fast"
    if tokens < 500_000:
        return "balanced"
    return "seed"


class PathSuggester(Suggester):
    """Completes file and folder names as they are typed."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        path = Path(value).expanduser()
        folder, stem = (path, "") if value.endswith("/") else (path.parent, path.name)
        try:
            names = sorted(p.name + ("/" if p.is_dir() else "") for p in folder.iterdir())
        except OSError:
            return None
        for name in names:
            if name.startswith(stem) and not name.startswith(".") and name != stem:
                return value + name[len(stem) :]
        return None


class RetrainScreen(Screen[Path | None]):
    """Train a new model from the writer's own text without leaving the app."""

    BINDINGS = [
        Binding("escape", "back", "Back / cancel"),
        Binding("ctrl+t", "train", "Train", priority=True),
        Binding("y", "use", "Use the new model", show=False),
    ]

    def __init__(self, data_dir: Path, trainer_command: Sequence[str] = TRAINER) -> None:
        super().__init__()
        self.data_dir = data_dir
        self.trainer_command = list(trainer_command)
        self.corpus: Corpus | None = None
        self.report: CorpusReport | None = None
        self.run: TrainingRun | None = None
        self.result: Path | None = None
        self._losses: list[float] = []
        self._perplexities: list[float] = []
        self._accuracies: list[float] = []

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="retrain"):
            yield Label("Train a model on your own text", classes="title")
            yield Input(
                placeholder="a .txt file or a folder of them (Tab completes), then Enter",
                suggester=PathSuggester(),
                id="corpus",
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
                    ("lr", "learn rate", "auto"),
                    ("seed", "seed", "seed"),
                ):
                    with Vertical(classes="field"):
                        yield Label(label)
                        yield Input(id=name, placeholder=placeholder)
            with Horizontal(id="buttons"):
                yield Button("Train (Ctrl+T)", id="start", variant="primary")
                yield Button("Cancel training (Esc)", id="cancel", variant="error", disabled=True)
                yield Button("Use it now (Y)", id="use", variant="success", disabled=True)
            # A total from the start: without one the bar animates as if something were running.
            yield ProgressBar(id="progress", show_eta=True, total=1)
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
        self.query_one("#lr", Input).placeholder = "auto"
        self.query_one("#seed", Input).value = "0"
        if not training_available():
            missing = (
                f"Training needs torch and onnx, which are not installed. Install them with: {INSTALL_HINT}"
            )
            self.query_one("#report", Static).update(Text(missing, style="bold yellow"))
            self.query_one("#start", Button).disabled = True
        self.query_one("#corpus", Input).focus()

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
        values = {name: self.query_one(f"#{name}", Input).value.strip() for name in FIELDS}
        options: list[str] = ["--name", values["name"] or "mine"]
        wanted = {"units": int, "layers": int, "window": int, "epochs": int, "seed": int, "lr": float}
        if not values["lr"]:
            del wanted["lr"]  # the trainer picks one sized to the text
        for name, kind in wanted.items():
            try:
                number = kind(values[name])
            except ValueError:
                self.notify(f"'{values[name]}' is not a valid {name}.", severity="error", markup=False)
                return None
            options += [f"--{name}", str(number)]
        if values["budget"]:
            try:
                budget = float(values["budget"])
            except ValueError:
                self.notify(
                    f"'{values['budget']}' is not a number of seconds.", severity="error", markup=False
                )
                return None
            options += ["--time-budget", str(budget)]
        return options

    def action_train(self) -> None:
        if self.run is not None:
            return
        if not training_available():
            self.notify(f"Training needs torch and onnx: {INSTALL_HINT}", severity="error", markup=False)
            return
        if self.corpus is None:
            self.notify("Choose a text first: type its path and press Enter.", markup=False)
            return
        options = self._options()
        if options is None:
            return
        name = options[1]
        if not re.fullmatch(MODEL_NAME, name):
            self.notify("A model's name is letters, digits, '-', '_' or '.', up to 64 characters.")
            return
        out = _free_path(user_models_dir(self.data_dir), name)
        corpus_path = Path(self.query_one("#corpus", Input).value.strip()).expanduser()
        self.run = TrainingRun(self.trainer_command, corpus_path, out, options)
        self.result = None
        self._losses, self._perplexities, self._accuracies = [], [], []
        self.query_one("#use", Button).disabled = True
        self.query_one("#start", Button).disabled = True
        self.query_one("#cancel", Button).disabled = False
        self.query_one("#figures", Static).update("")
        log = self.query_one(Log)
        log.clear()
        log.write_line(f"training into {out}")
        self._follow(self.run)

    @work(exclusive=True, group="training", exit_on_error=False)
    async def _follow(self, run: TrainingRun) -> None:
        try:
            await run.start()
        except OSError as error:
            self._finished(Outcome("crashed", f"The trainer could not start ({error.strerror})."))
            return
        async for event in run.events():
            self._progress(event)
        self._finished(await run.finish())

    def _progress(self, event: dict) -> None:  # type: ignore[type-arg]
        kind = event.get("event")
        log = _VisibleLog(self.query_one(Log))
        bar = self.query_one(ProgressBar)
        if kind == "start":
            bar.update(
                total=max(1, int(event.get("epochs", 1)) * int(event.get("steps_per_epoch", 1))), progress=0
            )
            log.write_line(
                f"{event.get('tokens', 0):,} tokens, vocabulary {event.get('vocabulary', 0):,}, "
                f"{event.get('parameters', 0):,} weights, on {event.get('device', '?')}"
            )
            for note in event.get("notes", []):
                log.write_line(f"note: {note}")
        elif kind == "step":
            bar.update(progress=int(event.get("step", 0)))
            loss = float(event.get("loss", math.nan))
            if math.isfinite(loss):
                self._losses.append(loss)
                self.query_one("#loss", Sparkline).data = self._losses[-200:]
        elif kind == "epoch":
            figures = event.get("metrics", {})
            perplexity = float(figures.get("perplexity", math.nan))
            if math.isfinite(perplexity):
                self._perplexities.append(perplexity)
                self.query_one("#perplexity", Sparkline).data = self._perplexities
            self._accuracies.append(float(figures.get("top1", 0)))
            self.query_one("#accuracy", Sparkline).data = self._accuracies
            log.write_line(
                f"epoch {float(event.get('epoch', 0)):.1f}: perplexity {perplexity:.1f}, "
                f"top-1 {float(figures.get('top1', 0)):.1%}, windowed {float(figures.get('windowed', 0)):.1%}"
            )
        elif kind == "sample":
            log.write_line(f"  “{event.get('text', '')}”")
        elif kind == "done":
            metrics = {
                "held_out": event.get("held_out"),
                "model": event.get("metrics"),
                **event.get("baselines", {}),
            }
            self.query_one("#figures", Static).update(Text("\n".join(figures_table(metrics))))
            log.write_line(f"stopped: {event.get('stopped')}; exporting and checking against torch…")
        elif kind == "exported":
            log.write_line(f"exported: parity {float(event.get('parity', 0)):.1e}")
        elif kind in ("error", "log"):
            log.write_line(str(event.get("message") or event.get("text") or ""))

    def _finished(self, outcome: Outcome) -> None:
        self.run = None
        self.query_one("#start", Button).disabled = False
        self.query_one("#cancel", Button).disabled = True
        log = _VisibleLog(self.query_one(Log))
        log.write_line(outcome.message)
        failed = outcome.kind not in ("exported", "cancelled")
        self.notify(outcome.message, severity="error" if failed else "information", markup=False)
        if outcome.kind == "exported" and outcome.path is not None:
            self.result = outcome.path
            self.query_one("#use", Button).disabled = False
            self.query_one("#use", Button).focus()
            log.write_line("Press Y (or the button) to write with it now; the old model stays available.")

    async def action_back(self) -> None:
        if self.run is not None:
            await self.run.cancel()
            return
        self.dismiss(None)

    def action_use(self) -> None:
        if self.result is None or self.run is not None:
            return
        self.dismiss(self.result)

    @on(Button.Pressed)
    async def _button(self, event: Button.Pressed) -> None:
        if event.button.id == "start":
            self.action_train()
        elif event.button.id == "cancel" and self.run is not None:
            await self.run.cancel()
        elif event.button.id == "use":
            self.action_use()


class _VisibleLog:
    """Writes to a Log with control characters made visible (the trainer echoes file names)."""

    def __init__(self, log: Log) -> None:
        self._log = log

    def write_line(self, line: str) -> None:
        self._log.write_line(visible(line))


def _free_path(folder: Path, name: str) -> Path:
    """``folder/name.onnx``, or ``name-2.onnx`` and so on: a new model never replaces another."""
    path = folder / f"{name}{MODEL_SUFFIX}"
    number = 2
    while path.exists():
        path = folder / f"{name}-{number}{MODEL_SUFFIX}"
        number += 1
    return path
