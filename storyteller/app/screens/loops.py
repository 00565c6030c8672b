"""The fixes for a loop the model fell into: one key each."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList

from ...text import visible

FIXES = (
    ("forbid", "write the rest of the turn again, never repeating a phrase of 3 words"),
    ("warmer", "write the rest of the turn again, warmer (temperature +0.5)"),
    ("second", "take the model's next-best word where the loop began, and go on from it"),
)
"""(the session's name for the fix, what the writer reads)."""


class LoopScreen(ModalScreen[str | None]):
    """Returns the fix the writer chose, or None."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        *(Binding(str(n), f"fix({n - 1})", f"Fix {n}", show=False) for n in range(1, len(FIXES) + 1)),
    ]

    def __init__(self, description: str) -> None:
        super().__init__()
        self._description = description

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="loops"):
            yield Label(visible(self._description), markup=False)
            yield Label("The looping words are kept as a branch (Ctrl+B).", classes="hint")
            yield OptionList(*(f"{n} {text}" for n, (_, text) in enumerate(FIXES, 1)))
            yield Label("1–3 or Enter on a fix · Esc leaves the story as it is", classes="hint")

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.action_fix(event.option_index)

    def action_fix(self, index: int) -> None:
        self.dismiss(FIXES[index][0])

    def action_cancel(self) -> None:
        self.dismiss(None)
