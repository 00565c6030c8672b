"""Phrase lookahead: each candidate's greedy next words, read in one batched call a step."""

from __future__ import annotations

import numpy as np
import pytest

from storyteller.engine import Model, Predictor, tokenize
from storyteller.engine.lookahead import MAX_LOOKAHEAD, Phrase, following_text, lookahead
from storyteller.engine.predictor import Candidate
from storyteller.engine.vocab import UNKNOWN_ID

PROMPT = "the hedgehog filled the"


def _counting(model: Model) -> tuple[Model, list[tuple[int, ...]]]:
    """The same network, counting its calls (and each call's input shape)."""
    calls: list[tuple[int, ...]] = []
    counted = Model(model.session, model.card)
    run = counted.run

    def counting_run(ids, state=None):  # type: ignore[no-untyped-def]
        calls.append(np.shape(ids))
        return run(ids, state)

    counted.run = counting_run  # type: ignore[method-assign]
    return counted, calls


def _greedy_one_by_one(
    model: Model, window: int | None, tokens: list[str], steps: int
) -> list[tuple[str, float]]:
    """The reference: the story and the candidate fed to a fresh predictor, one argmax at a time."""
    predictor = Predictor(model, window)
    predictor.feed(tokens)
    out = []
    for _ in range(steps):
        probs = predictor.probabilities()
        probs[UNKNOWN_ID] = 0
        best = int(np.argmax(probs))
        token = model.vocabulary.tokens[best]
        out.append((token, float(probs[best])))
        predictor.feed([token])
    return out


@pytest.mark.parametrize("window", [None, 3])
def test_each_phrase_is_what_greedy_writing_after_the_candidate_gives(tiny_model, window) -> None:  # type: ignore[no-untyped-def]
    tokens = tokenize(PROMPT, tiny_model.card.tokenizer)
    predictor = Predictor(tiny_model, window)
    predictor.feed(tokens)
    phrases = lookahead(predictor, predictor.candidates(6), 3)
    assert len(phrases) == 6
    for phrase in phrases:
        expected = _greedy_one_by_one(tiny_model, window, [*tokens, phrase.candidate.token], 3)
        assert list(phrase.following) == [t for t, _ in expected]
        assert np.allclose(phrase.probabilities, [p for _, p in expected], atol=1e-4)


def test_one_batched_call_per_step_whatever_the_number_of_candidates(tiny_model) -> None:  # type: ignore[no-untyped-def]
    model, calls = _counting(tiny_model)
    predictor = Predictor(model)
    predictor.feed(tokenize(PROMPT, model.card.tokenizer))
    candidates = predictor.candidates(10)
    calls.clear()
    lookahead(predictor, candidates, 4)
    assert calls == [(10, 1)] * 4
    # The predictor's own story is untouched: its candidates are as before.
    assert predictor.candidates(10) == candidates


def test_the_lookahead_is_bounded(tiny_model) -> None:  # type: ignore[no-untyped-def]
    predictor = Predictor(tiny_model)
    predictor.feed(["the"])
    with pytest.raises(ValueError, match="from 0 to"):
        lookahead(predictor, predictor.candidates(3), MAX_LOOKAHEAD + 1)
    assert [p.following for p in lookahead(predictor, predictor.candidates(3), 0)] == [(), (), ()]


def test_a_phrase_reads_as_text_after_its_candidate(tiny_model) -> None:  # type: ignore[no-untyped-def]
    tokenizer = tiny_model.card.tokenizer
    phrase = Phrase(Candidate("kettle", 0.5, 3), (".", "<p>", "the", "cat"), (0.5, 0.5, 0.5, 0.5))
    assert following_text(phrase, tokenizer) == ". ¶ The cat"


def test_a_phrase_after_a_closing_quote_reads_on_from_the_story() -> None:
    from storyteller.engine.tokenizer import CLOSE_QUOTE, OPEN_QUOTE, TokenizerConfig

    tokenizer = TokenizerConfig(lowercase=True, quotes=True)
    phrase = Phrase(Candidate(",", 0.5, 3), (CLOSE_QUOTE, "said", "the", "fox"), (0.5, 0.5, 0.5, 0.5))
    story = ["the", "fox", "looked", "up", ".", OPEN_QUOTE, "then", "the", "village"]
    assert following_text(phrase, tokenizer, story) == '" said the fox'
    ended = Phrase(Candidate(".", 0.5, 3), (CLOSE_QUOTE, "then", "she", "left"), (0.5, 0.5, 0.5, 0.5))
    assert following_text(ended, tokenizer, story) == '" Then she left'
