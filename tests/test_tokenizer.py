"""The tokenizer: real prose in, readable prose out, and the round trip between them."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from storyteller.engine.tokenizer import (
    PARAGRAPH,
    Detokenizer,
    TokenizerConfig,
    clean,
    detokenize,
    find_names,
    iter_tokens,
    tokenize,
)


def test_words_punctuation_and_contractions() -> None:
    assert tokenize("Don't go, Hetty! It's 4 o'clock.") == [
        "don't",
        "go",
        ",",
        "hetty",
        "!",
        "it's",
        "4",
        "o'clock",
        ".",
    ]


def test_numbers_dashes_and_ellipses_are_single_tokens() -> None:
    assert tokenize("1,000 mice -- and 3.5 cats... at 4:30 — well-known") == [
        "1,000",
        "mice",
        "—",
        "and",
        "3.5",
        "cats",
        "...",
        "at",
        "4:30",
        "—",
        "well-known",
    ]


def test_curly_quotes_and_dashes_are_folded() -> None:
    assert tokenize("“Yes,” she said – ‘no’…") == [
        '"',
        "yes",
        ",",
        '"',
        "she",
        "said",
        "—",
        "'",
        "no",
        "'",
        "...",
    ]


def test_paragraph_breaks_become_one_token_and_line_breaks_do_not() -> None:
    text = "\n\nOne line\nwrapped.\n\n\n\nNext  \r\n \r\nlast"
    assert tokenize(text) == ["one", "line", "wrapped", ".", PARAGRAPH, "next", PARAGRAPH, "last"]


def test_windows_line_ends_are_line_breaks_not_paragraphs() -> None:
    text = "One line\r\nwrapped.\r\n\r\nNext"
    assert tokenize(text) == ["one", "line", "wrapped", ".", PARAGRAPH, "next"]


def test_a_text_in_pieces_gives_the_tokens_of_the_whole() -> None:
    text = "\n\nOne line\r\nwrapped.\n\n\n\nNext  don't\r\n \r\n3,000 ... last"
    pieces = ["\n\nOne ", "line\r\n", "wrapped.\n\n\n\n", "Next  ", "don't\r\n \r\n", "3,000 ", "... last"]
    assert "".join(pieces) == text
    assert list(iter_tokens(pieces)) == tokenize(text)


def test_lowercasing_is_a_setting() -> None:
    assert tokenize("The Fox", TokenizerConfig(lowercase=False)) == ["The", "Fox"]
    assert tokenize("The Fox") == ["the", "fox"]


def test_control_characters_and_escapes_are_dropped() -> None:
    assert clean("red\x1b[31m\x07bell\x00") == "red[31mbell"
    assert "\x1b" not in "".join(tokenize("\x1b]0;title\x07hi"))


def test_invisible_characters_go_and_separators_stay_separators() -> None:
    assert tokenize("a\u200bb c\u2028d\u2029e \u202eevil\u00adly \ufeffbom") == [
        "a",
        "b",
        "c",
        "d",
        "<p>",
        "e",
        "evilly",
        "bom",
    ]


def test_literal_special_tokens_in_text_are_not_special() -> None:
    assert tokenize("<p> <unk>") == ["<", "p", ">", "<", "unk", ">"]


def test_detokenize_spacing_capitals_and_quotes() -> None:
    tokens = tokenize('"one day," he said to the cat, "i will have a kettle." the cat yawned; i\'m sure.')
    assert (
        detokenize(tokens)
        == '"One day," he said to the cat, "I will have a kettle." The cat yawned; I\'m sure.'
    )


def test_detokenize_paragraphs_and_brackets() -> None:
    assert detokenize(["a", "(", "b", ")", ".", PARAGRAPH, "c", "..."]) == "A (b).\n\nC..."


def test_detokenize_without_capitals_keeps_case() -> None:
    assert detokenize(["the", "i", "."], TokenizerConfig(lowercase=False)) == "the i."


def test_names_found_in_the_corpus_are_capitalised_again() -> None:
    text = "Then Gilda said hello. The goat Gilda ran; and Gilda, the goat, slept. A goat. The Goat."
    names = find_names(text)
    assert names == ("gilda",)
    config = TokenizerConfig(names=names)
    assert (
        detokenize(tokenize("the goat saw gilda , and gilda ran ."), config)
        == "The goat saw Gilda, and Gilda ran."
    )


# Text the tokenizer can represent: ASCII prose plus the marks it folds, and accented letters.
_prose = st.text(
    alphabet=st.sampled_from(
        list("abcdefghijklmnopqrstuvwxyzABCDEFXYZ0123456789 \n\n\n.,;:!?'\"()-—…“”‘’éñü$%#&*/[]")
    ),
    max_size=200,
)


@given(_prose)
def test_round_trip_of_what_it_can_represent(text: str) -> None:
    tokens = tokenize(text)
    assert tokenize(detokenize(tokens)) == tokens


@given(_prose)
def test_round_trip_keeping_case(text: str) -> None:
    config = TokenizerConfig(lowercase=False)
    tokens = tokenize(text, config)
    assert tokenize(detokenize(tokens, config), config) == tokens


@given(_prose)
def test_streaming_detokenizer_never_rewrites_what_it_printed(text: str) -> None:
    tokens = tokenize(text)
    detokenizer = Detokenizer()
    printed = ""
    for i, token in enumerate(tokens):
        printed += detokenizer.push(token)
        assert printed == detokenize(tokens[: i + 1])
