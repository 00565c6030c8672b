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


def _v1_to_v2(card: dict[str, Any]) -> dict[str, Any]:
    """Version 2 lets the tokenizer tell opening from closing quotes (``TokenizerConfig.quotes``),
    which an older storyteller would read wrongly, so it refuses the file. A version 1 card
    has no ``quotes`` in its tokenizer settings, which reads as the one folded quote it was
    trained with: nothing to change but the number."""
    return card


STEPS: list[Callable[[dict[str, Any]], dict[str, Any]]] = [_v1_to_v2]
"""STEPS[n - 1] takes a version-n card to version n + 1."""
FORMAT_VERSION = len(STEPS) + 1


def upgrade_card(data: dict[str, Any]) -> dict[str, Any]:
    """A parsed card in the current format; ``NoVersion`` or ``NewerVersion`` when it cannot be."""
    return upgraded(data, "format_version", STEPS)
