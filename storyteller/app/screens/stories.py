"""The story list: earlier stories, newest first, to open one."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from ...text import visible


class StoriesScreen(ModalScreen[Path | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, files: list[Path]) -> None:
        super().__init__()
        self._files = files

    def compose(self) -> ComposeResult:
        options = []
        for i, path in enumerate(self._files):
            when = datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
            options.append(Option(visible(f"{when}  {path.stem}"), id=str(i)))
        with Vertical(classes="dialog"):
            yield Label("Open a story (the one open now stays in this list)")
            yield OptionList(*options, markup=False)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self._files[int(event.option.id or 0)])

    def action_cancel(self) -> None:
        self.dismiss(None)
