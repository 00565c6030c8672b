"""The corpus counts: their distribution against a brute-force count, the weight a stranger's card
gives them, and the predictor, the scorer and a replay mixing them alike."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from storyteller.engine import Model, Predictor, load, tokenize
from storyteller.engine.cache import Memory
from storyteller.engine.corpus import read_corpus
from storyteller.engine.corpus_index import CONTEXT
from storyteller.engine.counts import DISCOUNT, CorpusCounts, counts_for, counts_weight
from storyteller.engine.index_build import build_index
from storyteller.engine.model import METADATA_KEY
from storyteller.engine.replay import replay
from storyteller.engine.sampling import softmax
from storyteller.engine.scoring import score_ids
from storyteller.engine.story import load_story
from storyteller.engine.tokenizer import PARAGRAPH, TokenizerConfig
from storyteller.engine.vocab import UNKNOWN_ID, Vocabulary
from training.counts import left_out_probabilities

from .conftest import FABLE, TINY_MODEL

WORDS = Vocabulary(["<unk>", "<p>", "a", "b", "c", "d"])


def _brute_force(text: list[int], context: list[int], size: int, left_out: int = -1) -> np.ndarray:
    """Interpolated absolute discounting, counted with lists: what followed each tail of ``context``
    (but the token at ``left_out``)."""
    probs = np.full(size, 1.0 / size)
    for order in range(len(context) + 1):
        tail = tuple(context[len(context) - order :])
        followers = Counter(
            text[i + order]
            for i in range(len(text) - order)
            if tuple(text[i : i + order]) == tail and i + order != left_out
        )
        if not followers:
            break
        total = sum(followers.values())
        counts = np.array([followers.get(w, 0) for w in range(size)], np.float64)
        probs = np.maximum(counts - DISCOUNT, 0) / total + DISCOUNT * len(followers) / total * probs
    return probs


def test_a_hand_worked_example() -> None:
    counts = CorpusCounts.of_ids(np.array([1, 2, 3, 2, 4, 2, 3]), WORDS)  # <p> a b a c a b
    # Unigram: a 3, b 2, <p> 1, c 1 of 7; 4 distinct take 0.75 each down to uniform (1/6).
    unigram = np.array([0, 0.25, 2.25, 1.25, 0.25, 0]) / 7 + 3 / 7 / 6
    assert counts.probabilities([]) == pytest.approx(unigram)
    # After "a": b twice, c once; 2 distinct hand 0.5 of the mass to the unigram.
    after_a = counts.probabilities([2])
    assert after_a[3] == pytest.approx(1.25 / 3 + 0.5 * unigram[3])
    assert after_a[2] == pytest.approx(0.5 * unigram[2])  # "a a" was never seen
    # The corpus ends on "b": only its first occurrence is followed, by "a".
    after_b = counts.probabilities([3])
    assert after_b[2] == pytest.approx(0.25 + 0.75 * unigram[2])


@pytest.mark.parametrize("seed", range(6))
def test_every_order_agrees_with_a_brute_force_count(seed: int) -> None:
    rng = np.random.default_rng(seed)
    text = rng.integers(0, 6, int(rng.integers(20, 200))).tolist()
    counts = CorpusCounts.of_ids(np.array(text), WORDS)
    for _ in range(30):
        start = int(rng.integers(0, len(text) - 3))
        context = text[start : start + int(rng.integers(0, 4))]
        if rng.random() < 0.3 and context:
            context[0] = int(rng.integers(0, 6))  # a context the text may lack
        probs = counts.probabilities(context)
        assert probs.sum() == pytest.approx(1.0)
        assert probs == pytest.approx(_brute_force(text, context, 6))


@pytest.mark.parametrize("seed", range(3))
def test_each_training_word_gets_what_the_counts_give_it_when_it_is_left_out(seed: int) -> None:
    text = np.random.default_rng(seed).integers(0, 4, 80).tolist()  # few words: contexts recur
    got = left_out_probabilities(np.array(text), 6)
    for t, word in enumerate(text):
        context = text[max(0, t - CONTEXT) : t]
        assert got[t] == pytest.approx(_brute_force(text, context, 6, left_out=t)[word], rel=1e-5)
        # Left out, a word gets less than the counts that include it give it.
        assert got[t] < _brute_force(text, context, 6)[word]


def test_a_text_of_one_word_leaves_only_the_uniform_distribution() -> None:
    assert left_out_probabilities(np.array([3]), 8).tolist() == [0.125]


def test_a_token_the_corpus_lacks_cuts_the_context_there() -> None:
    counts = CorpusCounts.of_ids(np.array([1, 2, 3, 2, 4, 2, 3]), WORDS)
    assert counts.probabilities([-1, 2]) == pytest.approx(counts.probabilities([2]))
    assert counts.probabilities([2, -1]) == pytest.approx(counts.probabilities([]))


def test_a_corpus_word_the_model_lacks_counts_as_unknown() -> None:
    index = build_index(read_corpus(FABLE), TokenizerConfig())
    words = tokenize(FABLE.read_text())
    known = Vocabulary(["<unk>", "<p>", *[w for w, _ in Counter(words).most_common(10) if w != PARAGRAPH]])
    counts = CorpusCounts(index, known)
    probs = counts.probabilities([])
    assert len(probs) == len(known) and probs.sum() == pytest.approx(1.0)
    lacked = sum(1 for w in words if w not in known)
    assert probs[UNKNOWN_ID] > (lacked - DISCOUNT) / len(words)


@pytest.mark.parametrize(
    ("field", "weight"),
    [
        (None, 0.0),
        ({}, 0.0),
        ({"weight": 0.25}, 0.25),
        ({"weight": True}, 0.0),
        ({"weight": "0.2"}, 0.0),
        ({"weight": float("nan")}, 0.0),
        ({"weight": -0.1}, 0.0),
        ({"weight": 1.0}, 0.0),
        ([0.2], 0.0),
    ],
)
def test_the_weight_a_strangers_card_gives_is_used_only_when_sound(field: object, weight: float) -> None:
    cache = {} if field is None else {"counts": field}
    assert counts_weight(cache) == weight


def _weighted(model: Model, weight: float) -> Model:
    cache = {**model.card.cache, "counts": {"weight": weight}}
    return Model(model.session, dataclasses.replace(model.card, cache=cache), sha256="weighted")


@pytest.fixture(scope="module")
def fable_counts(tiny_model: Model) -> CorpusCounts:
    return CorpusCounts(build_index(read_corpus(FABLE), tiny_model.card.tokenizer), tiny_model.vocabulary)


def test_the_predictor_mixes_the_counts_in_at_the_cards_weight_with_the_memory(
    tiny_model: Model, fable_counts: CorpusCounts
) -> None:
    model = _weighted(tiny_model, 0.3)
    memory = Memory(words=50, weight=0.0, scale=1.0)  # on, but weighing nothing: the counts alone show
    predictor = Predictor(model, memory=memory, counts=fable_counts)
    predictor.feed(["the", "hedgehog"])
    counted = fable_counts.probabilities(fable_counts.index.ids_of([PARAGRAPH, "the", "hedgehog"]))
    expected = 0.7 * softmax(predictor.logits()) + 0.3 * counted
    assert predictor.probabilities() == pytest.approx(expected)
    token = predictor.candidates(1)[0].token
    assert predictor.score([token])[0][0] == pytest.approx(expected[model.vocabulary.id(token)])
    # The counts go with the memory: without it, or at no weight, the network reads alone.
    alone = Predictor(model, counts=fable_counts)
    alone.feed(["the", "hedgehog"])
    assert alone.counts is None and alone.probabilities() == pytest.approx(softmax(alone.logits()))
    assert Predictor(_weighted(tiny_model, 0.0), memory=memory, counts=fable_counts).counts is None


def test_the_scorer_and_the_predictor_give_every_word_the_same_probability(
    tiny_model: Model, fable_counts: CorpusCounts
) -> None:
    model = _weighted(tiny_model, 0.4)
    memory = Memory(words=100, weight=0.2, scale=1.0)  # holds every word: each one scored mixed
    tokens = tokenize(FABLE.read_text())[:60]
    predictor = Predictor(model, memory=memory, counts=fable_counts)
    scored = [p for p, _ in predictor.score(tokens)]
    tally = score_ids(model, model.vocabulary.encode(tokens).tolist(), memory, 0, fable_counts, tokens)
    known = [p for p in scored if p is not None]
    assert len(known) == len(tokens)  # the tiny model knows the whole fable
    assert tally.nll_remembered == pytest.approx(-np.log(known).sum(), rel=1e-6)
    plain = score_ids(model, model.vocabulary.encode(tokens).tolist(), memory, 0)
    assert tally.nll_remembered < plain.nll_remembered  # the fable's own counts know it better


def _model_file(folder: Path, weight: float, index: bool = True) -> Path:
    onnx = pytest.importorskip("onnx")
    proto = onnx.load(TINY_MODEL)
    for entry in proto.metadata_props:
        if entry.key == METADATA_KEY:
            card = json.loads(entry.value)
            card["cache"] = {"counts": {"weight": weight}}
            entry.value = json.dumps(card)
    path = folder / "weighted.onnx"
    onnx.save(proto, path)
    if index:
        model = load(path)
        build_index(read_corpus(FABLE), model.card.tokenizer).save(path.with_suffix(".index"))
    return path


def test_a_model_file_with_an_index_and_a_weight_gets_its_counts(tmp_path: Path) -> None:
    counts = counts_for(load(_model_file(tmp_path, 0.2)))
    assert counts is not None and counts.index.tokens > 100


def test_without_an_index_or_a_weight_there_are_no_counts_and_a_spoilt_index_gives_none(
    tmp_path: Path,
) -> None:
    for weight, index in ((0.2, False), (0.0, True), (0.2, True)):
        folder = tmp_path / f"{weight}-{index}"
        folder.mkdir()
        path = _model_file(folder, weight, index)
        if index:
            path.with_suffix(".index").write_bytes(b"spoilt")
        # No index, or no weight (the index is not even read), or one refused (the aids say why).
        assert counts_for(load(path)) is None


async def test_the_writer_mixes_the_counts_in_and_a_replay_holds_only_with_them(tmp_path: Path) -> None:
    from storyteller.app import StorytellerApp
    from storyteller.session import WriterSettings

    from .test_app import SIZE, settle, write

    model = load(_model_file(tmp_path, 0.3))
    app = StorytellerApp(model, tmp_path, WriterSettings(pace=0, seed=5, length=5))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await write(pilot, "the hedgehog filled the kettle")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("ctrl+q")
        await pilot.pause()
    (path,) = (tmp_path / "stories").glob("*.json")
    story = load_story(path)
    report = replay(story, model)
    assert report.holds and report.checked > 5
    # The writer's probabilities were the mixed ones: the network and memory alone give others.
    assert replay(story, load(TINY_MODEL)).largest_difference > 1e-3


def test_score_names_the_counts_it_mixed_in(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from storyteller.cli import main

    path = _model_file(tmp_path, 0.3)
    assert main(["score", str(FABLE), "--model", str(path)]) == 0
    out = capsys.readouterr().out
    assert "memory+counts" in out and "corpus counts:" in out and "weight 0.3" in out
    assert main(["score", str(FABLE), "--model", str(path), "--no-cache"]) == 0
    out = capsys.readouterr().out
    assert "memory+counts" not in out and "corpus counts" not in out
