"""The trainer as a child process: its command, its JSON-lines progress, and stopping it.

The app never imports torch: training runs as ``python -m training ... --progress jsonl``,
so a crash, an out-of-memory kill or a cancel ends that process, never the app.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from storyteller.engine import events

TRAINER = (sys.executable, "-m", "training")
"""The default command; tests swap in a scripted trainer."""

KILL_AFTER = 2.0
"""Seconds a cancelled trainer gets to exit before it is killed."""


def training_available() -> bool:
    """Whether torch and onnx can be imported here (checked without importing them)."""
    return all(importlib.util.find_spec(name) is not None for name in ("torch", "onnx"))


@dataclass(frozen=True)
class Outcome:
    """How a run ended."""

    kind: str
    """'exported', 'cancelled', 'error' (the trainer said why) or 'crashed'."""
    message: str
    path: Path | None = None


class TrainingRun:
    """One training run in a child process."""

    def __init__(self, command: Sequence[str], corpus: Path, out: Path, options: Sequence[str]) -> None:
        self.argv = [*command, str(corpus), "--out", str(out), "--progress", "jsonl", *options]
        self.out = out
        self.process: asyncio.subprocess.Process | None = None
        self.cancelled = False
        self._error: str | None = None
        self._exported: Path | None = None
        self._unreadable: str | None = None
        """The first event line this storyteller could not read, in one sentence."""
        self._stderr: list[str] = []

    async def start(self) -> None:
        environment = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE", "PYTHONUNBUFFERED": "1"}
        self.process = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=environment,
            start_new_session=True,  # a Ctrl+C meant for the app never reaches the trainer
        )

    async def events(self) -> AsyncIterator[events.Event]:
        """Progress events as they come. A line that is not JSON comes as a log line; an event
        this storyteller cannot read (a newer schema, a malformed one) is logged in one sentence,
        and said again at the end if the run writes no model."""
        assert self.process is not None and self.process.stdout is not None
        stderr = asyncio.create_task(self._read_stderr())
        async for raw in self.process.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            event: events.Event
            if not line.lstrip().startswith("{"):
                event = events.Log(text=line)
            else:
                try:
                    event = events.parse_event(line)
                except events.EventError as error:
                    self._unreadable = self._unreadable or str(error)
                    event = events.Log(text=str(error))
            if isinstance(event, events.Error):
                self._error = event.message
            elif isinstance(event, events.Exported):
                self._exported = Path(event.path)
            yield event
        await stderr

    async def _read_stderr(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        async for raw in self.process.stderr:
            self._stderr = [*self._stderr[-20:], raw.decode("utf-8", "replace").rstrip()]

    async def finish(self) -> Outcome:
        """Wait for the process and say how it ended."""
        assert self.process is not None
        code = await self.process.wait()
        if self.cancelled:
            return Outcome("cancelled", "Training was cancelled; nothing was written.")
        if code == 0 and self._exported is not None:
            return Outcome("exported", f"The new model is saved as {self._exported}.", self._exported)
        if self._error is not None:
            return Outcome("error", self._error)
        if code == 0 and self._unreadable is not None:
            return Outcome("error", f"{self._unreadable} No model was taken.")
        how = f"was killed by signal {-code}" if code < 0 else f"stopped with exit status {code}"
        last = next((line for line in reversed(self._stderr) if line.strip()), "")
        detail = f" Its last words: {last[:200]}" if last else ""
        return Outcome("crashed", f"The trainer {how}; no model was written.{detail}")

    async def cancel(self) -> None:
        """Stop without keeping anything: the trainer's abandon signal (where there is none, two
        interrupts), then a kill if it has not ended."""
        if self.process is None or self.process.returncode is not None:
            return
        self.cancelled = True
        # training.stopping.ABANDON_SIGNAL (no import of training here)
        abandon = getattr(signal, "SIGUSR1", None)
        if abandon is not None:
            self._signal(abandon)
        else:
            for _ in range(2):
                self._signal(signal.SIGINT)
                await asyncio.sleep(0.05)
        try:
            await asyncio.wait_for(self.process.wait(), KILL_AFTER)
        except TimeoutError:
            self._signal(signal.SIGKILL)

    def _signal(self, sig: int) -> None:
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):  # it has just ended
            self.process.send_signal(sig)
