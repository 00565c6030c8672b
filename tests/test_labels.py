"""What the branch list calls a branch: the story's own spelling, and a count in good English."""

from __future__ import annotations

from storyteller.app.screens.branches import BranchesScreen
from storyteller.engine import TokenizerConfig
from storyteller.engine.story import Author, Story, Word


def _labels(text: str, cut: int) -> list[str]:
    story = Story()
    story.add(Word(t, Author.WRITER) for t in text.split())
    story.cut(cut)
    story.add([Word("pot", Author.PICKED)])
    screen = BranchesScreen(story, story.branches, TokenizerConfig())
    return [str(option.prompt) for option in screen._options]


def test_a_branch_mid_sentence_keeps_its_lower_case_and_one_word_is_one_word() -> None:
    (label,) = _labels("the hedgehog filled the old kettle", 5)
    assert label == "at word 6: …hedgehog filled the old ⟶ kettle (1 word)"


def test_a_branch_at_a_sentence_start_is_capitalised_as_in_the_story() -> None:
    (label,) = _labels("the kettle sang . the cat slept", 4)
    assert label == "at word 5: …The kettle sang. ⟶ The cat slept (3 words)"
