"""A story of millions of words in the writer's app: opening it, writing in it, saving it.

For each length, a story file is written (the app's own format; words in turns of 150, the
writer's and the model's by turns, all scored, as ``app_latency.long_story`` makes them), then,
in a headless app on the default model:

* read: the story file read and its figures worked out (Ctrl+O does this in a worker);
* open → candidates: from handing the read story to the writer until the candidates panel
  holds the candidates for its end (the model reads the story's last 20,000 tokens first, in a
  worker);
* Tab and Enter → candidates: a key press until the new position's candidates are shown;
* autosave: putting the story file together (in the autosave's thread).

    python bench/huge_story.py [--words 100000 1000000] [--presses 10]

A story past what a story file may hold (about 7 million words of this kind) is written with
the fewest fields a file may give a word, as a hostile autosave would be; its autosave is then
refused in one sentence, which the table shows.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from app_latency import STORY_TEXT, long_story

from storyteller.app import StorytellerApp
from storyteller.app.widgets.writer_input import WriterInput
from storyteller.engine import load, resolve
from storyteller.engine.story import MAX_STORY_BYTES, save_story
from storyteller.session import WriterSettings


def write_story_file(words: int, path: Path) -> None:
    story = long_story(words)
    try:
        save_story(story, path)
    except Exception:  # too long for a story file in full: the fewest fields each word may have
        lines = ",\n".join(f'{{"t": "{STORY_TEXT[i % len(STORY_TEXT)]}"}}' for i in range(words))
        path.write_text(f'{{"format": "storyteller-story", "version": 2, "words": [\n{lines}\n]}}\n')


async def measure(words: int, presses: int) -> dict[str, list[float] | str]:
    model = load(resolve("default"))
    results: dict[str, list[float] | str] = {}
    with tempfile.TemporaryDirectory() as data:
        path = Path(data) / "huge.json"
        write_story_file(words, path)
        results["file MiB"] = f"{path.stat().st_size / 2**20:,.0f}"
        app = StorytellerApp(model, Path(data), WriterSettings(pace=0))
        async with app.run_test(size=(80, 24)) as pilot:
            writer, files = app.writer, app.writer.session.files
            started = time.perf_counter()
            read = files.read_story(path)
            results["read (worker) s"] = [time.perf_counter() - started]
            assert not isinstance(read, str), read
            started = time.perf_counter()
            files.open_story(path, read)
            while writer._candidates_at != (words, None):
                await asyncio.sleep(0.005)
            results["open → candidates s"] = [time.perf_counter() - started]
            await pilot.pause()
            for key in ("tab", "enter") * presses:
                if key == "enter":
                    writer.query_one(WriterInput).value = "the"
                expected = len(writer.story.words) + 1
                started = time.perf_counter()
                press = asyncio.create_task(pilot.press(key))
                while writer._candidates_at != (expected, None):
                    await asyncio.sleep(0.0005)
                elapsed = time.perf_counter() - started
                results.setdefault(f"{key.capitalize()} → candidates s", []).append(elapsed)  # type: ignore[union-attr]
                await press
            file = writer.story.file()
            started = time.perf_counter()
            try:
                size = len(file.encode())
                results["autosave s"] = [time.perf_counter() - started]
                results["autosave MiB"] = f"{size / 2**20:,.0f}"
            except OSError as error:
                results["autosave s"] = [time.perf_counter() - started]
                results["autosave MiB"] = f"refused: {error.strerror}"
            results["peak RSS MiB"] = f"{peak_rss() / 2**10:,.0f}"
    return results


def peak_rss() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--presses", type=int, default=10)
    args = parser.parse_args()
    code = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout
    python = platform.python_version()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {python}; code {code.strip()}")
    limit = MAX_STORY_BYTES / 2**20
    print(f"(a story file may hold {limit:,.0f} MiB; medians of {args.presses} key presses)\n")
    rows = {words: asyncio.run(measure(words, args.presses)) for words in args.words}
    names = list(next(iter(rows.values())))
    print("| words | " + " | ".join(names) + " |")
    print("|---:|" + "---:|" * len(names))
    for words, results in rows.items():
        cells = [v if isinstance(v, str) else f"{statistics.median(v):.3f}" for v in results.values()]
        print(f"| {words:,} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
