"""Several continuations of one story, read side by side: one batched network call per step.

The phrase lookahead and the bridge to a word both follow many continuations of the story at
once. ``Branches`` keeps each one's network state (stateful mode) or its last tokens (windowed
mode, where each prediction starts from a fresh state, as the predictor's do), so that one
call of the network moves all of them on by a token.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .predictor import Predictor


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Log-probabilities (float64) from scores, along the last axis."""
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


class Branches:
    """Continuations of the story a predictor holds; each branch is a row of one batch."""

    def __init__(self, predictor: Predictor, first: Sequence[int] | None = None) -> None:
        """One branch per id in ``first`` (the story followed by that token), or, without
        ``first``, one branch: the story itself."""
        self.model = predictor.model
        self.window = predictor.window
        self._predictor = predictor
        state, ids = predictor.start()
        count = 1 if first is None else len(first)
        self.paths: list[list[int]] = [[] for _ in range(count)]
        """The ids each branch has added to the story."""
        self._pending: np.ndarray | None = None
        self._state = (np.repeat(state[0], count, axis=1), np.repeat(state[1], count, axis=1))
        self._history = np.repeat(np.array([ids], np.int64), count, axis=0)
        if first is not None:
            self.extend(np.arange(count), np.asarray(first, np.int64))
            self._fresh = False
        else:
            self._fresh = True

    def __len__(self) -> int:
        return len(self.paths)

    def step(self) -> np.ndarray:
        """Log-probabilities [branches, vocabulary] of each branch's next token: one network call
        (none for the story itself, whose scores the predictor already has)."""
        if self._fresh:
            return log_softmax(self._predictor.logits())[None, :]
        assert self._pending is not None
        if self.window:
            logits, _ = self.model.run(self._history[:, -self.window :])
        else:
            logits, self._state = self.model.run(self._pending[:, None], self._state)
        self._pending = None
        return log_softmax(logits[:, -1])

    def extend(self, rows: np.ndarray, ids: np.ndarray) -> None:
        """Keep the branches ``rows`` (a row may be kept twice), each followed by its id in ``ids``."""
        rows = np.asarray(rows, np.int64)
        ids = np.asarray(ids, np.int64)
        self._fresh = False
        self.paths = [[*self.paths[r], int(i)] for r, i in zip(rows, ids, strict=True)]
        self._state = (self._state[0][:, rows], self._state[1][:, rows])
        if self.window:
            self._history = np.concatenate([self._history[rows], ids[:, None]], axis=1)[:, -self.window :]
        self._pending = ids
