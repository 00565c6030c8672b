"""A bridge to a word: a batched beam search from the story's end to a word the writer names."""

from __future__ import annotations

import math

import pytest

from storyteller.engine import Predictor, is_word, load, resolve, tokenize
from storyteller.engine.bridge import REACH, BridgeError, bridge

from .test_lookahead import _counting

PROMPT = "the hedgehog filled the"


def _predictor(model, prompt: str = PROMPT, window: int | None = None) -> Predictor:  # type: ignore[no-untyped-def]
    predictor = Predictor(model, window)
    predictor.feed(tokenize(prompt, model.card.tokenizer))
    return predictor


def _log_probability(model, prompt: str, path: list[str], window: int | None = None) -> float:  # type: ignore[no-untyped-def]
    scores = _predictor(model, prompt, window).score(path)
    return sum(math.log(p) for p, _ in scores)  # type: ignore[arg-type]


@pytest.mark.parametrize("window", [None, 3])
def test_paths_end_with_the_word_within_the_limit_best_first(tiny_model, window) -> None:  # type: ignore[no-untyped-def]
    paths = bridge(_predictor(tiny_model, window=window), "kettle", within=6, beam=8, paths=3)
    assert 1 <= len(paths) <= 3
    assert len({p.tokens for p in paths}) == len(paths)
    for path in paths:
        assert path.tokens[-1] == "kettle" and "kettle" not in path.tokens[:-1]
        assert sum(is_word(t) for t in path.tokens) <= 6
        # Its score is the model's own, read one word at a time.
        assert path.log_probability == pytest.approx(
            _log_probability(tiny_model, PROMPT, list(path.tokens), window), abs=1e-3
        )
        assert path.probabilities[-1] >= REACH
    scores = [p.log_probability for p in paths]
    assert scores == sorted(scores, reverse=True)


def test_a_beam_as_wide_as_the_vocabulary_finds_the_best_path_there_is(tiny_model) -> None:  # type: ignore[no-untyped-def]
    vocabulary = tiny_model.vocabulary
    prompt, target = "the cat yawned and", "nothing"
    best = bridge(_predictor(tiny_model, prompt), target, within=1, beam=len(vocabulary), paths=1)[0]
    # Within one word: the word itself, or a punctuation mark and then the word; tried one by one.
    tries = [[target]] + [[t, target] for t in vocabulary.tokens[1:] if not is_word(t)]
    scores = {tuple(path): _log_probability(tiny_model, prompt, path) for path in tries}
    assert best.tokens == max(scores, key=lambda path: scores[path])
    assert best.log_probability == pytest.approx(max(scores.values()), abs=1e-3)


def test_one_batched_call_per_step(tiny_model) -> None:  # type: ignore[no-untyped-def]
    model, calls = _counting(tiny_model)
    predictor = _predictor(model)
    predictor.logits()
    calls.clear()
    bridge(predictor, "kettle", within=5, beam=8, paths=3)
    assert 1 <= len(calls) <= 2 * 5
    assert all(shape[1] == 1 and shape[0] <= 8 for shape in calls)


def test_an_unknown_word_names_the_nearest_known_ones(tiny_model) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BridgeError, match="does not know 'kettel'; the nearest words it knows: kettle"):
        bridge(_predictor(tiny_model), "kettel")
    with pytest.raises(BridgeError, match="nor any word spelt like it"):
        bridge(_predictor(tiny_model), "zzzzqqqq")


@pytest.mark.parametrize("target", ["", "the kettle", ",", "   "])
def test_one_word_is_needed(tiny_model, target: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BridgeError, match="Give one word to reach"):
        bridge(_predictor(tiny_model), target)


def test_a_word_out_of_reach_says_so() -> None:
    model = load(resolve(None))  # the shipped model: the tiny one finds every word plausible
    predictor = _predictor(model, "the fox said")
    with pytest.raises(BridgeError, match="'river' cannot be reached within 1 word from here"):
        bridge(predictor, "river", within=1, beam=8)
    assert bridge(predictor, "river", within=8, beam=16)[0].tokens[-1] == "river"


@pytest.mark.parametrize(
    ("within", "beam", "paths", "says"),
    [
        (0, 8, 3, "from 1 to 64 words"),
        (65, 8, 3, "from 1 to 64 words"),
        (8, 0, 3, "beam width"),
        (8, 8, 11, "1 to 10 paths"),
    ],
)
def test_limits_are_one_sentence(tiny_model, within: int, beam: int, paths: int, says: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BridgeError, match=says):
        bridge(_predictor(tiny_model), "kettle", within, beam, paths)
