"""Every model found (shipped and the writer's own): its card; switch, rename or delete.

Only the writer's own models (in the user's models folder) can be renamed or deleted; the
session hears of it (``model_renamed``, ``model_deleted``), so the model in use takes its new
name and Ctrl+G never goes back to a deleted model. Deleting the model in use asks twice as
clearly.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ...engine import ModelEntry, ModelError, find_models, load, user_models_dir
from ...engine.corpus_index import index_path
from ...engine.registry import MODEL_NAME_RULE, MODEL_SUFFIX, is_model_name
from ...figures import count, figures_table, weights_line
from ...text import visible

if TYPE_CHECKING:
    from ...session import WritingSession


def _where(path: Path, source: str) -> str:
    """Where a model's file is, in the words a writer knows its folders by."""
    if source == "shipped":
        return f"{path.name}, shipped with storyteller"
    if source == "user":
        return f"{path.name} in your models folder"
    return str(path)  # a folder the writer named in STORYTELLER_MODEL_PATH


class ModelsScreen(ModalScreen[Path | None]):
    """Returns the model to write with, or None."""

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("enter", "use", "Write with it", show=False),
        Binding("n", "rename", "Rename"),
        Binding("d,delete", "delete", "Delete"),
    ]

    def __init__(self, session: WritingSession) -> None:
        super().__init__()
        self.session = session
        self.data_dir = session.data_dir
        self.entries: list[ModelEntry] = []

    @property
    def current(self) -> Path | None:
        """The file of the model in use (marked ●)."""
        return self.session.model.path

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="models") as box:
            box.border_title = "Models"
            yield Label("Enter: write with it · N: rename · D: delete (your own only) · Esc: close")
            with Horizontal():
                yield OptionList(id="list", markup=False)
                yield Static("", id="card")
            yield Input(placeholder="new name, then Enter", id="rename", classes="hidden")

    def on_mount(self) -> None:
        self.refresh_list()

    def refresh_list(self) -> None:
        self.entries = find_models(self.data_dir)
        options = self.query_one("#list", OptionList)
        options.clear_options()
        current = self.current
        for entry in self.entries:
            mark = "● " if current is not None and entry.path.resolve() == current.resolve() else "  "
            options.add_option(Option(visible(f"{mark}{entry.name}  [{entry.source}]")))
        if self.entries:
            options.highlighted = 0
        options.focus()

    def selected(self) -> ModelEntry | None:
        index = self.query_one("#list", OptionList).highlighted
        return self.entries[index] if index is not None and index < len(self.entries) else None

    @on(OptionList.OptionHighlighted)
    def _highlighted(self) -> None:
        entry = self.selected()
        if entry is not None:
            self._card(entry.path, entry.source)

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _card(self, path: Path, source: str) -> None:
        try:
            card = load(path).card
        except ModelError as error:
            self.app.call_from_thread(self._show_card, Text(str(error), style="red"))
            return
        try:
            size = path.stat().st_size / 1e6
        except OSError:
            size = 0.0
        text = Text()
        # Each stranger's field is made visible on its own (a line break in a name must not
        # start a line of its own); the card's own line breaks stay.
        text.append(f"{visible(card.name)}\n", style="bold")
        text.append(
            f"{visible(_where(path, source))}\n{size:.1f} MB · {card.layers}×{card.units} LSTM"
            f" · vocabulary {len(card.vocabulary):,}"
        )
        files = card.corpus.get("files") or []
        files = files if isinstance(files, list) else []
        source = ", ".join(visible(f) for f in files[:3]) + (" …" if len(files) > 3 else "")
        text.append(f" · window {card.window}\ntrained on {count(card.corpus.get('words', 0))} words")
        if source:
            text.append(f" from {source}")
        text.append(
            f" · created {visible(card.created or 'unknown')}\n{visible(weights_line(card.training))}\n\n"
        )
        text.append("\n".join(figures_table(card.metrics)))
        self.app.call_from_thread(self._show_card, Text(visible(text.plain, keep_newlines=True), style=""))

    def _show_card(self, text: Text) -> None:
        self.query_one("#card", Static).update(text)

    @on(OptionList.OptionSelected)
    def _selected(self) -> None:
        self.action_use()

    def action_use(self) -> None:
        entry = self.selected()
        if entry is not None:
            self.dismiss(entry.path)

    def _own(self, entry: ModelEntry | None) -> ModelEntry | None:
        if entry is None:
            return None
        if entry.path.parent.resolve() != user_models_dir(self.data_dir).resolve():
            self.notify("Only your own models (in your models folder) can be changed.", markup=False)
            return None
        return entry

    def _in_use(self, entry: ModelEntry) -> bool:
        return self.current is not None and entry.path.resolve() == self.current.resolve()

    def action_rename(self) -> None:
        if self._own(self.selected()) is None:
            return
        field = self.query_one("#rename", Input)
        field.remove_class("hidden")
        field.value = ""
        field.focus()

    @on(Input.Submitted, "#rename")
    def _renamed(self, event: Input.Submitted) -> None:

        entry = self._own(self.selected())
        event.input.add_class("hidden")
        if entry is None:
            return
        name = event.value.strip()
        if not is_model_name(name):
            self.notify(MODEL_NAME_RULE, markup=False)
            return
        target = entry.path.with_name(name + MODEL_SUFFIX)
        if target.exists():
            self.notify(f"A model named '{name}' exists already.", markup=False)
            return
        try:
            entry.path.rename(target)
        except OSError as error:
            self.notify(f"Could not rename it ({error.strerror}).", severity="error", markup=False)
            return
        with contextlib.suppress(OSError):  # its corpus index goes with it, if it has one
            index_path(entry.path).rename(index_path(target))
        self.session.model_renamed(entry.path, target)
        self.refresh_list()

    def action_delete(self) -> None:
        entry = self._own(self.selected())
        if entry is None:
            return
        from .confirm import ConfirmScreen

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            try:
                entry.path.unlink()
            except OSError as error:
                self.notify(f"Could not delete it ({error.strerror}).", severity="error", markup=False)
            else:
                with contextlib.suppress(OSError):
                    index_path(entry.path).unlink(missing_ok=True)
                self.session.model_deleted(entry.path)
            self.refresh_list()

        question = f"Delete the model '{entry.name}' for good?"
        if self._in_use(entry):
            question = (
                f"'{entry.name}' is the model you are writing with. Delete its file for good? "
                "You write with it until you switch; it cannot be chosen again."
            )
        self.app.push_screen(ConfirmScreen(question), confirmed)

    def action_close(self) -> None:
        self.dismiss(None)
