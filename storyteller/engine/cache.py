"""The story's own memory: a continuous cache over the words already in the story.

Grave, Joulin and Usunier, "Improving Neural Language Models with a Continuous Cache"
(ICLR 2017): the network's top-layer output after each position is kept as a key, with the
token that followed it as the value. At a new position the next token's distribution mixes
the network's with one over the remembered tokens, each weighted by how alike the network's
state was then and is now::

    p(w) = (1 - λ) p_net(w) + λ Σ_i softmax(θ h_t · h_i) [w_i = w]

with λ growing from 0 as the memory fills (``RAMP``).

A word outside the vocabulary is remembered by its form (as in Merity et al.'s pointer
sentinel), so a name the writer invented can be offered and written once it is in the story:
the memory's share of ``<unk>`` is split among the forms it remembers, and what is left of
``<unk>`` (the network's expectation of some other unknown word) is never offered.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .tokenizer import UNKNOWN
from .vocab import UNKNOWN_ID

DEFAULT_WEIGHT = 0.1
"""λ for a model whose file has none fitted."""
DEFAULT_SCALE = 0.3
"""θ for a model whose file has none fitted."""
DEFAULT_WORDS = 3_000
"""How many of the story's last tokens the memory holds, unless the settings say otherwise."""
MAX_WORDS = 100_000
RAMP = 30
"""The memory's weight grows with the positions it holds, n: λ n / (n + RAMP). A story of a few
words gives its memory almost nothing to go on (else the word after the story's one "a" would be
offered at λ after the next "a"); measured on held-out prose, the ramp costs nothing there."""


@dataclass(frozen=True)
class Memory:
    """How the story's memory is mixed in: its size, weight λ and similarity scale θ."""

    words: int = DEFAULT_WORDS
    """The last this many positions are remembered."""
    weight: float = DEFAULT_WEIGHT
    """λ: the memory's share of the next word's distribution."""
    scale: float = DEFAULT_SCALE
    """θ: how sharply the memory prefers the positions most like the present one."""
    fitted: bool = False
    """Whether λ and θ were fitted on held-out text (else they are the defaults)."""
    phrases: float = 0.0
    """σ: the story's phrases' share (``phrases.py``; 0, off, unless fitted with λ and θ)."""


def memory_for(cache: dict[str, Any], words: int = DEFAULT_WORDS) -> Memory:
    """The memory a model's card describes (its ``cache`` field), defaults where it has none."""
    weight, scale = cache.get("weight"), cache.get("scale")
    if _number(weight, 0.0, 1.0) and _number(scale, 0.0, 1e4):
        phrases = part_weight(cache, "phrases")
        return Memory(words, float(weight), float(scale), fitted=True, phrases=phrases)  # type: ignore[arg-type]
    return Memory(words)


def part_weight(cache: dict[str, Any], part: str) -> float:
    """The weight a model's card (its ``cache`` field) gives one part of the mix ("counts",
    "phrases"): 0, off, where it has none or one outside [0, 1)."""
    fitted = cache.get(part)
    weight = fitted.get("weight") if isinstance(fitted, dict) else None
    return float(weight) if _number(weight, 0.0, 1.0) and weight != 1.0 else 0.0  # type: ignore[arg-type]


def _number(value: object, low: float, high: float) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and low <= value <= high
    )


def share(weight: float, held: int) -> float:
    """λ, the memory's share of the next word's distribution, when it holds ``held`` positions
    and its full share is ``weight``."""
    return weight * held / (held + RAMP)


def shares(weight: float, positions: int, words: int) -> np.ndarray:
    """``share`` at each of a text's first ``positions`` positions read from a fresh state
    (position t holds min(t, ``words``) positions), as ``remembered_targets`` lays them out."""
    held = np.minimum(np.arange(positions), words)
    return weight * held / (held + RAMP)  # type: ignore[no-any-return]  # share's formula, in bulk


def attention(query: np.ndarray, keys: np.ndarray, scale: float) -> np.ndarray:
    """softmax(θ h_t · h_i) over the remembered positions (float64, sums to 1)."""
    similarity = (keys @ query).astype(np.float64) * scale
    similarity -= similarity.max()
    weights = np.exp(similarity)
    return weights / weights.sum()  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Mixed:
    """The next token's distribution: the vocabulary's ids, then the story's unknown forms.

    ``probs[UNKNOWN_ID]`` is what is left for unknown words the memory does not hold.
    """

    probs: np.ndarray
    remembered: np.ndarray
    """The part of each probability that came from the story: its memory and its phrases."""
    forms: tuple[str, ...] = ()

    def index(self, token_id: int, token: str) -> int | None:
        """Where ``token`` sits in ``probs`` (None: an unknown word the memory does not hold)."""
        if token_id != UNKNOWN_ID:
            return token_id
        if token in self.forms:
            return len(self.probs) - len(self.forms) + self.forms.index(token)
        return None

    def offered(self) -> np.ndarray:
        """The probabilities as candidates show them: ``<unk>`` is never offered."""
        shown = self.probs.copy()
        shown[UNKNOWN_ID] = 0.0
        return shown

    def scored(self, token_id: int, token: str) -> tuple[float | None, int | None]:
        """(probability, rank) of ``token`` here; (None, None) for an unknown word not remembered."""
        index = self.index(token_id, token)
        if index is None:
            return None, None
        shown = self.offered()
        return float(shown[index]), int((shown > shown[index]).sum()) + 1

    def from_memory(self, index: int) -> bool:
        """Whether most of this entry's probability comes from the story's memory."""
        return bool(self.remembered[index] * 2 >= self.probs[index] > 0)


