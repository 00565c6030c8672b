"""Figures: perplexity, top-1/top-5 and windowed accuracy, for the network and two baselines.

The baselines (unigram and bigram counts from the training text) are scored on exactly the
same positions, so a figure that only memorising could reach shows up beside them.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict

import numpy as np
import torch

from .network import LanguageModel

MAX_WINDOWS = 20_000
"""Windowed accuracy is measured on at most this many windows (evenly spaced)."""

BIGRAM_WEIGHT = 0.8
"""Interpolation weight of the bigram estimate against the unigram one."""


def window_starts(chunks: list[np.ndarray], window: int) -> list[tuple[int, int]]:
    """(chunk, start) of every window followed by a target inside its chunk."""
    starts = [(c, s) for c, chunk in enumerate(chunks) for s in range(len(chunk) - window)]
    if len(starts) > MAX_WINDOWS:
        keep = np.linspace(0, len(starts) - 1, MAX_WINDOWS).astype(int)
        starts = [starts[i] for i in keep]
    return starts


@torch.no_grad()
def evaluate_network(
    model: LanguageModel, chunks: list[np.ndarray], window: int, device: torch.device
) -> dict[str, float]:
    """Stateful figures over each chunk from a fresh state, and windowed greedy accuracy."""
    model.eval()
    nll = correct1 = correct5 = count = 0.0
    for chunk in chunks:
        if len(chunk) < 2:
            continue
        ids = torch.from_numpy(chunk[:-1]).unsqueeze(0).to(device)
        targets = torch.from_numpy(chunk[1:]).to(device)
        logits, _ = model(ids)
        logits = logits[0].float()
        nll += torch.nn.functional.cross_entropy(logits, targets, reduction="sum").item()
        top5 = logits.topk(min(5, logits.shape[-1]), dim=-1).indices
        correct1 += (top5[:, 0] == targets).sum().item()
        correct5 += (top5 == targets[:, None]).any(dim=-1).sum().item()
        count += len(targets)
    figures = {
        "perplexity": math.exp(nll / count),
        "top1": correct1 / count,
        "top5": correct5 / count,
    }
    starts = window_starts(chunks, window)
    hits = 0
    for begin in range(0, len(starts), 4096):
        part = starts[begin : begin + 4096]
        contexts = np.stack([chunks[c][s : s + window] for c, s in part])
        targets_np = np.array([chunks[c][s + window] for c, s in part])
        logits, _ = model(torch.from_numpy(contexts).to(device))
        guess = logits[:, -1].argmax(dim=-1).cpu().numpy()
        hits += int((guess == targets_np).sum())
    figures["windowed"] = hits / max(1, len(starts))
    model.train()
    return figures


class _Bigram:
    """Bigram counts interpolated with a unigram distribution, so no word has probability 0."""

    def __init__(self, train: np.ndarray, unigram: np.ndarray, top_unigram: np.ndarray) -> None:
        self.unigram = unigram
        self.top_unigram = top_unigram.tolist()
        self.following: dict[int, Counter[int]] = defaultdict(Counter)
        for a, b in itertools.pairwise(train.tolist()):
            self.following[a][b] += 1
        self.totals = {a: sum(c.values()) for a, c in self.following.items()}
        self._top: dict[int, list[int]] = {}

    def p(self, previous: int, word: int) -> float:
        total = self.totals.get(previous, 0)
        if not total:
            return float(self.unigram[word])
        seen = self.following[previous][word] / total
        return float(BIGRAM_WEIGHT * seen + (1 - BIGRAM_WEIGHT) * self.unigram[word])

    def top(self, previous: int) -> list[int]:
        """The five most probable next words (only seen successors or top unigram words can be)."""
        if previous not in self._top:
            options = set(self.top_unigram) | set(self.following.get(previous, ()))
            self._top[previous] = sorted(options, key=lambda w: (-self.p(previous, w), w))[:5]
        return self._top[previous]


def evaluate_baselines(
    train: np.ndarray, chunks: list[np.ndarray], vocab_size: int, window: int
) -> dict[str, dict[str, float]]:
    """Unigram and interpolated bigram models counted on ``train``, scored like the network."""
    unigram = np.bincount(train, minlength=vocab_size).astype(np.float64) + 1.0
    unigram /= unigram.sum()
    top_unigram = np.argsort(-unigram, kind="stable")[:5]
    bigram = _Bigram(train, unigram, top_unigram)
    best_unigram = int(top_unigram[0])

    sums = {name: {"nll": 0.0, "top1": 0.0, "top5": 0.0} for name in ("unigram", "bigram")}
    count = 0
    for chunk in chunks:
        for previous, word in itertools.pairwise(chunk.tolist()):
            count += 1
            sums["unigram"]["nll"] -= math.log(unigram[word])
            sums["unigram"]["top1"] += word == best_unigram
            sums["unigram"]["top5"] += word in top_unigram
            top = bigram.top(previous)
            sums["bigram"]["nll"] -= math.log(bigram.p(previous, word))
            sums["bigram"]["top1"] += word == top[0]
            sums["bigram"]["top5"] += word in top
    starts = window_starts(chunks, window)
    windowed = {"unigram": 0, "bigram": 0}
    for c, start in starts:
        target = int(chunks[c][start + window])
        windowed["unigram"] += target == best_unigram
        windowed["bigram"] += target == bigram.top(int(chunks[c][start + window - 1]))[0]
    count = max(1, count)
    return {
        name: {
            "perplexity": math.exp(sums[name]["nll"] / count),
            "top1": sums[name]["top1"] / count,
            "top5": sums[name]["top5"] / count,
            "windowed": windowed[name] / max(1, len(starts)),
        }
        for name in ("unigram", "bigram")
    }
