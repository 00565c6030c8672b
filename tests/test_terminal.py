"""The app in a real terminal (tmux): type, continue, accept, undo, save, quit; read the screen.

Needs tmux (CI installs it); skipped where there is none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .tmux import Terminal, needs_tmux, word_count

pytestmark = needs_tmux


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    term = Terminal(tmp_path)
    try:
        yield term
    finally:
        term.close()


def test_a_writer_session_in_a_real_terminal(terminal: Terminal) -> None:
    terminal.ready()
    terminal.keys("the hedgehog filled", "Enter")
    shown = terminal.wait_for(
        lambda s: "The hedgehog filled" in s and word_count(s) == 3, "the writer's words"
    )
    assert "you" in shown

    terminal.keys("Enter")
    shown = terminal.wait_for(
        lambda s: "model" in s and word_count(s) > 3 and "writing" not in s, "the model's turn"
    )
    after_turn = word_count(shown)

    terminal.keys("Tab")
    terminal.wait_for(lambda s: word_count(s) >= after_turn, "the accepted word")
    terminal.keys("C-z")
    terminal.wait_for(lambda s: word_count(s) <= after_turn, "the undo")

    target = terminal.folder / "saved.md"
    terminal.keys("C-s")
    terminal.wait_for(lambda s: "Save the story as" in s and "stories" in s, "the save dialog")
    terminal.keys("C-u")  # clear the suggested path (proves the dialog has the keys)
    terminal.wait_for(lambda s: "stories" not in s, "the cleared path")
    terminal.type(str(target))
    terminal.wait_for(lambda s: "saved.md" in s, "the typed path")
    terminal.keys("Enter")
    terminal.wait_for(lambda s: target.exists(), "the saved file")
    text = target.read_text()
    assert text.startswith("# Untitled story\n\nThe hedgehog filled")

    terminal.keys("C-q")
    assert terminal.wait_exit(), terminal.screen()
    assert not (terminal.folder / "autosave.json").exists()
    assert len(list((terminal.folder / "stories").glob("*.json"))) == 1


def _story_lines(shown: str) -> list[str]:
    """The lines of the story's bubbles (left of the candidates panel)."""
    return [line.split("│ │")[0] for line in shown.splitlines() if line.lstrip().startswith("│")]


def _bubble_openings(shown: str) -> list[str]:
    """The text on the first line of each bubble (the line under its top border)."""
    lines = shown.splitlines()
    return [_inside(lines[i + 1]) for i, line in enumerate(lines[:-1]) if "╭" in line]


def _last_bubble_text(shown: str) -> str:
    """The text on the last line of the story's last bubble (the line over its bottom border)."""
    lines = shown.splitlines()
    bottoms = [i for i, line in enumerate(lines) if "╰" in line and i > 0]
    return _inside(lines[bottoms[-1] - 1]) if bottoms else ""


def _inside(line: str) -> str:
    """A bubble's line without its borders (nor the candidates panel beside it)."""
    parts = line.split("│")
    return parts[1].strip() if len(parts) > 1 else ""


def _in_story(marker: str) -> Callable[[str], bool]:
    return lambda shown: any(marker in line for line in _story_lines(shown))


def test_a_full_stop_stays_with_its_sentence_and_the_end_stays_in_view(terminal: Terminal) -> None:
    terminal.ready()
    terminal.keys("the fox ran", "Enter")
    terminal.wait_for(lambda s: word_count(s) == 3, "the writer's words")
    terminal.keys("Enter")
    shown = terminal.wait_for(lambda s: word_count(s) > 3 and "writing" not in s, "the model's turn")
    words = word_count(shown)
    openings = _bubble_openings(shown)
    # The writer's "." typed alone after the model's turn ends the model's sentence, in its bubble.
    terminal.keys(".", "Enter")
    shown = terminal.wait_for(lambda s: _last_bubble_text(s).endswith("."), "the full stop")
    # It opens no bubble of its own (what the model's own text opens with is its text, whatever it is).
    assert shown.count("you ─") == 1 and _bubble_openings(shown) == openings, shown
    assert word_count(shown) == words

    # A long input, a resize and the story list: the newest words stay in view every time.
    terminal.paste("a long passage " * 120)
    terminal.keys("Enter")
    terminal.wait_for(lambda s: word_count(s) == words + 360, "the long input")
    for step, marker in enumerate(["alpha1", "bravo2", "charlie3"]):
        if step == 1:
            terminal.resize(90, 26)
        if step == 2:
            terminal.keys("C-o")
            terminal.wait_for(lambda s: "Your stories" in s, "the story list")
            terminal.keys("Escape")
            terminal.wait_for(lambda s: "Your stories" not in s, "the writer's screen again")
        terminal.type(f"{marker} sat")
        terminal.keys("Enter")
        terminal.wait_for(_in_story(marker), f"{marker} in view")
