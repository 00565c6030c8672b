"""From the network's scores to the next word: greedy, temperature, top-k, top-p, repetition."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from .limits import check_seed
from .loops import MAX_NO_REPEAT
from .vocab import UNKNOWN_ID


@dataclass(frozen=True)
class SamplingConfig:
    """How the next word is chosen from the model's distribution."""

    greedy: bool = False
    """Always take the most probable word (the other settings then do nothing)."""
    temperature: float = 0.8
    """Below 1 sharpens the distribution, above 1 flattens it."""
    top_k: int | None = 40
    """Sample only among the k most probable words (None: all)."""
    top_p: float = 0.95
    """Sample only among the most probable words whose probabilities add up to p."""
    repetition_penalty: float = 1.2
    """Divide the score of a word used recently by this much (1: no penalty)."""
    repetition_window: int = 32
    """How many recent words the penalty looks back over."""
    seed: int | None = None
    """Makes sampling reproducible (None: fresh randomness)."""
    no_repeat: int = 0
    """Never repeat a phrase of this many tokens from the last few hundred (0: no such rule)."""

    def check(self) -> None:
        """Raise ``ValueError`` with one sentence naming the first setting out of range."""
        if not self.temperature > 0 or not np.isfinite(self.temperature):
            raise ValueError(f"temperature must be above 0 (got {self.temperature})")
        if self.top_k is not None and self.top_k < 1:
            raise ValueError(f"top-k must be at least 1 (got {self.top_k})")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top-p must be above 0 and at most 1 (got {self.top_p})")
        if not self.repetition_penalty >= 1 or not np.isfinite(self.repetition_penalty):
            raise ValueError(f"repetition penalty must be 1 or more (got {self.repetition_penalty})")
        if self.repetition_window < 0:
            raise ValueError("repetition window must not be negative")
        if not 0 <= self.no_repeat <= MAX_NO_REPEAT:
            raise ValueError(
                f"no-repeat must be from 0 (off) to {MAX_NO_REPEAT} tokens (got {self.no_repeat})"
            )
        check_seed(self.seed)


def softmax(logits: np.ndarray) -> np.ndarray:
    """Probabilities (float64) from scores."""
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max()
    e = np.exp(z)
    return e / e.sum()


def offered(logits: np.ndarray) -> np.ndarray:
    """The probabilities the writer is shown and stories record: ``<unk>`` is never offered."""
    probs = softmax(logits)
    probs[UNKNOWN_ID] = 0.0
    return probs


def probability_and_rank(logits: np.ndarray, token_id: int) -> tuple[float, int]:
    """A token's offered probability, and its rank among the offered words (1: the likeliest)."""
    probs = offered(logits)
    return float(probs[token_id]), int((probs > probs[token_id]).sum()) + 1


def shape(logits: np.ndarray, config: SamplingConfig, recent: Collection[int] = ()) -> np.ndarray:
    """The distribution the next word is drawn from: never ``<unk>``, sums to 1.

    Any finite settings work: a huge penalty or a tiny temperature may push scores to -inf
    (quietly: such a word is simply never drawn), and when the penalty leaves no word at all,
    it is dropped rather than leaving nothing to draw from.
    """
    scores = np.array(logits, dtype=np.float64)
    scores[UNKNOWN_ID] = -np.inf
    z = scores
    if recent and config.repetition_penalty != 1:
        ids = np.fromiter(set(recent), dtype=np.int64)
        z = scores.copy()
        with np.errstate(over="ignore"):
            z[ids] = np.where(
                z[ids] > 0, z[ids] / config.repetition_penalty, z[ids] * config.repetition_penalty
            )
        if not np.isfinite(z.max()):
            z = scores  # every word penalised away: choose as if there were no penalty
    if config.greedy:
        probs = np.zeros_like(z)
        probs[int(np.argmax(z))] = 1.0
        return probs
    with np.errstate(over="ignore"):
        # Shifted first, so dividing by a tiny temperature overflows only towards -inf.
        probs = softmax((z - z.max()) / config.temperature)
    order = np.argsort(-probs, kind="stable")
    keep = len(order)
    if config.top_k is not None:
        keep = min(keep, config.top_k)
    if config.top_p < 1:
        cumulative = np.cumsum(probs[order])
        # Smallest prefix whose mass reaches top_p (always at least one word).
        keep = min(keep, int(np.searchsorted(cumulative, config.top_p, side="left")) + 1)
    kept = np.zeros_like(probs)
    kept[order[:keep]] = probs[order[:keep]]
    return kept / kept.sum()


def entropy_bits(probs: np.ndarray) -> float:
    """How unsure a distribution is, in bits (log2 of the number of equally likely choices)."""
    p = np.asarray(probs, dtype=np.float64)
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


def choose(probs: np.ndarray, rng: np.random.Generator) -> int:
    """Draw one id from a distribution."""
    return int(rng.choice(len(probs), p=probs))
