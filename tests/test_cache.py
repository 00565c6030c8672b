"""The story's memory: the mixed distribution, its keys across going back, names offered by form."""

from __future__ import annotations

import numpy as np
import pytest

from storyteller.engine import ModelCard, Predictor, SamplingConfig, tokenize
from storyteller.engine.cache import (
    DEFAULT_SCALE,
    DEFAULT_WEIGHT,
    RAMP,
    Memory,
    attention,
    memory_for,
    mix,
    remembered_targets,
    share,
    shares,
)
from storyteller.engine.sampling import softmax
from storyteller.engine.vocab import PARAGRAPH_ID, UNKNOWN_ID

from .conftest import FABLE

STRONG = Memory(words=50, weight=0.6, scale=2.0)
"""A memory strong enough that what it holds shows in the tiny model's candidates."""


def _fable(count: int) -> list[str]:
    return tokenize(FABLE.read_text())[:count]


def test_the_mixture_is_a_distribution_and_unknown_forms_share_the_memorys_unk_mass() -> None:
    probs = np.array([0.2, 0.1, 0.3, 0.4])  # <unk>, <p>, two words
    weights = np.array([0.5, 0.25, 0.25])
    values = np.array([UNKNOWN_ID, 3, UNKNOWN_ID])
    mixed = mix(probs, weights, values, np.array([2, 1]), ["<unk>", "zorb", "quillibet"], 0.2)
    assert mixed.forms == ("zorb", "quillibet")  # by their numbers
    assert mixed.probs.sum() == pytest.approx(1.0)
    assert mixed.probs[UNKNOWN_ID] == pytest.approx(0.8 * 0.2)  # the network's own <unk> share only
    assert mixed.probs[3] == pytest.approx(0.8 * 0.4 + 0.2 * 0.25)
    assert mixed.scored(UNKNOWN_ID, "quillibet") == (pytest.approx(0.2 * 0.5), 3)
    assert mixed.scored(UNKNOWN_ID, "never-seen") == (None, None)
    assert mixed.from_memory(5) and not mixed.from_memory(3)


def test_a_card_without_fitted_values_gets_the_defaults_and_bad_ones_are_ignored() -> None:
    assert memory_for({}) == Memory(weight=DEFAULT_WEIGHT, scale=DEFAULT_SCALE, fitted=False)
    assert memory_for({"weight": 0.25, "scale": 0.5}, 100) == Memory(100, 0.25, 0.5, fitted=True)
    assert not memory_for({"weight": 2.0, "scale": 0.5}).fitted
    assert not memory_for({"weight": True, "scale": float("nan")}).fitted


def test_the_card_keeps_its_cache_field_through_json(tiny_model) -> None:  # type: ignore[no-untyped-def]
    card = ModelCard.from_json(tiny_model.card.to_json())
    assert card.cache == {}
    fitted = ModelCard(**{**card.__dict__, "cache": {"weight": 0.1, "scale": 0.2}})
    assert ModelCard.from_json(fitted.to_json()).cache == {"weight": 0.1, "scale": 0.2}


def _states(model, ids: list[int]) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The top layer's output after each id, read one at a time."""
    state, rows = None, []
    for token_id in ids:
        _, state = model.run(np.array([[token_id]], np.int64), state)
        rows.append(state[0][-1, 0].copy())
    return np.stack(rows)


def test_the_predictors_memory_is_the_formula_over_the_states_before(tiny_model) -> None:  # type: ignore[no-untyped-def]
    tokens = _fable(40)
    ids = [PARAGRAPH_ID, *tiny_model.vocabulary.encode(tokens)]
    memory = Memory(words=8, weight=0.3, scale=1.5)
    predictor = Predictor(tiny_model, memory=memory)
    predictor.feed(tokens)
    states = _states(tiny_model, ids)
    logits, _ = tiny_model.run(np.array([ids], np.int64))
    net = softmax(logits[0, -1])
    t = len(ids) - 1
    weights = attention(states[t], states[t - 8 : t], 1.5)
    weight = 0.3 * 8 / (8 + RAMP)  # the memory holds 8 positions
    expected = (1 - weight) * net + weight * np.bincount(ids[t - 7 : t + 1], weights, minlength=len(net))
    got = predictor.distribution().probs
    assert predictor.distribution().forms == ()
    np.testing.assert_allclose(got, expected, atol=1e-6)
    # The bulk form used to fit and to score texts agrees with the predictor.
    bulk = remembered_targets(states[:-1], np.array(ids[1:]), [1.5], 8)
    predictor = Predictor(tiny_model, memory=memory)
    scores = [predictor.score([token])[0] for token in tokens]  # a word at a time, as typed
    rows = np.stack([softmax(row) for row in logits[0, :-1]])
    ramped = shares(0.3, t, 8)
    mixed = (1 - ramped) * rows[np.arange(t), ids[1:]] + ramped * np.nan_to_num(bulk[0])
    known = [i for i, token_id in enumerate(ids[1:]) if token_id != UNKNOWN_ID and i > 0]
    np.testing.assert_allclose([scores[i][0] for i in known], mixed[known], atol=1e-5)


