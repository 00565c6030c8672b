"""After a model switch: the old and the new model's candidates for the same position, side by side."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from ...engine import Candidate, Model, Predictor
from ...errors import StorytellerError
from ...text import visible
from ..widgets.candidates import bar, shown

COUNT = 10


class CompareScreen(ModalScreen[bool]):
    """Returns True to keep the new model, False to roll back."""

    BINDINGS = [
        Binding("enter,k", "keep", "Keep the new model"),
        Binding("r,escape", "roll_back", "Roll back"),
    ]

    def __init__(self, old: Model, new: Model, tokens: list[str]) -> None:
        super().__init__()
        self._old, self._new, self._tokens = old, new, tokens
        self.columns: tuple[list[Candidate], list[Candidate]] | None = None
        """The old and the new model's candidates, once worked out."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(
                visible(
                    f"The next word's candidates: '{self._old.name}' (before) and '{self._new.name}' (now)"
                ),
                markup=False,
            )
            yield Static("…", id="comparison")
            yield Label("Enter / K: keep the new model · R / Esc: roll back (Ctrl+G does it later too)")

    def on_mount(self) -> None:
        self._compare()

    @work(thread=True, exit_on_error=False, description="compare")
    def _compare(self) -> None:
        columns = []
        try:
            for model in (self._old, self._new):
                predictor = Predictor(model)
                predictor.feed(self._tokens)
                columns.append(predictor.candidates(COUNT))
        except StorytellerError as error:  # a model that fails on this story: said, not "…" forever
            self.app.call_from_thread(self._failed, str(error))
            return
        self.app.call_from_thread(self._show, *columns)

    def _failed(self, problem: str) -> None:
        self.query_one("#comparison", Static).update(Text(visible(problem), style="red"))

    def _show(self, old: list[Candidate], new: list[Candidate]) -> None:
        self.columns = (old, new)
        table = Table(box=None, padding=(0, 1))
        for title in (visible(self._old.name), "", visible(self._new.name), ""):
            table.add_column(Text(title, style="bold"))
        for i in range(COUNT):
            row: list[Text] = []
            for column in (old, new):
                if i < len(column):
                    c = column[i]
                    row += [Text(shown(c.token)[:14]), Text(f"{bar(c.probability, 8)} {c.probability:5.1%}")]
                else:
                    row += [Text(""), Text("")]
            table.add_row(*row)
        self.query_one("#comparison", Static).update(table)

    def action_keep(self) -> None:
        self.dismiss(True)

    def action_roll_back(self) -> None:
        self.dismiss(False)
