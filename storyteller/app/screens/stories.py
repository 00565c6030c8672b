"""The story list: every story, newest first, with its title, words, last change and opening;
open one, start a new story, or give the open one a title."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from ...session.library import Entry
from ...text import visible


@dataclass(frozen=True)
class StoriesAnswer:
    """What the writer chose: a story to open, a new story, or a title for the open one."""

    path: Path | None = None
    new: bool = False
    retitle: bool = False


class StoriesScreen(ModalScreen[StoriesAnswer | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("n", "new", "New story"),
        Binding("t", "retitle", "Title"),
    ]

    def __init__(self, entries: list[Entry], title: str = "") -> None:
        super().__init__()
        self._entries = entries
        self._title = title

    def compose(self) -> ComposeResult:
        options = []
        for i, entry in enumerate(self._entries):
            when = entry.changed.strftime("%Y-%m-%d %H:%M")
            words = "1 word" if entry.words == 1 else f"{entry.words:,} words"
            line = f"{when}  {entry.title}  ({words})\n    {entry.first_line}"
            options.append(Option(visible(line), id=str(i)))
        current = f"“{self._title}”" if self._title else "untitled"
        with Vertical(classes="dialog", id="stories"):
            yield Label(f"Your stories, newest first (the one open now, {current}, stays in this list)")
            if options:
                yield OptionList(*options, markup=False)
            else:
                yield Label("No stories yet: a story joins the list when you save it or quit.")
            yield Label(
                "Enter: open · N: a new story · T: give this story a title · Esc: back", classes="hint"
            )

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(StoriesAnswer(path=self._entries[int(event.option.id or 0)].path))

    def action_new(self) -> None:
        self.dismiss(StoriesAnswer(new=True))

    def action_retitle(self) -> None:
        self.dismiss(StoriesAnswer(retitle=True))

    def action_cancel(self) -> None:
        self.dismiss(None)
