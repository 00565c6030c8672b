"""Reading a corpus index file, which is data from a stranger like a model file: bounded reads,
a checked JSON header, arrays checked against the header before anything uses them, and every
refusal one sentence (``IndexFileError``)."""

from __future__ import annotations

import itertools
import json
import struct
import threading
from pathlib import Path

import numpy as np

from .corpus_index import FORMAT_VERSION, MAGIC, MAX_INDEX_TOKENS, CorpusIndex, IndexFileError, index_path
from .files import FileProblem, TooDeep, loads_json, read_untrusted
from .limits import MAX_VOCABULARY
from .model import Model
from .tokenizer import TokenizerConfig

MAX_HEADER_BYTES = 64 * 2**20
MAX_FILES = 1_000_000
MAX_INDEX_BYTES = len(MAGIC) + 4 + MAX_HEADER_BYTES + MAX_INDEX_TOKENS * 16
SHARED_INDEXES = 2
"""Indexes kept loaded for ``index_for`` (the writer compares two models at most)."""

_shared: dict[tuple[str, int, int, int], CorpusIndex] = {}
_shared_lock = threading.Lock()


def load_index(path: Path) -> CorpusIndex:
    """Read and check an index file; every problem becomes one ``IndexFileError`` sentence."""
    shown = f"'{path}'"
    try:
        data = read_untrusted(path, MAX_INDEX_BYTES, "Corpus index")
    except FileProblem as error:
        raise IndexFileError(str(error)) from None
    try:
        return _parse(data)
    except ValueError as error:
        raise IndexFileError(f"Corpus index {shown} cannot be used: {error}.") from None


def _parse(data: bytes) -> CorpusIndex:
    header, offset = _header(data)
    tokens = _number(header, "tokens", MAX_INDEX_TOKENS)
    total = _number(header, "total", 2**62)
    marks = _number(header, "marks", tokens)
    id_bytes = header.get("id_bytes")
    if id_bytes not in (2, 4):
        raise ValueError("its token ids are of an unknown width")
    vocabulary = _vocabulary(header, tokens)
    tokenizer_data = header.get("tokenizer")
    if not isinstance(tokenizer_data, dict):
        raise ValueError("it does not say how its text was tokenised")
    tokenizer = TokenizerConfig.from_dict(tokenizer_data)
    files = _files(header, tokens)
    expected = offset + tokens * (id_bytes + 4) + marks * 8
    if len(data) != expected:
        raise ValueError(f"it holds {len(data):,} bytes where its header describes {expected:,}")
    ids = np.frombuffer(data, "<u2" if id_bytes == 2 else "<u4", tokens, offset).astype(np.uint32)
    offset += tokens * id_bytes
    suffixes = np.frombuffer(data, "<u4", tokens, offset).copy()
    offset += tokens * 4
    mark_tokens = np.frombuffer(data, "<u4", marks, offset).copy()
    mark_lines = np.frombuffer(data, "<u4", marks, offset + marks * 4).copy()
    _check_arrays(ids, suffixes, mark_tokens, len(vocabulary))
    sha = header.get("corpus_sha256", "")
    return CorpusIndex(
        vocabulary=vocabulary,
        tokenizer=tokenizer,
        ids=ids,
        suffixes=suffixes,
        files=files,
        mark_tokens=mark_tokens,
        mark_lines=mark_lines,
        corpus_sha256=sha if isinstance(sha, str) else "",
        total=max(total, tokens),
    )


def _header(data: bytes) -> tuple[dict[str, object], int]:
    """The file's JSON header, checked to describe a corpus index this storyteller reads, and where
    the arrays after it begin."""
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + 4:
        raise ValueError("it is not a storyteller corpus index")
    (size,) = struct.unpack_from("<I", data, len(MAGIC))
    body = len(MAGIC) + 4
    if size > MAX_HEADER_BYTES or body + size > len(data):
        raise ValueError("its header is cut short or implausibly large")
    try:
        header = loads_json(data[body : body + size])
    except (TooDeep, json.JSONDecodeError, UnicodeDecodeError):
        raise ValueError("its header is not valid JSON") from None
    if not isinstance(header, dict) or header.get("format") != "storyteller-index":
        raise ValueError("its header does not describe a corpus index")
    version = header.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ValueError(f"it was made by a newer storyteller (format {version!r})")
    return header, body + size


