"""How a story reads on the page: written forms kept, the writer's spacing kept, marks that end a
sentence shown with it, and older story files brought up to the current format."""

from __future__ import annotations

import json
from pathlib import Path

from storyteller.engine.page import bubbles, spell, typed_forms
from storyteller.engine.story import STORY_VERSION, Author, Story, Turn, Word, load_story, save_story
from storyteller.engine.tokenizer import TokenizerConfig, tokenize, tokenize_typed

OLD_STORIES = Path(__file__).parent / "fixtures" / "stories"
NAMES = TokenizerConfig(names=("pearl",))


def _typed(
    text: str, config: TokenizerConfig = TokenizerConfig(), before: list[Word] | None = None
) -> list[Word]:
    typed = tokenize_typed(text, config)
    forms = typed_forms(before or [], typed, config)
    return [Word(t.token, Author.WRITER, form=f, space=s) for t, (f, s) in zip(typed, forms, strict=True)]


def test_typed_text_splits_as_the_tokenizer_does() -> None:
    texts = [
        "Said Pearl, \u201cI can't.\u201d\n\nThe end -- 1,000 times...",
        "[bold]x[/bold]",
        "  ",
        "a\n\n\n\nb",
    ]
    for text in texts:
        for config in (TokenizerConfig(), TokenizerConfig(lowercase=False)):
            assert [t.token for t in tokenize_typed(text, config)] == tokenize(text, config)


def test_a_word_keeps_the_form_it_was_written_in_whatever_spells_it_later() -> None:
    words = _typed("said Pearl to henry", TokenizerConfig(names=("pearl", "henry")))
    # As typed, but for the capital of a sentence start (the model's words get theirs too).
    assert [w.form for w in words] == ["Said", "Pearl", "to", "henry"]
    assert [w.form for w in _typed("[i] i think. i")] == [None, "i", None, "i", "think", None, "I"]
    others = (TokenizerConfig(), NAMES, TokenizerConfig(lowercase=False), TokenizerConfig(names=("henry",)))
    for config in others:
        assert spell(words, config) == "Said Pearl to henry"


def test_markup_like_text_keeps_the_writers_spacing() -> None:
    for text in ["[bold]x[/bold]", "[bold red]loud[/] ok", "a ( b ) c", "x=1 , y"]:
        assert spell(_typed(text, TokenizerConfig(lowercase=False))) == text
    # Spacing the page would give anyway is not recorded.
    assert [w.space for w in _typed("the cat, sat (down).")] == [None] * 8


def test_words_typed_after_others_are_spaced_and_capitalised_in_context() -> None:
    before = _typed("the cat sat.")
    after = _typed(", and then it ran", before=before)
    assert spell(before + after) == "The cat sat., And then it ran"
    assert spell(before + _typed("it ran", before=before)) == "The cat sat. It ran"


def _turn(side: str, start: int, tokens: str) -> Turn:
    author = Author.MODEL if side == "model" else Author.WRITER
    return Turn(side, start, tuple(Word(t, author) for t in tokens.split()))


def test_marks_that_open_a_turn_are_shown_with_the_turn_before() -> None:
    turns = [_turn("writer", 0, "the fox ran"), _turn("model", 3, ". it was fast"), _turn("writer", 8, ".")]
    shown = bubbles(turns)
    assert [(t.side, t.start, [w.token for w in t.words]) for t in shown] == [
        ("writer", 0, ["the", "fox", "ran", "."]),
        ("model", 4, ["it", "was", "fast", "."]),
    ]
    # A turn of marks alone between two of the other side: the two read as one.
    shown = bubbles([_turn("writer", 0, "a b"), _turn("model", 2, ","), _turn("writer", 3, "c")])
    assert [(t.side, t.start, len(t.words)) for t in shown] == [("writer", 0, 4)]
    assert bubbles([_turn("model", 0, ". a")])[0].start == 0  # nothing before it to join


def test_an_old_story_file_is_upgraded_and_keeps_its_words(tmp_path: Path) -> None:
    old = OLD_STORIES / "v1.json"
    assert json.loads(old.read_text())["version"] == 1 < STORY_VERSION
    story = load_story(old, NAMES)
    assert story.title == "Pearl and the kettle" and story.model["name"] == "tiny"
    assert story.tokens == ["said", "pearl", ",", "i", "will", "sing", ".", "<p>", "the", "kettle"]
    assert story.words[2] == Word(",", Author.PICKED, 0.04, 4, window=3)
    assert story.words[4].settings == 0 and story.settings[0]["seed"] == 10
    # Spelled once, as the model opening it spells it; from then on the forms are the story's own.
    expected = "Said Pearl, I will sing.\n\nThe kettle"
    assert story.text(NAMES) == expected
    assert story.text(TokenizerConfig(lowercase=False)) == expected
    assert [w.form for w in story.branches[0].words] == ["Pearl", "ran"]
    save_story(story, tmp_path / "again.json")
    assert json.loads((tmp_path / "again.json").read_text())["version"] == STORY_VERSION
    again = load_story(tmp_path / "again.json", TokenizerConfig())
    assert again.words == story.words and again.branches == story.branches
    assert again.text(TokenizerConfig()) == expected


def test_every_older_format_version_has_a_fixture() -> None:
    versions = {json.loads(p.read_text())["version"] for p in OLD_STORIES.glob("*.json")}
    assert versions == set(range(1, STORY_VERSION))


def test_a_story_without_forms_is_spelled_by_the_model_in_use() -> None:
    story = Story([Word("said", Author.WRITER), Word("pearl", Author.WRITER)])
    assert story.text(NAMES) == "Said Pearl" and story.text() == "Said pearl"
