"""How fast the writer's app answers: start to a usable screen, and a key press to new candidates.

* start: ``storyteller`` started in a real terminal (tmux), until the candidates panel shows
  percentages, polled every 10 ms;
* key press: in a headless app on the default model, from pressing Tab (accept a word) or
  Enter (add a typed word) until the candidates panel holds the new position's candidates,
  on an idle machine and again while a training run (the project's corpus, 2 threads) keeps
  both cores busy.

    python bench/app_latency.py [--starts 5] [--presses 60]

Prints a Markdown table; paste it into bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from storyteller.app import StorytellerApp
from storyteller.app.widgets.writer_input import WriterInput
from storyteller.engine import load, resolve
from storyteller.engine.story import Author, Story, Word
from storyteller.session import WriterSettings


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def start_times(runs: int) -> list[float]:
    """Seconds from starting the command to a usable screen, in tmux."""
    times = []
    for run in range(runs):
        session = f"storyteller-bench-{os.getpid()}-{run}"
        with tempfile.TemporaryDirectory() as data:
            command = f"STORYTELLER_DATA_DIR={data} {sys.executable} -m storyteller"
            started = time.perf_counter()
            subprocess.run(
                ["tmux", "-L", session, "new-session", "-d", "-s", session, "-x", "120", "-y", "36", command],
                check=True,
            )
            try:
                while time.perf_counter() - started < 60:
                    screen = subprocess.run(
                        ["tmux", "-L", session, "capture-pane", "-t", session, "-p"],
                        capture_output=True,
                        text=True,
                    ).stdout
                    if "Next word" in screen and re.search(r"\d%", screen):
                        times.append(time.perf_counter() - started)
                        break
                    time.sleep(0.01)
            finally:
                subprocess.run(["tmux", "-L", session, "kill-server"], capture_output=True)
    return times


async def key_times(presses: int) -> dict[str, list[float]]:
    """Seconds from a key press to the candidates of the new position, per kind of key."""
    model = load(resolve("default"))
    results: dict[str, list[float]] = {"Tab (accept a word)": [], "Enter (add a typed word)": []}
    with tempfile.TemporaryDirectory() as data:
        app = StorytellerApp(model, Path(data), WriterSettings(pace=0))
        async with app.run_test(size=(120, 36)) as pilot:
            writer = app.writer

            async def until_candidates(words: int | None = None) -> None:
                """Until the panel shows the candidates after ``words`` words (default: the story's)."""
                while writer._candidates_at != (words or len(writer.story.words), None):
                    await asyncio.sleep(0.0005)

            async def timed(key: str) -> float:
                # The pilot's press also waits for the screen to go idle: time the app, not that.
                expected = len(writer.story.words) + 1
                started = time.perf_counter()
                press = asyncio.create_task(pilot.press(key))
                await until_candidates(expected)
                elapsed = time.perf_counter() - started
                await press
                return elapsed

            await until_candidates()
            for i in range(presses):
                results["Tab (accept a word)"].append(await timed("tab"))
                writer.query_one(WriterInput).value = "the" if i % 2 else "and"
                results["Enter (add a typed word)"].append(await timed("enter"))
            words = len(writer.story.words)
    print(f"(key presses measured on a story growing to {words} words)")
    return results


async def under_load(presses: int) -> dict[str, list[float]]:
    """Typing while the model writes as fast as it can; opening and scrolling a 100,000-word story."""
    model = load(resolve("default"))
    results: dict[str, list[float]] = {
        "a typed letter → input line, while the model writes flat out": [],
        "open a 100,000-word story → candidates shown": [],
        "PageUp on a 100,000-word story → scrolled": [],
    }
    with tempfile.TemporaryDirectory() as data:
        app = StorytellerApp(model, Path(data), WriterSettings(pace=0, length=100_000))
        async with app.run_test(size=(120, 36)) as pilot:
            writer = app.writer
            prompt = writer.query_one(WriterInput)
            await pilot.press("enter")  # the model starts writing, without pause
            while len(writer.story.words) < 50:
                await asyncio.sleep(0.01)
            for i in range(presses):
                letter = "abcdefghij"[i % 10]
                started = time.perf_counter()
                press = asyncio.create_task(pilot.press(letter))
                while not prompt.value.endswith(letter) or len(prompt.value) != i + 1:
                    await asyncio.sleep(0.0005)
                results["a typed letter → input line, while the model writes flat out"].append(
                    time.perf_counter() - started
                )
                await press
            assert writer.writing, "the model stopped writing during the measurement"
            await pilot.press("escape")

            big = long_story(100_000)
            view = writer.query_one("#story")
            for opening in range(3):
                # A different first word and length each time: nothing cached or stale can count.
                story = Story(big.words)
                story.replace(0, Word(["once", "long", "far"][opening], Author.WRITER, 0.1, 1))
                story.cut(len(story.words) - opening - 1)
                started = time.perf_counter()
                writer.set_story(story)
                while writer._candidates_at != (len(story.words), None):
                    await asyncio.sleep(0.001)
                results["open a 100,000-word story → candidates shown"].append(time.perf_counter() - started)
            await pilot.pause()
            for _ in range(10):
                before = view.scroll_y
                started = time.perf_counter()
                press = asyncio.create_task(pilot.press("pageup"))
                while view.scroll_y == before and view.scroll_y > 0:
                    await asyncio.sleep(0.0005)
                results["PageUp on a 100,000-word story → scrolled"].append(time.perf_counter() - started)
                await press
    return results


STORY_TEXT = [
    "the",
    "old",
    "fox",
    "walked",
    "to",
    "the",
    "river",
    ",",
    "and",
    "the",
    "river",
    "sang",
    ".",
    "<p>",
]


def long_story(words: int) -> Story:
    """A story of ``words`` words in turns of 150, the writer's and the model's by turns."""
    story = Story()
    text = STORY_TEXT * (words // len(STORY_TEXT) + 1)
    story.add(
        Word(t, Author.WRITER if i % 300 < 150 else Author.MODEL, 0.1, 1) for i, t in enumerate(text[:words])
    )
    return story


async def model_word_times(presses: int) -> dict[str, list[float]]:
    """The UI thread's work for each word the model writes (the story, the candidates, the
    status bar, the autosave's share), on stories of growing length; and the autosave's own
    work in its thread."""
    model = load(resolve("default"))
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as data:
        app = StorytellerApp(model, Path(data), WriterSettings(pace=0))
        async with app.run_test(size=(120, 36)) as pilot:
            writer = app.writer
            for words in (1_000, 10_000, 100_000):
                writer.set_story(long_story(words))
                while writer._candidates_at != (words, None):
                    await asyncio.sleep(0.001)
                await pilot.pause()
                candidates, name = writer._candidates, f"a model word → shown, on a {words:,}-word story"
                writer.writing = True  # as in a model's turn, which calls the same method
                for i in range(presses):
                    word = Word(STORY_TEXT[i % len(STORY_TEXT)], Author.MODEL, 0.2, 1, 0)
                    started = time.perf_counter()
                    writer._model_wrote(writer._turn, word, candidates, 3.0)
                    results.setdefault(name, []).append(time.perf_counter() - started)
                    await pilot.pause()  # the screen is drawn between two words
                writer.writing = False
            file = writer.story.file()
            for _ in range(10):
                started = time.perf_counter()
                file.encode()
                results.setdefault("autosave of a 100,000-word story (its own thread)", []).append(
                    time.perf_counter() - started
                )
    return results


def start_training(folder: str) -> subprocess.Popen[bytes]:
    """A real training run on both cores, to measure the app beside it."""
    corpus = Path(__file__).resolve().parent.parent / "training" / "corpus"
    command = [sys.executable, "-m", "training", str(corpus), "--out", f"{folder}/busy.onnx"]
    command += ["--progress", "quiet", "--threads", "2", "--time-budget", "600"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(8)  # past torch's import, into the training steps
    return process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--presses", type=int, default=60)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    rows = []
    if shutil.which("tmux"):
        starts = start_times(args.starts)
        rows.append(("start to usable screen (tmux)", starts))
    for name, values in asyncio.run(key_times(args.presses)).items():
        rows.append((f"{name} → candidates", values))
    for name, values in asyncio.run(under_load(args.presses)).items():
        rows.append((name, values))
    for name, values in asyncio.run(model_word_times(args.presses)).items():
        rows.append((name, values))
    with tempfile.TemporaryDirectory() as folder:
        training = start_training(folder)
        try:
            for name, values in asyncio.run(key_times(args.presses)).items():
                rows.append((f"{name} → candidates, while training on both cores", values))
        finally:
            training.kill()
            training.wait()
    print()
    print("| measure | runs | median ms | p95 ms |")
    print("|---|---:|---:|---:|")
    for name, values in rows:
        median, p95 = statistics.median(values) * 1000, percentile(values, 0.95) * 1000
        print(f"| {name} | {len(values)} | {median:.0f} | {p95:.0f} |")


if __name__ == "__main__":
    main()
