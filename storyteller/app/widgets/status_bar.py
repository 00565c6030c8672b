"""The status bar: model, settings, word count, and whether the model is writing."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from ..settings import WriterSettings


class StatusBar(Static):
    def show(self, model: str, settings: WriterSettings, words: int, writing: bool) -> None:
        text = Text()
        text.append(f" {model} ", style="reverse")
        text.append(f" {settings.describe()} · {words:,} words")
        if settings.colour:
            text.append(" · colours")
        if writing:
            text.append("  ✎ writing… (Esc stops)", style="bold")
        self.update(text)
