"""The corpus index: its counts and runs against a brute-force count, its file read as a stranger's."""

from __future__ import annotations

import dataclasses
import random
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

from storyteller.engine import load, read_corpus, tokenize
from storyteller.engine.corpus_index import MAGIC, CorpusIndex, IndexFileError, index_path
from storyteller.engine.index_build import build_index, suffix_array
from storyteller.engine.index_file import index_for, load_index
from storyteller.engine.tokenizer import TokenizerConfig

from .conftest import FABLE, TINY_MODEL


def _occurrences(haystack: list[str], needle: list[str]) -> int:
    n = len(needle)
    return sum(1 for i in range(len(haystack) - n + 1) if haystack[i : i + n] == needle)


@pytest.fixture(scope="module")
def fable_index() -> CorpusIndex:
    return build_index(read_corpus(FABLE), TokenizerConfig())


def test_the_suffix_array_sorts_every_suffix() -> None:
    rng = np.random.default_rng(3)
    for size in (1, 2, 7, 300):
        ids = rng.integers(0, 4, size).astype(np.uint32)  # few symbols: long repeats
        expected = sorted(range(size), key=lambda i: ids[i:].tolist())
        assert suffix_array(ids).tolist() == expected


def test_the_index_holds_the_corpus_as_the_model_reads_it(fable_index: CorpusIndex) -> None:
    words = [fable_index.vocabulary[i] for i in fable_index.ids.tolist()]
    assert words == tokenize(FABLE.read_text())
    assert fable_index.total == fable_index.tokens == len(words)


def test_counts_and_copies_agree_with_a_brute_force_count(fable_index: CorpusIndex) -> None:
    corpus = tokenize(FABLE.read_text())
    rng = random.Random(1)
    for _ in range(40):
        start = rng.randrange(len(corpus) - 6)
        story = corpus[start : start + rng.randint(1, 5)]
        candidates = ["the", "and", corpus[start + len(story)], "zebra"]
        result = fable_index.following(story, candidates)
        assert 1 <= result.context <= 3
        context = story[-result.context :]
        assert result.counts == [_occurrences(corpus, [*context, c]) for c in candidates]
        assert result.counts[2] >= 1 and result.counts[3] == 0
    # A copied tail is found as long as it is; a word from elsewhere ends it.
    tail = corpus[10:40]
    assert fable_index.copied(tail) >= 30
    assert fable_index.copied([*tail, "zebra"]) == 0
    assert fable_index.copied(["zebra", *corpus[5:9]]) == 4


