"""Reading a corpus from a stranger: a text file or a folder of them, decoded and reported on.

Lives in the engine (not in training) so the app can show a corpus report without torch.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import StorytellerError
from .files import kind_of, open_regular, problem_sentence
from .tokenizer import PARAGRAPH, TokenizerConfig, iter_tokens
from .vocab import SPECIALS, auto_min_count, is_word

FALLBACK_ENCODING = "cp1252"
"""Used, and reported, for a file that is not valid UTF-8."""

MAX_CONTROL_SHARE = 0.01
"""A file with more control characters than this (or any NUL byte) is taken for binary."""

READ_BYTES = 1 << 20
BLOCK_CHARS = 1 << 20
"""Corpus text is read and tokenised in pieces of about this many characters."""
MAX_BLOCK_CHARS = 1 << 24
"""A piece with no white space to cut at is cut here anyway."""
SNIFF_CHARS = 1_000_000
"""The start of each file checked for NUL bytes and control characters (binary files)."""

HELD_OUT_CHUNKS = 10
"""The held-out share is taken as this many contiguous chunks spread over the corpus."""

MAX_HELD_OUT_CHUNK = 50_000
"""Half a million held-out tokens measure a model well; a huge corpus keeps the rest for training
(and its figures stay quick to compute)."""

MIN_HELD_OUT_TOKENS = 200
"""Below this, holding text out gives noise, not figures: training uses everything and says so."""


def held_out_chunk(tokens: int, share: float) -> int:
    """Tokens in each held-out chunk for a corpus of ``tokens`` (0: too small to hold any out)."""
    chunk = min(int(tokens * share) // HELD_OUT_CHUNKS, MAX_HELD_OUT_CHUNK)
    return chunk if chunk * HELD_OUT_CHUNKS >= MIN_HELD_OUT_TOKENS else 0


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


class CorpusError(StorytellerError):
    """A corpus that cannot be trained on, with the reason in one sentence."""


@dataclass
class Corpus:
    """Where a corpus's text is and how to decode it; the text itself is read block by block,
    so a corpus far larger than memory can be trained on."""

    files: list[Path]
    notes: list[str] = field(default_factory=list)
    """Plain sentences about what was done to read it (encoding fallbacks, skipped files)."""
    sha256: str = ""
    """Hash of the bytes read, in file order."""
    sources: list[tuple[Path, str]] = field(default_factory=list)
    """The files that hold text, each with the encoding it is read in."""

    def blocks(self, size: int = BLOCK_CHARS) -> Iterator[str]:
        """The text in pieces of about ``size`` characters, each ending at a word boundary, files
        separated by a paragraph break: joined, they are the whole text."""
        for number, (file, encoding) in enumerate(self.sources):
            if number:
                yield "\n\n"  # files are separate texts
            yield from _file_blocks(file, encoding, size)

    @property
    def text(self) -> str:
        """The whole text in memory (for reports on ordinary corpora; training streams)."""
        return "".join(self.blocks())


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
    training_counts: Counter[str] = field(repr=False, compare=False, default_factory=Counter)
    """The counts of the part a training run learns from (the rest is held out, see ``split``)."""

    def vocabulary_size(self, min_count: int | None = None, max_size: int | None = None) -> int:
        """The vocabulary a training run with these settings makes, the two special tokens
        included: counted, as the run counts, on the training part alone. ``min_count`` None:
        ``auto_min_count`` of the training part."""
        if min_count is None:
            min_count = auto_min_count(sum(self.training_counts.values()))
        words = sum(
            1 for token, n in self.training_counts.items() if n >= min_count and token not in SPECIALS
        )
        kept = words + len(SPECIALS)
        return kept if max_size is None else min(kept, max_size)


def read_corpus(path: str | Path) -> Corpus:
    """Check a ``.txt`` file, or every ``.txt`` file below a folder (sorted by path), in one
    streaming pass: readable, text not binary, its encoding, not empty; and hash it.

    Nothing is opened that is not a regular file (a named pipe would wait for a writer, a device
    never ends), and a subfolder that cannot be read is named in the notes, not passed over."""
    path = Path(path)
    notes: list[str] = []
    try:
        kind = kind_of(path.stat().st_mode)
        if kind == "a folder":
            files = _text_files(path, notes)
            if not files:
                raise CorpusError(f"Folder '{path}' holds no .txt files.")
        elif kind is not None:
            raise CorpusError(f"Corpus path '{path}' is {kind}, not a text file or a folder.")
        else:
            files = [path]
    except OSError as error:
        raise CorpusError(problem_sentence("Corpus path", path, error)) from None
    digest = hashlib.sha256()
    sources: list[tuple[Path, str]] = []
    for file in files:
        try:
            encoding, has_text = _inspect(file, digest, notes)
        except FileNotFoundError:
            raise CorpusError(f"Corpus file '{file}' was removed while it was being read.") from None
        except OSError as error:
            raise CorpusError(problem_sentence("Corpus file", file, error)) from None
        if has_text:
            sources.append((file, encoding))
        elif len(files) > 1:
            notes.append(f"'{file.name}' is empty and was skipped.")
    if not sources:
        if not path.is_dir():
            raise CorpusError(f"Corpus file '{path}' holds no text (it is empty or only whitespace).")
        what = "The .txt file in '{}' holds" if len(files) == 1 else "The .txt files in '{}' hold"
        raise CorpusError(f"{what.format(path)} no text (empty or only whitespace).")
    return Corpus(files, notes, digest.hexdigest(), sources)


def _text_files(folder: Path, notes: list[str]) -> list[Path]:
    """Every regular ``.txt`` file below ``folder``, sorted by path; a subfolder that cannot be
    read, and a link to a folder (which could lead back up), are named in ``notes``."""
    found: list[Path] = []
    pending = [folder]
    while pending:  # without recursion: a folder may nest deeper than the stack
        current = pending.pop()
        try:
            with os.scandir(current) as entries:
                listed = list(entries)
        except OSError as error:
            if current == folder:
                raise
            notes.append(f"The folder '{current}' cannot be read ({error.strerror}) and was skipped.")
            continue
        for entry in listed:
            try:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(Path(entry.path))
                elif entry.is_dir():
                    notes.append(f"'{entry.path}' is a link to a folder and was not followed.")
                elif entry.name.endswith(".txt") and entry.is_file():
                    found.append(Path(entry.path))
            except OSError:
                continue  # gone since the listing
    return sorted(found)


def _inspect(file: Path, digest: hashlib._Hash, notes: list[str]) -> tuple[str, bool]:
    """Hash ``file``; find its encoding (UTF-8, else the fallback, said in ``notes``) and whether it
    holds any text; refuse it when it looks binary."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    utf8, has_text, sample, offset = True, False, "", 0

    def fall_back(position: int) -> None:
        nonlocal utf8
        utf8 = False
        notes.append(
            f"'{file.name}' is not UTF-8 (byte {position:,}); it was read as "
            f"{FALLBACK_ENCODING} (Western European)."
        )

    with open_regular(file) as stream:
        while data := stream.read(READ_BYTES):
            digest.update(data)
            if offset == 0 and b"\x00" in data[:SNIFF_CHARS]:
                raise CorpusError(f"'{file}' looks like a binary file, not text.")
            if utf8:
                pending = len(decoder.getstate()[0])  # bytes of a character cut by the last read
                try:
                    text = decoder.decode(data)
                except UnicodeDecodeError as error:
                    fall_back(offset - pending + error.start)
                else:
                    has_text = has_text or bool(text.strip())
                    sample += text[: max(0, SNIFF_CHARS - len(sample))]
            offset += len(data)
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            fall_back(offset - len(decoder.getstate()[0]))
    encoding = "utf-8-sig" if utf8 else FALLBACK_ENCODING
    if not utf8:
        sample, has_text = "", False
        for block in _file_blocks(file, encoding, READ_BYTES):
            has_text = has_text or bool(block.strip())
            sample += block[: max(0, SNIFF_CHARS - len(sample))]
            if has_text and len(sample) >= SNIFF_CHARS:
                break
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\n\r\t\f")
    if sample and controls / len(sample) > MAX_CONTROL_SHARE:
        # Text coloured for a terminal is full of ESC characters: say what it is, not "binary".
        without_colours = _TERMINAL_CODES.sub("", sample)
        left = sum(1 for ch in without_colours if ord(ch) < 32 and ch not in "\n\r\t\f")
        if left / max(1, len(without_colours)) <= MAX_CONTROL_SHARE:
            raise CorpusError(
                f"'{file}' is text full of terminal colour codes (ANSI escape sequences); "
                "save it again as plain text."
            )
        raise CorpusError(f"'{file}' looks like a binary file, not text.")
    return encoding, has_text


