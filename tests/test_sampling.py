"""The sampler: a proper distribution that keeps what top-k and top-p say, reproducibly."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from storyteller.engine.sampling import SamplingConfig, choose, shape
from storyteller.engine.vocab import UNKNOWN_ID

logits_strategy = arrays(
    np.float32, st.integers(3, 60), elements=st.floats(-20, 20, width=32, allow_nan=False)
)
configs = st.builds(
    SamplingConfig,
    greedy=st.booleans(),
    temperature=st.floats(0.05, 5),
    top_k=st.one_of(st.none(), st.integers(1, 80)),
    top_p=st.floats(0.01, 1),
    repetition_penalty=st.floats(1, 3),
)


@given(logits_strategy, configs, st.lists(st.integers(0, 2), max_size=5))
def test_shape_is_a_distribution_without_unk(
    logits: np.ndarray, config: SamplingConfig, recent: list[int]
) -> None:
    probs = shape(logits, config, recent)
    assert probs.shape == logits.shape
    assert np.all(probs >= 0)
    assert probs.sum() == pytest.approx(1.0)
    assert probs[UNKNOWN_ID] == 0


@given(logits_strategy, st.integers(1, 10))
def test_top_k_keeps_at_most_k_of_the_most_probable(logits: np.ndarray, k: int) -> None:
    config = SamplingConfig(temperature=1, top_k=k, top_p=1, repetition_penalty=1)
    probs = shape(logits, config)
    full = shape(logits, SamplingConfig(temperature=1, top_k=None, top_p=1, repetition_penalty=1))
    kept = np.flatnonzero(probs)
    assert 1 <= len(kept) <= k
    rest = np.setdiff1d(np.arange(1, len(logits)), kept)
    if len(rest):  # (words of equal probability may be kept in either order)
        assert full[kept].min() >= full[rest].max()


@given(logits_strategy, st.floats(0.05, 0.99))
def test_top_p_keeps_the_smallest_set_reaching_p(logits: np.ndarray, p: float) -> None:
    config = SamplingConfig(temperature=1, top_k=None, top_p=p, repetition_penalty=1)
    full = shape(logits, SamplingConfig(temperature=1, top_k=None, top_p=1, repetition_penalty=1))
    kept = np.flatnonzero(shape(logits, config))
    mass = full[kept].sum()
    assert mass >= p - 1e-9
    # Without its least probable member the set would fall short of p.
    assert mass - full[kept].min() < p + 1e-9


def test_greedy_takes_the_best_known_word() -> None:
    logits = np.array([9.0, 1.0, 3.0, 2.0])
    probs = shape(logits, SamplingConfig(greedy=True))
    assert probs.tolist() == [0, 0, 1, 0]


def test_repetition_penalty_lowers_recent_words() -> None:
    logits = np.array([0.0, 2.0, 2.0, 1.0])
    plain = SamplingConfig(temperature=1, top_k=None, top_p=1, repetition_penalty=1)
    penalised = SamplingConfig(temperature=1, top_k=None, top_p=1, repetition_penalty=2)
    assert shape(logits, penalised, [1])[1] < shape(logits, plain, [1])[1]


def test_same_seed_same_choices() -> None:
    probs = np.full(50, 1 / 50)
    first = [choose(probs, np.random.default_rng(7)) for _ in range(5)]
    again = [choose(probs, np.random.default_rng(7)) for _ in range(5)]
    assert first == again


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (SamplingConfig(temperature=-1), "temperature"),
        (SamplingConfig(temperature=0), "temperature"),
        (SamplingConfig(top_k=0), "top-k"),
        (SamplingConfig(top_p=1.5), "top-p"),
        (SamplingConfig(top_p=0), "top-p"),
        (SamplingConfig(repetition_penalty=0.5), "repetition"),
    ],
)
def test_out_of_range_settings_are_named(config: SamplingConfig, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        config.check()
