"""Loops: the model repeating a phrase it wrote a little earlier, or ping-ponging between two words.

``find_loop`` looks at a model's turn and finds where it first repeats a phrase of three
words or more from the last few hundred tokens, or alternates between two words (``the cat
the cat``). ``repeated_endings`` is the no-repeat rule generation can follow: the tokens that
would complete a phrase of N tokens that is already among the recent ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .vocab import is_word

LOOKBACK = 300
"""How many tokens back a repeat is looked for (and what the no-repeat rule remembers)."""
MIN_WORDS = 3
"""A repeated phrase counts as a loop from this many words (punctuation not counted)."""
PING_PONG = 4
"""Two words alternating this many tokens in a row (``a b a b``) are a loop."""
MAX_NO_REPEAT = 10


@dataclass(frozen=True)
class Loop:
    """Where a turn went round in a loop: the tokens ``start`` to ``end`` repeat ``earlier``."""

    start: int
    """The first token of the repeat (where the loop began), an index into the story."""
    end: int
    """Just past the last repeated token."""
    earlier: int
    """Where the repeated phrase first came."""
    kind: str
    """'repeat' or 'ping-pong'."""

    def describe(self, tokens: Sequence[str]) -> str:
        phrase = " ".join(tokens[self.start : self.end])
        if len(phrase) > 60:
            phrase = phrase[:59] + "…"
        if self.kind == "ping-pong":
            return f"The model went back and forth: “{phrase}”."
        return f"The model repeated “{phrase}” from a little earlier."


def find_loop(tokens: Sequence[str], start: int, lookback: int = LOOKBACK) -> Loop | None:
    """The first loop in ``tokens[start:]`` (a model's turn), looking back ``lookback`` tokens."""
    ping = _ping_pong(tokens, start)
    first = max(0, start - lookback)
    seen: dict[tuple[str, ...], list[int]] = {}
    for j in range(first, start):
        seen.setdefault(tuple(tokens[j : j + 3]), []).append(j)
    for i in range(start, len(tokens) - 2):
        if ping is not None and ping.start <= i:
            return ping
        key = tuple(tokens[i : i + 3])
        for j in seen.get(key, []):
            if j < i - lookback:
                continue
            end = i + 3
            while end < len(tokens) and tokens[end] == tokens[j + end - i]:
                end += 1
            if sum(is_word(t) for t in tokens[i:end]) >= MIN_WORDS:
                return Loop(i, end, j, "repeat")
        seen.setdefault(key, []).append(i)
    return ping


def _ping_pong(tokens: Sequence[str], start: int) -> Loop | None:
    """The first run of two words alternating for ``PING_PONG`` tokens or more that the turn
    from ``start`` takes part in; the loop begins with the run's second round."""
    run = 0
    for i in range(max(2, start - LOOKBACK), len(tokens)):
        a, b = tokens[i], tokens[i - 1]
        alternating = a == tokens[i - 2] and a != b and is_word(a) and is_word(b)
        run = (run + 1 if run else 3) if alternating else 0
        if run >= PING_PONG and i >= start:
            first = i - run + 1
            end = i + 1
            while end < len(tokens) and tokens[end] == tokens[end - 2]:
                end += 1
            return Loop(max(first + 2, start), end, first, "ping-pong")
    return None


def repeated_endings(ids: Sequence[int], n: int, lookback: int = LOOKBACK) -> list[int]:
    """Ids that would end a phrase of ``n`` tokens already among the last ``lookback`` ids."""
    if n < 1 or len(ids) < n:
        return []
    recent = list(ids[-lookback:])
    if n == 1:
        return sorted(set(recent))
    prefix = recent[len(recent) - n + 1 :]
    return sorted({recent[j + n - 1] for j in range(len(recent) - n + 1) if recent[j : j + n - 1] == prefix})


def forbid(logits: np.ndarray, banned: Sequence[int]) -> np.ndarray:
    """``logits`` with the ``banned`` ids made impossible (a copy)."""
    if not banned:
        return logits
    scores = np.array(logits, dtype=np.float64)
    scores[list(banned)] = -np.inf
    return scores
