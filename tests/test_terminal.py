"""The app in a real terminal (tmux): type, continue, accept, undo, save, quit; read the screen.

Needs tmux (CI installs it); skipped where there is none.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import TINY_MODEL

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

SESSION = f"storyteller-test-{os.getpid()}"
SOCKET = SESSION  # a tmux server of the test's own, untouched by any other tmux use


# The app must size itself from the terminal, not from sizes other tests left in the environment.
ENVIRONMENT = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}


def tmux(*args: str) -> str:
    command = ["tmux", "-L", SOCKET, *args]
    return subprocess.run(command, capture_output=True, text=True, check=True, env=ENVIRONMENT).stdout


def screen() -> str:
    return tmux("capture-pane", "-t", SESSION, "-p")


def wait_for(condition: Callable[[str], bool], what: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shown = screen()
        if condition(shown):
            return shown
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; the screen shows:\n{screen()}")


def word_count(shown: str) -> int:
    """The story's word count, from the status bar."""
    status = next((line for line in shown.splitlines() if "words/turn" in line), None)
    assert status is not None, f"no status bar on the screen:\n{shown}"
    match = re.search(r"([\d,]+) words ·", status)
    assert match, status
    return int(match.group(1).replace(",", ""))


@pytest.fixture
def terminal(tmp_path: Path):  # type: ignore[no-untyped-def]
    command = " ".join(
        [
            f"STORYTELLER_DATA_DIR={shlex.quote(str(tmp_path))}",
            shlex.quote(sys.executable),
            "-m storyteller --model",
            shlex.quote(str(TINY_MODEL)),
            f"; echo exited > {shlex.quote(str(tmp_path / 'exited'))}; sleep 30",
        ]
    )
    # Started in the temporary folder: a path the app is given relative lands there, never in the tree.
    tmux("new-session", "-d", "-s", SESSION, "-c", str(tmp_path), "-x", "110", "-y", "32", command)
    try:
        yield tmp_path
    finally:
        subprocess.run(["tmux", "-L", SOCKET, "kill-server"], capture_output=True, env=ENVIRONMENT)


def test_a_writer_session_in_a_real_terminal(terminal: Path) -> None:
    wait_for(lambda s: "Next word" in s and re.search(r"\d%", s) is not None, "the candidates panel")
    tmux("send-keys", "-t", SESSION, "the hedgehog filled", "Enter")
    shown = wait_for(lambda s: "The hedgehog filled" in s and word_count(s) == 3, "the writer's words")
    assert "you" in shown

    tmux("send-keys", "-t", SESSION, "Enter")
    shown = wait_for(lambda s: "model" in s and word_count(s) > 3 and "writing" not in s, "the model's turn")
    after_turn = word_count(shown)

    tmux("send-keys", "-t", SESSION, "Tab")
    wait_for(lambda s: word_count(s) >= after_turn, "the accepted word")
    tmux("send-keys", "-t", SESSION, "C-z")
    wait_for(lambda s: word_count(s) <= after_turn, "the undo")

    target = terminal / "saved.md"
    tmux("send-keys", "-t", SESSION, "C-s")
    wait_for(lambda s: "Save the story as" in s and "stories" in s, "the save dialog")
    tmux("send-keys", "-t", SESSION, "C-u")  # clear the suggested path (proves the dialog has the keys)
    wait_for(lambda s: "stories" not in s, "the cleared path")
    tmux("send-keys", "-t", SESSION, "-l", str(target))
    wait_for(lambda s: "saved.md" in s, "the typed path")
    tmux("send-keys", "-t", SESSION, "Enter")
    wait_for(lambda s: target.exists(), "the saved file")
    text = target.read_text()
    assert text.startswith("# Untitled story\n\nThe hedgehog filled")

    tmux("send-keys", "-t", SESSION, "C-q")
    deadline = time.monotonic() + 20
    while not (terminal / "exited").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert (terminal / "exited").exists(), screen()
    assert not (terminal / "autosave.json").exists()
    assert len(list((terminal / "stories").glob("*.json"))) == 1
