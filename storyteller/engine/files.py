"""Files and the disk: writing so that a crash, a kill or a full disk never leaves a half file
under the name, and reading a stranger's file so that it can neither hang nor flood us.

A path from a stranger may name a named pipe (whose open waits for a writer), a device such as
``/dev/zero`` (endless), a folder, or a link to any of them; and a JSON or TOML document may
nest deeper than Python's stack. ``open_regular``, ``read_regular`` and ``loads_json`` turn
each of these into an exception; ``read_untrusted`` (and ``problem_sentence``, for a file read
some other way) puts it in one sentence naming the file and the cause.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import stat
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

STALE_AFTER = 600.0
"""Seconds after which a temporary file left by a killed writer is removed."""


def write_atomically(data: bytes | Callable[[IO[bytes]], object], path: Path) -> None:
    """Write to a temporary file beside ``path``, flush it to disk, then rename it over ``path``.
    ``data`` is the bytes, or a function that writes them to the open file (a checkpoint's
    ``torch.save``).

    Raises what the write raised (``OSError`` from the disk), the temporary file removed;
    ``path`` is then exactly as it was.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            os.fchmod(file.fileno(), 0o644)  # mkstemp makes it private; these files are for reading
            if isinstance(data, bytes):
                file.write(data)
            else:
                data(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _remove_stale_temporaries(path: Path) -> None:
    """A writer killed mid-write leaves its temporary file; clear old ones for this target."""
    now = time.time()
    for leftover in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        with contextlib.suppress(OSError):  # another writer's, or already gone
            if now - leftover.stat().st_mtime > STALE_AFTER:
                leftover.unlink()


MAX_DEPTH = 64
"""Nesting allowed in the free-form parts of a file (a model's training record, a story's
settings): far more than any of ours has, far less than Python's stack."""


class NotAFile(OSError):
    """The path is a folder, a named pipe, a device or a socket, not a regular file."""

    def __init__(self, path: Path, kind: str) -> None:
        super().__init__(f"'{path}' is {kind}, not a file")
        self.kind = kind
        """What it is instead, in words ("a named pipe (FIFO)")."""


class TooLarge(OSError):
    """The file holds more bytes than the caller reads."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"{size:,} bytes")
        self.size = size
        self.limit = limit


class FileProblem(OSError):
    """A stranger's file that is refused or cannot be read; ``str()`` is one sentence naming the
    file and the cause."""

    def __init__(self, sentence: str, missing: bool) -> None:
        super().__init__(sentence)
        self.missing = missing
        """The file does not exist (where that is no fault: a config file not yet written)."""


class TooDeep(ValueError):
    """A document nested deeper than the caller allows."""

    def __init__(self) -> None:
        super().__init__("it is nested too deeply")


def kind_of(mode: int) -> str | None:
    """What a file of this mode is in words, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def open_regular(path: Path) -> IO[bytes]:
    """Open ``path`` for reading in binary, only if it is a regular file (a link to one is fine).

    The type is checked before opening, so a device is never opened, and again on the open
    descriptor, in case the path was swapped in between; the open itself does not block, so a
    named pipe swapped in cannot make it wait for a writer that never comes.
    """
    kind = kind_of(os.stat(path).st_mode)
    if kind is not None:
        raise NotAFile(path, kind)
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    descriptor = os.open(path, flags)
    try:
        kind = kind_of(os.fstat(descriptor).st_mode)
        if kind is not None:
            raise NotAFile(path, kind)
        os.set_blocking(descriptor, True)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of the regular file ``path``, refused (``TooLarge``) beyond ``limit`` bytes.

    The size is checked before reading and the read is bounded too, since a file may grow
    meanwhile and some files (in ``/proc``) report no size at all.
    """
    with open_regular(path) as file:
        size = os.fstat(file.fileno()).st_size
        if size > limit:
            raise TooLarge(size, limit)
        data = file.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(len(data), limit)
    return data


def problem_sentence(what: str, path: Path, error: OSError) -> str:
    """One sentence saying why ``path``, a ``what`` ("Model file"), could not be read: the one
    wording of these problems, wherever a stranger's file is read."""
    shown = f"{what} '{path}'"
    if isinstance(error, NotAFile):
        return f"{shown} is {error.kind}, not a file."
    if isinstance(error, TooLarge):
        return f"{shown} is too large ({error.size:,} bytes, more than the {error.limit:,} it may hold)."
    if isinstance(error, FileNotFoundError):
        return f"{shown} does not exist."
    return f"{shown} cannot be read ({error.strerror or error})."


def _problem(what: str, path: Path, error: OSError) -> FileProblem:
    return FileProblem(problem_sentence(what, path, error), isinstance(error, FileNotFoundError))


def check_untrusted(path: Path, limit: int, what: str) -> None:
    """Without opening it (a reader that opens it itself comes next): ``path`` is a regular file of
    at most ``limit`` bytes, else ``FileProblem``, one sentence as ``read_untrusted`` words it."""
    try:
        status = os.stat(path)
        kind = kind_of(status.st_mode)
        if kind is not None:
            raise NotAFile(path, kind)
        if status.st_size > limit:
            raise TooLarge(status.st_size, limit)
    except OSError as error:
        raise _problem(what, path, error) from None


def read_untrusted(path: Path, limit: int, what: str) -> bytes:
    """``read_regular``: the bytes of a regular file of at most ``limit`` bytes; anything else
    raises ``FileProblem``, one sentence naming the ``what`` ("Story file") and the cause."""
    try:
        return read_regular(path, limit)
    except OSError as error:
        raise _problem(what, path, error) from None


def loads_json(text: str | bytes) -> Any:
    """``json.loads``, but a document too deep for the parser is ``TooDeep``, not a ``RecursionError``."""
    try:
        return json.loads(text)
    except RecursionError:
        raise TooDeep() from None


def check_depth(value: object, limit: int = MAX_DEPTH) -> None:
    """Raise ``TooDeep`` when lists and mappings in ``value`` nest deeper than ``limit``.

    Done without recursion, so the check itself cannot overflow the stack.
    """
    pending: list[tuple[object, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > limit:
            raise TooDeep()
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
