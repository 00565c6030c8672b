"""Older model cards brought up to the current format, one small step per format version.

A model file's card (its ONNX metadata, ``model.py``) says its ``format_version``. To change
what a card holds, write one function taking a card of the version before to the new one
(``_v1_to_v2(card) -> card``, tolerant of fields it does not know) and append it to
``STEPS``; ``FORMAT_VERSION`` follows, exports write it, and older files keep loading.
Every version read has a fixture card in ``tests/fixtures/cards/``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .upgrades import upgraded

STEPS: list[Callable[[dict[str, Any]], dict[str, Any]]] = []
"""STEPS[n - 1] takes a version-n card to version n + 1 (none yet: version 1 is current)."""
FORMAT_VERSION = len(STEPS) + 1


def upgrade_card(data: dict[str, Any]) -> dict[str, Any]:
    """A parsed card in the current format; ``NoVersion`` or ``NewerVersion`` when it cannot be."""
    return upgraded(data, "format_version", STEPS)
