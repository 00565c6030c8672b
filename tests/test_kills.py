"""Reliability under SIGKILL, with real processes: nothing a kill interrupts is left half-written.

1. The trainer (``python -m training``) killed at random moments, from its start to the middle
   of its export: the model it replaces still loads (the old bytes, or a complete new model),
   and no half-written ``.onnx`` file is left beside it.
2. The app killed in a real terminal (tmux) while the model writes and while the writer types:
   the autosave holds every word the screen showed but the one in flight, and the next start
   offers the story back with the same word count.

Each trial is its own test (``[trial]``); ``random.Random(trial)`` picks the moment of the kill.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from storyteller.engine import load
from storyteller.engine.story import load_story

from .conftest import FABLE, TINY_MODEL
from .tmux import status_words

TRIALS = 10

# -- 1. the trainer --------------------------------------------------------------------------------

TRAINER_KILLS = ("start", "start", "events", "events", "events", "export", "write", "done", "done", "done")
"""When each trial kills the trainer:

- start: a random 0–2.5 s after it was started (importing torch, reading the text, training);
- events: right after a random number (1–5) of "step"/"epoch" progress events;
- done: right after the "done" event (the export is then running: parity check, then the write);
- export: a random 0–0.15 s after the "done" event (the export takes about 0.1 s);
- write: after the "done" event, as soon as the export's temporary file appears beside the model.
"""

TRAINING_EVENTS = 5
"""'step' and 'epoch' events in a full run of the settings below (3 epochs on the fable)."""


def _events(output: str) -> list[str]:
    """The event names in the trainer's JSON lines (a line cut short by the kill is skipped)."""
    names = []
    for line in output.splitlines():
        try:
            names.append(json.loads(line)["event"])
        except (ValueError, KeyError, TypeError):
            continue
    return names


def wait_at_most(process: subprocess.Popen[str], seconds: float) -> None:
    """Let the process run on for ``seconds`` (the random moment of the kill), or until it ends."""
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=seconds)


@pytest.mark.torch
@pytest.mark.parametrize("trial", range(TRIALS))
def test_a_trainer_killed_at_any_moment_leaves_a_model_that_loads(trial: int, tmp_path: Path) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("onnx")
    rng = random.Random(trial)
    moment = TRAINER_KILLS[trial]
    models = tmp_path / "models"
    models.mkdir()
    target = models / "mine.onnx"
    old = TINY_MODEL.read_bytes()
    target.write_bytes(old)  # the previous active model

    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "training",
            str(FABLE),
            "--out",
            str(target),
            "--layers",
            "1",
            "--units",
            "16",
            "--epochs",
            "3",
            "--progress",
            "jsonl",
            "--threads",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    seen: list[str] = []
    try:
        if moment == "start":
            wait_at_most(process, rng.uniform(0.0, 2.5))
        else:
            after = rng.randint(1, TRAINING_EVENTS)
            for line in process.stdout:
                seen.extend(_events(line))
                if moment == "events" and sum(e in ("step", "epoch") for e in seen) >= after:
                    break
                if moment in ("done", "export", "write") and seen[-1:] == ["done"]:
                    break
            if moment == "export":
                wait_at_most(process, rng.uniform(0.0, 0.15))
            if moment == "write":  # as soon as the temporary file appears (if it is caught at all)
                deadline = time.monotonic() + 10
                while process.poll() is None and time.monotonic() < deadline:
                    if any(name.endswith(".tmp") for name in os.listdir(models)):
                        break
        process.send_signal(signal.SIGKILL)
        rest, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    events = seen + _events(rest)
    killed = process.returncode == -signal.SIGKILL
    what = f"trial {trial} ({moment}): exit status {process.returncode}, events {events}"

    if moment == "done":
        assert killed and "exported" not in events, f"the kill should land in the export; {what}"

    names = sorted(p.name for p in models.iterdir())
    others = [name for name in names if name != "mine.onnx"]
    temporaries = [name for name in others if name.startswith(".") and name.endswith(".tmp")]
    assert "mine.onnx" in names, f"the model is gone; {what}"
    assert not [name for name in others if name.endswith(".onnx")], f"a stray model file: {names}; {what}"
    assert others == temporaries, f"unexpected files: {names}; {what}"
    assert len(temporaries) <= 1, f"one export writes one temporary file at most: {names}; {what}"

    model = load(target)  # raises if the file is not a complete model
    data = target.read_bytes()
    if "done" not in events:
        assert data == old, f"killed before training ended, yet the model changed; {what}"
    if "exported" in events or process.returncode == 0:
        assert data != old, f"the export finished, yet the old model is still there; {what}"
    if data != old:
        assert model.name == "mine", what  # a complete new model, named after its file


# -- 2. the app ------------------------------------------------------------------------------------

# The app must size itself from the terminal, not from sizes other tests left in the environment.
UNSIZED = ("COLUMNS", "LINES")
FIRST_WORDS = "the hedgehog filled"
MORE_WORDS = ("kettle", "sang", "under", "the", "stove", "and", "laughed", "at", "night")


