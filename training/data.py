"""Corpus → token ids → a held-out split → batches for the two training objectives."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from storyteller.engine.corpus import HELD_OUT_CHUNKS, held_out_chunk
from storyteller.engine.tokenizer import TokenizerConfig, tokenize
from storyteller.engine.vocab import PARAGRAPH_ID, Vocabulary


@dataclass
class Dataset:
    """Token ids ready for training, and the held-out chunks to score on."""

    vocabulary: Vocabulary
    train: np.ndarray
    """The training text as one id stream (pieces joined by paragraph breaks)."""
    held_out: list[np.ndarray]
    """Contiguous held-out chunks, equal lengths; empty when the corpus is too small."""
    tokens: int
    """Tokens in the whole corpus."""

    @property
    def has_held_out(self) -> bool:
        return bool(self.held_out)

    def eval_chunks(self) -> list[np.ndarray]:
        """What the figures are measured on: held-out chunks, or the training text itself."""
        if self.held_out:
            return self.held_out
        size = min(512, len(self.train))
        return [self.train[i : i + size] for i in range(0, len(self.train) - size + 1, size)]


def build_dataset(
    text: str,
    tokenizer: TokenizerConfig,
    window: int,
    holdout: float,
    min_count: int = 1,
    max_vocab: int | None = None,
    vocabulary: Vocabulary | None = None,
) -> Dataset:
    """Tokenise, split (vocabulary from the training part only) and encode."""
    tokens = tokenize(text, tokenizer)
    if len(tokens) < window + 1:
        raise ValueError(f"the corpus has {len(tokens)} tokens, fewer than the window of {window} plus one")
    pieces, held = split(len(tokens), holdout)
    if vocabulary is None:
        counts: Counter[str] = Counter()
        for start, stop in pieces:
            counts.update(tokens[start:stop])
        vocabulary = Vocabulary.build(counts, min_count, max_vocab)
    ids = vocabulary.encode(tokens)
    train_parts: list[np.ndarray] = []
    for start, stop in pieces:
        if train_parts:
            train_parts.append(np.array([PARAGRAPH_ID], np.int64))
        train_parts.append(ids[start:stop])
    return Dataset(
        vocabulary=vocabulary,
        train=np.concatenate(train_parts),
        held_out=[ids[start:stop] for start, stop in held],
        tokens=len(tokens),
    )


def split(n: int, holdout: float) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Training and held-out ranges of ``n`` tokens: held-out chunks evenly spread.

    ::

        |--train--[held]--train--[held]-- ... --train--[held]--train--|
    """
    chunk = held_out_chunk(n, holdout)
    if not chunk:
        return [(0, n)], []
    held = []
    for i in range(HELD_OUT_CHUNKS):
        centre = int((i + 0.5) * n / HELD_OUT_CHUNKS)
        held.append((centre - chunk // 2, centre - chunk // 2 + chunk))
    train, previous = [], 0
    for start, stop in held:
        train.append((previous, start))
        previous = stop
    train.append((previous, n))
    return [r for r in train if r[1] > r[0]], held


def stream_batches(ids: np.ndarray, batch: int, seq_len: int, offset: int):
    """Cut the stream into ``batch`` parallel rows and yield (inputs, targets) pieces.

    ::

        offset   row 0: a b c d | e f g h | ...      inputs  [batch, seq_len]
                 row 1: m n o p | q r s t | ...      targets: the same, one token later

    Consecutive pieces continue each row, so the network's state carries across them.
    """
    usable = len(ids) - offset - 1
    batch = max(1, min(batch, usable // seq_len or 1))
    width = usable // batch
    inputs = ids[offset : offset + batch * width].reshape(batch, width)
    targets = ids[offset + 1 : offset + 1 + batch * width].reshape(batch, width)
    for start in range(0, width, seq_len):
        yield inputs[:, start : start + seq_len], targets[:, start : start + seq_len]


def windows(ids: np.ndarray, window: int, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Windows of ``window`` tokens starting at ``starts``, and each position's next token."""
    index = starts[:, None] + np.arange(window)[None, :]
    return ids[index], ids[index + 1]
