"""Replaying a story: does the model still give each recorded word the probability it recorded?"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .cache import memory_for
from .counts import counts_for
from .model import Model
from .predictor import Predictor
from .quotes import as_read
from .sampling import probability_and_rank
from .story import Story
from .vocab import PARAGRAPH_ID, UNKNOWN_ID

TOLERANCE = 1e-4
"""A recorded probability holds when the replayed one is this close."""

PIECE = 256
"""Tokens read per network call in the stateful pass (bounds memory for long stories)."""


@dataclass(frozen=True)
class ReplayReport:
    """How a story's recorded probabilities compare with the model's now."""

    checked: int
    """Words that had a recorded probability."""
    holding: int
    """Of those, how many the model reproduces within ``TOLERANCE``."""
    largest_difference: float
    first_difference: int | None
    """Index of the first word that does not hold."""
    same_model: bool | None
    """Whether the model file's hash is the one the story recorded (None: nothing recorded)."""
    skipped: int = 0
    """Words measured with the story's memory, left unchecked because the replay ran without it."""

    @property
    def holds(self) -> bool:
        return self.checked == self.holding


def replay(story: Story, model: Model, memory: bool = True) -> ReplayReport:
    """Re-run ``model`` over ``story`` with each word's recorded context (whole story or window,
    with or without the story's memory); ``memory=False`` leaves the words measured with it out."""
    vocabulary = model.vocabulary
    ids = [PARAGRAPH_ID, *(vocabulary.id(t) for t in as_read(story.tokens, model.card.tokenizer.quotes))]
    # The stateful pass reads only as far as the last word whose probability it must check:
    # none at all for a story that records nothing, or only windowed probabilities.
    stateful_words = (
        i
        for i, w in enumerate(story.words)
        if w.probability is not None and w.window is None and w.memory is None
    )
    last = max(stateful_words, default=-1)
    stateful = _stateful_probabilities(model, ids[: last + 2])
    remembered = _remembered_probabilities(story, model) if memory else {}
    checked = holding = skipped = 0
    largest = 0.0
    first: int | None = None
    for i, word in enumerate(story.words):
        if word.probability is None:
            continue
        if word.memory is not None:
            if not memory:
                skipped += 1
                continue
            now = remembered[word.memory][i] or 0.0
        elif ids[i + 1] == UNKNOWN_ID:
            continue
        elif word.window is None:
            now = stateful[i]
        else:
            context = ids[max(0, i + 1 - word.window) : i + 1]
            logits, _ = model.run(np.array([context], np.int64))
            now = _probability(logits[0, -1], ids[i + 1])
        checked += 1
        difference = abs(now - word.probability)
        largest = max(largest, difference)
        if difference <= TOLERANCE:
            holding += 1
        elif first is None:
            first = i
    recorded = story.model.get("sha256")
    same = None if not recorded or not model.sha256 else recorded == model.sha256
    return ReplayReport(checked, holding, largest, first, same, skipped)


def _remembered_probabilities(story: Story, model: Model) -> dict[int, list[float | None]]:
    """For each memory size the story's words were measured with: every word's probability."""
    out: dict[int, list[float | None]] = {}
    for words in {w.memory for w in story.words if w.memory is not None and w.probability is not None}:
        last = max(i for i, w in enumerate(story.words) if w.memory == words and w.probability is not None)
        predictor = Predictor(model, memory=memory_for(model.card.cache, words), counts=counts_for(model))
        out[words] = [p for p, _ in predictor.score(story.tokens[: last + 1])]
    return out


def _stateful_probabilities(model: Model, ids: list[int]) -> list[float]:
    """The probability of each next id given everything before it, read in pieces."""
    out: list[float] = []
    state = None
    for start in range(0, len(ids) - 1, PIECE):
        piece = ids[start : start + PIECE]
        logits, state = model.run(np.array([piece], np.int64), state)
        targets = ids[start + 1 : start + 1 + len(piece)]
        out.extend(_probability(logits[0, j], t) for j, t in enumerate(targets))
    return out


def _probability(logits: np.ndarray, target: int) -> float:
    return probability_and_rank(logits, target)[0]  # as the app measured it
