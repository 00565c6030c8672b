"""Reading a corpus from a stranger: a text file or a folder of them, decoded and reported on.

Lives in the engine (not in training) so the app can show a corpus report without torch.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import StorytellerError
from .predictor import is_word
from .tokenizer import PARAGRAPH, TokenizerConfig, iter_tokens

FALLBACK_ENCODING = "cp1252"
"""Used, and reported, for a file that is not valid UTF-8."""

MAX_CONTROL_SHARE = 0.01
"""A file with more control characters than this (or any NUL byte) is taken for binary."""

HELD_OUT_CHUNKS = 10
"""The held-out share is taken as this many contiguous chunks spread over the corpus."""

MIN_HELD_OUT_TOKENS = 200
"""Below this, holding text out gives noise, not figures: training uses everything and says so."""


def held_out_chunk(tokens: int, share: float) -> int:
    """Tokens in each held-out chunk for a corpus of ``tokens`` (0: too small to hold any out)."""
    chunk = int(tokens * share) // HELD_OUT_CHUNKS
    return chunk if chunk * HELD_OUT_CHUNKS >= MIN_HELD_OUT_TOKENS else 0


class CorpusError(StorytellerError):
    """A corpus that cannot be trained on, with the reason in one sentence."""


@dataclass
class Corpus:
    """The text of a corpus, where it came from and what had to be fixed to read it."""

    text: str
    files: list[Path]
    notes: list[str] = field(default_factory=list)
    """Plain sentences about what was done to read it (encoding fallbacks, skipped files)."""
    sha256: str = ""
    """Hash of the bytes read, in file order."""


@dataclass(frozen=True)
class CorpusReport:
    """The figures a writer sees before training."""

    tokens: int
    words: int
    distinct: int
    once_share: float
    """Share of distinct tokens that occur only once."""
    paragraphs: int
    counts: Counter[str] = field(repr=False, compare=False, default_factory=Counter)

    def vocabulary_size(self, min_count: int = 1, max_size: int | None = None) -> int:
        """The vocabulary these settings give, the two special tokens included (roughly: the
        training part alone decides)."""
        kept = sum(1 for n in self.counts.values() if n >= min_count) + 2
        return kept if max_size is None else min(kept, max_size)


def read_corpus(path: str | Path) -> Corpus:
    """Read a ``.txt`` file, or every ``.txt`` file below a folder (sorted by path)."""
    path = Path(path)
    if not path.exists():
        raise CorpusError(f"Corpus path '{path}' does not exist.")
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.txt") if p.is_file())
        if not files:
            raise CorpusError(f"Folder '{path}' holds no .txt files.")
    else:
        files = [path]
    digest = hashlib.sha256()
    parts: list[str] = []
    notes: list[str] = []
    for file in files:
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CorpusError(f"Corpus file '{file}' cannot be read ({error.strerror}).") from None
        digest.update(data)
        text = _decode(file, data, notes)
        if text.strip():
            parts.append(text)
        elif len(files) > 1:
            notes.append(f"'{file.name}' is empty and was skipped.")
    if not parts:
        what = "file" if len(files) == 1 else "files"
        raise CorpusError(f"Corpus {what} in '{path}' hold no text (empty or only whitespace).")
    # Files are separate texts: a paragraph break between them.
    return Corpus("\n\n".join(parts), files, notes, digest.hexdigest())


def _decode(file: Path, data: bytes, notes: list[str]) -> str:
    if b"\x00" in data[:1_000_000]:
        raise CorpusError(f"'{file}' looks like a binary file, not text.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        text = data.decode(FALLBACK_ENCODING, errors="replace")
        notes.append(
            f"'{file.name}' is not UTF-8 (byte {error.start:,}); it was read as "
            f"{FALLBACK_ENCODING} (Western European)."
        )
    sample = text[:1_000_000]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\n\r\t\f")
    if sample and controls / len(sample) > MAX_CONTROL_SHARE:
        raise CorpusError(f"'{file}' looks like a binary file, not text.")
    return text


def report(text: str, config: TokenizerConfig = TokenizerConfig()) -> CorpusReport:
    counts: Counter[str] = Counter(iter_tokens(text, config))
    words = sum(n for t, n in counts.items() if is_word(t))
    return CorpusReport(
        tokens=sum(counts.values()),
        words=words,
        distinct=len(counts),
        once_share=sum(1 for n in counts.values() if n == 1) / max(1, len(counts)),
        paragraphs=counts.get(PARAGRAPH, 0),
        counts=counts,
    )
