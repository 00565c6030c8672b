"""Figures: perplexity, top-1/top-5 and windowed accuracy, for the network and two baselines.

The baselines (unigram and bigram counts from the training text) are scored on exactly the
same positions, so a figure that only memorising could reach shows up beside them.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator

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


CHUNK_TOKENS = 1 << 24
"""Training text is counted this many tokens at a time (it may be a memory map far larger than memory)."""


def _chunks(ids: np.ndarray, overlap: int = 0) -> Iterator[np.ndarray]:
    for begin in range(0, max(1, len(ids) - overlap), CHUNK_TOKENS):
        yield np.asarray(ids[begin : begin + CHUNK_TOKENS + overlap], np.int64)


class _Bigram:
    """Bigram counts interpolated with a unigram distribution, so no word has probability 0.

    The counts are kept as sorted ``previous * vocab + word`` keys, counted with numpy a chunk
    at a time, so a training text of any length fits.
    """

    def __init__(self, train: np.ndarray, unigram: np.ndarray, top_unigram: np.ndarray) -> None:
        self.unigram = unigram
        self.top_unigram = top_unigram
        self.size = size = len(unigram)
        self.keys = np.zeros(0, np.int64)
        self.counts = np.zeros(0, np.int64)
        self.totals = np.zeros(size, np.int64)
        for part in _chunks(train, overlap=1):
            keys, counts = np.unique(part[:-1] * size + part[1:], return_counts=True)
            self.keys, self.counts = _merge(self.keys, self.counts, keys, counts)
            self.totals += np.bincount(part[:-1], minlength=size)
        self._top: dict[int, list[int]] = {}

    def p(self, previous: int, word: int) -> float:
        total = int(self.totals[previous])
        if not total:
            return float(self.unigram[word])
        key = previous * self.size + word
        at = int(np.searchsorted(self.keys, key))
        count = int(self.counts[at]) if at < len(self.keys) and self.keys[at] == key else 0
        return float(BIGRAM_WEIGHT * (count / total) + (1 - BIGRAM_WEIGHT) * self.unigram[word])

    def top(self, previous: int) -> list[int]:
        """The five most probable next words (only seen successors or top unigram words can be)."""
        if previous not in self._top:
            low, high = np.searchsorted(self.keys, [previous * self.size, (previous + 1) * self.size])
            seen = self.keys[low:high] % self.size
            others = np.setdiff1d(self.top_unigram, seen)
            options = np.concatenate([seen, others])
            total = int(self.totals[previous])
            counts = np.concatenate([self.counts[low:high], np.zeros(len(others), np.int64)])
            if total:
                p = BIGRAM_WEIGHT * (counts / total) + (1 - BIGRAM_WEIGHT) * self.unigram[options]
            else:
                p = self.unigram[options]
            self._top[previous] = options[np.lexsort((options, -p))[:5]].tolist()
        return self._top[previous]


def _merge(
    keys: np.ndarray, counts: np.ndarray, more_keys: np.ndarray, more_counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Two sorted key/count tables as one."""
    keys = np.concatenate([keys, more_keys])
    counts = np.concatenate([counts, more_counts])
    order = np.argsort(keys, kind="stable")
    keys, counts = keys[order], counts[order]
    starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
    return keys[starts], np.add.reduceat(counts, starts) if len(keys) else counts


def evaluate_baselines(
    train: np.ndarray, chunks: list[np.ndarray], vocab_size: int, window: int
) -> dict[str, dict[str, float]]:
    """Unigram and interpolated bigram models counted on ``train``, scored like the network."""
    unigram = sum((np.bincount(part, minlength=vocab_size) for part in _chunks(train)), np.zeros(vocab_size))
    unigram = unigram.astype(np.float64) + 1.0
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
