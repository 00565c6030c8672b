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

from storyteller.engine.tokenizer import TokenizerConfig, detokenize
from storyteller.engine.vocab import PARAGRAPH_ID, UNKNOWN_ID, Vocabulary

from .data import in_chunks
from .network import LanguageModel

MAX_WINDOWS = 20_000
"""Windowed accuracy is measured on at most this many windows (evenly spaced)."""
MAX_RANKED = 50_000
"""Top-1 and top-5 accuracy are measured on at most this many positions (evenly spaced);
perplexity on every held-out position."""

SCORED_POSITIONS = 1024
"""Positions scored at once: their scores over a 33,000-word vocabulary take 135 MB."""

SELECTION_TOKENS = 20_000
"""Held-out tokens each epoch is judged on (the final figures use all of them)."""

BIGRAM_WEIGHT = 0.8
"""Interpolation weight of the bigram estimate against the unigram one."""


def window_starts(chunks: list[np.ndarray], window: int, most: int = MAX_WINDOWS) -> list[tuple[int, int]]:
    """(chunk, start) of every window followed by a target inside its chunk (at most ``most``)."""
    starts = [(c, s) for c, chunk in enumerate(chunks) for s in range(len(chunk) - window)]
    if len(starts) > most:
        keep = np.linspace(0, len(starts) - 1, most).astype(int)
        starts = [starts[i] for i in keep]
    return starts


def window_ceiling(chunks: list[np.ndarray], window: int, most: int = MAX_WINDOWS) -> float:
    """The best windowed accuracy any model can reach on these windows: where a context is
    followed by different words, only its most frequent follower can be guessed right."""
    followers: dict[tuple[int, ...], dict[int, int]] = {}
    starts = window_starts(chunks, window, most)
    for c, s in starts:
        context = tuple(chunks[c][s : s + window].tolist())
        counts = followers.setdefault(context, {})
        target = int(chunks[c][s + window])
        counts[target] = counts.get(target, 0) + 1
    return sum(max(counts.values()) for counts in followers.values()) / max(1, len(starts))


