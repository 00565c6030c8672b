"""Return to a branch: words that once followed an earlier word of the story."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from ...engine import TokenizerConfig
from ...engine.story import Branch, Story
from ...engine.tokenizer import Speller
from ...text import visible

PREVIEW_WORDS = 12
CONTEXT = 40
"""Tokens read before a branch so its words get the capitals they have in the story."""


def _preview(story: Story, branch: Branch, tokenizer: TokenizerConfig) -> tuple[str, str]:
    """The few words before a branch and its first words, spelled as the story spells them there.

    Detokenising a slice on its own would capitalise its first word as a sentence start; read
    from a little earlier, a word mid-sentence keeps its lower case.
    """
    speller = Speller(tokenizer)
    start = branch.start
    pieces = [speller.push(w.token, w.form, w.space) for w in story.words[max(0, start - CONTEXT) : start]]
    after = "".join(speller.push(w.token, w.form, w.space) for w in branch.words[:PREVIEW_WORDS])
    return "".join(pieces[-4:]).strip(), after.strip()


class BranchesScreen(ModalScreen[int | None]):
    """Lists branches; returns the index (into the list given) of the one chosen."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, story: Story, branches: list[Branch], tokenizer: TokenizerConfig) -> None:
        super().__init__()
        self._options = []
        for i, branch in enumerate(branches):
            before, after = _preview(story, branch, tokenizer)
            more = "…" if len(branch.words) > PREVIEW_WORDS else ""
            count = f"{len(branch.words)} word{'s' * (len(branch.words) != 1)}"
            label = f"at word {branch.start + 1}: …{before} ⟶ {after}{more} ({count})"
            self._options.append(Option(visible(label), id=str(i)))

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Return to a branch (what it replaces becomes a branch in turn)")
            yield OptionList(*self._options, markup=False)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id or 0))

    def action_cancel(self) -> None:
        self.dismiss(None)
