"""The one exception type whose message is meant for the writer's eyes, and the one install hint."""

from __future__ import annotations


class StorytellerError(Exception):
    """Expected trouble (bad input, bad file): its message is one clear sentence for the user."""


INSTALL_HINT = "pip install 'storyteller[train]'"
"""How to get what training needs (torch and onnx); said wherever training is asked for without it."""


def training_missing(missing: str | None = None) -> str:
    """The one sentence for training asked for without torch and onnx (``missing``: the one not found)."""
    which = f" ({missing} is missing)" if missing else ", which are not installed"
    return f"Training needs torch and onnx{which}: {INSTALL_HINT}."
