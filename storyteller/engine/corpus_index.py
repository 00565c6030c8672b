"""A model's corpus index: where a suggestion comes from, and how much of the story is copied.

The index lies beside its model (``default.onnx``, ``default.index``): the corpus's tokens (its
own vocabulary, so every corpus word is kept as written), the file and line each token came
from, and a suffix array over the tokens. A binary search of the suffix array answers both
questions the writer asks on every key press: how often a few words are followed by a
candidate in the corpus, and the longest run of the story's last words found there word for word.

An index file is data from a stranger, like a model file: ``index_file`` reads and checks it.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import StorytellerError
from .files import write_atomically
from .tokenizer import PARAGRAPH, Detokenizer, TokenizerConfig

INDEX_SUFFIX = ".index"
MAGIC = b"storyteller corpus index\n"
FORMAT_VERSION = 1
MAX_INDEX_TOKENS = 8_000_000
"""Tokens an index holds at most (the first ones of a larger corpus): about 70 MB on disk."""
CONTEXT = 3
"""The candidates are counted after at most this many of the story's last tokens."""
MAX_RUN = 1_000
"""The copy meter looks back at most this many tokens (a longer copy reads as this long)."""
LINE_TOKENS = 40
"""A source line longer than this is shown around the match."""


class IndexFileError(StorytellerError):
    """A corpus index that cannot be used, with the reason in one sentence."""


@dataclass(frozen=True)
class SourceLine:
    """One place in the corpus: its file and line, and the line's text around the match."""

    file: str
    line: int
    before: str
    match: str
    after: str


@dataclass(frozen=True)
class Counts:
    """How often each candidate follows the story's last ``context`` tokens in the corpus."""

    context: int
    """Tokens of the story counted before each candidate (0: the last one is not in the corpus)."""
    counts: list[int]


