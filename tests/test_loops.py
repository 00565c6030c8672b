"""Loops: a repeated phrase or a ping-pong found in a model's turn, and the no-repeat rule."""

from __future__ import annotations

import numpy as np
import pytest

from storyteller.engine import Predictor, SamplingConfig, tokenize
from storyteller.engine.loops import Loop, find_loop, forbid, repeated_endings


def _words(text: str) -> list[str]:
    return text.split()


def test_a_repeated_phrase_of_three_words_is_a_loop() -> None:
    tokens = _words("once the fox ran to the old mill . then the fox ran to the old mill again")
    start = tokens.index("then")
    loop = find_loop(tokens, start)
    assert loop == Loop(start + 1, start + 8, 1, "repeat")
    assert "“the fox ran to the old mill”" in loop.describe(tokens)


def test_a_repeat_within_the_turn_itself_is_found_where_it_begins() -> None:
    tokens = _words("you said : the sun went down and the sun went down and the sun")
    loop = find_loop(tokens, 3)
    assert loop is not None and loop.kind == "repeat"
    assert (loop.start, loop.earlier) == (8, 3)
    assert loop.end == len(tokens)


@pytest.mark.parametrize(
    "text",
    [
        "the fox ran . then the fox slept",  # two words repeated: not a loop
        "she said , and , and , then left",  # punctuation does not count as words
        "a b c d e f g h i j",
    ],
)
def test_what_is_not_a_loop(text: str) -> None:
    assert find_loop(_words(text), 3) is None


def test_a_repeat_from_further_back_than_the_lookback_is_not_a_loop() -> None:
    tokens = _words("the fox ran") + ["x"] * 50 + _words("the fox ran")
    assert find_loop(tokens, 53, lookback=40) is None
    assert find_loop(tokens, 53, lookback=60) is not None


def test_ping_pong_between_two_words() -> None:
    tokens = _words("then he went yes no yes no , she said")
    loop = find_loop(tokens, 3)
    assert loop == Loop(5, 7, 3, "ping-pong")
    assert "back and forth" in loop.describe(tokens)


def test_repeated_endings_are_the_tokens_that_would_repeat_a_phrase() -> None:
    ids = [5, 6, 7, 9, 5, 6]
    assert repeated_endings(ids, 3) == [7]
    assert repeated_endings(ids, 2) == [7]  # "6" was followed by 7
    assert repeated_endings([5, 6, 7, 5, 6, 8, 5, 6], 3) == [7, 8]
    assert repeated_endings(ids, 3, lookback=3) == []
    scores = forbid(np.zeros(10), [7])
    assert scores[7] == -np.inf and np.isfinite(scores[:7]).all()


def _ngrams(ids: list[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(ids[i : i + n]) for i in range(len(ids) - n + 1)]


def test_generation_with_no_repeat_never_repeats_a_phrase(tiny_model) -> None:  # type: ignore[no-untyped-def]
    prompt = tokenize("the hedgehog", tiny_model.card.tokenizer)
    greedy = SamplingConfig(greedy=True, repetition_penalty=1.0)
    looping = Predictor(tiny_model)
    looping.feed(prompt)
    written = [g.token for g in looping.generate(60, greedy)]
    grams = _ngrams(["<p>", *prompt, *written], 3)
    assert len(set(grams)) < len(grams), "the test needs greedy writing that loops without the rule"
    rule = Predictor(tiny_model)
    rule.feed(prompt)
    written = [
        g.token for g in rule.generate(60, SamplingConfig(greedy=True, repetition_penalty=1.0, no_repeat=3))
    ]
    grams = _ngrams(["<p>", *prompt, *written], 3)
    assert len(set(grams)) == len(grams)


def test_no_repeat_is_checked() -> None:
    with pytest.raises(ValueError, match="no-repeat must be from 0"):
        SamplingConfig(no_repeat=11).check()
