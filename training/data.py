"""Corpus → token ids → a held-out split → batches for the two training objectives.

The corpus is read in one streaming pass and never held in memory: each token gets a
provisional id (one per distinct spelling) written to a temporary file; the split, the
vocabulary (counted on the training part only) and the final ids follow from those ids
with numpy, a few million at a time. The training ids stay on disk, memory-mapped, as
16-bit numbers when the vocabulary allows, so a 100-million-word corpus trains in well
under 2 GB. The temporary files are unlinked as soon as they are opened: nothing is left
behind, even after a kill.
"""

from __future__ import annotations

import tempfile
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from storyteller.engine.corpus import split
from storyteller.engine.tokenizer import TokenizerConfig, iter_tokens
from storyteller.engine.vocab import PARAGRAPH_ID, SPECIALS, UNKNOWN_ID, Vocabulary, auto_min_count, is_word

JUDGED_PIECE = 512
"""A text too small to hold any out is judged on itself, in pieces of this many tokens each read
from a fresh state."""
CHUNK_TOKENS = 1 << 20
"""Token ids are counted, re-encoded and read for the baselines this many at a time."""


@dataclass
class Dataset:
    """Token ids ready for training, and the held-out chunks to score on."""

    vocabulary: Vocabulary
    train: np.ndarray
    """The training text as one id stream (pieces joined by paragraph breaks); memory-mapped."""
    held_out: list[np.ndarray]
    """Contiguous held-out chunks (int64), equal lengths; empty when the corpus is too small."""
    tokens: int
    """Tokens in the whole corpus."""
    words: int
    """Of those, words (not punctuation or paragraph breaks)."""
    min_count: int | None = None
    """The minimum count the vocabulary was built with (None: it was given)."""

    @property
    def has_held_out(self) -> bool:
        return bool(self.held_out)

    def eval_chunks(self) -> list[np.ndarray]:
        """What the figures are measured on: held-out chunks, or the training text itself."""
        if self.held_out:
            return self.held_out
        size = min(JUDGED_PIECE, len(self.train))
        return [
            np.asarray(self.train[i : i + size], np.int64) for i in range(0, len(self.train) - size + 1, size)
        ]


def build_dataset(
    text: str | Iterable[str],
    tokenizer: TokenizerConfig,
    window: int,
    holdout: float,
    min_count: int | None = None,
    max_vocab: int | None = None,
    vocabulary: Vocabulary | None = None,
) -> Dataset:
    """Tokenise ``text`` (a string, or ``Corpus.blocks()``), split it (the vocabulary from the
    training part only) and encode it. ``min_count`` None: ``auto_min_count`` of the training part."""
    spellings: dict[str, int] = {}
    with tempfile.TemporaryFile() as provisional:
        tokens = _write_provisional(iter_tokens(text, tokenizer), spellings, provisional)
        if tokens < window + 1:
            raise ValueError(f"the corpus has {tokens} tokens, fewer than the window of {window} plus one")
        ids = np.memmap(provisional, np.uint32, "r", shape=(tokens,)) if tokens else np.zeros(0, np.uint32)
        pieces, held = split(tokens, holdout)
        spelled = list(spellings)
        if vocabulary is not None:
            min_count = None
        else:
            counts = _count(ids, pieces, len(spelled))
            if min_count is None:
                min_count = auto_min_count(sum(stop - start for start, stop in pieces))
            vocabulary = Vocabulary.build(
                Counter(dict(zip(spelled, counts, strict=True))), min_count, max_vocab
            )
            if len(vocabulary) <= len(SPECIALS):
                raise ValueError(
                    f"no word occurs {min_count} times, so the vocabulary would be empty (lower --min-count)"
                )
        everywhere = _count(ids, [(0, tokens)], len(spelled))
        words = sum(n for token, n in zip(spelled, everywhere, strict=True) if is_word(token))
        final = np.array([vocabulary.id(t) for t in spelled], np.int64)
        train = _encode_training_text(ids, pieces, final, len(vocabulary))
        held_out = [final[np.asarray(ids[start:stop])] for start, stop in held]
        del ids
    return Dataset(
        vocabulary=vocabulary, train=train, held_out=held_out, tokens=tokens, words=words, min_count=min_count
    )


def _write_provisional(tokens: Iterator[str], spellings: dict[str, int], out: BinaryIO) -> int:
    """Write one uint32 per token (its spelling's number, in order of first appearance)."""
    count = 0
    batch = array("I")  # C integers: no Python object kept per token
    for token in tokens:
        number = spellings.get(token)
        if number is None:
            number = spellings[token] = len(spellings)
        batch.append(number)
        if len(batch) == CHUNK_TOKENS:
            out.write(batch)
            count += len(batch)
            del batch[:]
    out.write(batch)
    out.flush()
    return count + len(batch)


def _count(ids: np.ndarray, ranges: list[tuple[int, int]], distinct: int) -> list[int]:
    """How often each id (provisional or final) occurs inside ``ranges``."""
    counts = np.zeros(distinct, np.int64)
    for start, stop in ranges:
        for part in in_chunks(ids, start, stop):
            counts += np.bincount(part, minlength=distinct)
    return counts.tolist()


