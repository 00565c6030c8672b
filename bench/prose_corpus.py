"""Real English prose for the benchmarks, made from text that Debian packages install.

Nothing here is shipped: the texts are read where the packages put them and written under
``bench/.cache/``. Two sources:

* ``fortunes`` (``apt-get install fortunes``): about 460,000 words of quotations, jokes,
  verse and short prose under ``/usr/share/games/fortunes``; the ASCII-art file is left out.
  The fortunes are shuffled with a fixed seed, so every size samples all of its topics;
* ``bible-kjv`` (``apt-get install bible-kjv``): the King James Bible, about 790,000 words,
  printed by its ``bible`` command, one paragraph a chapter, verse numbers removed.

A text of N words is the first N words of the shuffled fortunes, continued (past the
fortunes' end) by the Bible from Genesis on. Paragraph breaks are blank lines.

    python bench/prose_corpus.py 250000      # prints the path of the cached text
"""

from __future__ import annotations

import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache"
FORTUNES = Path("/usr/share/games/fortunes")
LEFT_OUT = {"ascii-art"}
"""Drawings, not prose."""
SEED = 0


class MissingSource(Exception):
    """A Debian package the corpus needs is not installed; the message says which."""


def fortunes() -> list[str]:
    """Every English fortune, each a paragraph of text, in a fixed shuffled order."""
    if not FORTUNES.is_dir():
        raise MissingSource("the fortunes are missing: apt-get install fortunes")
    found: list[str] = []
    for path in sorted(FORTUNES.iterdir()):
        if path.suffix in (".dat", ".u8") or path.name in LEFT_OUT or not path.is_file():
            continue
        text = path.read_bytes().decode("utf-8", errors="replace")
        found += [piece.strip() for piece in re.split(r"^%$", text, flags=re.M) if piece.strip()]
    random.Random(SEED).shuffle(found)
    return found


def bible_chapters() -> list[str]:
    """The King James Bible, a paragraph a chapter."""
    if shutil.which("bible") is None:
        raise MissingSource("the King James Bible is missing: apt-get install bible-kjv")
    printed = subprocess.run(
        ["bible", "-f", "gen1:1-rev22:21"], capture_output=True, text=True, check=True
    ).stdout
    chapters: dict[str, list[str]] = {}
    for line in printed.splitlines():
        match = re.match(r"([1-3]?[A-Za-z]+\d+):\d+ (.*)", line)
        if match:
            chapters.setdefault(match.group(1), []).append(match.group(2).strip())
    return [" ".join(verses) for verses in chapters.values()]


def prose_file(words: int) -> Path:
    """The cached text of about ``words`` words (made if missing)."""
    path = CACHE / f"prose-w{words}-s{SEED}.txt"
    if path.exists():
        return path
    pieces, count = [], 0
    sources = [fortunes]
    if sum(len(p.split()) for p in fortunes()) < words:
        sources.append(bible_chapters)
    for source in sources:
        for piece in source():
            if count >= words:
                break
            pieces.append(piece)
            count += len(piece.split())
    CACHE.mkdir(exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text("\n\n".join(pieces) + "\n", encoding="utf-8")
    partial.replace(path)
    return path


def describe(path: Path) -> str:
    """One line: the text's sources and size."""
    text = path.read_text(encoding="utf-8")
    words = len(text.split())
    kjv = "In the beginning God created" in text
    source = "fortunes + King James Bible" if kjv else "fortunes"
    return f"{path.name}: {words:,} words of real prose ({source}, installed by Debian packages)"


if __name__ == "__main__":
    try:
        print(prose_file(int(sys.argv[1]) if len(sys.argv) > 1 else 250_000))
    except MissingSource as error:
        sys.exit(f"prose_corpus: {error}")
