"""The story list: where stories are filed, what each is called, and what the list shows.

Stories are files in ``<data dir>/stories``, one ``.json`` story file each. A story gets its
file the first time it is filed and keeps it; a new name is never one another story (or
another instance) already has.
"""

from __future__ import annotations

import itertools
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..engine import TokenizerConfig, is_word
from ..engine.page import spell
from ..engine.story import Story, StoryError, load_story

STORIES = "stories"


@dataclass(frozen=True)
class Entry:
    """One story in the list, as the writer sees it."""

    path: Path
    title: str
    """The story's title, or its file's name when it has none."""
    words: int
    changed: datetime
    """When its file last changed."""
    first_line: str
    """Its opening words."""


def new_path(folder: Path, story: Story) -> Path:
    """A file name for ``story`` in ``folder`` that nothing has yet: the date, then its first words.

    The file is created empty (exclusively) to reserve it: two instances that file a story in
    the same second never write to one file.
    """
    base = title_slug(story.title) or first_words_slug(story)
    stamp = f"{datetime.now():%Y-%m-%d-%H%M%S}"
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(1, 10_000):
        suffix = "" if number == 1 else f"-{number}"
        path = folder / f"{stamp}-{base}{suffix}.json"
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
        except FileExistsError:
            continue
        return path
    raise OSError(f"no free story name in {folder}")


def first_words_slug(story: Story) -> str:
    words = list(itertools.islice((w.token for w in story.words if is_word(w.token)), 5))
    return _slug(" ".join(words)) or "story"


def title_slug(title: str) -> str:
    return _slug(title)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40].strip("-")


def suggestion(folder: Path, story: Story, suffix: str = ".md") -> Path:
    """Where the save dialog first offers to save ``story``."""
    base = title_slug(story.title) or first_words_slug(story)
    return folder / f"{datetime.now():%Y-%m-%d-%H%M%S}-{base}{suffix}"


def entries(folder: Path, tokenizer: TokenizerConfig) -> tuple[list[Entry], list[str]]:
    """Every story in ``folder``, newest first, each once; and a sentence per file that is not one."""
    found: list[Entry] = []
    problems: list[str] = []
    for path in folder.glob("*.json"):
        try:
            changed = datetime.fromtimestamp(path.stat().st_mtime)
            if path.stat().st_size == 0:
                continue  # a name reserved a moment ago, its story on the way
            story = load_story(path, tokenizer)
        except OSError:
            continue  # gone since the listing
        except StoryError as error:
            problems.append(str(error))
            found.append(Entry(path, path.stem, 0, changed, "(cannot be read)"))
            continue
        opening = spell(story.words[:40], tokenizer).strip().split("\n")[0]
        found.append(Entry(path, story.title or path.stem, story.word_count(), changed, opening[:80]))
    found.sort(key=lambda e: e.changed, reverse=True)
    return found, problems
