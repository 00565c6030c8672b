"""The autosave, and the lock that makes it one instance's own.

Every running storyteller holds an exclusive lock on the autosave it writes
(``autosave.json``, or ``autosave-2.json`` and so on when another instance holds the first).
The lock is an ``flock`` on a ``.lock`` file beside it, so the system releases it when the
process ends, however it ends: an autosave whose lock can be taken belongs to nobody alive,
which is what a crash leaves behind. An autosave whose lock is held is another instance's
live story, never offered as a crash to restore.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
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

    def request(self) -> int:
        """A number for the newest request; give it to ``write`` with the story's file."""
        self._requested += 1
        return self._requested

    def write(self, story: StoryFile, number: int) -> str | None:
        """Write ``story`` unless a newer request was made; one sentence if the disk refused."""
        with self._lock:
            if number < self._requested or number <= self._written:
                return None
            try:
                write_atomically(story.encode(), self.path)
            except OSError as error:
                return f"Autosave failed ({error.strerror}); save with Ctrl+S."
            self._written = number
            return None

    def remove(self) -> None:
        with self._lock:
            self._requested += 1  # any write still queued is now outdated
            self.path.unlink(missing_ok=True)
