"""Where to save the story: a path whose ending picks the format (.md, .txt or .json)."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

FORMATS = {".md": "Markdown", ".txt": "plain text", ".json": "story file (every word's history)"}


class SaveScreen(ModalScreen[Path | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, suggestion: Path) -> None:
        super().__init__()
        self._suggestion = suggestion

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Save the story as (.md Markdown, .txt plain text, .json story file):")
            yield Input(str(self._suggestion), id="path")
            yield Label("Enter saves · Esc cancels", classes="hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            return
        path = Path(text).expanduser()
        if path.suffix.lower() not in FORMATS:
            path = path.with_name(path.name + ".md")
        self.dismiss(path)

    def action_cancel(self) -> None:
        self.dismiss(None)
