"""The status bar: whether the model is writing (or left a quote open), a model in training,
the model, word count, the copy meter and perplexities (``writer_aids``), and settings."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from ...session.settings import WriterSettings
from ...text import visible


class StatusBar(Static):
    def show(
        self,
        model: str,
        settings: WriterSettings,
        words: int,
        writing: bool,
        training: str | None = None,
        quote_open: bool = False,
        aids: Text | None = None,
    ) -> None:
        # Most important first: a narrow terminal cuts the end of the line.
        text = Text()
        if writing:
            text.append(" ✎ writing… Esc stops ", style="reverse bold")
        elif quote_open:
            text.append(" “ quote open ", style="bold")
        if training:
            text.append(f" {visible(training)} ", style="bold")
        text.append(f" {visible(model)} ", style="reverse")
        text.append(f" {words:,} words ")
        if aids:
            text.append_text(aids)  # the copy meter and the perplexities, before what is cut first
        text.append(f"· {settings.describe()}")
        if settings.colour:
            text.append(" · colours")
        self.update(text)
