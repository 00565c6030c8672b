"""Every key, on one screen (F1), made from the one key list (``keys.py``); how a key is named."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ..keys import ROWS

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
    group = None
    for row in ROWS:
        if row.group != group:
            group = row.group
            if table.row_count:
                table.add_row("")
            table.add_row(group.upper(), "")
        table.add_row(row.keys, row.help.replace("`", ""))
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
