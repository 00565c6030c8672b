"""A training run followed while the writer writes: where it stands, for the panel and the status bar.

The run belongs to the app, not to the retrain panel: leaving the panel never stops it.
``Training`` holds the run and what its events said (how far it is, the time left, the charts,
how it ended) and tells its listeners after every event, whichever screen is showing. It
imports no Textual, so its arithmetic is tested on its own.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from storyteller.engine import events

from .trainer import Outcome, TrainingRun

CHART_POINTS = 200
"""The most recent losses a chart keeps."""


@dataclass(frozen=True)
class Ended:
    """The run is over, as ``outcome`` says."""

    outcome: Outcome


@dataclass(frozen=True)
class Taken:
    """The writer writes with the new model now."""


Heard = events.Event | Ended | Taken
"""What the training's listeners hear: the trainer's events and the run's own turns."""


@dataclass
class Charts:
    """The figures a run has reported so far, one list per chart."""

    losses: list[float] = field(default_factory=list)
    perplexities: list[float] = field(default_factory=list)
    accuracies: list[float] = field(default_factory=list)


class Training:
    """The app's training run, if any, and where it stands (see the module's docstring)."""

    def __init__(self) -> None:
        self.run: TrainingRun | None = None
        self.name = ""
        self.fraction: float | None = None
        """How much of the run is done, 0 to 1; None until the trainer has started."""
        self.eta: float | None = None
        """Seconds left by the trainer's reckoning (the nearer of the epochs and the time limit)."""
        self.phase = "idle"
        """'idle', 'starting', 'training', 'exporting' or 'ended'."""
        self.charts = Charts()
        self.outcome: Outcome | None = None
        self.listeners: list[Callable[[Heard], None]] = []

    @property
    def running(self) -> bool:
        return self.run is not None

    def begin(self, run: TrainingRun, name: str) -> None:
        """A new run: the last run's figures and charts go."""
        self.run, self.name = run, name
        self.fraction = self.eta = None
        self.phase = "starting"
        self.charts = Charts()
        self.outcome = None

    def follow(self, event: events.Event) -> None:
        """One of the trainer's events; the listeners hear of it after."""
        if isinstance(event, events.Start):
            self.phase, self.fraction = "training", 0.0
        elif isinstance(event, events.Step):
            self._stepped(event)
        elif isinstance(event, events.Epoch):
            perplexity = _finite(event.metrics.get("perplexity"))
            if perplexity is not None:
                self.charts.perplexities.append(perplexity)
            self.charts.accuracies.append(_finite(event.metrics.get("top1")) or 0.0)
        elif isinstance(event, events.Done):
            # Whichever limit ended it (epochs, time, patience, a stop), the training is over.
            self.phase, self.fraction, self.eta = "exporting", 1.0, None
        self._tell(event)

    def _stepped(self, event: events.Step) -> None:
        elapsed, eta = _finite(event.elapsed), _finite(event.eta)
        # The trainer's ETA already follows whichever limit ends the run first (epochs or the time
        # limit), so the share of the time gone is the share done; steps are the fallback.
        if elapsed is not None and eta is not None and elapsed + eta > 0:
            fraction = elapsed / (elapsed + eta)
        elif event.total_steps > 0:
            fraction = event.step / event.total_steps
        else:
            return
        self.fraction = max(self.fraction or 0.0, min(fraction, 1.0))  # the bar never goes back
        self.eta = eta
        loss = _finite(event.loss)
        if loss is not None:
            self.charts.losses = [*self.charts.losses[-(CHART_POINTS - 1) :], loss]

    def end(self, outcome: Outcome) -> None:
        self.run, self.outcome, self.phase = None, outcome, "ended"
        if outcome.kind == "exported":
            self.fraction = 1.0
        self.eta = None
        self._tell(Ended(outcome))

    def taken(self) -> None:
        """The writer writes with the new model now: the status bar has nothing more to say."""
        if self.phase == "ended":
            self.phase = "idle"
            self._tell(Taken())

    async def cancel(self) -> None:
        if self.run is not None:
            await self.run.cancel()

    @property
    def result(self) -> Path | None:
        """The new model's file, once a run has exported one."""
        return self.outcome.path if self.outcome is not None and self.outcome.kind == "exported" else None

    def status(self) -> str | None:
        """What the status bar says about training, or None when there is nothing to say."""
        if self.phase == "idle" or (self.phase == "ended" and self.result is None):
            return None
        if self.phase == "ended":
            return f"'{self.name}' is trained: Ctrl+T to use it"
        if self.phase == "starting":
            return f"training '{self.name}': starting…"
        if self.phase == "exporting":
            return f"training '{self.name}': exporting…"
        left = time_left(self.eta)
        return f"training '{self.name}' {self.fraction or 0:.0%}{' · ' + left if left else ''} · Ctrl+T"

    def _tell(self, event: Heard) -> None:
        for listener in list(self.listeners):
            listener(event)


def time_left(eta: float | None) -> str:
    """'1:20 left', or '' when the time left is not known."""
    if eta is None:
        return ""
    minutes, seconds = divmod(round(eta), 60)
    return f"{minutes}:{seconds:02d} left"


def _finite(value: float | None) -> float | None:
    """A figure to show, or None (a diverging run reports NaN or infinity)."""
    return value if value is not None and math.isfinite(value) else None
