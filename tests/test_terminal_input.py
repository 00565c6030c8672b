"""What a keyboard and a paste really send, in a real terminal (tmux with default settings).

A paste is text: it arrives once, whole, in the input line, and never acts as keys. Every
character a writer types is text; candidates are picked with Shift+F1 … Shift+F10, keys that
tmux and xterm send as the same escape sequences and that never produce text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from .tmux import Terminal, needs_tmux, word_count

pytestmark = needs_tmux


@pytest.fixture
def term(tmp_path: Path) -> Iterator[Terminal]:
    terminal = Terminal(tmp_path, size=(80, 24))
    try:
        terminal.ready()
        yield terminal
    finally:
        terminal.close()


def story_words(folder: Path) -> list[dict]:  # type: ignore[type-arg]
    """The story as autosaved (after every change)."""
    path = folder / "autosave.json"
    return json.loads(path.read_text())["words"] if path.exists() else []


def test_a_paste_arrives_once_whole_in_the_input_and_enter_adds_it(term: Terminal) -> None:
    term.paste("the hedgehog filled the kettle")
    shown = term.wait_for(lambda s: "the hedgehog filled the kettle" in s, "the pasted text")
    assert shown.count("hedgehog") == 1, shown
    assert word_count(shown) == 0  # pasting adds nothing by itself
    term.keys("Enter")
    shown = term.wait_for(lambda s: word_count(s) == 5, "the pasted words in the story")
    # In the story, and no longer in the input (the candidates may offer "hedgehog" alone: the
    # story's memory holds it now).
    assert shown.count("hedgehog filled") == 1, shown


def test_a_paste_of_several_lines_is_one_line_with_paragraph_marks(term: Terminal) -> None:
    # tmux turns every line end into CR, as a terminal does: no line may be lost on the way.
    term.paste("the kettle sang.\n\nthe cat slept.\nthe end\r\rof it")
    shown = term.wait_for(lambda s: "of it" in s, "the whole paste")
    assert "the kettle sang. ¶ the cat slept. the end ¶ of it" in shown, shown
    assert word_count(shown) == 0, shown
    term.keys("Enter")
    shown = term.wait_for(lambda s: word_count(s) == 10, "the pasted passage in the story")
    assert shown.count("kettle sang") == 1, shown
    tokens = [w["t"] for w in story_words(term.folder)]
    assert " ".join(tokens) == "the kettle sang . <p> the cat slept . the end <p> of it"


def test_an_escape_sequence_in_a_paste_is_text_never_keys(term: Terminal) -> None:
    # F10 (the models screen), Ctrl+G (switch model), Enter and a digit, all inside one paste.
    term.paste("the fox \x1b[21~ ran \x07 far\r\x1bOP 3 away")
    shown = term.wait_for(lambda s: "away" in s, "the whole paste")
    assert "Models" not in shown and "Every key" not in shown and "earlier model" not in shown, shown
    assert word_count(shown) == 0, shown
    assert "\\x1b[21~" in shown, shown  # shown literally, as the app shows every control character
    term.keys("Enter")
    term.wait_for(lambda s: word_count(s) > 0, "the pasted words in the story")
    assert [w["t"] for w in story_words(term.folder)][:2] == ["the", "fox"]


def test_digits_and_question_marks_are_text(term: Terminal) -> None:
    term.type("2 foxes ran")
    shown = term.wait_for(lambda s: "2 foxes ran" in s, "the typed line")
    assert word_count(shown) == 0
    term.keys("Enter")
    term.wait_for(lambda s: word_count(s) == 3, "the typed words")
    assert [w["t"] for w in story_words(term.folder)] == ["2", "foxes", "ran"]
    term.type("?who")
    shown = term.wait_for(lambda s: "?who" in s, "a line starting with '?'")
    assert "Every key" not in shown


def test_shift_f_keys_pick_a_candidate_and_f1_shows_every_key(term: Terminal) -> None:
    term.type("the hedgehog")
    term.keys("Enter")
    term.wait_for(lambda s: word_count(s) == 2, "the typed words")
    term.ready()  # the panel showed "…" from the moment the words were added until now
    term.keys("S-F3")
    term.wait_for(lambda s: len(story_words(term.folder)) == 3, "the picked word")
    picked = story_words(term.folder)[-1]
    assert picked["by"] == "picked" and picked["r"] == 3
    term.keys("S-F10")
    term.wait_for(lambda s: len(story_words(term.folder)) == 4, "the tenth candidate")
    assert story_words(term.folder)[-1]["r"] == 10
    term.keys("F1")
    shown = term.wait_for(lambda s: "Every key" in s, "the help screen")
    assert "Shift+F1" in shown
