"""What a new model thinks of a story: its words scored under two models, and the change.

Each model reads the story once, from its start, in bounded pieces (``SCORE_PIECE`` tokens a
network call); as the story grows, only the new words are read, and an edit re-reads from the
nearest kept state. ``stop`` is looked at between pieces, so a long story never holds up newer work.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from .model import Model
from .predictor import SCORE_PIECE, Predictor, common_prefix

FLOOR = 1e-12
"""A probability scored as 0 (underflow) counts as this, so a perplexity stays finite."""


class Rescorer:
    """A story's tokens and the probability one model gives each, where it stands (whole story read)."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.predictor = Predictor(model)
        self.scores: list[float | None] = []
        """Each scored token's probability (None: a word the model does not know)."""

    def update(self, tokens: list[str], stop: Callable[[], bool] = lambda: False) -> bool:
        """Score ``tokens`` (re-reading only from where they differ); False if ``stop`` cut it short."""
        common = min(common_prefix(self.predictor.tokens, tokens), len(self.scores))
        self.predictor.sync(tokens[:common])
        del self.scores[common:]
        for start in range(common, len(tokens), SCORE_PIECE):
            if stop():
                return False
            self.scores.extend(p for p, _ in self.predictor.score(tokens[start : start + SCORE_PIECE]))
        return True


@dataclass(frozen=True)
class Comparison:
    """A story under the model before a switch and the one after it."""

    old: str
    new: str
    tokens: int
    """How many of the story's first tokens it covers."""
    changes: list[float | None]
    """Per token: log2 of (new probability / old probability); None where a model does not know it."""
    old_perplexity: float | None
    new_perplexity: float | None
    """Over the tokens both models know (None: no such token)."""
    counted: int


def compare(old: Rescorer, new: Rescorer) -> Comparison:
    """The two scorings side by side (both must have read the same tokens)."""
    changes: list[float | None] = []
    old_sum = new_sum = 0.0
    counted = 0
    for before, after in zip(old.scores, new.scores, strict=False):
        if before is None or after is None:
            changes.append(None)
            continue
        a, b = math.log(max(before, FLOOR)), math.log(max(after, FLOOR))
        changes.append((b - a) / math.log(2))
        old_sum, new_sum, counted = old_sum + a, new_sum + b, counted + 1
    old_ppl = math.exp(-old_sum / counted) if counted else None
    new_ppl = math.exp(-new_sum / counted) if counted else None
    return Comparison(old.model.name, new.model.name, len(changes), changes, old_ppl, new_ppl, counted)


def perplexity(scores: list[float | None]) -> tuple[float | None, int]:
    """The perplexity over the known tokens, and how many there were."""
    known = [math.log(max(p, FLOOR)) for p in scores if p is not None]
    return (math.exp(-sum(known) / len(known)) if known else None), len(known)
