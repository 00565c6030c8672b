"""The story's phrases: their distribution against a brute-force count over the window, kept
right as a story grows and is cut, the weight a stranger's card gives them, and the predictor
and the scorer mixing them alike."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from storyteller.engine import Model, Predictor, tokenize
from storyteller.engine.cache import Memory, memory_for, part_weight
from storyteller.engine.corpus_index import CONTEXT
from storyteller.engine.model import METADATA_KEY
from storyteller.engine.phrases import DISCOUNT, Phrases, phrase_terms
from storyteller.engine.sampling import softmax
from storyteller.engine.scoring import score_ids

from .conftest import FABLE, TINY_MODEL

SIZE = 7


def _brute_force(ids: list[int], end: int, words: int, base: np.ndarray) -> np.ndarray:
    """The phrases' own distribution after ``ids[:end]``, counted with lists over the positions
    [end - words, end), backing off to ``base``."""
    positions = range(max(1, end - words), end)
    probs = base
    for order in range(min(CONTEXT, end) + 1):
        tail = ids[end - order : end]
        followers = Counter(ids[p] for p in positions if p >= order and ids[p - order : p] == tail)
        if not followers:
            break
        total = sum(followers.values())
        counts = np.array([followers.get(w, 0) for w in range(len(base))], np.float64)
        probs = np.maximum(counts - DISCOUNT, 0) / total + DISCOUNT * len(followers) / total * probs
    return probs


def _base(seed: int) -> np.ndarray:
    base = np.random.default_rng(seed).random(SIZE) + 0.1
    return base / base.sum()


def test_a_hand_worked_example() -> None:
    ids = [0, 2, 3, 2, 3, 2]
    phrases = Phrases(words=100, weight=0.5)
    phrases.read(ids)
    base = np.full(SIZE, 1 / SIZE)
    three = np.eye(SIZE)[3]
    # Before any context: 2 three times, 3 twice (of 5, 2 kinds: 0.75 · 2/5 left to the base).
    unigram = (2.25 * np.eye(SIZE)[2] + 1.25 * three) / 5 + 0.3 * base
    after_2 = 1.25 / 2 * three + 0.375 * unigram  # after 2: 3 twice
    after_3_2 = 0.25 * three + 0.75 * after_2  # after 3 2: 3 once
    after_2_3_2 = 0.25 * three + 0.75 * after_3_2  # after 2 3 2: 3 once
    mixed, recalled = phrases.mixed(base)
    np.testing.assert_allclose(mixed, 0.5 * base + 0.5 * after_2_3_2)
    assert mixed.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(recalled, 0.5 * (after_2_3_2 - 0.3 * 0.375 * 0.75 * 0.75 * base))


@pytest.mark.parametrize("seed", range(4))
def test_growing_and_cutting_a_story_counts_what_a_brute_force_count_of_the_window_does(seed: int) -> None:
    rng = np.random.default_rng(seed)
    words = int(rng.integers(3, 12))
    phrases = Phrases(words, weight=0.3)
    ids = [1]
    for _ in range(60):
        if rng.random() < 0.3 and len(ids) > 1:  # cut back some way, then write something else
            end = int(rng.integers(1, len(ids)))
            phrases.cut(end)
            del ids[end:]
        ids.extend(int(i) for i in rng.integers(0, 4, int(rng.integers(1, 2 * words))))  # few ids: repeats
        phrases.read(ids)
        base = _base(len(ids))
        expected = _brute_force(ids, len(ids), words, base)
        mixed, recalled = phrases.mixed(base)
        np.testing.assert_allclose(mixed, 0.7 * base + 0.3 * expected, atol=1e-12)
        assert np.all(recalled >= 0) and np.all(recalled <= mixed + 1e-15)
        for target in range(SIZE):
            a, b = phrases.terms(target)
            assert a + b * base[target] == pytest.approx(expected[target])


def test_the_bulk_terms_are_each_positions_reading() -> None:
    rng = np.random.default_rng(5)
    ids = [int(i) for i in rng.integers(0, 5, 80)]
    a, b = phrase_terms(ids, 20)
    base = _base(0)
    for end in range(1, len(ids)):
        expected = _brute_force(ids, end, 20, base)[ids[end]]
        assert a[end - 1] + b[end - 1] * base[ids[end]] == pytest.approx(expected)


def test_reading_a_story_that_went_back_without_a_cut_is_refused() -> None:
    phrases = Phrases(10, 0.2)
    phrases.read([1, 2, 3, 4])
    with pytest.raises(ValueError, match="without cut"):
        phrases.read([1, 2])


@pytest.mark.parametrize(
    ("field", "weight"),
    [
        ({"phrases": {"weight": 0.1}}, 0.1),
        ({"phrases": {"weight": 1.0}}, 0.0),
        ({"phrases": {"weight": -0.1}}, 0.0),
        ({"phrases": {"weight": float("nan")}}, 0.0),
        ({"phrases": {"weight": True}}, 0.0),
        ({"phrases": {"weight": "0.1"}}, 0.0),
        ({"phrases": [0.1]}, 0.0),
        ({}, 0.0),
    ],
)
def test_the_weight_a_strangers_card_gives_is_used_only_when_sound(field: object, weight: float) -> None:
    assert part_weight(field, "phrases") == weight  # type: ignore[arg-type]
    assert memory_for({"weight": 0.1, "scale": 0.3, **field}).phrases == weight  # type: ignore[dict-item]
    assert memory_for(field).phrases == 0.0  # type: ignore[arg-type]  # no fitted memory: no phrases


def test_the_predictor_mixes_the_phrases_in_and_marks_what_they_offer(tiny_model: Model) -> None:
    memory = Memory(words=50, weight=0.0, scale=1.0, phrases=0.4)  # the memory weighing nothing
    tokens = tokenize("the cat carried a thimble to the stove . the cat carried a")
    predictor = Predictor(tiny_model, memory=memory)
    predictor.feed(tokens)
    ids = [1, *tiny_model.vocabulary.encode(tokens).tolist()]
    network = softmax(predictor.logits())
    expected = 0.6 * network + 0.4 * _brute_force(ids, len(ids), 50, network)
    np.testing.assert_allclose(predictor.probabilities(), expected, atol=1e-9)
    thimble = next(c for c in predictor.candidates(10) if c.token == "thimble")
    assert thimble.from_memory  # the story wrote "thimble" after "the cat carried a"
    assert not any(c.from_memory for c in predictor.candidates(20) if c.token not in tokens)
    # Without the memory, or with no weight on the card, there are no phrases.
    alone = Predictor(tiny_model)
    alone.feed(tokens)
    np.testing.assert_allclose(alone.probabilities(), network, atol=1e-9)


def test_going_back_and_writing_otherwise_gives_what_a_fresh_reading_gives(tiny_model: Model) -> None:
    fable = tokenize(FABLE.read_text())
    memory = Memory(words=30, weight=0.2, scale=1.0, phrases=0.3)
    predictor = Predictor(tiny_model, memory=memory)
    for story in (fable[:120], fable[:80] + fable[150:200], fable[:81], fable[:40] + fable[:90], fable[:200]):
        predictor.sync(story)
        fresh = Predictor(tiny_model, memory=memory)
        fresh.feed(story)
        np.testing.assert_allclose(predictor.probabilities(), fresh.probabilities(), atol=1e-9)


def test_the_scorer_and_the_predictor_give_every_word_the_same_probability(tiny_model: Model) -> None:
    memory = Memory(words=100, weight=0.2, scale=1.0, phrases=0.3)
    tokens = tokenize(FABLE.read_text())[:80]
    predictor = Predictor(tiny_model, memory=memory)
    scored = [p for p, _ in predictor.score(tokens)]
    assert all(p is not None for p in scored)  # the tiny model knows the whole fable
    ids = tiny_model.vocabulary.encode(tokens).tolist()
    tally = score_ids(tiny_model, ids, memory, 0)
    assert tally.nll_remembered == pytest.approx(-np.log(scored).sum(), rel=1e-6)
    without = score_ids(tiny_model, ids, Memory(words=100, weight=0.2, scale=1.0), 0)
    assert tally.nll_remembered != pytest.approx(without.nll_remembered)


def test_score_names_the_phrases_it_mixed_in(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    onnx = pytest.importorskip("onnx")
    from storyteller.cli import main

    proto = onnx.load(TINY_MODEL)
    for entry in proto.metadata_props:
        if entry.key == METADATA_KEY:
            card = json.loads(entry.value)
            card["cache"] = {"weight": 0.1, "scale": 0.3, "phrases": {"weight": 0.15}}
            entry.value = json.dumps(card)
    path = tmp_path / "phrases.onnx"
    onnx.save(proto, path)
    assert main(["score", str(FABLE), "--model", str(path)]) == 0
    assert "the story's phrases: what followed its last words there, weight 0.15" in capsys.readouterr().out
    assert main(["score", str(FABLE), "--model", str(path), "--no-cache"]) == 0
    assert "the story's phrases" not in capsys.readouterr().out
