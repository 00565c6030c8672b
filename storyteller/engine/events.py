"""The trainer's progress events: typed, torch-free, one JSON line each, with a schema version.

The trainer emits them (``training/train.py``, ``training/cli.py``), its progress bar and the
app read them, and the tests' scripted trainer writes them; all through this module, so the
events are defined once. ``parse_event`` is the one way a line becomes an event: it refuses a
newer or unknown schema, an unknown event and a malformed line, each in one sentence.
"""

from __future__ import annotations

import json
import typing
from dataclasses import MISSING, asdict, dataclass, fields
from typing import Any, ClassVar

SCHEMA = 1
"""The events' schema version; raise it when a field changes meaning or goes."""

Figures = dict[str, float]
"""A model's figures on text: perplexity, top1, top5, windowed, …"""


class EventError(ValueError):
    """A line that is not an event this storyteller reads; the message is one sentence."""


@dataclass(frozen=True)
class Start:
    """Training begins: what the corpus and the network came to."""

    kind: ClassVar[str] = "start"
    tokens: int
    train_tokens: int
    held_out_tokens: int
    vocabulary: int
    parameters: int
    device: str
    epochs: int
    steps_per_epoch: int
    baselines: dict[str, Figures]
    """Unigram and bigram figures on the same text."""
    notes: tuple[str, ...] = ()
    """What the writer should know about this run, a sentence each."""


@dataclass(frozen=True)
class Step:
    """Where the run stands, about twice a second."""

    kind: ClassVar[str] = "step"
    epoch: int
    step: int
    total_steps: int
    loss: float
    tokens_per_s: float
    elapsed: float
    eta: float
    """Seconds left: the nearer of the last epoch and the time budget."""


@dataclass(frozen=True)
class Epoch:
    """An epoch judged on held-out text."""

    kind: ClassVar[str] = "epoch"
    epoch: float
    train_loss: float
    metrics: Figures
    best: bool
    """Whether these are the best figures so far."""
    lr: float
    eval_seconds: float


@dataclass(frozen=True)
class Sample:
    """A short text the model wrote after an epoch."""

    kind: ClassVar[str] = "sample"
    epoch: int
    text: str


@dataclass(frozen=True)
class Log:
    """A line for the log (a warning, or a line the trainer printed that is no event)."""

    kind: ClassVar[str] = "log"
    text: str


@dataclass(frozen=True)
class Done:
    """Training is over; the figures are the chosen model's, measured on all the held-out text."""

    kind: ClassVar[str] = "done"
    stopped: str
    """'finished', 'converged', 'time budget' or 'interrupted'."""
    epochs: float
    seconds: float
    metrics: Figures
    baselines: dict[str, Figures]
    held_out: bool


@dataclass(frozen=True)
class Exported:
    """The model file is written and checked against torch."""

    kind: ClassVar[str] = "exported"
    path: str
    parity: float
    bytes: int
    seconds: float


@dataclass(frozen=True)
class Error:
    """The run failed; the message is one sentence for the writer."""

    kind: ClassVar[str] = "error"
    message: str


Event = Start | Step | Epoch | Sample | Log | Done | Exported | Error
KINDS: dict[str, type[Event]] = {
    cls.kind: cls for cls in (Start, Step, Epoch, Sample, Log, Done, Exported, Error)
}


def to_json(event: Event) -> str:
    """The event as one JSON line (no line break inside), with its kind and the schema version."""
    return json.dumps({"event": event.kind, "schema": SCHEMA, **asdict(event)})


def parse_event(line: str) -> Event:
    """The event a line holds; ``EventError`` in one sentence when it is not one this version reads."""
    try:
        data = json.loads(line)
    except (ValueError, RecursionError):
        raise EventError(f"A trainer line is not JSON: {line[:80]!r}.") from None
    if not isinstance(data, dict):
        raise EventError(f"A trainer line is not an event: {line[:80]!r}.")
    schema = data.pop("schema", None)
    if not isinstance(schema, int) or isinstance(schema, bool):
        raise EventError("A trainer event has no schema version.")
    if schema > SCHEMA:
        raise EventError(
            f"The trainer speaks a newer event schema ({schema}) than this storyteller reads ({SCHEMA})."
        )
    if schema != SCHEMA:
        raise EventError(
            f"The trainer speaks an unknown event schema ({schema}); this storyteller reads {SCHEMA}."
        )
    kind = data.pop("event", None)
    cls = KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise EventError(f"A trainer event has an unknown kind: {str(kind)[:40]!r}.")
    values: dict[str, Any] = {}
    hints = typing.get_type_hints(cls)
    for f in fields(cls):
        if f.name not in data:
            if f.default is not MISSING:
                continue  # optional: its default stands
            raise EventError(f"A trainer '{kind}' event lacks its '{f.name}'.")
        try:
            values[f.name] = _typed(data[f.name], hints[f.name])
        except TypeError:
            raise EventError(f"A trainer '{kind}' event's '{f.name}' is not what it should be.") from None
    return cls(**values)


def _typed(value: object, hint: Any) -> Any:
    """``value`` as ``hint`` says (an int may stand for a float, a list for a tuple); else TypeError."""
    origin = typing.get_origin(hint)
    if hint is bool:
        if isinstance(value, bool):
            return value
    elif hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif hint is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    elif hint is str:
        if isinstance(value, str):
            return value
    elif origin is tuple:
        if isinstance(value, list | tuple):
            (item,) = {a for a in typing.get_args(hint) if a is not Ellipsis}
            return tuple(_typed(v, item) for v in value)
    elif origin is dict and isinstance(value, dict) and all(isinstance(k, str) for k in value):
        item = typing.get_args(hint)[1]
        return {k: _typed(v, item) for k, v in value.items()}
    raise TypeError(hint)
