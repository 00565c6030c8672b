"""The writing aids of a session: each candidate's next words, a bridge to a word, loops caught.

Mixed into ``WritingSession``. As everywhere in the session, slow work (the bridge's beam
search) is asked for as a job the caller runs in whatever thread it chooses, and its result
is applied back on the UI thread only if the story has not moved on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from ..engine.bridge import BridgeError, BridgePath, bridge
from ..engine.lookahead import following_text
from ..engine.loops import MIN_WORDS, Loop, find_loop
from ..engine.story import Author, Word
from .reading import TurnRequest

if TYPE_CHECKING:
    from ..engine import Model
    from ..engine.lookahead import Phrase
    from ..engine.story import Story
    from .reading import Reader
    from .settings import WriterSettings

DEFAULT_WITHIN = 8
"""How many words a bridge may take when the writer does not say."""
BRIDGE_PATHS = 3
WARMER = 0.5
"""How much the 'warmer' loop fix raises the temperature for the rest of the turn."""
LOOP_FIXES = ("forbid", "warmer", "second")
"""The loop fixes, in the order the loop dialog offers them."""


class Aids:
    """Mixed into ``WritingSession`` (see the module's docstring)."""

    model: Model
    story: Story
    cursor: int | None
    settings: WriterSettings
    reader: Reader
    phrases: list[Phrase]
    unknown: list[str]
    halt: Callable[[], bool]
    say: Callable[[str], str]
    changed: Callable[..., None]
    _written: Callable[[int, str], str | None]
    start_turn: Callable[..., TurnRequest | str]

    loop: Loop | None = None
    """The loop the model's last turn fell into, while the story is as it was then."""
    _loop_revision = -1

    # -- the lookahead -----------------------------------------------------------------

    def following_texts(self) -> list[str] | None:
        """Each candidate's likeliest next words as they read, or None when there are none."""
        if not self.phrases:
            return None
        before = self.story.last_tokens(8, self.cursor)  # what following_text reads on from
        return [following_text(p, self.model.card.tokenizer, before) for p in self.phrases]

    # -- a bridge to a word ------------------------------------------------------------

    def bridge_job(self, asked: str) -> Callable[[], list[BridgePath]]:
        """A job that finds the best paths to the word in ``asked`` ("castle" or "castle 5": at most
        5 words), for a worker; it raises a ``StorytellerError`` sentence when there are none."""
        parts = asked.split()
        within = DEFAULT_WITHIN
        if len(parts) == 2 and parts[1].isdigit():
            within = int(parts[1])
            parts = parts[:1]
        target = " ".join(parts)
        if not target:
            raise BridgeError("Name a word to reach, and at most how many words to take (castle 6).")
        model, window, beam = self.model, self.settings.window, self.settings.bridge_beam
        tokens = self.story.tokens if self.cursor is None else self.story.tokens[: self.cursor]
        return lambda: self.reader.using(
            model, window, tokens, lambda predictor: bridge(predictor, target, within, beam, BRIDGE_PATHS)
        )

    def write_path(self, path: BridgePath) -> None:
        """The writer takes a bridge: its words join the story (at the word cursor, in place of
        what followed, which is kept as a branch)."""
        self.halt()
        if self.cursor is not None:
            self.story.cut(self.cursor)
            self.cursor = None
        window = self.settings.window
        for token, probability in zip(path.tokens, path.probabilities, strict=True):
            form = self._written(len(self.story.words), token)
            self.story.add([Word(token, Author.PICKED, probability, window=window, form=form)])
        self.unknown = []
        self.changed()

    # -- loops -------------------------------------------------------------------------

    def look_for_loop(self, start: int) -> str | None:
        """After a model turn that began at word ``start``: find a loop in it, and say so."""
        tokens = self.story.tokens
        self.loop = find_loop(tokens, start)
        self._loop_revision = self.story.revision
        if self.loop is None:
            return None
        return f"{self.loop.describe(tokens)} Ctrl+K offers fixes."

    def current_loop(self) -> Loop | None:
        """The loop found in the last turn, while the story is still as the turn left it."""
        return self.loop if self._loop_revision == self.story.revision else None

    def loop_span(self) -> range | None:
        """The story's words that repeat, for the story view to mark."""
        loop = self.current_loop()
        return None if loop is None else range(loop.start, loop.end)

    def fix_loop(self, fix: str) -> TurnRequest | str:
        """Write the turn again from where the loop began: with its phrases forbidden, warmer, or
        starting with the model's second candidate there. The looping words are kept as a branch."""
        loop = self.current_loop()
        if loop is None:
            return self.say("No loop to fix: the model's last turn did not repeat itself.")
        if fix not in LOOP_FIXES:
            raise ValueError(f"no loop fix {fix!r}")
        turn = self.story.last_turn()
        assert turn is not None  # a loop is in the model's last turn
        kept = self.story.word_count(before=loop.start) - self.story.word_count(before=turn.start)
        settings = replace(self.settings, length=max(1, self.settings.length - kept))
        if fix == "forbid":
            settings = replace(settings, no_repeat=MIN_WORDS)
        elif fix == "warmer":
            settings = replace(settings, temperature=min(5.0, settings.temperature + WARMER), greedy=False)
        # The next-best word where the loop began: the second candidate, or the first where the
        # loop began with the second.
        opening = (1 if self.story.words[loop.start].rank == 2 else 2) if fix == "second" else 0
        self.halt()
        self.story.cut(loop.start)
        self.loop = None
        return self.start_turn(settings=settings, opening_rank=opening)
