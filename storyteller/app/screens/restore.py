"""After a crash or a kill: offer the story that was being written."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from ...text import visible


class RestoreScreen(ModalScreen[bool]):
    BINDINGS = [
        Binding("y,enter", "answer(True)", "Restore"),
        Binding("n,escape", "answer(False)", "Start afresh"),
    ]

    def __init__(self, words: int, preview: str) -> None:
        super().__init__()
        self._words = words
        self._preview = preview

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(
                f"storyteller did not close cleanly last time. Restore the story ({self._words:,} words)?"
            )
            yield Static(visible(self._preview, keep_newlines=True), markup=False, classes="preview")
            yield Label("Y / Enter: restore · N / Esc: start afresh (the story stays in the story list)")

    def action_answer(self, restore: bool) -> None:
        self.dismiss(restore)