_TERMINAL_CODES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
"""ANSI escape sequences: CSI (colours, cursor moves), OSC (titles) and two-character ones."""


_GAP_REVERSED = re.compile(r"\S(?=\s)")
"""In reversed text: the last non-space character that follows a space."""


def _file_blocks(file: Path, encoding: str, size: int) -> Iterator[str]:
    """``file``'s text in pieces of about ``size`` characters, each cut just before a word that
    follows white space, so no token (and no paragraph break) is ever split between two pieces."""
    try:
        binary = open_regular(file)
    except FileNotFoundError:
        raise CorpusError(f"Corpus file '{file}' was removed while it was being read.") from None
    except OSError as error:
        raise CorpusError(problem_sentence("Corpus file", file, error)) from None
    with io.TextIOWrapper(binary, encoding=encoding, errors="replace", newline="") as stream:
        buffer = ""
        while chunk := stream.read(size):
            buffer += chunk
            tail = buffer[-size - 1 :][::-1]
            gap = _GAP_REVERSED.search(tail)
            if gap is not None:
                cut = len(buffer) - 1 - gap.start()
                yield buffer[:cut]
                buffer = buffer[cut:]
            elif len(buffer) > MAX_BLOCK_CHARS:  # no white space at all: the text is not prose anyway
                yield buffer
                buffer = ""
        if buffer:
            yield buffer


def report(
    text: str, config: TokenizerConfig = TokenizerConfig(quotes=True), holdout: float = 0.1
) -> CorpusReport:
    """The figures of ``text``, and the counts of the part a run with ``holdout`` trains on
    (tokenised by default as a training run does: with opening and closing quotes)."""
    tokens = list(iter_tokens(text, config))
    counts: Counter[str] = Counter(tokens)
    pieces, _ = split(len(tokens), holdout)
    training_counts: Counter[str] = Counter()
    for start, stop in pieces:
        training_counts.update(tokens[start:stop])
    words = sum(n for t, n in counts.items() if is_word(t))
    return CorpusReport(
        tokens=sum(counts.values()),
        words=words,
        distinct=len(counts),
        once_share=sum(1 for n in counts.values() if n == 1) / max(1, len(counts)),
        paragraphs=counts.get(PARAGRAPH, 0),
        counts=counts,
        training_counts=training_counts,
    )
