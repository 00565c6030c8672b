"""Every key, on one screen (F1), and how a key is named to the writer."""

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
    ("Shift+F1 … F10", "pick candidate 1 … 10 (digits are text)"),
    ("Ctrl+L", "a new paragraph (or type ¶; in a paste, a blank line)"),
    ("Ctrl+N", "replace the unknown word just typed by the nearest known word"),
    ("History", None),
    ("Ctrl+Z / Ctrl+Y", "undo / redo one word, whoever wrote it"),
    ("Ctrl+R", "write the model's last turn again, with a fresh sample"),
    ("Alt+← / Alt+→", "move to an earlier / later word, to see what was offered there"),
    ("", "picking a candidate there rewrites from that word; the rest is kept as a branch"),
    ("Ctrl+B", "return to a branch (in tmux: Ctrl+B twice)"),
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
    ("F1", "this screen"),
    ("Ctrl+P", "every action, by name: the way in for a key the terminal keeps"),
    ("", "(GNOME Terminal keeps F10 and Shift+F10; tmux keeps Ctrl+B)"),
    ("Ctrl+Q", "quit (the story is kept in the story list)"),
)


_KEY_NAMES = {"escape": "Esc", "pageup": "PgUp", "pagedown": "PgDn", "left": "←", "right": "→"}


def key_label(key: str) -> str:
    """A Textual key name as the writer reads it: ``ctrl+z`` is Ctrl+Z, ``shift+f3`` Shift+F3."""
    parts = key.split("+")
    *modifiers, name = parts
    shown = _KEY_NAMES.get(name, name.upper() if len(name) == 1 or name[0] == "f" else name.title())
    return "+".join([*(m.title() for m in modifiers), shown])


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
        Binding("escape,q,f1", "dismiss", "Close"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help") as scroll:
            scroll.border_title = "Every key · Esc closes"
            yield Static(keys_table())

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
