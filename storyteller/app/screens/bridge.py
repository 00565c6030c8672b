"""A bridge to a word: the writer names a word, the dialog shows the model's best ways to it."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList

from ...engine.bridge import BridgePath
from ...errors import StorytellerError
from ...text import visible

Search = Callable[[str], Callable[[], list[BridgePath]]]
"""Given what the writer typed, a job that finds the paths (or raises one sentence)."""


class BridgeScreen(ModalScreen[BridgePath | None]):
    """Returns the path the writer takes, or None."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        *(Binding(str(n), f"take({n - 1})", f"Take path {n}", show=False) for n in range(1, 4)),
    ]

    def __init__(self, search: Search, describe: Callable[[BridgePath], str]) -> None:
        super().__init__()
        self._search = search
        self._describe = describe
        self._paths: list[BridgePath] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="bridge"):
            yield Label("A bridge to a word: the word to reach, and at most how many words (castle 6):")
            yield Input(id="target", placeholder="castle", select_on_focus=False)
            yield Label("", id="found", markup=False)
            yield OptionList(id="paths")
            yield Label(
                "Enter finds the paths · 1–3 or Enter on a path writes it in · Esc closes", classes="hint"
            )

    def on_mount(self) -> None:
        self.query_one(OptionList).display = False

    @on(Input.Submitted)
    def _find(self, event: Input.Submitted) -> None:
        try:
            job = self._search(event.value)
        except StorytellerError as error:
            self._say(str(error))
            return
        self._say("Looking for the likeliest ways there …")
        self._run(job)

    @work(thread=True, exclusive=True, exit_on_error=False, description="bridge")
    def _run(self, job: Callable[[], list[BridgePath]]) -> None:
        try:
            paths = job()
        except StorytellerError as error:
            self.app.call_from_thread(self._say, str(error))
            return
        self.app.call_from_thread(self._found, paths)

    def _say(self, sentence: str) -> None:
        self.query_one("#found", Label).update(visible(sentence))
        self.query_one(OptionList).display = False
        self._paths = []

    def _found(self, paths: list[BridgePath]) -> None:
        self._paths = paths
        self.query_one("#found", Label).update(f"The {len(paths)} likeliest ways, with their probabilities:")
        options = self.query_one(OptionList)
        options.clear_options()
        for number, path in enumerate(paths, 1):
            line = Text(f"{number} ", style="bold")
            line.append(visible(self._describe(path)))
            line.append(f"  {path.probability:.2%}", style="dim")
            options.add_option(line)
        options.display = True
        options.highlighted = 0
        options.focus()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.action_take(event.option_index)

    def action_take(self, index: int) -> None:
        if 0 <= index < len(self._paths):
            self.dismiss(self._paths[index])

    def action_cancel(self) -> None:
        self.dismiss(None)
