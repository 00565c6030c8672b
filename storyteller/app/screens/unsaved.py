"""At quit, when the disk took nothing: where the story can still go before the app closes."""

from __future__ import annotations

from typing import Literal

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label

Choice = Literal["save", "copy", "quit"]


class UnsavedScreen(ModalScreen["Choice | None"]):
    """Asks what to do with a story that is on no disk; None: go back to writing."""

    BINDINGS = [
        Binding("s", "answer('save')", "Save elsewhere"),
        Binding("c", "answer('copy')", "Copy as text"),
        Binding("q", "answer('quit')", "Quit anyway"),
        Binding("escape", "answer(None)", "Keep writing"),
    ]

    def __init__(self, problem: str, copied: bool = False) -> None:
        super().__init__()
        self._problem = problem
        self._copied = copied

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self._problem, markup=False)
            if self._copied:
                yield Label(
                    "The story is on the clipboard as text (where the terminal passes it on): "
                    "paste it somewhere safe before you quit.",
                    markup=False,
                )
            yield Label(
                "S: save it to another folder or disk · C: copy it to the clipboard as text · "
                "Q: quit and lose it · Esc: keep writing",
                markup=False,
            )

    def action_answer(self, choice: Choice | None) -> None:
        self.dismiss(choice)
