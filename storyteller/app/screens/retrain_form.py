"""The retrain panel's form: the path field that completes, the options it gives (presets: the engine's).

Kept apart from the panel's screen, which shows a run; nothing here starts one.
"""

from __future__ import annotations

from pathlib import Path

from textual.binding import Binding
from textual.suggester import Suggester
from textual.widgets import Input

from ...engine.registry import MODEL_SUFFIX

FIELDS = ("name", "units", "layers", "window", "epochs", "budget", "lr", "seed")


class PathSuggester(Suggester):
    """Completes file and folder names as they are typed."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        path = Path(value).expanduser()
        folder, stem = (path, "") if value.endswith("/") else (path.parent, path.name)
        try:
            names = sorted(p.name + ("/" if p.is_dir() else "") for p in folder.iterdir())
        except OSError:
            return None
        for name in names:
            if name.startswith(stem) and not name.startswith(".") and name != stem:
                return value + name[len(stem) :]
        return None


class PathInput(Input):
    """The corpus path: Tab takes the completion shown (as a shell does), or moves on if there is none."""

    BINDINGS = [Binding("tab", "complete", "Complete the path", show=False)]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(suggester=PathSuggester(), **kwargs)  # type: ignore[arg-type]

    def action_complete(self) -> None:
        if self._suggestion and self._suggestion != self.value:
            self.value = self._suggestion
            self.cursor_position = len(self.value)
        else:
            self.screen.focus_next()


def options_from(values: dict[str, str]) -> list[str] | str:
    """The trainer's command-line options from the form's values, or one sentence on what is wrong."""
    options: list[str] = ["--name", values["name"] or "mine"]
    wanted = {"units": int, "layers": int, "window": int, "epochs": int, "seed": int, "lr": float}
    if not values["lr"]:
        del wanted["lr"]  # the trainer picks one sized to the text
    for name, kind in wanted.items():
        try:
            number = kind(values[name])
        except ValueError:
            return f"'{values[name]}' is not a valid {name}."
        options += [f"--{name}", str(number)]
    if values["budget"]:
        try:
            budget = float(values["budget"])
        except ValueError:
            return f"'{values['budget']}' is not a number of seconds."
        options += ["--time-budget", str(budget)]
    return options


def free_path(folder: Path, name: str) -> Path:
    """``folder/name.onnx``, or ``name-2.onnx`` and so on: a new model never replaces another."""
    path = folder / f"{name}{MODEL_SUFFIX}"
    number = 2
    while path.exists():
        path = folder / f"{name}-{number}{MODEL_SUFFIX}"
        number += 1
    return path
