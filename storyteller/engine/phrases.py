"""The story's phrases: what followed the story's own last few words, earlier in the story.

The story's memory (``cache.py``) recalls positions whose network state is like the present
one; it does not see that the last three words were written before, and what came after them.
A count of the story's own n-grams does (Kuhn and De Mori's cache, extended to n-grams): over
the story's last ``words`` positions, for each of its last 0 to ``CONTEXT`` tokens, what
followed them, discounted as the corpus counts are (``counts.py``) and backing off to the
distribution it is mixed into::

    p_k(w) = max(c_k(w) - D, 0) / C_k + D · n_k / C_k · p_{k-1}(w),   p_{-1} = p_base
    p(w)   = (1 - σ) p_base(w) + σ p_CONTEXT(w)

``p_base`` is the network's distribution with the corpus counts mixed in; the memory mixes in
after. σ is fitted on held-out text with the memory's λ and θ (``training.mix_fit``) and kept
on the model's card; a card without it leaves the phrases off. Measured on held-out prose
(bench/README.md): about 1% lower perplexity on top of the memory and the corpus counts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .corpus_index import CONTEXT

DISCOUNT = 0.75
"""D, as the corpus counts take it (0.5 and 0.9 did no better on held-out prose)."""


class Phrases:
    """The counts of the story's phrases over its last ``words`` positions, kept up to date as
    the story grows (``read``) and is cut short (``cut``).

    Position ``p`` of a story's ids (``p`` ≥ 1) is the pair of the ``CONTEXT`` or fewer ids before
    it and ``ids[p]``; reading up to ``end`` counts the positions in [end - words, end)."""

    def __init__(self, words: int, weight: float) -> None:
        self.words = words
        self.weight = weight
        self._followers: dict[tuple[int, ...], dict[int, int]] = {}
        self._totals: dict[tuple[int, ...], int] = {}
        self._end = 0
        self._ids: Sequence[int] = ()

    def forget(self) -> None:
        """Drop every count (the next ``read`` counts afresh)."""
        self._followers.clear()
        self._totals.clear()
        self._end = 0

    def cut(self, end: int) -> None:
        """Forget the story from position ``end`` on; call it before the ids are cut."""
        if end >= self._end:
            return
        if self._end - end > self.words:
            self.forget()  # the next ``read`` counts the window afresh
            return
        for position in range(self._end - 1, end - 1, -1):
            if position >= 1:
                self._count(self._ids, position, -1)
            if position - self.words >= 1:  # back in the window
                self._count(self._ids, position - self.words, 1)
        self._end = end

    def read(self, ids: Sequence[int], end: int | None = None) -> None:
        """Count the story ``ids[:end]`` (all of it by default): the part read before must be
        unchanged (else ``cut`` it first)."""
        end = len(ids) if end is None else end
        if end < self._end:
            raise ValueError(f"the story went back from {self._end} to {end} tokens without cut()")
        self._ids = ids
        fresh = end - self.words > self._end  # nothing counted stays in the window
        if fresh:
            self.forget()
        for position in range(max(end - self.words if fresh else self._end, 1), end):
            self._count(ids, position, 1)
            if not fresh and position - self.words >= 1:
                self._count(ids, position - self.words, -1)
        self._end = end

    def _count(self, ids: Sequence[int], position: int, step: int) -> None:
        after = ids[position]
        for order in range(min(CONTEXT, position) + 1):
            context = tuple(ids[position - order : position])
            followers = self._followers.setdefault(context, {})
            count = followers.get(after, 0) + step
            total = self._totals.get(context, 0) + step
            if count:
                followers[after] = count
            else:
                del followers[after]
            if total:
                self._totals[context] = total
            else:
                del self._totals[context], self._followers[context]

    def _contexts(self) -> list[tuple[int, ...]]:
        """The story's last 0 to ``CONTEXT`` ids that it holds counts after, shortest first."""
        held = []
        for order in range(min(CONTEXT, self._end) + 1):
            context = tuple(self._ids[self._end - order : self._end])
            if context not in self._totals:
                break
            held.append(context)
        return held

    def mixed(self, base: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``base`` with the story's phrases mixed in at σ, and the part of it that came from the
        phrases' counts (not from ``base`` through them)."""
        counted = np.zeros_like(base)
        backoff = 1.0
        for context in self._contexts():
            followers, total = self._followers[context], self._totals[context]
            kept = DISCOUNT * len(followers) / total
            ids = np.fromiter(followers.keys(), np.int64, len(followers))
            counts = np.fromiter(followers.values(), np.float64, len(followers))
            counted *= kept
            counted[ids] += np.maximum(counts - DISCOUNT, 0.0) / total
            backoff *= kept
        recalled = self.weight * counted
        return (1 - self.weight + self.weight * backoff) * base + recalled, recalled

    def terms(self, target: int) -> tuple[float, float]:
        """(a, b) with the phrases' probability of ``target`` next = a + b · p_base(target)."""
        a, b = 0.0, 1.0
        for context in self._contexts():
            followers, total = self._followers[context], self._totals[context]
            kept = DISCOUNT * len(followers) / total
            a = max(followers.get(target, 0) - DISCOUNT, 0.0) / total + kept * a
            b *= kept
        return a, b


def phrase_terms(ids: Sequence[int], words: int) -> tuple[np.ndarray, np.ndarray]:
    """For held-out text read from its start: (a, b) of each token after the first, so that the
    story's phrases give ``ids[t]`` a + b · p_base (``Phrases.terms``, in bulk)."""
    phrases = Phrases(words, 1.0)
    a, b = np.zeros(max(0, len(ids) - 1)), np.ones(max(0, len(ids) - 1))
    for position in range(1, len(ids)):
        phrases.read(ids, position)
        a[position - 1], b[position - 1] = phrases.terms(int(ids[position]))
    return a, b
