"""A line above the input for help about the words just typed (unknown words, mostly)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class NoticeBar(Static):
    def say(self, text: Text | None) -> None:
        self.display = text is not None
        self.update(text or "")