def test_a_source_line_names_the_file_and_line_and_marks_the_words(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.txt").write_text("The cat sat.\n\nThe dog ran\nto the barn.\n")
    (folder / "b.txt").write_text("A dog ran off.\n")
    index = build_index(read_corpus(folder), TokenizerConfig(), folder)
    places = index.places(["dog", "ran"])
    lines = [index.source(p, 2) for p in places]
    assert [(s.file, s.line, s.match) for s in lines] == [("a.txt", 3, "dog ran"), ("b.txt", 1, "dog ran")]
    assert lines[0].before == "The " and lines[1].after == " off."
    assert index.following(["the", "dog"], ["ran", "sat"]).counts == [1, 0]


def test_the_index_file_round_trips(fable_index: CorpusIndex, tmp_path: Path) -> None:
    path = tmp_path / "fable.index"
    fable_index.save(path)
    again = load_index(path)
    assert again.vocabulary == fable_index.vocabulary
    assert np.array_equal(again.ids, fable_index.ids)
    assert np.array_equal(again.suffixes, fable_index.suffixes)
    assert again.following(["the"], ["hedgehog"]) == fable_index.following(["the"], ["hedgehog"])


def _header_end(data: bytes) -> int:
    (size,) = struct.unpack_from("<I", data, len(MAGIC))
    return len(MAGIC) + 4 + size


@pytest.mark.parametrize(
    "spoil, fragment",
    [
        (lambda d: b"", "not a storyteller corpus index"),
        (lambda d: b"PK\x03\x04" + d[4:], "not a storyteller corpus index"),
        (lambda d: d[:-3], "bytes where its header describes"),
        (lambda d: d + b"\0\0", "bytes where its header describes"),
        (lambda d: MAGIC + struct.pack("<I", 2**31) + d[len(MAGIC) + 4 :], "implausibly large"),
        (lambda d: MAGIC + struct.pack("<I", 5) + b"{nope" + d[_header_end(d) :], "not valid JSON"),
        (lambda d: MAGIC + struct.pack("<I", 2) + b"[]" + d[_header_end(d) :], "does not describe"),
        # Every token id past the vocabulary's end.
        (lambda d: d[: _header_end(d)] + b"\xff" * (len(d) - _header_end(d)), "outside its vocabulary"),
    ],
)
def test_a_spoilt_index_file_is_refused_in_one_sentence(
    fable_index: CorpusIndex,
    tmp_path: Path,
    spoil,
    fragment: str,  # type: ignore[no-untyped-def]
) -> None:
    path = tmp_path / "fable.index"
    fable_index.save(path)
    path.write_bytes(spoil(path.read_bytes()))
    with pytest.raises(IndexFileError, match=fragment) as caught:
        load_index(path)
    assert "\n" not in str(caught.value)


def test_a_suffix_array_that_lies_is_refused(fable_index: CorpusIndex, tmp_path: Path) -> None:
    path = tmp_path / "fable.index"
    for suffixes, fragment in (
        (np.zeros_like(fable_index.suffixes), "not a permutation"),
        (fable_index.suffixes[::-1].copy(), "not sorted"),
    ):
        liar = dataclasses.replace(fable_index, suffixes=suffixes)
        liar.save(path)
        with pytest.raises(IndexFileError, match=fragment):
            load_index(path)


def test_a_model_finds_its_own_index_and_refuses_another_corpus(tmp_path: Path) -> None:
    model_path = tmp_path / "tiny.onnx"
    shutil.copy(TINY_MODEL, model_path)
    model = load(model_path)
    with pytest.raises(IndexFileError, match="has no corpus index"):
        index_for(model)
    build_index(read_corpus(FABLE), model.card.tokenizer).save(index_path(model_path))
    assert index_for(model).count(["the"]) > 0
    other = tmp_path / "other.txt"
    other.write_text("Another text altogether, about ships.\n")
    build_index(read_corpus(other), model.card.tokenizer).save(index_path(model_path))
    with pytest.raises(IndexFileError, match="another text"):
        index_for(model)


def test_an_index_is_loaded_once_for_all_its_readers_and_again_once_rewritten(tmp_path: Path) -> None:
    model_path = tmp_path / "tiny.onnx"
    shutil.copy(TINY_MODEL, model_path)
    model = load(model_path)
    build_index(read_corpus(FABLE), model.card.tokenizer).save(index_path(model_path))
    first = index_for(model)
    assert index_for(model) is first  # the corpus aids and the corpus counts share one copy
    build_index(read_corpus(FABLE), model.card.tokenizer).save(index_path(model_path))  # rebuilt
    again = index_for(model)
    assert again is not first and np.array_equal(again.suffixes, first.suffixes)


def test_the_shared_runs_are_every_maximal_run_a_brute_force_finds(fable_index: CorpusIndex) -> None:
    from storyteller.cli_sources import shared_runs

    corpus = tokenize(FABLE.read_text())
    grams = {tuple(corpus[i : i + n]) for n in range(1, 40) for i in range(len(corpus) - n + 1)}
    rng = random.Random(2)
    for _ in range(10):
        story: list[str] = []
        while len(story) < 60:  # pieces of the fable, and words from elsewhere
            start = rng.randrange(len(corpus) - 10)
            story += corpus[start : start + rng.randint(1, 12)] + rng.choice([[], ["zebra"], ["the"]])
        longest = []
        for i in range(len(story)):
            n = 0
            while i + n < len(story) and tuple(story[i : i + n + 1]) in grams:
                n += 1
            longest.append(n)
        maximal = {(i, n) for i, n in enumerate(longest) if n and (i == 0 or i + n > i - 1 + longest[i - 1])}
        found = {(start, length) for _, start, length in shared_runs(fable_index, story, minimum=0)}
        assert found == maximal
