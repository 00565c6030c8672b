"""A session's models: switching, going back, and what a rename or a deletion of a file changes.

Mixed into ``WritingSession``. A model's name is its file's name, so renaming the file renames
the model in use (the status bar and notices follow); a deleted model stays loaded while it is
in use, but nothing goes back to it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..engine import Model
from ..engine.quotes import as_read
from ..engine.story import Story


def _same(model: Model | None, path: Path) -> bool:
    return model is not None and model.path is not None and model.path.resolve() == path.resolve()


class Models:
    """The model intents of a ``WritingSession`` (see the module's docstring)."""

    model: Model
    previous_model: Model | None
    story: Story
    unknown: list[str]
    halt: Callable[[], bool]
    say: Callable[[str], str]
    model_changed: Callable[[], None]

    def switch_model(self, model: Model) -> str:
        """Write with ``model`` from now on; the words already written stay as they are."""
        self.halt()
        self.previous_model, self.model = self.model, model
        self.unknown = model.vocabulary.unknown(as_read(self.story.tokens, model.card.tokenizer.quotes))
        self.model_changed()
        return self.say(
            f"Writing with '{model.name}' now (Ctrl+G goes back to '{self.previous_model.name}')."
        )

    def rollback(self) -> str:
        if self.previous_model is None:
            return self.say("There is no earlier model to go back to.")
        return self.switch_model(self.previous_model)

    def model_renamed(self, old: Path, new: Path) -> str | None:
        """The file ``old`` is now ``new``: a model of this session that was read from it takes the
        new name. One sentence if it was the model in use or the one Ctrl+G goes back to."""
        for model in (self.model, self.previous_model):
            if model is not None and _same(model, old):
                was = model.name
                model.path = new
                self.model_changed()
                return self.say(f"'{was}' is now called '{model.name}'.")
        return None

    def model_deleted(self, path: Path) -> str | None:
        """The file ``path`` is gone. The model in use stays loaded until the writer switches;
        Ctrl+G never goes back to a deleted model."""
        if _same(self.previous_model, path):
            assert self.previous_model is not None
            name, self.previous_model = self.previous_model.name, None
            return self.say(f"'{name}' is deleted: Ctrl+G has no model to go back to now.")
        if _same(self.model, path):
            name = self.model.name
            return self.say(f"'{name}' is deleted: you write with it until you switch to another model.")
        return None
