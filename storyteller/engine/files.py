"""Writing files so that a crash, a kill or a full disk never leaves a half file under the name."""

from __future__ import annotations

import contextlib
import glob
import os
import tempfile
import time
from pathlib import Path

STALE_AFTER = 600.0
"""Seconds after which a temporary file left by a killed writer is removed."""


def write_atomically(data: bytes, path: Path) -> None:
    """Write to a temporary file beside ``path``, flush it to disk, then rename it over ``path``.

    Raises ``OSError`` (the temporary file removed) when anything fails; ``path`` is then
    exactly as it was.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            os.fchmod(file.fileno(), 0o644)  # mkstemp makes it private; these files are for reading
            file.write(data)
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