def in_chunks(
    ids: np.ndarray, start: int = 0, stop: int | None = None, overlap: int = 0
) -> Iterator[np.ndarray]:
    """``ids[start:stop]`` as int64 arrays of ``CHUNK_TOKENS`` ids, each with the ``overlap`` ids
    after it too (so pairs across a chunk's edge are seen): a memory map of any length, in
    bounded memory."""
    stop = len(ids) if stop is None else stop
    for begin in range(start, max(start + 1, stop - overlap), CHUNK_TOKENS):
        yield np.asarray(ids[begin : min(stop, begin + CHUNK_TOKENS + overlap)], np.int64)


def _encode_training_text(
    ids: np.ndarray, pieces: list[tuple[int, int]], final: np.ndarray, vocab_size: int
) -> np.ndarray:
    """The training pieces in final ids, joined by paragraph breaks, in a memory-mapped file."""
    dtype = np.uint16 if vocab_size <= 1 << 16 else np.uint32
    length = sum(stop - start for start, stop in pieces) + len(pieces) - 1
    with tempfile.TemporaryFile() as file:
        file.truncate(length * np.dtype(dtype).itemsize)
        train = np.memmap(file, dtype, "r+", shape=(length,))
    at = 0
    for number, (start, stop) in enumerate(pieces):
        if number:
            train[at] = PARAGRAPH_ID
            at += 1
        for part in in_chunks(ids, start, stop):
            train[at : at + len(part)] = final[part]
            at += len(part)
    train.flush()
    return train


def stream_batches(ids: np.ndarray, batch: int, seq_len: int, offset: int):
    """Cut the stream into ``batch`` parallel rows and yield (inputs, targets) pieces.

    ::

        offset   row 0: a b c d | e f g h | ...      inputs  [batch, seq_len]
                 row 1: m n o p | q r s t | ...      targets: the same, one token later

    Consecutive pieces continue each row, so the network's state carries across them.
    """
    batch, width = _rows(len(ids), batch, seq_len, offset)
    inputs = ids[offset : offset + batch * width].reshape(batch, width)
    targets = ids[offset + 1 : offset + 1 + batch * width].reshape(batch, width)
    for start in range(0, width, seq_len):
        yield inputs[:, start : start + seq_len], targets[:, start : start + seq_len]


def stream_targets(length: int, batch: int, seq_len: int, offset: int) -> Iterator[np.ndarray]:
    """Where in a stream of ``length`` tokens each target of ``stream_batches``'s pieces is."""
    batch, width = _rows(length, batch, seq_len, offset)
    rows = offset + 1 + width * np.arange(batch)[:, None]
    for start in range(0, width, seq_len):
        yield rows + np.arange(start, min(width, start + seq_len))


def _rows(length: int, batch: int, seq_len: int, offset: int) -> tuple[int, int]:
    """How many parallel rows a stream of ``length`` tokens is cut into, and their width."""
    usable = length - offset - 1
    batch = max(1, min(batch, usable // seq_len or 1))
    return batch, usable // batch


def rarest_words(ids: np.ndarray, vocab_size: int) -> np.ndarray:
    """Which of the vocabulary's words ``ids`` (a memory map of any length, counted in bounded
    memory) has as few times as any word it has: twice, for a vocabulary cut at two sightings, or
    more where its size was capped. ``<unk>`` and the paragraph break are never among them."""
    counts = np.array(_count(ids, [(0, len(ids))], vocab_size))
    counts[: len(SPECIALS)] = 0
    seen = counts > 0
    return seen & (counts == counts[seen].min()) if seen.any() else seen


_MIX = (np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB))
"""The multipliers of SplitMix64's finaliser, which turns consecutive numbers into unrelated ones."""


def as_unknown(
    ids: np.ndarray, places: np.ndarray, rarest: np.ndarray, share: float, salt: int
) -> tuple[np.ndarray, np.ndarray]:
    """``ids``, the tokens at ``places`` in the training text, with about ``share`` of the words
    that ``rarest`` marks read as ``<unk>``, and where they were. Which ones is a hash of the place
    and ``salt``: a token is read alike wherever a pass meets it (as a target, then as the next
    input, or in a window), and a pass with another salt draws anew. Nothing is stored."""
    mixed = places.astype(np.uint64) + np.uint64(salt)
    mixed ^= mixed >> np.uint64(30)
    mixed *= _MIX[0]
    mixed ^= mixed >> np.uint64(27)
    mixed *= _MIX[1]
    mixed ^= mixed >> np.uint64(31)
    drawn = (mixed >> np.uint64(11)).astype(np.float64) / 2.0**53  # uniform in [0, 1)
    unknown = rarest[ids] & (drawn < share)
    return np.where(unknown, UNKNOWN_ID, ids).astype(ids.dtype), unknown


def windows(ids: np.ndarray, window: int, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Windows of ``window`` tokens starting at ``starts``, and each position's next token."""
    index = window_places(window, starts)
    return ids[index], ids[index + 1]


def window_places(window: int, starts: np.ndarray) -> np.ndarray:
    """Where in the text each token of ``windows``'s windows is (each next token: one further)."""
    return starts[:, None] + np.arange(window)[None, :]