def selection_chunks(chunks: list[np.ndarray], tokens: int = SELECTION_TOKENS) -> list[np.ndarray]:
    """The start of every held-out chunk, about ``tokens`` in all: what each epoch is judged on.

    Scoring all the held-out text every epoch took a sixth of a run on a large text; a model is
    chosen as well on a part of every chunk, and the full figures are measured once, at the end.
    """
    each = max(2, tokens // max(1, len(chunks)))
    return [chunk[:each] for chunk in chunks]


@torch.no_grad()
def evaluate_network(
    model: LanguageModel,
    chunks: list[np.ndarray],
    window: int,
    device: torch.device,
    max_windows: int = MAX_WINDOWS,
    max_ranked: int = MAX_RANKED,
) -> dict[str, float]:
    """Stateful figures over each chunk from a fresh state, and windowed greedy accuracy.

    Perplexity counts every target, <unk> included, as the model was trained to predict it;
    ``known_perplexity`` leaves the <unk> targets out and ``unknown_share`` says how many they are.
    """
    model.eval()
    nll = known_nll = correct1 = correct5 = count = known = ranked = 0.0
    positions = sum(max(0, len(chunk) - 1) for chunk in chunks)
    stride = max(1, math.ceil(positions / max_ranked))
    for rows, targets in _scored_pieces(model, chunks, device):
        losses = model.nlls(rows, targets)
        is_known = targets != UNKNOWN_ID
        nll += losses.sum().item()
        known_nll += losses[is_known].sum().item()
        known += is_known.sum().item()
        pick = torch.arange(len(targets), device=device)
        pick = pick[(pick + int(count)) % stride == 0]
        top5 = model.top(rows[pick], min(5, model.embed.num_embeddings))
        correct1 += (top5[:, 0] == targets[pick]).sum().item()
        correct5 += (top5 == targets[pick, None]).any(dim=-1).sum().item()
        ranked += len(pick)
        count += len(targets)
    figures = {
        "perplexity": math.exp(nll / count),
        "known_perplexity": math.exp(known_nll / known) if known else math.nan,
        "unknown_share": 1 - known / count,
        "top1": correct1 / ranked,
        "top5": correct5 / ranked,
    }
    starts = window_starts(chunks, window, max_windows)
    hits = 0
    for begin in range(0, len(starts), SCORED_POSITIONS):
        part = starts[begin : begin + SCORED_POSITIONS]
        contexts = np.stack([chunks[c][s : s + window] for c, s in part])
        targets_np = np.array([chunks[c][s + window] for c, s in part])
        hidden, _ = model.hidden(torch.from_numpy(contexts).to(device))
        guess = model.top(hidden[:, -1], 1)[:, 0].cpu().numpy()
        hits += int((guess == targets_np).sum())
    figures["windowed"] = hits / max(1, len(starts))
    model.train()
    return figures


def _scored_pieces(
    model: LanguageModel, chunks: list[np.ndarray], device: torch.device
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """(hidden rows, their targets) for every position of every chunk, each chunk read from a
    fresh state, at most ``SCORED_POSITIONS`` at a time.

    Chunks of one length are read side by side, as one batch: an LSTM reads its positions one
    after another, so ten chunks in a batch take about the time of one.
    """
    by_length: dict[int, list[np.ndarray]] = {}
    for chunk in chunks:
        if len(chunk) >= 2:
            by_length.setdefault(len(chunk), []).append(chunk)
    for length, group in by_length.items():
        ids = torch.from_numpy(np.stack([chunk[:-1] for chunk in group]).astype(np.int64)).to(device)
        targets = torch.from_numpy(np.stack([chunk[1:] for chunk in group]).astype(np.int64)).to(device)
        step = max(1, SCORED_POSITIONS // len(group))
        state = None
        for begin in range(0, length - 1, step):
            hidden, state = model.hidden(ids[:, begin : begin + step], state)
            yield hidden.reshape(-1, hidden.shape[-1]), targets[:, begin : begin + step].reshape(-1)


RANGE_POSITIONS = 1 << 23
"""The bigram baseline counts the pairs of this many training positions at once (~200 MB)."""


class _Bigram:
    """Bigram counts interpolated with a unigram distribution, so no word has probability 0.

    Only what the held-out text asks is kept: the probability of each of its word pairs and
    the five likeliest successors of each of its words. The pairs are counted with numpy one
    range of predecessor words at a time, each range covering about ``RANGE_POSITIONS`` training
    positions, so memory stays bounded however long the training text is.
    """

    def __init__(
        self, train: np.ndarray, unigram: np.ndarray, top_unigram: np.ndarray, pairs: np.ndarray
    ) -> None:
        self.unigram = unigram
        self.top_unigram = top_unigram
        self.size = size = len(unigram)
        self.totals = np.zeros(size, np.int64)
        for part in in_chunks(train, overlap=1):
            self.totals += np.bincount(part[:-1], minlength=size)
        self.p = unigram[pairs[:, 1]]  # stays so for a predecessor never followed by anything
        self.top: dict[int, list[int]] = {}
        asked = np.zeros(size, bool)
        asked[pairs[:, 0]] = True
        edges = np.searchsorted(
            np.cumsum(self.totals), np.arange(RANGE_POSITIONS, self.totals.sum(), RANGE_POSITIONS)
        )
        for low, high in itertools.pairwise([0, *np.unique(edges + 1).tolist(), size]):
            if high > low and asked[low:high].any():
                keys, counts = self._pairs(train, low, high)
                self._answer(keys, counts, pairs, np.flatnonzero(asked[low:high]) + low, low, high)

    def _pairs(self, train: np.ndarray, low: int, high: int) -> tuple[np.ndarray, np.ndarray]:
        """Sorted ``previous * size + word`` keys and their counts, for predecessors ``low ≤ a < high``."""
        found_keys, found_counts = [], []
        for part in in_chunks(train, overlap=1):
            inside = (part[:-1] >= low) & (part[:-1] < high)
            keys, counts = np.unique(part[:-1][inside] * self.size + part[1:][inside], return_counts=True)
            found_keys.append(keys)
            found_counts.append(counts)
        keys = np.concatenate(found_keys)
        order = np.argsort(keys, kind="stable")
        keys, counts = keys[order], np.concatenate(found_counts)[order]
        if not len(keys):
            return keys, counts
        starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
        return keys[starts], np.add.reduceat(counts, starts)

    def _answer(
        self,
        keys: np.ndarray,
        counts: np.ndarray,
        pairs: np.ndarray,
        predecessors: np.ndarray,
        low: int,
        high: int,
    ) -> None:
        rows = np.flatnonzero((pairs[:, 0] >= low) & (pairs[:, 0] < high) & (self.totals[pairs[:, 0]] > 0))
        previous, word = pairs[rows, 0], pairs[rows, 1]
        wanted = previous * self.size + word
        at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
        seen = np.where(keys[at] == wanted, counts[at], 0)
        self.p[rows] = (
            BIGRAM_WEIGHT * (seen / self.totals[previous]) + (1 - BIGRAM_WEIGHT) * self.unigram[word]
        )
        for a in predecessors.tolist():
            first, last = np.searchsorted(keys, [a * self.size, (a + 1) * self.size])
            successors = keys[first:last] % self.size
            others = np.setdiff1d(self.top_unigram, successors)
            options = np.concatenate([successors, others])
            if self.totals[a]:
                seen_counts = np.concatenate([counts[first:last], np.zeros(len(others), np.int64)])
                p = (
                    BIGRAM_WEIGHT * (seen_counts / self.totals[a])
                    + (1 - BIGRAM_WEIGHT) * self.unigram[options]
                )
            else:
                p = self.unigram[options]
            self.top[a] = options[np.lexsort((options, -p))[:5]].tolist()


def evaluate_baselines(
    train: np.ndarray, chunks: list[np.ndarray], vocab_size: int, window: int
) -> dict[str, dict[str, float]]:
    """Unigram and interpolated bigram models counted on ``train``, scored like the network."""
    unigram = sum(
        (np.bincount(part, minlength=vocab_size) for part in in_chunks(train)), np.zeros(vocab_size)
    )
    unigram = unigram.astype(np.float64) + 1.0
    unigram /= unigram.sum()
    top_unigram = np.argsort(-unigram, kind="stable")[:5]
    # Every (previous, word) pair to score: those of the chunks, then each window's last word and target.
    starts = window_starts(chunks, window)
    pairs = [np.stack([chunk[:-1], chunk[1:]], 1) for chunk in chunks if len(chunk) > 1]
    if starts:
        pairs.append(np.array([[chunks[c][s + window - 1], chunks[c][s + window]] for c, s in starts]))
    asked = np.concatenate(pairs).astype(np.int64) if pairs else np.zeros((0, 2), np.int64)
    bigram = _Bigram(train, unigram, top_unigram, asked)
    best_unigram = int(top_unigram[0])
    count = len(asked) - len(starts)

    sums = {name: {"nll": 0.0, "top1": 0.0, "top5": 0.0} for name in ("unigram", "bigram")}
    for (previous, word), p in zip(asked[:count].tolist(), bigram.p[:count].tolist(), strict=True):
        sums["unigram"]["nll"] -= math.log(unigram[word])
        sums["unigram"]["top1"] += word == best_unigram
        sums["unigram"]["top5"] += word in top_unigram
        top = bigram.top[previous]
        sums["bigram"]["nll"] -= math.log(p)
        sums["bigram"]["top1"] += word == top[0]
        sums["bigram"]["top5"] += word in top
    windowed = {"unigram": 0, "bigram": 0}
    for previous, target in asked[count:].tolist():
        windowed["unigram"] += target == best_unigram
        windowed["bigram"] += target == bigram.top[previous][0]
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


@torch.no_grad()
def sample(
    model: LanguageModel,
    vocabulary: Vocabulary,
    tokenizer: TokenizerConfig,
    seed: int,
    device: torch.device,
    length: int = 24,
) -> str:
    """A short text from a fresh state, to watch the model learn."""
    was_training = model.training
    model.eval()
    generator = torch.Generator().manual_seed(seed)
    ids = torch.tensor([[PARAGRAPH_ID]], device=device)
    state = None
    out: list[str] = []
    for _ in range(length):
        logits, state = model(ids, state)
        scores = logits[0, -1].float().cpu() / 0.8
        scores[UNKNOWN_ID] = -math.inf
        token = int(torch.multinomial(torch.softmax(scores, -1), 1, generator=generator))
        out.append(vocabulary.tokens[token])
        ids = torch.tensor([[token]], device=device)
    model.train(was_training)
    return detokenize(out, tokenizer).strip()
