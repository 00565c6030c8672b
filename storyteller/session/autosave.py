"""The autosave, and the lock that makes it one instance's own.

Every running storyteller holds an exclusive lock on the autosave it writes
(``autosave.json``, or ``autosave-2.json`` and so on when another instance holds the first).
The lock is an ``flock`` on a ``.lock`` file beside it, so the system releases it when the
process ends, however it ends: an autosave whose lock can be taken belongs to nobody alive,
which is what a crash leaves behind. An autosave whose lock is held is another instance's
live story, never offered as a crash to restore.

An autosave that cannot be read (cut short, or saved by a newer storyteller) is never written
over: it is set aside under a name of its own first (``set_aside``). A write that fails is
said once, not at every key, and ``Autosave.problem`` keeps saying that the story on screen is
on no disk, so quitting can ask where it should go instead.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from ..engine.files import write_atomically
from ..engine.story import StoryFile

try:
    import fcntl
except ImportError:  # Windows: no flock; each instance then trusts it is alone
    fcntl = None  # type: ignore[assignment]

AUTOSAVE = "autosave"
MAX_SLOTS = 64


def slot_path(folder: Path, slot: int) -> Path:
    """The autosave of slot ``slot`` (1: ``autosave.json``; n: ``autosave-n.json``)."""
    return folder / (f"{AUTOSAVE}.json" if slot == 1 else f"{AUTOSAVE}-{slot}.json")


class Lock:
    """An exclusive, non-blocking lock on ``path`` (a ``.lock`` file), held until ``release``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[bytes] | None = None

    def take(self) -> bool:
        """True if this process now holds the lock; False if another one does."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        file = open(self.path, "a+b")  # noqa: SIM115 - held open as long as the lock
        if fcntl is not None:
            try:
                fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                file.close()
                return False
        file.seek(0)
        file.truncate()
        file.write(f"{os.getpid()}\n".encode())
        file.flush()
        self._file = file
        return True

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing drops the flock
            self._file = None

    @property
    def held(self) -> bool:
        return self._file is not None


@contextlib.contextmanager
def orphan(path: Path) -> Iterator[bool]:
    """Hold ``path``'s lock for a moment: True inside when no living instance owns ``path``."""
    lock = Lock(path.with_suffix(".lock"))
    try:
        yield lock.take()
    finally:
        lock.release()


@dataclass
class Claim:
    """The autosave one instance owns."""

    path: Path
    lock: Lock
    shared: bool
    """True when another instance already writes in the same data folder."""


def claim(folder: Path) -> Claim:
    """Take the first autosave no living instance holds."""
    for slot in range(1, MAX_SLOTS + 1):
        path = slot_path(folder, slot)
        lock = Lock(path.with_suffix(".lock"))
        if lock.take():
            return Claim(path, lock, shared=slot > 1)
    raise OSError(f"{MAX_SLOTS} instances already write in {folder}")


def orphans(folder: Path, own: Path) -> list[Path]:
    """Autosaves other than ``own`` whose instance has ended (crashed or killed)."""
    found = []
    for path in [slot_path(folder, 1), *sorted(folder.glob(f"{AUTOSAVE}-*.json"))]:
        if path != own and path.exists():
            with orphan(path) as free:
                if free:
                    found.append(path)
    return found


def set_aside(path: Path) -> Path:
    """Rename ``path`` (an autosave that cannot be read, or whatever stands in its place) to a
    name no instance writes to, and return it; raises ``OSError`` if it cannot be moved."""
    stamp = f"{datetime.now():%Y-%m-%d-%H%M%S}"
    for number in range(1, 1_000):
        suffix = "" if number == 1 else f"-{number}"
        # "unreadable-" first: no autosave pattern (autosave*.json) ever matches the new name.
        target = path.with_name(f"unreadable-{path.stem}-{stamp}{suffix}{path.suffix}")
        if not os.path.lexists(target):
            os.rename(path, target)
            return target
    raise FileExistsError(f"no free name beside {path}")


class Autosave:
    """Writes one instance's autosave: the newest request only, one write at a time.

    ``request`` is quick (the UI thread calls it after every change); ``write`` does the
    disk work and may run in any thread. Requests that pile up while a write is under way
    collapse into the latest, and an older story is never written after a newer one.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._requested = 0
        self._written = 0
        self.problem: str | None = None
        """Why the latest write failed ("No space left on device"); None while the file holds the
        story as last written."""
        self.blocked: str | None = None
        """Why this autosave must not be written at all (a file there that could not be set aside)."""
        self.held = False
        """True while the story an earlier session left here is read and offered back: requests
        are counted, nothing is written (the session asks again once the hold ends)."""

    def request(self) -> int:
        """A number for the newest request; give it to ``write`` with the story's file."""
        self._requested += 1
        return self._requested

    def write(self, story: StoryFile, number: int) -> str | None:
        """Write ``story`` unless a newer request was made; one sentence when the disk first
        refuses, and one when it takes the story again (not one at every key in between)."""
        with self._lock:
            if self.held or number < self._requested or number <= self._written:
                return None
            try:
                if self.blocked:
                    raise OSError(self.blocked)
                write_atomically(story.write_to, self.path)
            except OSError as error:
                reason = str(error.strerror or error)
                repeated, self.problem = reason == self.problem, reason
                return None if repeated else f"Autosave failed ({reason}); save with Ctrl+S."
            self._written = number
            recovered, self.problem = self.problem is not None, None
            return "Autosave works again." if recovered else None

    @property
    def holds_latest(self) -> bool:
        """Whether the file holds the story as last asked for (no write failed or waits since)."""
        return self.problem is None and self._written >= self._requested

    def remove(self) -> str | None:
        """Remove the autosave (the story is safe elsewhere); one sentence if it cannot be."""
        with self._lock:
            self._requested += 1  # any write still queued is now outdated
            try:
                self.path.unlink(missing_ok=True)
            except OSError as error:  # a folder in its place, a read-only disk
                return f"The autosave '{self.path}' could not be removed ({error.strerror or error})."
            return None