def plain(probs: np.ndarray, recalled: np.ndarray | None = None) -> Mixed:
    """The network's distribution alone (``recalled``: the part of it the story's phrases gave)."""
    return Mixed(probs, np.zeros_like(probs) if recalled is None else recalled)


def mix(
    probs: np.ndarray,
    weights: np.ndarray,
    values: np.ndarray,
    codes: np.ndarray,
    names: Sequence[str],
    weight: float,
    recalled: np.ndarray | None = None,
) -> Mixed:
    """Mix the network's ``probs`` with the memory: ``weights`` over remembered positions whose
    next tokens were ``values``; ``codes`` number the forms of its ``<unk>`` values, in order
    (``names[code]`` is the form). ``recalled``: the part of ``probs`` the story's phrases gave."""
    remembered = weight * np.bincount(values, weights, minlength=len(probs))
    mixed = (1 - weight) * probs + remembered
    unknown_remembered = remembered[UNKNOWN_ID]
    if recalled is not None:
        remembered = remembered + (1 - weight) * recalled
    if not len(codes):
        return Mixed(mixed, remembered)
    unknown = weights[values == UNKNOWN_ID]
    kept, where = np.unique(codes, return_inverse=True)
    by_form = weight * np.bincount(where.ravel(), unknown, minlength=len(kept))
    mixed[UNKNOWN_ID] -= unknown_remembered
    remembered[UNKNOWN_ID] = 0.0
    return Mixed(
        np.concatenate([mixed, by_form]),
        np.concatenate([remembered, by_form]),
        tuple(names[code] for code in kept),
    )


class Keys:
    """The network's top-layer output at the last positions of a story, with what followed each.

    Position ``p`` is the state after reading the ``p``-th id (0: the opening paragraph break);
    its value is the id read at ``p + 1``, filled in when that position arrives.
    """

    def __init__(self, units: int, words: int) -> None:
        self.words = words
        self._rows = np.empty((2 * (words + 1), units), np.float32)
        self._values = np.zeros(len(self._rows), np.int64)
        self._codes = np.zeros(len(self._rows), np.int64)  # the form's number, for the <unk> values
        self.names: list[str] = [UNKNOWN]
        """Each form's number is its place here (0: an unknown word whose form is not known)."""
        self._code: dict[str, int] = {}
        self.first = 0
        self.count = 0

    @property
    def stop(self) -> int:
        """One past the last position held."""
        return self.first + self.count

    def append(self, position: int, row: np.ndarray, token_id: int, token: str | None) -> None:
        """The state after reading ``token_id`` (the token ``token``) at ``position``."""
        if not self.count:
            self.first = position
        elif position != self.stop:
            raise ValueError(f"position {position} does not follow {self.stop}")
        if self.count == len(self._rows):
            keep = self.words + 1
            for array in (self._rows, self._values, self._codes):
                array[:keep] = array[self.count - keep : self.count]
            self.first += self.count - keep
            self.count = keep
        if self.count:
            self._values[self.count - 1] = token_id
            self._codes[self.count - 1] = self._number(token) if token_id == UNKNOWN_ID else 0
        self._rows[self.count] = row
        self.count += 1

    def _number(self, token: str | None) -> int:
        if token is None:
            return 0
        code = self._code.get(token)
        if code is None:
            code = self._code[token] = len(self.names)
            self.names.append(token)
        return code

    def drop_from(self, position: int) -> None:
        """Forget the positions from ``position`` on."""
        self.count = max(0, min(self.count, position - self.first))

    def memory(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The query (the last position) and the last ``words`` positions before it:
        keys, values and the numbers of the forms of their ``<unk>`` values (see ``names``)."""
        last = self.count - 1
        start = max(0, last - self.words)
        values = self._values[start:last]
        return self._rows[last], self._rows[start:last], values, self._codes[start:last][values == UNKNOWN_ID]


def remembered_targets(
    hidden: np.ndarray, targets: np.ndarray, scales: Sequence[float], words: int, piece: int = 256
) -> np.ndarray:
    """For held-out text in bulk: the memory's probability of each next token, for each θ.

    ``hidden[t]`` is the state before ``targets[t]``; position t remembers positions
    [t - words, t). Returns [len(scales), T]; NaN where nothing is remembered yet (t = 0).
    Unknown words count as ``<unk>``, as perplexity counts them.
    """
    total = len(targets)
    out = np.full((len(scales), total), np.nan)
    for begin in range(1, total, piece):
        end = min(total, begin + piece)
        low = max(0, begin - words)
        similarity = hidden[begin:end] @ hidden[low : end - 1].T  # [queries, keys]
        t = np.arange(begin, end)[:, None]
        i = np.arange(low, end - 1)[None, :]
        valid = (i < t) & (i >= t - words)
        same = targets[low : end - 1][None, :] == targets[begin:end, None]
        for s, scale in enumerate(scales):
            z = np.where(valid, similarity.astype(np.float64) * scale, -np.inf)
            z -= z.max(axis=1, keepdims=True)
            w = np.exp(z)
            out[s, begin:end] = (w * same).sum(axis=1) / w.sum(axis=1)
    return out
