"""Return to a branch: words that once followed an earlier word of the story."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from ...engine import TokenizerConfig, detokenize
from ...engine.story import Branch, Story
from ...text import visible

PREVIEW_WORDS = 12


class BranchesScreen(ModalScreen[int | None]):
    """Lists branches; returns the index (into the list given) of the one chosen."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, story: Story, branches: list[Branch], tokenizer: TokenizerConfig) -> None:
        super().__init__()
        self._options = []
        for i, branch in enumerate(branches):
            before = detokenize(story.tokens[max(0, branch.start - 4) : branch.start], tokenizer).strip()
            after = detokenize([w.token for w in branch.words[:PREVIEW_WORDS]], tokenizer).strip()
            more = "…" if len(branch.words) > PREVIEW_WORDS else ""
            label = f"at word {branch.start + 1}: …{before} ⟶ {after}{more} ({len(branch.words)} words)"
            self._options.append(Option(visible(label), id=str(i)))

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Return to a branch (what it replaces becomes a branch in turn)")
            yield OptionList(*self._options, markup=False)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id or 0))

    def action_cancel(self) -> None:
        self.dismiss(None)
