"""The one exception type whose message is meant for the writer's eyes, how the command line says
it, and the one install hint."""

from __future__ import annotations

import sys

from .text import visible

EXIT_USAGE = 2
"""The exit status after an expected problem, said in one sentence (argparse's for a usage error)."""


class StorytellerError(Exception):
    """Expected trouble (bad input, bad file): its message is one clear sentence for the user."""


def say_error(error: BaseException) -> int:
    """``error`` as the command line says it, one line on stderr; returns ``EXIT_USAGE``."""
    print(f"storyteller: error: {visible(error)}", file=sys.stderr)
    return EXIT_USAGE


INSTALL_HINT = "pip install 'storyteller[train]'"
"""How to get what training needs (torch and onnx); said wherever training is asked for without it."""


def training_missing(missing: str | None = None) -> str:
    """The one sentence for training asked for without torch and onnx (``missing``: the one not found)."""
    which = f" ({missing} is missing)" if missing else ", which are not installed"
    return f"Training needs torch and onnx{which}: {INSTALL_HINT}."