@dataclass
class CorpusIndex:
    """The tokens of a corpus, where each came from, and their suffix array."""

    vocabulary: list[str]
    tokenizer: TokenizerConfig
    ids: np.ndarray
    suffixes: np.ndarray
    files: list[tuple[str, int]]
    """Each file's name and the index of its first token."""
    mark_tokens: np.ndarray
    mark_lines: np.ndarray
    """Each line that holds tokens: its first token and its number in its file."""
    corpus_sha256: str = ""
    total: int = 0
    """Tokens in the whole corpus (more than ``len(ids)`` when the index holds only the first ones)."""

    def __post_init__(self) -> None:
        self._lookup = {token: number for number, token in enumerate(self.vocabulary)}
        self._file_starts = np.array([start for _, start in self.files], np.int64)

    @property
    def tokens(self) -> int:
        return len(self.ids)

    # -- looking up ----------------------------------------------------------------------

    def ids_of(self, tokens: list[str]) -> list[int]:
        """The index's id of each token; -1 (found nowhere) for a token the corpus never has."""
        return [self._lookup.get(t, -1) for t in tokens]

    def _bound(self, pattern: list[int], lo: int = 0, hi: int | None = None) -> int:
        """The first suffix (in sorted order, from ``lo``) that is not less than ``pattern``."""
        ids, suffixes, size = self.ids, self.suffixes, len(pattern)
        hi = len(suffixes) if hi is None else hi
        while lo < hi:
            middle = (lo + hi) // 2
            start = int(suffixes[middle])
            if ids[start : start + size].tolist() < pattern:
                lo = middle + 1
            else:
                hi = middle
        return lo

    def suffix_range(self, pattern: list[int]) -> tuple[int, int]:
        """The suffixes that start with ``pattern``, as a range of the suffix array."""
        if not pattern or min(pattern) < 0:
            return 0, 0
        lo = self._bound(pattern)
        return lo, self._bound([*pattern[:-1], pattern[-1] + 1], lo)

    def count(self, tokens: list[str]) -> int:
        """How many times ``tokens`` occur in the corpus, in this order."""
        lo, hi = self.suffix_range(self.ids_of(tokens))
        return hi - lo

    def following(self, story: list[str], candidates: list[str]) -> Counts:
        """How often each candidate follows the longest of the story's last 1 to ``CONTEXT``
        tokens that the corpus holds."""
        tail = self.ids_of(story[-CONTEXT:])
        for size in range(len(tail), 0, -1):
            context = tail[len(tail) - size :]
            lo, hi = self.suffix_range(context)
            if hi > lo:
                counts = []
                for candidate in self.ids_of(candidates):
                    if candidate < 0:
                        counts.append(0)
                        continue
                    first = self._bound([*context, candidate], lo, hi)
                    counts.append(self._bound([*context, candidate + 1], first, hi) - first)
                return Counts(size, counts)
        return Counts(0, [0] * len(candidates))

    def copied(self, story: list[str]) -> int:
        """The longest run of the story's last tokens found word for word in the corpus (in tokens)."""
        tail = self.ids_of(story[-MAX_RUN:])
        found, step = 0, 1
        # Galloping, then halving: a run found means every shorter one is found too.
        while found + step <= len(tail) and self.occurs(tail[len(tail) - found - step :]):
            found += step
            step *= 2
        while step > 1:
            step //= 2
            if found + step <= len(tail) and self.occurs(tail[len(tail) - found - step :]):
                found += step
        return found

    def occurs(self, pattern: list[int]) -> bool:
        """Whether ``pattern`` (ids) is in the corpus; an empty one always is."""
        if not pattern:
            return True
        lo, hi = self.suffix_range(pattern)
        return hi > lo

    def longest_from(self, tokens: list[int], start: int) -> int:
        """The longest run of ``tokens`` from ``start`` found in the corpus: the suffixes that match
        so far are narrowed one token at a time, each step a binary search on one token."""
        lo, hi, found = 0, len(self.suffixes), 0
        while start + found < len(tokens) and tokens[start + found] >= 0:
            token = tokens[start + found]
            first = self._bound_at(found, token, lo, hi)
            last = self._bound_at(found, token + 1, first, hi)
            if first == last:
                break
            lo, hi, found = first, last, found + 1
        return found

    def _bound_at(self, offset: int, token: int, lo: int, hi: int) -> int:
        """In a range of suffixes that agree on their first ``offset`` tokens, the first whose next
        token is not less than ``token`` (a suffix that ends there counts as less than any)."""
        ids, suffixes, size = self.ids, self.suffixes, len(self.ids)
        while lo < hi:
            middle = (lo + hi) // 2
            at = int(suffixes[middle]) + offset
            if (int(ids[at]) if at < size else -1) < token:
                lo = middle + 1
            else:
                hi = middle
        return lo

    def found_tail(self, tokens: list[str]) -> list[str]:
        """The longest tail of ``tokens`` found in the corpus (empty if not even the last one is)."""
        for start in range(len(tokens)):
            if self.count(tokens[start:]):
                return tokens[start:]
        return []

    def places(self, tokens: list[str], limit: int = 5) -> list[int]:
        """Where ``tokens`` occur in the corpus: the first ``limit`` places, in corpus order."""
        lo, hi = self.suffix_range(self.ids_of(tokens))
        chosen = self.suffixes[lo:hi].astype(np.int64)
        if len(chosen) > limit:
            chosen = np.partition(chosen, limit - 1)[:limit]
        return sorted(chosen.tolist())

    def source(self, place: int, length: int) -> SourceLine:
        """The file and line of the tokens ``place`` to ``place + length``, and the line's text."""
        file = int(np.searchsorted(self._file_starts, place, side="right")) - 1
        name, file_start = self.files[max(file, 0)]
        file_end = int(self._file_starts[file + 1]) if file + 1 < len(self.files) else self.tokens
        mark = int(np.searchsorted(self.mark_tokens, place, side="right")) - 1
        line_start = max(int(self.mark_tokens[mark]) if mark >= 0 else file_start, file_start)
        line = int(self.mark_lines[mark]) if mark >= 0 else 1
        after_match = place + length
        following = np.searchsorted(self.mark_tokens, after_match - 1, side="right")
        next_line = int(self.mark_tokens[following]) if following < len(self.mark_tokens) else file_end
        line_end = min(next_line, file_end)
        line_end = max(line_end, after_match)
        start = max(line_start, place - LINE_TOKENS // 2)
        end = min(line_end, after_match + LINE_TOKENS // 2)
        words = [self.vocabulary[i] for i in self.ids[start:end].tolist()]
        before, match, after = _spelled(words, place - start, length, self.tokenizer)
        before = ("… " if start > line_start else "") + before
        after = after + (" …" if end < line_end else "")
        return SourceLine(name, line, before, match, after)

    # -- the file ------------------------------------------------------------------------

    def save(self, path: Path) -> None:
        """Write the index to ``path`` (a temporary file, then renamed)."""
        wide = len(self.vocabulary) > 0xFFFF
        header = {
            "format": "storyteller-index",
            "format_version": FORMAT_VERSION,
            "tokens": self.tokens,
            "total": self.total,
            "id_bytes": 4 if wide else 2,
            "marks": len(self.mark_tokens),
            "vocabulary": self.vocabulary,
            "tokenizer": self.tokenizer.to_dict(),
            "files": [[name, start] for name, start in self.files],
            "corpus_sha256": self.corpus_sha256,
        }
        encoded = json.dumps(header, ensure_ascii=False).encode()
        parts = [
            MAGIC,
            struct.pack("<I", len(encoded)),
            encoded,
            self.ids.astype("<u4" if wide else "<u2").tobytes(),
            self.suffixes.astype("<u4").tobytes(),
            self.mark_tokens.astype("<u4").tobytes(),
            self.mark_lines.astype("<u4").tobytes(),
        ]
        write_atomically(b"".join(parts), path)


def _spelled(words: list[str], at: int, length: int, tokenizer: TokenizerConfig) -> tuple[str, str, str]:
    """The text of ``words`` in three parts: before the match, the match, after it."""
    detokenizer = Detokenizer(TokenizerConfig(tokenizer.lowercase, tokenizer.names))
    parts = ["", "", ""]
    for number, word in enumerate(words):
        piece = " ¶" if word == PARAGRAPH else detokenizer.push(word)
        part = 0 if number < at else 1 if number < at + length else 2
        if part == 1 and number == at:
            parts[0] += piece[: len(piece) - len(piece.lstrip())]
            piece = piece.lstrip()
        parts[part] += piece
    return parts[0].lstrip(), parts[1], parts[2]


def index_path(model_path: Path) -> Path:
    """Where a model's index lies: beside it, with the same name."""
    return model_path.with_suffix(INDEX_SUFFIX)
