"""The writer's input line: every key typed is text; a paste arrives once, whole, as one line."""

from __future__ import annotations

import re

from textual import events
from textual.widgets import Input

from ...session import PARAGRAPH_MARK
from ...text import visible

__all__ = ["PARAGRAPH_MARK", "WriterInput", "one_line"]

_LINE_END = re.compile(r"\r\n|\r|\n")


def one_line(text: str) -> str:
    """Pasted text as one input line: a blank line becomes a paragraph mark, any other line end
    a space (prose is often wrapped), and control characters visible escapes."""
    paragraphs: list[list[str]] = [[]]
    for line in _LINE_END.split(text.replace("\t", " ")):
        if line.strip():
            paragraphs[-1].append(line.strip())
        elif paragraphs[-1]:
            paragraphs.append([])
    return visible(f" {PARAGRAPH_MARK} ".join(" ".join(lines) for lines in paragraphs if lines))


class WriterInput(Input):
    """An input line whose pastes keep every line."""

    def _on_paste(self, event: events.Paste) -> None:
        # Input's own handler runs after this one unless prevented, and would insert the
        # paste's first line a second time.
        event.prevent_default()
        event.stop()
        line = one_line(event.text)
        if not line:
            return
        if self.selection.is_empty:
            self.insert_text_at_cursor(line)
        else:
            self.replace(line, *self.selection)
