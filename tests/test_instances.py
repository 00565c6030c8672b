"""Two writers on one data folder, as two real processes in tmux: neither loses a word.

Needs tmux (CI installs it); skipped where there is none.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from storyteller.engine.story import load_story

from .tmux import Terminal, needs_tmux, word_count

pytestmark = needs_tmux


def app_pid(terminal: Terminal) -> int:
    """The writer's process: the child of the pane's shell."""
    shell = int(terminal.tmux("list-panes", "-t", terminal.session, "-F", "#{pane_pid}").split()[0])
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == shell:
            return int(stat.parent.name)
    raise AssertionError("the writer's process was not found")


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds the app's process through /proc")
def test_two_instances_on_one_folder_never_lose_a_word(tmp_path: Path) -> None:
    first = Terminal(tmp_path)
    second: Terminal | None = None
    third: Terminal | None = None
    try:
        first.ready()
        first.keys("the hedgehog", "Enter")
        first.wait_for(lambda s: word_count(s) == 2, "the first writer's words")

        second = Terminal(tmp_path)
        shown = second.ready()
        assert "did not close cleanly" not in shown  # the first one's live story is not a crash
        second.wait_for(lambda s: "Another storyteller is open" in s, "the one sentence about the other")
        second.keys("the kettle sang", "Enter")
        second.wait_for(lambda s: word_count(s) == 3, "the second writer's words")

        os.kill(app_pid(first), signal.SIGKILL)
        second.keys("loudly", "Enter")
        second.wait_for(lambda s: word_count(s) == 4, "the second writer writing on")
        second.keys("C-q")
        stories = tmp_path / "stories"
        second.wait_for(lambda s: any(stories.glob("*.json")), "the second story filed")

        third = Terminal(tmp_path)
        third.wait_for(lambda s: "did not close cleanly" in s, "the first writer's story offered back")
        third.keys("y")
        third.wait_for(
            lambda s: "did not close cleanly" not in s and word_count(s) == 2, "the restored story"
        )

        filed = [load_story(p) for p in stories.glob("*.json")]
        assert [s.tokens for s in filed] == [["the", "kettle", "sang", "loudly"]]
    finally:
        for terminal in (first, second, third):
            if terminal is not None:
                terminal.close()
