"""A real terminal for tests: the app in a tmux server of the test's own, driven by keys and pastes.

Keys go in with ``send-keys`` (what a keyboard sends through tmux with default settings), a
paste with ``load-buffer`` then ``paste-buffer -p`` (a bracketed paste, what every modern
terminal sends), and the screen comes back with ``capture-pane``.
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
from itertools import count
from pathlib import Path

import pytest

from .conftest import TINY_MODEL

needs_tmux = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

# The app must size itself from the terminal, not from sizes other tests left in the environment.
ENVIRONMENT = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
_NUMBERS = count()


class Terminal:
    """One tmux session running the writer on the tiny model, its data folder ``folder``."""

    def __init__(self, folder: Path, size: tuple[int, int] = (110, 32)) -> None:
        self.folder = folder
        # A server of its own, untouched by any other tmux use, nor by the last test's dying one.
        self.session = f"storyteller-test-{os.getpid()}-{next(_NUMBERS)}"
        self.socket = self.session
        command = " ".join(
            [
                f"STORYTELLER_DATA_DIR={shlex.quote(str(folder))}",
                shlex.quote(sys.executable),
                "-m storyteller --model",
                shlex.quote(str(TINY_MODEL)),
                f"; echo exited > {shlex.quote(str(folder / 'exited'))}; sleep 30",
            ]
        )
        # Started in the temporary folder: a path the app is given relative lands there, never in the tree.
        width, height = size
        self.tmux(
            "new-session",
            "-d",
            "-s",
            self.session,
            "-c",
            str(folder),
            "-x",
            str(width),
            "-y",
            str(height),
            command,
        )

    def tmux(self, *args: str, input: str | None = None) -> str:
        command = ["tmux", "-L", self.socket, *args]
        return subprocess.run(
            command, capture_output=True, text=True, check=True, env=ENVIRONMENT, input=input
        ).stdout

    def keys(self, *keys: str) -> None:
        """Press keys, named the way tmux names them (``Enter``, ``C-z``, ``S-F3``)."""
        self.tmux("send-keys", "-t", self.session, *keys)

    def type(self, text: str) -> None:
        """Type ``text`` literally, one key per character."""
        self.tmux("send-keys", "-t", self.session, "-l", text)

    def paste(self, text: str) -> None:
        """Paste ``text`` the way a terminal does, bracketed (the app asks for bracketed pastes)."""
        self.tmux("load-buffer", "-b", "test", "-", input=text)
        self.tmux("paste-buffer", "-p", "-d", "-b", "test", "-t", self.session)

    def resize(self, width: int, height: int) -> None:
        self.tmux("resize-window", "-t", self.session, "-x", str(width), "-y", str(height))

    def screen(self) -> str:
        return self.tmux("capture-pane", "-t", self.session, "-p")

    def wait_for(self, condition: Callable[[str], bool], what: str, timeout: float = 30) -> str:
        # A generous deadline: it only bounds a failing test, it never measures speed.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = self.screen()
            if condition(shown):
                return shown
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}; the screen shows:\n{self.screen()}")

    def ready(self) -> str:
        """Wait for the writer's first screen, whole: its candidates worked out and its status bar drawn
        (a terminal can show the candidates of a first frame whose lower lines are still to come)."""
        return self.wait_for(
            lambda s: "Next word" in s and re.search(r"\d%", s) is not None and status_words(s) is not None,
            "the candidates panel and the status bar",
        )

    def wait_exit(self, timeout: float = 20) -> bool:
        deadline = time.monotonic() + timeout
        while not (self.folder / "exited").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        return (self.folder / "exited").exists()

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, env=ENVIRONMENT)


STATUS_WORDS = re.compile(r"^ [^│╭╰▊]*? ([\d,]+) words[ ·]", flags=re.MULTILINE)


def status_words(shown: str) -> int | None:
    """The story's word count on the status bar, None while there is none. Only the bar's left end
    is read: a notice (a toast) can cover its right end for a few seconds at 80 columns."""
    counts = STATUS_WORDS.findall(shown)
    return int(counts[-1].replace(",", "")) if counts else None


def word_count(shown: str) -> int:
    """The story's word count, from the status bar."""
    words = status_words(shown)
    assert words is not None, f"no status bar on the screen:\n{shown}"
    return words
