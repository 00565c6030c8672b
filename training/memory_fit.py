"""Fitting the story's memory at export: its weight λ and scale θ, by a small grid search on
held-out text, scored exactly as the engine mixes them (``storyteller.engine.cache``)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from storyteller.engine.cache import DEFAULT_WORDS, remembered_targets

from .network import LanguageModel

WEIGHTS = (0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4)
"""λ searched (0: the network alone, so the fit is never worse than no memory)."""
SCALES = (0.03, 0.1, 0.3, 1.0, 3.0)
"""θ searched."""
FIT_TOKENS = 20_000
"""Held-out tokens the fit reads at most (its cost grows with tokens × remembered positions)."""


@torch.no_grad()
def fit_memory(
    model: LanguageModel, chunks: list[np.ndarray], words: int = DEFAULT_WORDS, most_tokens: int = FIT_TOKENS
) -> dict[str, Any]:
    """The card's ``cache`` field: the best λ and θ on ``chunks`` (each read from a fresh state,
    remembering only its own positions, at most ``most_tokens`` in all), with the held-out
    perplexity of every pair tried."""
    model = model.cpu().eval()
    nll = np.zeros((len(SCALES), len(WEIGHTS)))
    count = 0
    budget = most_tokens
    for chunk in chunks:
        chunk = chunk[: budget + 1]
        if len(chunk) < 2:
            continue
        budget -= len(chunk) - 1
        ids = torch.from_numpy(np.asarray(chunk, np.int64))[None, :-1]
        hidden, _ = model.hidden(ids)
        log_probs = torch.log_softmax(model.scores(hidden[0]), -1)
        targets = np.asarray(chunk[1:], np.int64)
        network = log_probs[torch.arange(len(targets)), torch.from_numpy(targets)].exp().double().numpy()
        remembered = remembered_targets(hidden[0].numpy(), targets, SCALES, words)
        for s in range(len(SCALES)):
            cache = np.where(np.isnan(remembered[s]), network, remembered[s])
            for w, weight in enumerate(WEIGHTS):
                nll[s, w] -= np.log((1 - weight) * network + weight * cache).sum()
        count += len(targets)
        if budget <= 0:
            break
    if not count:
        return {}
    perplexity = np.exp(nll / count)
    s, w = (int(i) for i in np.unravel_index(int(np.argmin(perplexity)), perplexity.shape))
    return {
        "weight": WEIGHTS[w],
        "scale": SCALES[s],
        "words": words,
        "tokens": count,
        "perplexity": {"without": _round(perplexity[0, 0]), "with": _round(perplexity[s, w])},
        "grid": {
            "weights": list(WEIGHTS),
            "scales": list(SCALES),
            "perplexity": [[_round(p) for p in row] for row in perplexity],
        },
    }


def _round(value: float) -> float | None:
    return round(float(value), 3) if math.isfinite(value) else None
