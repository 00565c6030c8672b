"""The training data path streams: a corpus read in pieces gives the ids of the whole, kept on disk."""

from __future__ import annotations

import itertools
import math
import tracemalloc
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest

from storyteller.engine import TokenizerConfig, read_corpus, tokenize
from storyteller.engine.corpus import held_out_chunk
from storyteller.engine.vocab import UNKNOWN_ID

pytest.importorskip("torch")

from training import data as data_module
from training import evaluate as evaluate_module
from training.data import as_unknown, build_dataset, rarest_words, stream_batches, stream_targets
from training.evaluate import evaluate_baselines

pytestmark = pytest.mark.torch

CORPUS = Path(__file__).parents[1] / "training" / "corpus"


@pytest.fixture(scope="module")
def corpus():  # type: ignore[no-untyped-def]
    return read_corpus(CORPUS)


def test_pieces_small_or_large_give_the_same_dataset_as_the_whole_text(corpus, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    whole = build_dataset(corpus.text, TokenizerConfig(), 3, 0.1)
    monkeypatch.setattr(data_module, "CHUNK_TOKENS", 1000)  # many chunks of ids as well
    pieces = build_dataset(corpus.blocks(size=300), TokenizerConfig(), 3, 0.1)
    assert pieces.vocabulary == whole.vocabulary
    assert np.array_equal(pieces.train, whole.train)
    assert all(np.array_equal(a, b) for a, b in zip(pieces.held_out, whole.held_out, strict=True))
    assert pieces.tokens == whole.tokens == len(tokenize(corpus.text))
    assert pieces.words == whole.words > 0


def test_training_ids_are_a_compact_memory_map_and_held_out_text_is_int64(corpus) -> None:  # type: ignore[no-untyped-def]
    data = build_dataset(corpus.blocks(), TokenizerConfig(), 3, 0.1)
    assert isinstance(data.train, np.memmap) and data.train.dtype == np.uint16
    assert all(chunk.dtype == np.int64 for chunk in data.held_out)
    assert all(chunk.dtype == np.int64 for chunk in data.eval_chunks())


def _peak_while_building(path: Path, paragraphs: int) -> tuple[int, int]:
    """Python's peak allocation while a text of ``paragraphs`` × 50,000 words becomes ids; and its size."""
    words = [f"w{i}" for i in range(5000)]
    rng = np.random.default_rng(0)
    with path.open("w") as out:
        for _ in range(paragraphs):
            out.write(" ".join(rng.choice(words, 50_000)) + ".\n\n")
    corpus = read_corpus(path)
    tracemalloc.start()
    try:
        build_dataset(corpus.blocks(), TokenizerConfig(), 3, 0.1)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, path.stat().st_size


def test_building_the_dataset_takes_the_same_memory_for_twice_the_text(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(data_module, "CHUNK_TOKENS", 1 << 16)  # both texts span many chunks and blocks
    peak, size = _peak_while_building(tmp_path / "one.txt", 8)
    peak_twice, size_twice = _peak_while_building(tmp_path / "two.txt", 16)
    assert size_twice > 2 * size * 0.99
    # A few megabytes for the piece of text in hand and its ids, however long the text is.
    assert peak < 20e6, f"{peak / 1e6:.1f} MB for {size / 1e6:.1f} MB of text"
    assert peak_twice < peak * 1.25, f"{peak / 1e6:.1f} MB, then {peak_twice / 1e6:.1f} MB for twice the text"


def test_a_huge_corpus_holds_out_at_most_half_a_million_tokens() -> None:
    assert held_out_chunk(1_000_000, 0.1) == 10_000
    assert held_out_chunk(100_000_000, 0.1) == 50_000


def reference_baselines(train: np.ndarray, chunks: list[np.ndarray], vocab: int) -> dict[str, float]:
    """The bigram baseline's perplexity and top-1, counted the plain way with dictionaries."""
    unigram = np.bincount(train, minlength=vocab) + 1.0
    unigram /= unigram.sum()
    following: dict[int, Counter[int]] = defaultdict(Counter)
    for a, b in itertools.pairwise(train.tolist()):
        following[a][b] += 1

    def p(a: int, b: int) -> float:
        total = sum(following[a].values())
        if not total:
            return float(unigram[b])
        return 0.8 * following[a][b] / total + 0.2 * float(unigram[b])

    top_unigram = set(np.argsort(-unigram, kind="stable")[:5].tolist())
    nll = hits = count = 0.0
    for chunk in chunks:
        for a, b in itertools.pairwise(chunk.tolist()):
            best = min(top_unigram | set(following[a]), key=lambda w: (-p(a, w), w))
            nll -= math.log(p(a, b))
            hits += best == b
            count += 1
    return {"perplexity": math.exp(nll / count), "top1": hits / count}


def test_the_bigram_baseline_counted_in_chunks_matches_plain_counting(corpus, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    data = build_dataset(corpus.blocks(), TokenizerConfig(), 3, 0.1)
    train = np.asarray(data.train, np.int64)
    expected = reference_baselines(train, data.held_out, len(data.vocabulary))
    monkeypatch.setattr(data_module, "CHUNK_TOKENS", 777)  # chunk edges inside the text
    monkeypatch.setattr(evaluate_module, "RANGE_POSITIONS", 2000)  # and many ranges of predecessors
    got = evaluate_baselines(data.train, data.held_out, len(data.vocabulary), 3)["bigram"]
    assert got["perplexity"] == pytest.approx(expected["perplexity"], rel=1e-12)
    assert got["top1"] == expected["top1"]


@pytest.mark.parametrize(
    ("length", "batch", "offset"), [(1000, 16, 0), (1000, 16, 7), (50, 16, 3), (9, 4, 0)]
)
def test_each_pieces_targets_are_where_the_stream_places_them(length: int, batch: int, offset: int) -> None:
    ids = np.random.default_rng(length).permutation(length)  # each id says where it stands
    pieces = list(stream_batches(ids, batch, 8, offset))
    places = list(stream_targets(length, batch, 8, offset))
    assert len(places) == len(pieces) > 0
    for (x, y), where in zip(pieces, places, strict=True):
        assert np.array_equal(ids[where], y) and np.array_equal(ids[where - 1], x)


def test_the_rarest_words_are_those_the_text_has_least_and_never_a_special_one() -> None:
    text = np.array([1, 0, 0, 4, 4, 5, 5, 5, 6, 6], np.uint16)  # <unk> (0) and <p> (1) are rarer
    assert np.flatnonzero(rarest_words(text, 8)).tolist() == [4, 6]  # 7 is not in the text at all
    assert np.flatnonzero(rarest_words(np.append(text, [2, 3]), 8)).tolist() == [2, 3]
    assert not rarest_words(np.array([0, 1, 1], np.uint16), 8).any()


def test_a_share_of_the_rarest_words_is_read_as_unknown_alike_at_each_place_anew_each_salt() -> None:
    ids = np.random.default_rng(0).integers(1, 50, 100_000).astype(np.uint16)
    places = np.arange(len(ids))
    rarest = np.zeros(50, bool)
    rarest[10:20] = True
    is_rare = rarest[ids]
    read, unknown = as_unknown(ids, places, rarest, 0.5, salt=1)
    assert read.dtype == ids.dtype
    assert np.array_equal(unknown, read != ids) and not unknown[~is_rare].any()
    assert (read[unknown] == UNKNOWN_ID).all()
    assert abs(unknown[is_rare].mean() - 0.5) < 0.02
    # A place is read alike however the text is cut into pieces (a target, then the next input)...
    for start, stop in ((0, 31), (17, 5_000), (40_000, 40_001)):
        piece, _ = as_unknown(ids[start:stop], places[start:stop], rarest, 0.5, salt=1)
        assert np.array_equal(piece, read[start:stop])
    # ...and another pass (another salt) draws anew, independently of the first.
    _, again = as_unknown(ids, places, rarest, 0.5, salt=2)
    assert abs(again[is_rare].mean() - 0.5) < 0.02 and abs((unknown & again)[is_rare].mean() - 0.25) < 0.02
    assert not as_unknown(ids, places, rarest, 0.0, salt=1)[1].any()
    assert np.array_equal(as_unknown(ids, places, rarest, 1.0, salt=1)[1], is_rare)
