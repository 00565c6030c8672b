"""Building a corpus index: the corpus's tokens, where each one came from, and a suffix array.

The index is made by the trainer beside the model it exports (``storyteller train`` unless
``--no-index``), or for an existing model by ``storyteller index CORPUS --model NAME``. Its
tokens are the model's tokenizer's, so the story's words can be looked up as they are.
"""

from __future__ import annotations

import io
from array import array
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .corpus import Corpus
from .corpus_index import MAX_INDEX_TOKENS, CorpusIndex
from .files import open_regular
from .tokenizer import PARAGRAPH, TokenizerConfig, iter_tokens

LINE_PIECE = 1 << 20
"""Characters read at a time from a line: a file that is one huge line is still read in bounded pieces."""


def suffix_array(ids: np.ndarray) -> np.ndarray:
    """The start of every suffix of ``ids``, in the suffixes' sorted order (a shorter suffix
    that is a prefix of a longer one comes first), by prefix doubling: a few sorts of the whole
    array, as many as the longest repeated run has bits."""
    n = len(ids)
    if n == 0:
        return np.zeros(0, np.uint32)
    _, rank = np.unique(ids, return_inverse=True)
    rank = rank.astype(np.int64)
    span = 1
    while True:
        second = np.zeros(n, np.int64)  # 0: past the end, so a shorter suffix sorts first
        second[: n - span] = rank[span:] + 1
        key = rank * (n + 1) + second
        order = np.argsort(key, kind="stable")
        sorted_key = key[order]
        fresh = np.empty(n, np.int64)
        fresh[0] = 0
        fresh[1:] = np.cumsum(sorted_key[1:] != sorted_key[:-1])
        rank = np.empty(n, np.int64)
        rank[order] = fresh
        if fresh[-1] == n - 1 or span >= n:
            return order.astype(np.uint32)
        span *= 2


def _lines(file: Path, encoding: str) -> Iterator[tuple[int, str]]:
    """``file``'s lines, numbered from 1; a line longer than ``LINE_PIECE`` comes in pieces cut at
    white space, each with the line's number."""
    with io.TextIOWrapper(open_regular(file), encoding=encoding, errors="replace") as stream:
        number, carry = 1, ""
        while piece := stream.readline(LINE_PIECE):
            text = carry + piece
            if text.endswith("\n"):
                yield number, text
                number, carry = number + 1, ""
                continue
            cut = max(text.rfind(" "), text.rfind("\t"))
            if cut <= 0 or len(text) > 16 * LINE_PIECE:
                yield number, text  # no white space to cut at: not prose, cut anyway
                carry = ""
            else:
                yield number, text[:cut]
                carry = text[cut:]
        if carry:
            yield number, carry


def build_index(corpus: Corpus, tokenizer: TokenizerConfig, root: Path | None = None) -> CorpusIndex:
    """Index ``corpus`` as ``tokenizer`` reads it: at most ``MAX_INDEX_TOKENS`` tokens (the first
    ones; ``CorpusIndex.total`` says how many the corpus has). Files are named relative to ``root``."""
    vocabulary: dict[str, int] = {}
    ids = array("I")
    mark_tokens, mark_lines = array("I"), array("I")
    files: list[tuple[str, int]] = []
    total = 0
    last: str | None = None

    def add(token: str) -> None:
        nonlocal total, last
        total += 1
        last = token
        if len(ids) < MAX_INDEX_TOKENS:
            ids.append(vocabulary.setdefault(token, len(vocabulary)))

    for file, encoding in corpus.sources:
        if len(ids) >= MAX_INDEX_TOKENS:
            total += sum(1 for _ in iter_tokens(corpus_file_text(file, encoding), tokenizer))
            continue
        if last is not None and last != PARAGRAPH:
            add(PARAGRAPH)  # files are separate texts, as the trainer reads them
        files.append((_name(file, root), len(ids)))
        for number, line in _lines(file, encoding):
            tokens = [t for t in iter_tokens(line, tokenizer) if t != PARAGRAPH or last != PARAGRAPH]
            if not tokens:
                if last is not None and last != PARAGRAPH:
                    add(PARAGRAPH)  # a blank line: a paragraph break, as the tokenizer makes it
                continue
            if len(ids) < MAX_INDEX_TOKENS and (not mark_lines or mark_lines[-1] != number):
                mark_tokens.append(len(ids))
                mark_lines.append(number)
            for token in tokens:
                add(token)
    words = [""] * len(vocabulary)
    for token, number in vocabulary.items():
        words[number] = token
    id_array = np.frombuffer(ids, np.uint32).copy() if ids else np.zeros(0, np.uint32)
    return CorpusIndex(
        vocabulary=words,
        tokenizer=tokenizer,
        ids=id_array,
        suffixes=suffix_array(id_array),
        files=files,
        mark_tokens=np.frombuffer(mark_tokens, np.uint32).copy() if mark_tokens else np.zeros(0, np.uint32),
        mark_lines=np.frombuffer(mark_lines, np.uint32).copy() if mark_lines else np.zeros(0, np.uint32),
        corpus_sha256=corpus.sha256,
        total=total,
    )


def corpus_file_text(file: Path, encoding: str) -> Iterator[str]:
    """A file's text line by line (what is counted, not indexed, past the index's bound)."""
    return (line for _, line in _lines(file, encoding))


def _name(file: Path, root: Path | None) -> str:
    if root is not None and root.is_dir():
        try:
            return file.relative_to(root).as_posix()
        except ValueError:
            pass
    return file.name
