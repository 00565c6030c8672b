"""The vocabulary: deterministic order, limits, unknown words and their nearest known words."""

from __future__ import annotations

from collections import Counter

import pytest

from storyteller.engine.vocab import SPECIALS, UNKNOWN_ID, Vocabulary, edit_distance


def test_build_orders_by_count_then_alphabet_after_the_specials() -> None:
    vocab = Vocabulary.build(Counter({"b": 2, "a": 2, "c": 5, "d": 1}))
    assert vocab.tokens == (*SPECIALS, "c", "a", "b", "d")


def test_min_count_and_max_size() -> None:
    counts = Counter({"x": 3, "y": 2, "z": 1})
    assert Vocabulary.build(counts, min_count=2).tokens == (*SPECIALS, "x", "y")
    assert Vocabulary.build(counts, max_size=3).tokens == (*SPECIALS, "x")


def test_unknown_tokens_map_to_unk_and_are_reported_once_in_order() -> None:
    vocab = Vocabulary([*SPECIALS, "the", "cat"])
    assert vocab.encode(["the", "dog", "cat", "dog"]).tolist() == [2, UNKNOWN_ID, 3, UNKNOWN_ID]
    assert vocab.unknown(["the", "dog", "cow", "dog"]) == ["dog", "cow"]


def test_nearest_prefers_small_distance_then_frequency_and_ignores_case() -> None:
    vocab = Vocabulary([*SPECIALS, "house", "mouse", "horse", "moose", "cat"])
    assert vocab.nearest("mouze") == ["mouse", "house", "moose"]
    assert vocab.nearest("MOUSE")[0] == "mouse"
    assert vocab.nearest("elephant") == []


def test_words_and_punctuation_are_never_each_others_nearest() -> None:
    vocab = Vocabulary([*SPECIALS, ".", ",", "a", "i"])
    assert vocab.nearest("/") == [".", ","]
    assert vocab.nearest("x") == ["a", "i"]


@pytest.mark.parametrize("tokens", [["the"], [*SPECIALS, "a", "a"]])
def test_invalid_vocabularies_are_refused(tokens: list[str]) -> None:
    with pytest.raises(ValueError):
        Vocabulary(tokens)


@pytest.mark.parametrize(
    ("a", "b", "distance"), [("", "", 0), ("kitten", "sitting", 3), ("flaw", "lawn", 2), ("a", "", 1)]
)
def test_edit_distance(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b) == distance
    assert edit_distance(b, a) == distance


def test_edit_distance_stops_early_past_its_limit() -> None:
    assert edit_distance("abcdefgh", "zyxwvuts", limit=2) == 3
