"""What the command line's commands share: the ``--model``, ``--window`` and ``--no-cache`` flags and
what they turn into (a loaded model, the story's memory)."""

from __future__ import annotations

import argparse

from .engine import Model, load, resolve
from .engine.cache import Memory, memory_for

MODEL_HELP = "a model's name or path (default: the shipped default model)"


def model_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", help=MODEL_HELP)


def window_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--window",
        type=int,
        metavar="N",
        help="condition on the last N words only (default: the whole prompt)",
    )


def memory_argument(
    parser: argparse.ArgumentParser,
    help: str = "the network alone, without the story's memory, its phrases or the corpus counts",
) -> None:
    parser.add_argument("--no-cache", action="store_true", help=help)


def memory(args: argparse.Namespace, model: Model) -> Memory | None:
    """The story's memory for a command that has ``--no-cache`` (``bridge`` reads the network alone)."""
    return None if getattr(args, "no_cache", True) else memory_for(model.card.cache)


def load_model(spec: str | None) -> Model:
    """The model a ``--model`` names (a name or a path), or the shipped default."""
    return load(resolve(spec))