def test_going_back_and_forth_gives_what_a_fresh_reading_gives(tiny_model) -> None:  # type: ignore[no-untyped-def]
    tokens = _fable(260)
    memory = Memory(words=30, weight=0.3, scale=1.0)
    predictor = Predictor(tiny_model, memory=memory)
    for stop in (200, 120, 250, 249, 10, 260, 75):
        predictor.sync(tokens[:stop])
        fresh = Predictor(tiny_model, memory=memory)
        fresh.feed(tokens[:stop])
        np.testing.assert_allclose(predictor.probabilities(), fresh.probabilities(), atol=1e-6)


@pytest.mark.usefixtures("full_share")
def test_a_name_typed_once_is_offered_and_written_from_memory(tiny_model) -> None:  # type: ignore[no-untyped-def]
    tokens = tokenize("the hedgehog said to Quillibet . the hedgehog said to")
    predictor = Predictor(tiny_model, memory=STRONG)
    assert predictor.feed(tokens) == ["quillibet"]
    offered = {c.token: c for c in predictor.candidates(10)}
    assert "quillibet" in offered and offered["quillibet"].from_memory
    assert offered["quillibet"].id == UNKNOWN_ID


@pytest.mark.usefixtures("full_share")
def test_the_model_writes_a_remembered_name_and_a_replay_scores_it_the_same(tiny_model) -> None:  # type: ignore[no-untyped-def]
    tokens = tokenize("Quillibet Quillibet Quillibet")
    predictor = Predictor(tiny_model, memory=STRONG)
    predictor.feed(tokens)
    written = next(predictor.generate(1, SamplingConfig(greedy=True, repetition_penalty=1.0)))
    assert written.token == "quillibet" and 0 < written.probability < 1
    again = Predictor(tiny_model, memory=STRONG)
    assert again.score([*tokens, "quillibet"])[-1] == (pytest.approx(written.probability), written.rank)


def test_without_memory_an_unknown_word_is_never_offered(tiny_model) -> None:  # type: ignore[no-untyped-def]
    predictor = Predictor(tiny_model)
    predictor.feed(tokenize("the hedgehog said to Quillibet . the hedgehog said to"))
    assert "quillibet" not in [c.token for c in predictor.candidates(50)]
    assert predictor.score(["quillibet"]) == [(None, None)]


def test_a_window_leaves_no_memory(tiny_model) -> None:  # type: ignore[no-untyped-def]
    assert Predictor(tiny_model, window=3, memory=STRONG).memory is None


def test_a_long_text_is_scored_with_the_memory_only_near_its_end(tiny_model) -> None:  # type: ignore[no-untyped-def]
    tokens = _fable(100)
    memory = Memory(words=20, weight=0.3, scale=1.0)
    predictor = Predictor(tiny_model, memory=memory)
    assert predictor.unremembered(100) == 80 and predictor.unremembered(20) == 0
    assert Predictor(tiny_model).unremembered(100) == 100
    scores = predictor.score(tokens)
    network = Predictor(tiny_model).score(tokens)
    assert scores[:80] == pytest.approx(network[:80])
    stepwise = Predictor(tiny_model, memory=memory)
    stepwise.feed(tokens[:80])
    assert scores[80:] == pytest.approx(stepwise.score(tokens[80:]))
    assert scores[80:] != pytest.approx(network[80:])
    np.testing.assert_allclose(predictor.probabilities(), stepwise.probabilities(), atol=1e-6)


def test_a_story_of_a_few_words_leans_little_on_its_memory(tiny_model) -> None:  # type: ignore[no-untyped-def]
    # After "a fox saw a", the one position that followed an "a" must not take the memory's whole
    # share: the memory holds four positions, so its share is a small part of λ.
    predictor = Predictor(tiny_model, memory=STRONG)
    predictor.feed(tokenize("a fox saw a"))
    short = predictor.distribution().remembered.sum()
    assert short == pytest.approx(share(0.6, 4)) and short < 0.6 / 5
    predictor.feed(_fable(200))
    assert predictor.distribution().remembered.sum() == pytest.approx(share(0.6, 50))
    assert share(0.6, 50) > 0.6 / 2
    ramp = [share(0.6, held) for held in (0, 1, 10, 100, 10_000)]
    assert ramp == sorted(set(ramp))  # growing
    assert ramp[0] == 0.0 and ramp[-1] == pytest.approx(0.6, rel=0.01)
