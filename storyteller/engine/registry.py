"""Where models are found: one search path, and one function that turns a name into a file.

The search path, first match wins:

1. the folders in ``STORYTELLER_MODEL_PATH`` (separated like ``PATH``);
2. the user's models folder (``<user data dir>/models``; ``STORYTELLER_DATA_DIR`` moves the
   data dir), where retrained models go;
3. the models shipped inside the installed package.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import platformdirs

from ..errors import StorytellerError

DEFAULT_MODEL = "default"
MODEL_SUFFIX = ".onnx"
MODEL_NAME = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"
"""What a model's name may be: it becomes a file name, so it cannot leave its folder."""
MODEL_NAME_RULE = "A model's name is letters, digits, '-', '_' or '.', up to 64 characters."
"""``MODEL_NAME`` in words, for a writer who typed another."""


def is_model_name(name: object) -> bool:
    """Whether ``name`` may be a model's name (``MODEL_NAME``)."""
    return isinstance(name, str) and re.fullmatch(MODEL_NAME, name) is not None


@dataclass(frozen=True)
class ModelEntry:
    """A model file found on the search path."""

    name: str
    path: Path
    source: str
    """'path' (STORYTELLER_MODEL_PATH), 'user' or 'shipped'."""


def data_dir() -> Path:
    """The user's storyteller data folder (stories, retrained models)."""
    override = os.environ.get("STORYTELLER_DATA_DIR")
    return Path(override) if override else platformdirs.user_data_path("storyteller")


def user_models_dir(base: Path | None = None) -> Path:
    """The user's models folder (under ``base``, a data folder, when one is given)."""
    return (base or data_dir()) / "models"


def shipped_models_dir() -> Path:
    return Path(str(resources.files("storyteller.shipped_models")))


def search_path(base: Path | None = None) -> list[tuple[Path, str]]:
    extra = os.environ.get("STORYTELLER_MODEL_PATH", "")
    folders = [(Path(p), "path") for p in extra.split(os.pathsep) if p]
    return [*folders, (user_models_dir(base), "user"), (shipped_models_dir(), "shipped")]


def find_models(base: Path | None = None) -> list[ModelEntry]:
    """Every model on the search path; a name hidden by an earlier folder is listed once."""
    found: dict[str, ModelEntry] = {}
    for folder, source in search_path(base):
        try:
            files = sorted(folder.glob(f"*{MODEL_SUFFIX}"))
        except OSError:
            continue  # an unreadable folder hides nothing else
        for file in files:
            if file.is_file():
                found.setdefault(file.stem, ModelEntry(file.stem, file, source))
    return list(found.values())


def resolve(spec: str | None) -> Path:
    """A model's file from a path or a name (None: the default model)."""
    spec = spec or DEFAULT_MODEL
    candidate = Path(spec).expanduser()
    if candidate.suffix == MODEL_SUFFIX or os.sep in spec or candidate.exists():
        return candidate
    return _named(spec)


def resolve_name(name: object) -> Path:
    """A model's file from its name alone, on the search path: for names read from a file (a
    story records its model's name), which must never choose a path to open."""
    if not is_model_name(name):
        raise StorytellerError(
            f"The story names its model {str(name)[:80]!r}, which is not a model's name; "
            "choose the model with --model."
        )
    return _named(str(name))


def _named(name: str) -> Path:
    """The file of the model called ``name`` on the search path, or one sentence naming those there are."""
    models = find_models()
    for entry in models:
        if entry.name == name:
            return entry.path
    names = ", ".join(e.name for e in models) or "none"
    raise StorytellerError(f"No model named '{name}' was found (available: {names}).")
