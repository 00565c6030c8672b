"""Ctrl+F: where the top candidate comes from: a few lines of the corpus, the words marked."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from ...engine import PARAGRAPH
from ...session.corpus_aids import Sources
from ...text import visible


def sources_text(sources: Sources) -> Text:
    """Each place: its file and line, then the line with the words looked up marked. The corpus's
    text is shown literally (``visible``), never as markup."""
    text = Text()
    for number, place in enumerate(sources.places):
        if number:
            text.append("\n\n")
        text.append(visible(f"{place.file}:{place.line}"), style="bold")
        text.append("\n")
        text.append(visible(place.before))
        text.append(visible(place.match), style="reverse bold")
        text.append(visible(place.after))
    return text


class SourcesScreen(ModalScreen[None]):
    """Lines of the corpus that hold the words; any of Esc, Enter or Ctrl+F closes it."""

    BINDINGS = [Binding("escape,enter,ctrl+f,q", "close", "Close")]

    def __init__(self, sources: Sources) -> None:
        super().__init__()
        self.sources = sources

    def compose(self) -> ComposeResult:
        words = " ".join("¶" if w == PARAGRAPH else w for w in self.sources.words)
        shown = len(self.sources.places)
        with Vertical(classes="dialog", id="sources"):
            yield Label(
                visible(f"“{words}” is in the corpus {self.sources.total:,} times; the first {shown}:"),
                markup=False,
            )
            with VerticalScroll():
                yield Static(sources_text(self.sources))
            yield Label("Esc: close")

    def action_close(self) -> None:
        self.dismiss(None)