class Terminal:
    """A tmux server of the test's own, for sessions running the app with ``exec`` (pane = app)."""

    def __init__(self, socket: str) -> None:
        self.socket = socket
        self.socket_path: Path | None = None

    def tmux(self, *args: str) -> str:
        environment = {k: v for k, v in os.environ.items() if k not in UNSIZED}
        command = ["tmux", "-L", self.socket, *args]
        return subprocess.run(command, capture_output=True, text=True, check=True, env=environment).stdout

    def start(self, session: str, data_dir: Path) -> int:
        """Start the app in a new 110×32 session; returns its pid (the pane's process)."""
        command = " ".join(
            [
                "exec env",
                f"STORYTELLER_DATA_DIR={shlex.quote(str(data_dir))}",
                shlex.quote(sys.executable),
                "-m storyteller --model",
                shlex.quote(str(TINY_MODEL)),
            ]
        )
        self.tmux("new-session", "-d", "-s", session, "-x", "110", "-y", "32", command)
        self.socket_path = Path(self.tmux("display", "-p", "-t", session, "#{socket_path}").strip())
        return int(self.tmux("display", "-p", "-t", session, "#{pane_pid}").strip())

    def close(self) -> None:
        """End the server, its sessions and their apps; remove its socket file."""
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)
        if self.socket_path is not None:
            self.socket_path.unlink(missing_ok=True)

    def screen(self, session: str) -> str:
        return self.tmux("capture-pane", "-t", session, "-p")

    def keys(self, session: str, *keys: str) -> None:
        self.tmux("send-keys", "-t", session, *keys)

    def wait_for(self, session: str, condition: Callable[[str], bool], what: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = self.screen(session)
            if condition(shown):
                return shown
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}; the screen shows:\n{self.screen(session)}")

    def wait_for_panel(self, session: str) -> str:
        return self.wait_for(
            session, lambda s: "Next word" in s and re.search(r"\d%", s) is not None, "the candidates panel"
        )


def kill(pid: int) -> None:
    """SIGKILL the app and wait until it is gone (tmux reaps it), so nothing more can be written."""
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.01)
    raise AssertionError(f"the app (pid {pid}) did not die")


def wait_for_file(path: Path, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} was never written"
        time.sleep(0.02)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
@pytest.mark.parametrize("trial", range(TRIALS))
def test_an_app_killed_while_writing_loses_at_most_the_word_in_flight(trial: int, tmp_path: Path) -> None:
    rng = random.Random(trial)
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    autosave = data_dir / "autosave.json"
    terminal = Terminal(f"storyteller-kills-{os.getpid()}-{trial}")
    try:
        first, second = "killed", "restarted"
        pid = terminal.start(first, data_dir)
        terminal.wait_for_panel(first)
        if Path("/proc").is_dir():
            assert "storyteller" in Path(f"/proc/{pid}/cmdline").read_text(), (
                "the pane's process is not the app"
            )
        terminal.keys(first, FIRST_WORDS, "Enter")
        terminal.wait_for(first, lambda s: status_words(s) == 3, "the writer's first words")
        wait_for_file(autosave)

        if trial % 2 == 0:
            delay = rng.uniform(0.1, 1.0)
            how = f"the model writing, killed {delay:.2f} s into its turn"
            terminal.keys(first, "Enter")  # Enter on an empty line: the model writes 30 words
            time.sleep(delay)  # the random moment of the kill, not a wait for the screen
        else:
            words = rng.sample(MORE_WORDS, rng.randint(1, 6))  # the kill comes right after the last
            how = f"the writer typing, killed right after sending the last of {words}"
            for count, word in enumerate(words, start=4):
                terminal.keys(first, word, "Enter")
                if count < 3 + len(words):  # every word but the last is on the screen before the next
                    terminal.wait_for(first, lambda s, n=count: status_words(s) == n, f"the word {word!r}")
        shown = terminal.screen(first)
        kill(pid)

        on_screen = status_words(shown)
        assert on_screen is not None, f"no status bar before the kill:\n{shown}"
        assert autosave.exists(), f"trial {trial} ({how}): no autosave after the kill"
        story = load_story(autosave)
        saved = sum(w.token[:1].isalnum() for w in story.words)  # as the status bar counts

        # The restore is checked first, so that it is checked even when too little was saved.
        terminal.start(second, data_dir)
        terminal.wait_for(second, lambda s: "did not close cleanly" in s, "the offer to restore the story")
        terminal.keys(second, "y")
        restored = terminal.wait_for(
            second,
            lambda s: "did not close cleanly" not in s and status_words(s) is not None,
            "the restored story",
        )
        terminal.wait_for(
            second,
            lambda s: status_words(s) == saved,
            f"the restored word count to equal the autosave's ({saved}; first seen {status_words(restored)})",
            timeout=5,
        )
        assert saved >= on_screen - 1, (
            f"trial {trial} ({how}): the screen showed {on_screen} words just before the kill, "
            f"the autosave holds {saved}:\n{shown}"
        )
    finally:
        terminal.close()
