"""The story document: its words (``words.py``), undo/redo, branches, and its file format.

Nothing here is lost silently: undoing and then writing something new keeps the undone
words as a branch, and so does going back to an earlier word and choosing again.
"""

from __future__ import annotations

import bisect
import errno
import io
import itertools
import json
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from ..errors import StorytellerError
from .files import FileProblem, TooDeep, check_depth, loads_json, read_untrusted, write_atomically
from .page import spell
from .story_upgrades import STORY_FORMAT, STORY_VERSION, upgrade
from .tokenizer import TokenizerConfig
from .vocab import is_word
from .words import Author, Branch, Turn, Word

MAX_STORY_BYTES = 256 * 2**20
WORDS_PER_PIECE = 8192
"""Words put together and written at a time (a few hundred kilobytes)."""


class StoryError(StorytellerError):
    """A story file that cannot be read or written, in one sentence."""


class Story:
    """The words of a story, their history and the settings the model wrote them with.

    The words change only through the methods below, which log where each change begins;
    what is worked out from the words (turns, the word count, the tokens, each word's JSON) is
    kept up to date from that point on, so a word added to a long story costs what the word
    costs, not what the story costs. ``unchanged_since`` lets a view do the same.
    """

    def __init__(
        self,
        words: Iterable[Word] = (),
        branches: Iterable[Branch] = (),
        settings: Iterable[dict[str, Any]] = (),
        model: dict[str, Any] | None = None,
        title: str = "",
    ) -> None:
        self._words: list[Word] = list(words)
        self.branches: list[Branch] = list(branches)
        self.settings: list[dict[str, Any]] = [dict(s) for s in settings]
        """Generation settings in use when the model wrote (words point here by index)."""
        self.model: dict[str, Any] = dict(model or {})
        """The model the story was written with: name and sha256."""
        self.title = title
        self._redo: list[Word] = []
        self._edits = array("q")  # for each change, the index of the first word it touched
        self._derived_at = 0  # the revision the figures below were brought up to date at
        self._counts = [0]  # _counts[i]: words among the first i
        self._turns: list[Turn] = []
        self._encoded: list[str] = []  # each word's JSON
        self._tokens: list[str] = []  # each word's token
        self._formed: list[tuple[int, str]] = []  # (index, token) of each word with a written form
        self._forms: dict[str, list[str]] = {}  # each token's written forms, in the story's order

    def __repr__(self) -> str:
        return f"Story(title={self.title!r}, words={len(self._words)}, branches={len(self.branches)})"

    # -- reading -----------------------------------------------------------------------

    @property
    def words(self) -> Sequence[Word]:
        """The story's words, to read: change them through the methods below (and copy them to
        keep them as they are now)."""
        return self._words

    @property
    def tokens(self) -> list[str]:
        """Each word's token (a copy of a list kept up to date, not worked out word by word)."""
        self._update()
        return list(self._tokens)

    def has_tokens(self, tokens: list[str]) -> bool:
        """Whether the story's tokens are ``tokens`` (compared in place, not copied)."""
        self._update()
        return self._tokens == tokens

    def last_tokens(self, count: int, before: int | None = None) -> list[str]:
        """The tokens of the last ``count`` words (of the first ``before``, or of the whole story)."""
        self._update()
        end = len(self._tokens) if before is None else before
        return self._tokens[max(0, end - count) : end]

    def turns(self, first: int = 0) -> list[Turn]:
        """Consecutive words grouped by side; a paragraph break does not end a turn (a copy, of the
        turns from the ``first`` on: a view of the story's end need not copy them all)."""
        self._update()
        return self._turns[first:]

    def last_turn(self) -> Turn | None:
        self._update()
        return self._turns[-1] if self._turns else None

    def turn_count(self) -> int:
        self._update()
        return len(self._turns)

    def turn_of(self, index: int) -> int:
        """The number of the turn word ``index`` is in."""
        self._update()
        return max(0, bisect.bisect_right(self._turns, index, key=lambda t: t.start) - 1)

    def written_forms(self) -> dict[str, str]:
        """The latest written form of each token the story has written in a form of its own."""
        self._update()
        return {token: forms[-1] for token, forms in self._forms.items()}

    def word_count(self, before: int | None = None) -> int:
        """Words, not punctuation or paragraph breaks: what the writer calls the length (of the
        first ``before`` words, or of the whole story)."""
        self._update()
        return self._counts[len(self._words) if before is None else before]

    def text(self, tokenizer: TokenizerConfig = TokenizerConfig()) -> str:
        """The story as prose, each word as it was written (``page.spell``)."""
        return spell(self._words, tokenizer)

    @property
    def revision(self) -> int:
        """Counts the changes so far; give it to ``unchanged_since`` later."""
        return len(self._edits)

    def unchanged_since(self, revision: int) -> int:
        """How many leading words are the same as they were at ``revision``."""
        return min(min(self._edits[revision:], default=len(self._words)), len(self._words))

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    # -- changing ----------------------------------------------------------------------

    def add(self, words: Iterable[Word]) -> None:
        """Append words; undone words waiting for redo are kept as a branch, not dropped."""
        words = list(words)
        if not words:
            return
        self._keep_redo_as_branch()
        self._edits.append(len(self._words))
        self._words.extend(words)

    def undo(self) -> Word | None:
        """Take back the last word, whoever wrote it."""
        if not self._words:
            return None
        word = self._words.pop()
        self._edits.append(len(self._words))
        self._redo.append(word)
        return word

    def redo(self) -> Word | None:
        if not self._redo:
            return None
        word = self._redo.pop()
        self._edits.append(len(self._words))
        self._words.append(word)
        return word

    def insert(self, index: int, words: Iterable[Word]) -> None:
        """Put ``words`` before the word at ``index`` (what the writer types at the word cursor)."""
        words = list(words)
        if not words:
            return
        if not 0 <= index <= len(self._words):
            raise ValueError(f"cannot insert into a story of {len(self._words)} words at {index}")
        self._keep_redo_as_branch()
        self._edits.append(index)
        self._words[index:index] = words

    def replace(self, index: int, word: Word) -> None:
        """Put ``word`` in place of the word at ``index`` (a correction, or its score)."""
        self._words[index] = word
        self._edits.append(index)

    def cut(self, length: int) -> None:
        """Keep the first ``length`` words; the rest becomes a branch."""
        if not 0 <= length <= len(self._words):
            raise ValueError(f"cannot cut a story of {len(self._words)} words at {length}")
        self._keep_redo_as_branch()
        rest = tuple(self._words[length:])
        if rest:
            self._remember(Branch(length, rest))
        self._edits.append(length)
        del self._words[length:]

    def switch(self, index: int) -> None:
        """Return to branch ``index``; what it replaces becomes a branch in its turn."""
        branch = self.branches[index]
        if branch.start > len(self._words):
            raise ValueError(f"the branch follows word {branch.start}, but the story has {len(self._words)}")
        del self.branches[index]
        self._keep_redo_as_branch()
        rest = tuple(self._words[branch.start :])
        if rest:
            self._remember(Branch(branch.start, rest))
        self._edits.append(branch.start)
        del self._words[branch.start :]
        self._words.extend(branch.words)

    def remember_settings(self, settings: dict[str, Any]) -> int:
        """The index of ``settings`` in the story's settings list (added if new)."""
        if settings not in self.settings:
            self.settings.append(dict(settings))
        return self.settings.index(settings)

    def _keep_redo_as_branch(self) -> None:
        if self._redo:
            self._remember(Branch(len(self._words), tuple(reversed(self._redo))))
            self._redo.clear()

    def _remember(self, branch: Branch) -> None:
        if branch not in self.branches:
            self.branches.append(branch)

    def _update(self) -> None:
        """Bring the counts, turns, tokens, written forms and encoded words up to date with the words."""
        keep = min(self.unchanged_since(self._derived_at), len(self._encoded))
        self._derived_at = len(self._edits)
        words = self._words
        if keep == len(self._encoded) == len(words):
            return
        del self._counts[keep + 1 :], self._encoded[keep:], self._tokens[keep:]
        while self._formed and self._formed[-1][0] >= keep:
            token = self._formed.pop()[1]
            self._forms[token].pop()
            if not self._forms[token]:
                del self._forms[token]
        # The turn that reaches the change keeps its words before it, and the first group after
        # the change joins it when on the same side: slices and joins in C, never a walk through
        # the turn in Python (a stranger's story may be one turn of millions of words).
        while self._turns and self._turns[-1].start >= keep:
            self._turns.pop()
        joining = None
        if self._turns and self._turns[-1].start + len(self._turns[-1].words) >= keep:
            last = self._turns.pop()
            joining = Turn(last.side, last.start, last.words[: keep - last.start])
        count = self._counts[-1]
        for index, word in enumerate(words[keep:], keep):
            count += is_word(word.token)
            self._counts.append(count)
            self._encoded.append(word.to_json_text())
            self._tokens.append(word.token)
            if word.form:
                self._formed.append((index, word.token))
                self._forms.setdefault(word.token, []).append(word.form)
        model = Author.MODEL
        start = keep
        for by_model, group in itertools.groupby(words[keep:], key=lambda w: w.author is model):
            side, grouped = "model" if by_model else "writer", tuple(group)
            if joining is not None and joining.side == side:
                self._turns.append(Turn(side, joining.start, joining.words + grouped))
            else:
                if joining is not None:
                    self._turns.append(joining)
                self._turns.append(Turn(side, start, grouped))
            joining = None
            start += len(grouped)
        if joining is not None:
            self._turns.append(joining)

    # -- files -------------------------------------------------------------------------

    def file(self) -> StoryFile:
        """The story's file as of now; later changes to the story do not touch it."""
        self._update()
        pending = tuple(reversed(self._redo))
        branches = [*self.branches, *([Branch(len(self._words), pending)] if pending else [])]
        head = {
            "format": STORY_FORMAT,
            "version": STORY_VERSION,
            "title": self.title,
            "model": dict(self.model),
            "settings": [dict(s) for s in self.settings],
        }
        return StoryFile(head, list(self._encoded), branches)

    @classmethod
    def from_json(cls, data: Any, tokenizer: TokenizerConfig = TokenizerConfig()) -> Story:
        """Parse a story, brought up to the current format first (an older file's words are spelled
        as ``tokenizer`` spells them, and keep that form); raises ``ValueError`` naming the first
        thing wrong."""
        data = upgrade(data, tokenizer)
        words = data.get("words")
        branches = data.get("branches", [])
        settings = data.get("settings", [])
        if not isinstance(words, list) or not isinstance(branches, list) or not isinstance(settings, list):
            raise ValueError("its words, branches or settings are not lists")
        model = data["model"] if isinstance(data.get("model"), dict) else {}
        title = data.get("title", "")
        # Kept as they are and written again with every autosave: their nesting must be bounded.
        check_depth([settings, model, title])
        story = cls(
            words=[Word.from_json(w) for w in words],
            settings=[s for s in settings if isinstance(s, dict)],
            model=model,
            title=str(title),
        )
        for entry in branches:
            if not isinstance(entry, dict) or not isinstance(entry.get("start"), int):
                raise ValueError("a branch has no start")
            if not isinstance(entry.get("words"), list):
                raise ValueError("a branch has no words")
            start = entry["start"]
            if not 0 <= start <= len(story.words) + 10**9:
                raise ValueError("a branch starts outside the story")
            story.branches.append(Branch(start, tuple(Word.from_json(w) for w in entry["words"])))
        return story