def _vocabulary(header: dict[str, object], tokens: int) -> list[str]:
    vocabulary = header.get("vocabulary")
    if (
        not isinstance(vocabulary, list)
        or not all(isinstance(t, str) for t in vocabulary)
        or len(vocabulary) > MAX_VOCABULARY
        or (tokens and not vocabulary)
    ):
        raise ValueError("its vocabulary is not a list of at most a million words")
    return vocabulary


def _files(header: dict[str, object], tokens: int) -> list[tuple[str, int]]:
    """The corpus's files and the token each starts at, checked to divide the tokens."""
    files = header.get("files")
    if (
        not isinstance(files, list)
        or len(files) > MAX_FILES
        or not all(
            isinstance(f, list) and len(f) == 2 and isinstance(f[0], str) and type(f[1]) is int for f in files
        )
    ):
        raise ValueError("its list of files is malformed")
    starts = [f[1] for f in files]
    if tokens and (not starts or starts[0] != 0 or any(b <= a for a, b in itertools.pairwise(starts))):
        raise ValueError("its files do not divide its tokens")
    if starts and starts[-1] >= max(tokens, 1):
        raise ValueError("its files do not divide its tokens")
    return [(f[0], f[1]) for f in files]


def _number(header: dict[str, object], key: str, limit: int) -> int:
    value = header.get(key)
    if type(value) is not int or not 0 <= value <= limit:
        raise ValueError(f"its header gives an invalid '{key}' ({value!r})")
    return value


def _check_arrays(ids: np.ndarray, suffixes: np.ndarray, marks: np.ndarray, words: int) -> None:
    """The arrays must be what the searches assume: ids in the vocabulary, the suffix array a
    permutation sorted by first token, the line marks rising. (A suffix array out of order past
    the first token could only give wrong counts, never a failure.)"""
    n = len(ids)
    if n and int(ids.max()) >= words:
        raise ValueError("its tokens lie outside its vocabulary")
    if n and int(suffixes.max()) >= n:
        raise ValueError("its suffix array points past its tokens")
    seen = np.zeros(n, bool)
    seen[suffixes] = True
    if not seen.all():
        raise ValueError("its suffix array is not a permutation of its tokens")
    if n and np.any(np.diff(ids[suffixes].astype(np.int64)) < 0):
        raise ValueError("its suffix array is not sorted")
    if len(marks) and (np.any(np.diff(marks.astype(np.int64)) <= 0) or int(marks[-1]) >= n):
        raise ValueError("its line marks are out of order")


class NoIndex(IndexFileError):
    """A model without an index beside it (trained with ``--no-index``, or before indexes)."""


def index_for(model: Model) -> CorpusIndex:
    """The index beside ``model``'s file, checked to be of the corpus the model learnt from."""
    if model.path is None:
        raise NoIndex(f"Model '{model.name}' has no file, so no corpus index beside it.")
    path = index_path(model.path)
    if not path.exists():
        raise NoIndex(
            f"Model '{model.name}' has no corpus index ({path.name}); "
            f"`storyteller index CORPUS --model {model.name}` makes one."
        )
    index = _load_shared(path)
    trained_on = model.card.corpus.get("sha256")
    if isinstance(trained_on, str) and trained_on and trained_on != (index.corpus_sha256 or trained_on):
        raise IndexFileError(
            f"Corpus index '{path}' is of another text than model '{model.name}' learnt from, "
            "so it is not used."
        )
    if index.tokenizer.lowercase != model.card.tokenizer.lowercase:
        raise IndexFileError(
            f"Corpus index '{path}' folds case differently from model '{model.name}', so it is not used."
        )
    return index


def _load_shared(path: Path) -> CorpusIndex:
    """One loaded copy of an index file for every reader of it (the writer's corpus counts and its
    corpus aids, each in its own thread); a file written anew since is read anew."""
    try:
        found = path.stat()
    except OSError:
        return load_index(path)  # says why in one sentence
    # An index is written atomically: a rewritten one is a new file.
    key = (str(path.resolve()), found.st_ino, found.st_size, found.st_mtime_ns)
    with _shared_lock:  # a second reader waits for the first one's load rather than loading again
        index = _shared.get(key)
        if index is None:
            index = load_index(path)
            while len(_shared) >= SHARED_INDEXES:
                del _shared[next(iter(_shared))]
            _shared[key] = index
        return index
