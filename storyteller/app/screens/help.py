"""Every key, on one screen (``?`` on an empty line, or F1)."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS = (
    ("Writing", None),
    ("Enter", "add the typed words to the story"),
    ("Enter on an empty line", "the model writes (length: F5)"),
    ("Esc", "stop the model, keeping its words; leave the word cursor"),
    ("Tab", "accept the top candidate, one word"),
    ("1 … 9, 0", "pick candidate 1 … 10 (while the input line is empty)"),
    ("Alt+1 … Alt+0", "pick candidate 1 … 10 (always)"),
    ("Ctrl+L", "a new paragraph (or type ¶)"),
    ("Ctrl+N", "replace the unknown word just typed by the nearest known word"),
    ("History", None),
    ("Ctrl+Z / Ctrl+Y", "undo / redo one word, whoever wrote it"),
    ("Ctrl+R", "write the model's last turn again, with a fresh sample"),
    ("Alt+← / Alt+→", "move to an earlier / later word, to see what was offered there"),
    ("", "picking a candidate there rewrites from that word; the rest is kept as a branch"),
    ("Ctrl+B", "return to a branch"),
    ("Settings", None),
    ("F2 / F3", "temperature down / up"),
    ("F4", "top-k: 5, 10, 20, 40, 100, all"),
    ("F5", "words per model turn"),
    ("F6", "greedy on / off"),
    ("F7", "the model reads the whole story, or its last 3, 5 or 8 words"),
    ("F8", "colour words by their probability"),
    ("F9", "how fast the model's words appear"),
    ("Models", None),
    ("Ctrl+T", "the retrain panel: train a model on your own text, then write with it"),
    ("F10", "every model: its figures; switch, rename, delete your own"),
    ("Ctrl+G", "back to the model used before the last switch"),
    ("Files", None),
    ("Ctrl+S", "save (Markdown, plain text or a story file)"),
    ("Ctrl+O", "open an earlier story"),
    ("Ctrl+P", "every action, by name"),
    ("Ctrl+Q", "quit (the story is kept in the story list)"),
)


def keys_table() -> Table:
    table = Table(show_header=False, box=None, padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    for key, meaning in KEYS:
        if meaning is None:
            if table.row_count:
                table.add_row("")
            table.add_row(key.upper(), "")
        else:
            table.add_row(key, meaning)
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark,f1", "dismiss", "Close"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help") as scroll:
            scroll.border_title = "Every key · Esc closes"
            yield Static(keys_table())

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
