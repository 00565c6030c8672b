"""How a run's progress is shown: a bar on stderr for people, JSON lines on stdout for the app."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

from storyteller.engine import events
from storyteller.figures import figures_table
from storyteller.text import one_line, visible

Reporter = Callable[[events.Event], None]


class BarReporter:
    """Human progress on stderr: a bar with ETA, a line per epoch, a table at the end."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()

    def __call__(self, event: events.Event) -> None:
        if isinstance(event, events.Start):
            held = event.held_out_tokens
            self.line(
                f"{event.tokens:,} tokens, vocabulary {event.vocabulary:,}, "
                f"{event.parameters:,} weights, on {event.device}; "
                + (f"{held:,} tokens held out." if held else "nothing held out.")
            )
            for note in event.notes:
                self.line(f"note: {note}")
        elif isinstance(event, events.Step) and self.tty:
            share = event.step / max(1, event.total_steps)
            filled = int(share * 30)
            self.stream.write(
                f"\r[{'#' * filled}{'.' * (30 - filled)}] {share:4.0%} epoch {event.epoch} "
                f"loss {event.loss:.3f} {event.tokens_per_s:,.0f} tok/s ETA {_clock(event.eta)} "
            )
            self.stream.flush()
        elif isinstance(event, events.Epoch):
            m = event.metrics
            self.line(
                f"epoch {event.epoch:.2f}: perplexity {m['perplexity']:.1f}, top-1 {m['top1']:.1%}, "
                f"top-5 {m['top5']:.1%}, windowed {m['windowed']:.1%}" + (" *" if event.best else "")
            )
        elif isinstance(event, events.Sample):
            self.line(f"  sample: {one_line(event.text)}")
        elif isinstance(event, events.Done):
            self.line(f"stopped: {event.stopped} after {event.epochs:.2f} epochs, {event.seconds:.1f} s")
            metrics = {"held_out": event.held_out, "model": event.metrics, **event.baselines}
            for row in figures_table(metrics):
                self.line(row)

    def line(self, text: str) -> None:
        if self.tty:
            self.stream.write("\r\033[K")
        self.stream.write(visible(text) + "\n")
        self.stream.flush()


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class JsonReporter:
    """One JSON object per line on stdout, for the app's retrain panel."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    def __call__(self, event: events.Event) -> None:
        self.stream.write(events.to_json(event) + "\n")
        self.stream.flush()
