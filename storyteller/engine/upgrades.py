"""Bringing an older file up to the current format, one small step per format version.

Story files (``story_upgrades.py``) and model cards (``card_upgrades.py``) each keep a list of
steps, ``STEPS[n - 1]`` taking a version-n file to version n + 1, so the current version is
``len(STEPS) + 1`` and adding a version is adding one function to its list. A step never fails
on what it does not understand: it leaves that for the reader to name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


class NoVersion(ValueError):
    """The file gives no usable format version."""


class NewerVersion(ValueError):
    """The file was written in a format newer than this storyteller reads."""

    def __init__(self, version: int, current: int) -> None:
        super().__init__(f"format {version}; this version reads {current}")
        self.version, self.current = version, current


def upgraded(
    data: dict[str, Any], key: str, steps: Sequence[Callable[..., dict[str, Any]]], *context: Any
) -> dict[str, Any]:
    """``data`` brought from the version under ``key`` to ``len(steps) + 1``, each step given
    ``context`` after the data; ``NoVersion`` or ``NewerVersion`` when that cannot be done."""
    version = data.get(key)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise NoVersion(key)
    current = len(steps) + 1
    if version > current:
        raise NewerVersion(version, current)
    for step in steps[version - 1 :]:
        data = step(data, *context)
    return data
