"""Fitting how a model's predictions are mixed, at export: the scale β of the network's
``<unk>``, the corpus counts' weight α (``storyteller.engine.counts``), the story's phrases'
weight σ (``storyteller.engine.phrases``) and the story's memory's weight λ and scale θ
(``storyteller.engine.cache``), by a small grid search on held-out text, scored exactly as the
engine reads them: the network with its ``<unk>`` scaled (the export bakes β into the
network), the counts mixed into that, then the phrases, then the memory.

β corrects what a vocabulary cut at a minimum count teaches: the training text's ``<unk>`` are
its words seen once, but a new text's are the words seen once or never, so a network learns
``<unk>`` about half as often as it meets it (on the fortunes, 10% of positions against 18%)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from storyteller.engine.cache import DEFAULT_WORDS, remembered_targets, shares
from storyteller.engine.corpus_index import CONTEXT
from storyteller.engine.counts import DISCOUNT, CorpusCounts
from storyteller.engine.phrases import DISCOUNT as PHRASES_DISCOUNT
from storyteller.engine.phrases import phrase_terms
from storyteller.engine.vocab import UNKNOWN_ID

from .network import LanguageModel

WEIGHTS = (0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4)
"""λ searched (0: the network alone, so the fit is never worse than no memory)."""
SCALES = (0.03, 0.1, 0.3, 1.0, 3.0)
"""θ searched."""
COUNT_WEIGHTS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6)
"""α searched (0: no counts; a network trained briefly on a large text leans on them most)."""
PHRASE_WEIGHTS = (0.0, 0.05, 0.1, 0.15, 0.2)
"""σ searched (0: the story's phrases off)."""
UNKNOWN_SCALES = (1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0)
"""β searched (1: the network as trained; the default model took 3 when the grid stopped there)."""
FIT_TOKENS = 20_000
"""Held-out tokens the fit reads at most (its cost grows with tokens × remembered positions)."""


def fit_mix(
    model: LanguageModel,
    chunks: list[np.ndarray],
    words: int = DEFAULT_WORDS,
    most_tokens: int = FIT_TOKENS,
    counts: CorpusCounts | None = None,
) -> dict[str, Any]:
    """The card's ``cache`` field: the best λ, θ and σ on ``chunks`` (each read from a fresh
    state, remembering only its own positions, at most ``most_tokens`` in all), β, and with
    ``counts`` (of the training text only) the best α too, with the held-out perplexity of what
    was tried."""
    alphas = COUNT_WEIGHTS if counts is not None else (0.0,)
    perplexity, count = mix_perplexities(model, chunks, alphas, words, most_tokens, counts)
    if not count:
        return {}
    u, a, p, s, w = (int(i) for i in np.unravel_index(int(np.argmin(perplexity)), perplexity.shape))
    fitted: dict[str, Any] = {
        "weight": WEIGHTS[w],
        "scale": SCALES[s],
        "words": words,
        "tokens": count,
        "perplexity": {
            "without": _round(perplexity[0, 0, 0, 0, 0]),
            "with": _round(perplexity[u, a, p, s, w]),
        },
        "grid": {
            "weights": list(WEIGHTS),
            "scales": list(SCALES),
            "perplexity": [[_round(x) for x in row] for row in perplexity[u, a, p]],
        },
        "unknown": {
            "scale": UNKNOWN_SCALES[u],
            "scales": list(UNKNOWN_SCALES),
            "perplexity": [_round(x) for x in perplexity[:, 0, 0, 0, 0]],
        },
        "phrases": {
            "weight": PHRASE_WEIGHTS[p],
            "discount": PHRASES_DISCOUNT,
            "context": CONTEXT,
            "weights": list(PHRASE_WEIGHTS),
            "perplexity": [_round(x) for x in perplexity[u, a, :, s, w]],
        },
    }
    if counts is not None:
        fitted["counts"] = {
            "weight": alphas[a],
            "discount": DISCOUNT,
            "tokens": counts.index.tokens,
            "weights": list(alphas),
            "perplexity": [_round(x) for x in perplexity[u, :, 0, 0, 0]],
        }
    return fitted


def unknown_scale(fitted: dict[str, Any]) -> float:
    """β from ``fit_mix``'s result (1 where it has none)."""
    unknown = fitted.get("unknown")
    return float(unknown["scale"]) if isinstance(unknown, dict) else 1.0


@torch.no_grad()
def mix_perplexities(
    model: LanguageModel,
    chunks: list[np.ndarray],
    alphas: tuple[float, ...],
    words: int,
    most_tokens: int,
    counts: CorpusCounts | None,
) -> tuple[np.ndarray, int]:
    """Held-out perplexity at every β, α, σ, θ and λ ([UNKNOWN_SCALES, alphas, PHRASE_WEIGHTS,
    SCALES, WEIGHTS]), and the targets scored."""
    model = model.cpu().eval()
    nll = np.zeros((len(UNKNOWN_SCALES), len(alphas), len(PHRASE_WEIGHTS), len(SCALES), len(WEIGHTS)))
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
        unknown = log_probs[:, UNKNOWN_ID].exp().double().numpy()
        counted = counts.of_targets(chunk) if counts is not None else network
        remembered = remembered_targets(hidden[0].numpy(), targets, SCALES, words)
        ramped = [shares(weight, len(targets), words) for weight in WEIGHTS]
        recalled, backoff = phrase_terms(np.asarray(chunk).tolist(), words)
        for u, beta in enumerate(UNKNOWN_SCALES):
            # <unk> times β, and every word renormalised.
            scaled = network * np.where(targets == UNKNOWN_ID, beta, 1.0) / (1 + (beta - 1) * unknown)
            for a, alpha in enumerate(alphas):
                counted_in = (1 - alpha) * scaled + alpha * counted
                for p, sigma in enumerate(PHRASE_WEIGHTS):
                    base = (1 - sigma + sigma * backoff) * counted_in + sigma * recalled
                    for s in range(len(SCALES)):
                        cache = np.where(np.isnan(remembered[s]), base, remembered[s])
                        for w, share in enumerate(ramped):
                            nll[u, a, p, s, w] -= np.log((1 - share) * base + share * cache).sum()
        count += len(targets)
        if budget <= 0:
            break
    return np.exp(nll / max(count, 1)), count


def _round(value: float) -> float | None:
    return round(float(value), 3) if math.isfinite(value) else None