@dataclass(frozen=True)
class StoryFile:
    """A story as its file will hold it, taken at one moment (``Story.file``): its bytes can
    be made in another thread while the story goes on changing."""

    head: dict[str, Any]
    words: list[str]
    """Each word's JSON."""
    branches: list[Branch]

    def encode(self) -> bytes:
        """The file's bytes (see ``write_to``)."""
        buffer = io.BytesIO()
        self.write_to(buffer)
        return buffer.getvalue()

    def write_to(self, file: IO[bytes]) -> None:
        """Write the file: JSON, one word to a line, in pieces (another thread may write a long
        story while the UI goes on: no piece holds the interpreter for long). ``OSError`` (EFBIG)
        when it would be more than a story file may hold: what the app writes, it must be able to
        read back (the writer is told, and a failed autosave makes quitting ask where it can go)."""
        # Characters are at most bytes: a story this long is refused before anything is written.
        if sum(map(len, self.words)) + 2 * len(self.words) > MAX_STORY_BYTES:
            raise _too_long()
        head = {**self.head, "saved": datetime.now(UTC).isoformat(timespec="seconds")}
        branches = [{"start": b.start, "words": [w.to_json() for w in b.words]} for b in self.branches]
        pieces = [f'{json.dumps(head, ensure_ascii=False)[:-1]},\n"words": [\n']
        for start in range(0, len(self.words), WORDS_PER_PIECE):
            pieces.append(",\n".join(self.words[start : start + WORDS_PER_PIECE]))
            pieces.append(",\n" if start + WORDS_PER_PIECE < len(self.words) else "")
        pieces.append(f'\n],\n"branches": {json.dumps(branches, ensure_ascii=False)}}}\n')
        written = 0
        for piece in pieces:
            data = piece.encode()
            written += len(data)
            if written > MAX_STORY_BYTES:
                raise _too_long()
            file.write(data)


