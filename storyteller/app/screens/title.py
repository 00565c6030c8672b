"""The story's title: typed once, shown in the story list and as a Markdown export's heading."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label


class TitleScreen(ModalScreen[str | None]):
    """Returns the new title ('' for none), or None when the writer leaves it as it was."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str) -> None:
        super().__init__()
        self._title = title

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("The story's title:")
            yield Input(self._title, id="title", select_on_focus=False)
            yield Label("Enter keeps it · Esc leaves it as it was", classes="hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
