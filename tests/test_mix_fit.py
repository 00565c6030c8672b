"""Fitting the corpus counts, the story's phrases and the story's memory at export: a grid search
on held-out text, kept in the model file."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from storyteller.engine.cache import memory_for  # noqa: E402
from storyteller.engine.counts import CorpusCounts, counts_weight  # noqa: E402
from storyteller.engine.vocab import Vocabulary  # noqa: E402
from training.config import TrainConfig  # noqa: E402
from training.mix_fit import (  # noqa: E402
    COUNT_WEIGHTS,
    PHRASE_WEIGHTS,
    SCALES,
    UNKNOWN_SCALES,
    WEIGHTS,
    fit_mix,
    mix_perplexities,
    unknown_scale,
)
from training.network import LanguageModel  # noqa: E402

pytestmark = pytest.mark.torch


def _model() -> LanguageModel:
    torch.manual_seed(0)
    return LanguageModel(30, TrainConfig(layers=1, units=16, dropout=0.0)).eval()


def _repetitive() -> list[np.ndarray]:
    # A random network knows nothing; a text that repeats itself is what a story's memory is for.
    phrase = np.random.default_rng(0).integers(2, 30, 12)
    return [np.tile(phrase, 20), np.tile(phrase[::-1], 20)]


def test_on_repetitive_text_the_fit_turns_the_storys_phrases_on_and_beats_the_network_alone() -> None:
    chunks = _repetitive()
    fitted = fit_mix(_model(), chunks, words=100)
    phrases = fitted["phrases"]
    assert phrases["weight"] in PHRASE_WEIGHTS and phrases["weight"] > 0 and fitted["scale"] in SCALES
    assert fitted["perplexity"]["with"] < 0.2 * fitted["perplexity"]["without"]
    assert phrases["weights"] == list(PHRASE_WEIGHTS)
    assert min(phrases["perplexity"]) == fitted["perplexity"]["with"]
    grid = np.array(fitted["grid"]["perplexity"])
    assert grid.shape == (len(SCALES), len(WEIGHTS)) and grid.min() == fitted["perplexity"]["with"]
    assert fitted["tokens"] == sum(len(c) - 1 for c in chunks)
    memory = memory_for(fitted)
    assert memory.fitted and memory.phrases == phrases["weight"]


def test_with_the_phrases_off_the_memory_alone_is_turned_on_and_beats_the_network() -> None:
    perplexity, count = mix_perplexities(_model(), _repetitive(), (0.0,), 100, 10_000, None)
    memory_only = perplexity[UNKNOWN_SCALES.index(1.0), 0, PHRASE_WEIGHTS.index(0.0)]  # [θ, λ]
    network = memory_only[0, WEIGHTS.index(0.0)]
    assert np.allclose(memory_only[:, WEIGHTS.index(0.0)], network)  # λ 0: θ changes nothing
    s, w = np.unravel_index(int(np.argmin(memory_only)), memory_only.shape)
    assert WEIGHTS[w] > 0 and memory_only[s, w] < 0.8 * network
    assert count == sum(len(c) - 1 for c in _repetitive())


def test_on_text_that_never_repeats_the_memory_is_no_help() -> None:
    chunks = [np.arange(2, 30)]  # every target new: nothing in memory is ever right
    fitted = fit_mix(_model(), chunks, words=100)
    assert fitted["weight"] == 0.0 and fitted["phrases"]["weight"] == 0.0
    assert fitted["perplexity"]["with"] == fitted["perplexity"]["without"]


def test_nothing_to_fit_on_gives_an_empty_field() -> None:
    assert fit_mix(_model(), [np.array([3])]) == {}


def test_counts_of_a_training_text_that_holds_the_held_out_phrases_get_a_weight() -> None:
    rng = np.random.default_rng(1)
    phrase = rng.integers(2, 30, 40)
    training = np.tile(phrase, 10)
    chunks = [phrase[5:35], phrase[:30]]  # never a repeat inside a chunk: the memory cannot help
    vocabulary = Vocabulary(["<unk>", "<p>", *[f"w{i}" for i in range(2, 30)]])
    fitted = fit_mix(_model(), chunks, words=100, counts=CorpusCounts.of_ids(training, vocabulary))
    assert fitted["counts"]["weight"] in COUNT_WEIGHTS and fitted["counts"]["weight"] > 0
    assert fitted["counts"]["tokens"] == len(training)
    assert fitted["perplexity"]["with"] < 0.5 * fitted["perplexity"]["without"]
    assert min(fitted["counts"]["perplexity"]) == pytest.approx(fitted["perplexity"]["with"], rel=0.05)
    assert counts_weight(fitted) == fitted["counts"]["weight"]


def test_without_counts_the_fit_has_no_counts_field() -> None:
    rng = np.random.default_rng(0)
    fitted = fit_mix(_model(), [np.tile(rng.integers(2, 30, 12), 5)], words=100)
    assert "counts" not in fitted and counts_weight(fitted) == 0.0


def test_held_out_text_richer_in_unknown_words_scales_the_networks_unk_up() -> None:
    # The random network gives <unk> about 1/30; here every third held-out word is unknown.
    rng = np.random.default_rng(2)
    words = rng.integers(2, 30, 90)
    words[::3] = 0
    fitted = fit_mix(_model(), [words], words=100)
    assert unknown_scale(fitted) == max(UNKNOWN_SCALES) > 1
    tried = fitted["unknown"]["perplexity"]
    assert fitted["unknown"]["scales"] == list(UNKNOWN_SCALES) and tried == sorted(tried, reverse=True)
    # Without an unknown word the network is left as trained.
    plain = fit_mix(_model(), [rng.integers(2, 30, 90)], words=100)
    assert unknown_scale(plain) == 1.0 and unknown_scale({}) == 1.0
