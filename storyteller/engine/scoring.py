"""How well a model knows a text: perplexity, top-1, top-5 and windowed accuracy, and the share
of words outside its vocabulary, for the network alone and with the story's memory (and the
corpus counts and the story's phrases, when the model's card weighs them).

Figures are counted as training counts them: every target, ``<unk>`` included (the memory's
unknown forms count as ``<unk>``), the network reading the whole text from a paragraph break.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from .cache import Keys, Memory, attention, share
from .corpus_index import CONTEXT
from .counts import CorpusCounts, counts_weight
from .model import Model
from .phrases import Phrases
from .sampling import softmax
from .vocab import PARAGRAPH_ID, UNKNOWN_ID

MAX_WINDOWS = 5_000
"""Windowed accuracy is measured on at most this many windows (evenly spaced)."""
WINDOW_BATCH = 256
"""Windows read per network call."""


@dataclass(frozen=True)
class Tally:
    """Sums over the scored positions; add two to pool texts."""

    positions: int = 0
    unknown: int = 0
    nll: float = 0.0
    top1: int = 0
    top5: int = 0
    nll_remembered: float = 0.0
    known_nll: float = 0.0
    """Over the targets inside the vocabulary only."""
    known_nll_remembered: float = 0.0
    top1_remembered: int = 0
    top5_remembered: int = 0
    windows: int = 0
    windows_right: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def figures(self, remembered: bool) -> dict[str, float | None]:
        """perplexity, known-word perplexity, top1, top5 and windowed (None: not measured; the
        memory has no windowed figure)."""
        n, known = max(1, self.positions), self.positions - self.unknown
        if remembered:
            nll, top1, top5, windowed = self.nll_remembered, self.top1_remembered, self.top5_remembered, None
            known_nll = self.known_nll_remembered
        else:
            nll, top1, top5, known_nll = self.nll, self.top1, self.top5, self.known_nll
            windowed = self.windows_right / self.windows if self.windows else None
        return {
            "perplexity": math.exp(nll / n),
            "known_perplexity": math.exp(known_nll / known) if known else None,
            "top1": top1 / n,
            "top5": top5 / n,
            "windowed": windowed,
        }

    @property
    def unknown_share(self) -> float:
        return self.unknown / max(1, self.positions)


def score_ids(
    model: Model,
    ids: list[int],
    memory: Memory | None,
    most_windows: int = MAX_WINDOWS,
    counts: CorpusCounts | None = None,
    tokens: list[str] | None = None,
) -> Tally:
    """Score every token of ``ids`` (a paragraph break is read first), one network step at a time
    so the memory holds each position's state; with ``memory`` None its columns repeat the network's.
    With the memory, ``counts`` (and the ``tokens`` that ``ids`` are, as the model reads them) mix
    the corpus counts in as the predictor does, at the weight the model's card gives them, and
    the story's phrases at the memory's ``phrases``."""
    keys = Keys(model.card.units, memory.words) if memory else None
    phrases = Phrases(memory.words, memory.phrases) if memory and memory.phrases else None
    alpha = counts_weight(model.card.cache) if memory and counts is not None and tokens is not None else 0.0
    history = [PARAGRAPH_ID, *ids]
    state = None
    sums = dict.fromkeys(("nll", "known", "top1", "top5", "nll_m", "known_m", "top1_m", "top5_m"), 0.0)
    for t, target in enumerate(ids):
        logits, state = model.run(np.array([[history[t]]], np.int64), state)
        probs = softmax(logits[0, 0])
        mixed = probs
        if alpha and counts is not None and tokens is not None:
            counted = counts.probabilities(counts.context_of(tokens[max(0, t - CONTEXT) : t]))
            mixed = (1 - alpha) * probs + alpha * counted
        if phrases is not None:
            phrases.read(history, t + 1)
            mixed, _ = phrases.mixed(mixed)
        if keys is not None and memory is not None:
            keys.append(t, state[0][-1, 0], history[t], None)
            if keys.count >= 2:
                query, rows, values, _ = keys.memory()
                weights = attention(query, rows, memory.scale)
                remembered = np.bincount(values, weights, minlength=len(probs))
                weight = share(memory.weight, len(values))
                mixed = (1 - weight) * mixed + weight * remembered
        for suffix, p in (("", probs), ("_m", mixed)):
            above = int((p > p[target]).sum())
            loss = -math.log(max(float(p[target]), 1e-300))
            sums["nll" + suffix] += loss
            sums["known" + suffix] += loss if target != UNKNOWN_ID else 0.0
            sums["top1" + suffix] += above < 1
            sums["top5" + suffix] += above < 5
    windows, right = _windowed(model, history, most_windows)
    return Tally(
        positions=len(ids),
        unknown=sum(i == UNKNOWN_ID for i in ids),
        nll=sums["nll"],
        top1=int(sums["top1"]),
        top5=int(sums["top5"]),
        nll_remembered=sums["nll_m"],
        known_nll=sums["known"],
        known_nll_remembered=sums["known_m"],
        top1_remembered=int(sums["top1_m"]),
        top5_remembered=int(sums["top5_m"]),
        windows=windows,
        windows_right=right,
    )


def _windowed(model: Model, history: list[int], most: int) -> tuple[int, int]:
    """Greedy accuracy from a fresh state on the model's own window, as training measures it."""
    window = model.card.window
    starts = range(1, len(history) - window)  # after the opening paragraph break
    if not starts:
        return 0, 0
    chosen = np.unique(np.linspace(starts[0], starts[-1], min(most, len(starts))).astype(int))
    right = 0
    array = np.asarray(history, np.int64)
    for begin in range(0, len(chosen), WINDOW_BATCH):
        part = chosen[begin : begin + WINDOW_BATCH]
        contexts = np.stack([array[s : s + window] for s in part])
        logits, _ = model.run(contexts)
        right += int((logits[:, -1].argmax(-1) == array[part + window]).sum())
    return len(chosen), right
