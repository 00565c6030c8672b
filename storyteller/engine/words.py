"""A story's words: who chose each, with what probability, rank and settings; branches and turns.

Each word keeps its token, the form it was written in, and what the model said of it when it
was chosen; a story file holds them one to a line (``Word.to_json``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

_string = json.encoder.encode_basestring  # type: ignore[attr-defined]
"""A string as JSON text without escaping what is not ASCII (what ``ensure_ascii=False`` does)."""


class Author(StrEnum):
    """Who chose a word."""

    WRITER = "writer"
    """Typed by the writer."""
    PICKED = "picked"
    """A candidate the writer picked (or accepted) from the model's list."""
    MODEL = "model"
    """Written by the model."""


@dataclass(frozen=True)
class Word:
    """One token of the story and how it got there."""

    token: str
    author: Author
    probability: float | None = None
    """The model's probability for this token at its position, when it was chosen."""
    rank: int | None = None
    """Its rank among the model's candidates then (1 = the most probable)."""
    settings: int | None = None
    """Index into ``Story.settings`` of the generation settings (model words only)."""
    window: int | None = None
    """The context the probability was measured with: the last N words, or the whole story (None)."""
    form: str | None = None
    """The word as it was written on the page (the writer's spelling, or the capitals it was shown
    with); None: as the model in use spells it."""
    space: bool | None = None
    """Whether a space comes before it, where the writer typed it otherwise than the page would
    space it (``[bold]x`` stays as typed); None: as the page spaces it."""
    memory: int | None = None
    """The story's memory the probability was measured with: its last N words, or none (None)."""

    @property
    def side(self) -> str:
        """'model' for the model's words, 'writer' for the writer's (typed or picked)."""
        return "model" if self.author is Author.MODEL else "writer"

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"t": self.token, "by": self.author.value}
        if self.probability is not None:
            data["p"] = round(self.probability, 6)
        if self.rank is not None:
            data["r"] = self.rank
        if self.settings is not None:
            data["s"] = self.settings
        if self.window is not None:
            data["w"] = self.window
        if self.form is not None:
            data["f"] = self.form
        if self.space is not None:
            data["sp"] = self.space
        if self.memory is not None:
            data["m"] = self.memory
        return data

    def to_json_text(self) -> str:
        """``to_json`` as JSON text, as ``json.dumps(..., ensure_ascii=False)`` writes it, made
        directly: a story of a million words is encoded in a second or two, not fifteen."""
        text = f'{{"t": {_string(self.token)}, "by": "{self.author.value}"'
        if self.probability is not None:
            text += f', "p": {_number(round(self.probability, 6))}'
        if self.rank is not None:
            text += f', "r": {int(self.rank)}'
        if self.settings is not None:
            text += f', "s": {int(self.settings)}'
        if self.window is not None:
            text += f', "w": {int(self.window)}'
        if self.form is not None:
            text += f', "f": {_string(self.form)}'
        if self.space is not None:
            text += ', "sp": true' if self.space else ', "sp": false'
        if self.memory is not None:
            text += f', "m": {int(self.memory)}'
        return text + "}"

    @classmethod
    def from_json(cls, data: Any) -> Word:
        if not isinstance(data, dict) or not isinstance(data.get("t"), str) or not data["t"]:
            raise ValueError("a word entry has no token")
        probability, rank, settings, window = data.get("p"), data.get("r"), data.get("s"), data.get("w")
        memory = data.get("m")
        if probability is not None and not (isinstance(probability, int | float) and 0 <= probability <= 1):
            raise ValueError("a word's probability is not between 0 and 1")
        for value in (rank, settings, window, memory):
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
                raise ValueError("a word's rank, settings index, window or memory is not a whole number")
        if window == 0 or memory == 0:
            raise ValueError("a word's window or memory is 0")
        form, space = data.get("f"), data.get("sp")
        if form is not None and (not isinstance(form, str) or not form):
            raise ValueError("a word's written form is not text")
        if space is not None and not isinstance(space, bool):
            raise ValueError("a word's spacing is not true or false")
        author = Author(data.get("by", "writer"))
        return cls(data["t"], author, probability, rank, settings, window, form, space, memory)


def _number(value: float) -> str:
    # float.__repr__ is what json writes for a finite float; anything else goes the long way.
    return repr(value) if math.isfinite(value) and type(value) in (float, int) else json.dumps(value)


@dataclass(frozen=True)
class Branch:
    """Words that once followed the first ``start`` words of the story."""

    start: int
    words: tuple[Word, ...]


@dataclass(frozen=True)
class Turn:
    """A run of consecutive words from one side: what the story view shows as one message."""

    side: str
    start: int
    words: tuple[Word, ...]
