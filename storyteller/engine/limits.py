"""The bounds a model must keep, shared by the trainer (checked before any work) and the loader.

One set of numbers: a run the trainer accepts writes a model the loader accepts, and a flag
out of range is refused before training starts rather than after it ends.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

MAX_LAYERS = 16
MAX_UNITS = 16_384
"""Hidden units per layer, and the largest embedding."""
MAX_VOCABULARY = 1_000_000
"""Tokens a model may know, the two specials included."""
MAX_WINDOW = 10_000
"""Words of context of the windowed objective."""
MAX_SEED = 2**63 - 1
"""Seeds are 0 to this (what torch and numpy both take)."""
MAX_THREADS = 1_024
MAX_SEQ_LEN = 100_000
MAX_BATCH = 1 << 20
"""Parallel streams, or fresh-state windows, per step."""
MAX_EPOCHS = 1_000_000
MAX_MIN_COUNT = 2**40
"""More than any corpus holds of one word: a larger min count keeps nothing."""

INTEGERS: Mapping[str, tuple[int, int]] = {
    "layers": (1, MAX_LAYERS),
    "units": (1, MAX_UNITS),
    "embedding": (1, MAX_UNITS),
    "window": (1, MAX_WINDOW),
    "seq_len": (1, MAX_SEQ_LEN),
    "batch_size": (1, MAX_BATCH),
    "window_batch": (0, MAX_BATCH),
    "epochs": (1, MAX_EPOCHS),
    "min_count": (1, MAX_MIN_COUNT),
    "max_vocab": (3, MAX_VOCABULARY),
    "seed": (0, MAX_SEED),
    "threads": (1, MAX_THREADS),
    "patience": (1, MAX_EPOCHS),
}
"""Each whole-number training setting and its range (None, where a setting allows it, is not checked)."""

FINITE = ("lr", "time_budget", "dropout", "holdout", "clip")
"""Training settings that must be finite numbers when given."""


def check_training(config: object) -> None:
    """Raise ``ValueError`` naming the first training setting outside what a model may be.

    ``config`` is a ``TrainConfig`` (or anything with its attribute names); attributes it lacks
    are skipped, so the check can run on the flags before a config is built.
    """
    for name, (low, high) in INTEGERS.items():
        value = getattr(config, name, None)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"{_flag(name)} must be a whole number (got {value!r})")
        if not low <= value <= high:
            raise ValueError(f"{_flag(name)} must be from {low:,} to {high:,} (got {value:,})")
    for name in FINITE:
        value = getattr(config, name, None)
        if value is not None and not (isinstance(value, int | float) and math.isfinite(value)):
            raise ValueError(f"{_flag(name)} must be a finite number (got {value!r})")


def check_seed(seed: int | None) -> None:
    """A sampling seed: None (fresh randomness) or a whole number from 0 to ``MAX_SEED``."""
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise ValueError(f"the seed must be from 0 to {MAX_SEED:,} (got {seed:,})")


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")
