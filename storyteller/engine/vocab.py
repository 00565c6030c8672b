"""The model's vocabulary: tokens to ids and back, unknown words and their nearest neighbours."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from .tokenizer import PARAGRAPH, UNKNOWN

SPECIALS = (UNKNOWN, PARAGRAPH)
"""Always in the vocabulary, at ids 0 and 1."""

UNKNOWN_ID = 0
PARAGRAPH_ID = 1

AUTO_MIN_COUNT_FROM = 20_000
"""From this many training tokens on, the words seen once become <unk> (see ``auto_min_count``)."""


def is_word(token: str) -> bool:
    """Words count towards a length; punctuation and paragraph breaks do not."""
    return token[:1].isalnum()


def auto_min_count(train_tokens: int) -> int:
    """A small text keeps every word; a larger one turns the words it has seen once into <unk>.

    If every word of the training text is in the vocabulary, <unk> is never a target and a
    model learns to give it almost nothing: each word of new text it has not seen then costs
    about 15 nats. The words seen once stand in for the unseen ones (about as many, by Good
    and Turing's estimate), so <unk> gets the probability that new words really have.
    """
    return 1 if train_tokens < AUTO_MIN_COUNT_FROM else 2


class Vocabulary:
    """An ordered list of tokens; id 0 is ``<unk>``, id 1 is ``<p>``, then most frequent first."""

    def __init__(self, tokens: Sequence[str]) -> None:
        if tuple(tokens[: len(SPECIALS)]) != SPECIALS:
            raise ValueError(f"a vocabulary must start with {', '.join(SPECIALS)}")
        if len(set(tokens)) != len(tokens):
            raise ValueError("a vocabulary must not list a token twice")
        self.tokens: tuple[str, ...] = tuple(tokens)
        self._ids = {token: i for i, token in enumerate(self.tokens)}

    @classmethod
    def build(cls, counts: Counter[str], min_count: int = 1, max_size: int | None = None) -> Vocabulary:
        """Keep tokens seen at least ``min_count`` times, most frequent first (ties alphabetical)."""
        kept = sorted(
            (t for t, n in counts.items() if n >= min_count and t not in SPECIALS),
            key=lambda t: (-counts[t], t),
        )
        if max_size is not None:
            kept = kept[: max(0, max_size - len(SPECIALS))]
        return cls([*SPECIALS, *kept])

    def __len__(self) -> int:
        return len(self.tokens)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocabulary) and other.tokens == self.tokens

    def __hash__(self) -> int:
        return hash(self.tokens)

    def __contains__(self, token: object) -> bool:
        return token in self._ids

    def id(self, token: str) -> int:
        return self._ids.get(token, UNKNOWN_ID)

    def encode(self, tokens: Iterable[str]) -> np.ndarray:
        """Token ids as int64; unknown tokens become ``<unk>``."""
        ids = self._ids
        return np.fromiter((ids.get(t, UNKNOWN_ID) for t in tokens), dtype=np.int64)

    def unknown(self, tokens: Iterable[str]) -> list[str]:
        """The distinct tokens the model does not know, in order of first appearance."""
        return list(dict.fromkeys(t for t in tokens if t not in self._ids))

    def nearest(self, word: str, n: int = 3, max_distance: int = 2) -> list[str]:
        """Known words closest to ``word`` by edit distance, ignoring case; frequent words first.

        A word that differs only by case comes first of all.
        """
        target = word.lower()
        wordlike = is_word(target)
        found: list[tuple[int, int, str]] = []
        for rank, token in enumerate(self.tokens[len(SPECIALS) :]):
            if is_word(token) != wordlike:
                continue  # a word is never "near" a punctuation mark
            folded = token.lower()
            if abs(len(folded) - len(target)) > max_distance:
                continue
            distance = edit_distance(target, folded, max_distance)
            if distance <= max_distance and token != word:
                found.append((distance, rank, token))
        found.sort()
        return [token for _, _, token in found[:n]]


def edit_distance(a: str, b: str, limit: int | None = None) -> int:
    """Levenshtein distance; stops early (returning ``limit + 1``) once it must exceed ``limit``."""
    if a == b:
        return 0
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if limit is not None and min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]