def _too_long() -> OSError:
    return OSError(
        errno.EFBIG,
        f"the story is too long for a story file: over the {MAX_STORY_BYTES / 2**20:,.0f} MiB one "
        "may hold; a .txt name saves it as text",
    )


def save_story(story: Story, path: Path) -> None:
    """Write the story file atomically: the old file stays whole until the new one is complete."""
    _write(story.file().write_to, path)


def load_story(path: Path, tokenizer: TokenizerConfig = TokenizerConfig()) -> Story:
    """Read a story file (an older format is upgraded: see ``Story.from_json``); anything
    wrong with it (a folder, a pipe, a device, too large, too deep, not a story) is one
    ``StoryError`` sentence."""
    shown = f"'{path}'"
    try:
        raw = read_untrusted(path, MAX_STORY_BYTES, "Story file")
    except FileProblem as error:
        raise StoryError(str(error)) from None
    try:
        data = loads_json(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise StoryError(f"Story file {shown} is not a story (truncated, or not JSON).") from None
    except TooDeep:
        raise StoryError(f"Story file {shown} is not a story (it is nested too deeply).") from None
    try:
        return Story.from_json(data, tokenizer)
    except ValueError as error:  # TooDeep among them
        raise StoryError(f"Story file {shown} cannot be used: {error}.") from None


def export_text(story: Story, path: Path, tokenizer: TokenizerConfig, markdown: bool = False) -> None:
    """The story as prose (plain text, or Markdown with the title as a heading)."""
    body = story.text(tokenizer).strip() + "\n"
    if markdown:
        title = story.title or "Untitled story"
        body = f"# {title}\n\n{body}"
    _write(lambda file: file.write(body.encode()), path)


def _write(write_to: Callable[[IO[bytes]], object], path: Path) -> None:
    try:
        write_atomically(write_to, path)
    except OSError as error:
        raise StoryError(f"The story could not be saved to '{path}' ({error.strerror}).") from None


__all__ = [
    "MAX_STORY_BYTES",
    "STORY_VERSION",
    "Author",
    "Branch",
    "Story",
    "StoryError",
    "StoryFile",
    "Turn",
    "Word",
    "export_text",
    "load_story",
    "save_story",
]
