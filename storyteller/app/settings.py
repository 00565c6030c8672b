"""The writer's settings: how the model writes and what the screen shows."""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from ..engine import SamplingConfig

TEMPERATURE_STEP = 0.1
TOP_K_CHOICES: tuple[int | None, ...] = (5, 10, 20, 40, 100, None)
LENGTH_CHOICES = (5, 10, 20, 30, 50, 100)
WINDOW_CHOICES: tuple[int | None, ...] = (None, 3, 5, 8)
PACE_CHOICES = (0.08, 0.03, 0.0)


@dataclass(frozen=True)
class WriterSettings:
    """Everything the writer can change from the keyboard."""

    temperature: float = 0.8
    """Below 1 the model plays safe; above 1 it takes chances."""
    top_k: int | None = 40
    """The model samples among this many most probable words (None: all)."""
    top_p: float = 0.95
    """... and among those whose probabilities add up to this."""
    repetition_penalty: float = 1.2
    """How much recently used words are held back."""
    greedy: bool = False
    """Always the most probable word, after the repetition penalty (no sampling)."""
    length: int = 30
    """Words per model turn."""
    window: int | None = None
    """The model reads the whole story (None) or only its last N words."""
    candidates: int = 10
    """How many candidates the panel lists."""
    pace: float = 0.03
    """Seconds between two words as the model writes (0: at once)."""
    colour: bool = False
    """Colour each word by the probability the model gave it."""
    seed: int | None = None
    """Fixes the model's choices: the same story and seed give the same words."""

    def sampling(self, seed: int) -> SamplingConfig:
        return SamplingConfig(
            greedy=self.greedy,
            temperature=self.temperature,
            top_k=self.top_k,
            top_p=self.top_p,
            repetition_penalty=self.repetition_penalty,
            seed=seed,
        )

    def recorded(self, seed: int) -> dict[str, Any]:
        """What a story records about how the model wrote a turn."""
        return {**asdict(self.sampling(seed)), "window": self.window}

    def warmer(self, step: float) -> WriterSettings:
        return replace(self, temperature=round(min(3.0, max(0.1, self.temperature + step)), 2))

    def cycled(self, name: str, choices: tuple[Any, ...]) -> WriterSettings:
        current = getattr(self, name)
        index = choices.index(current) if current in choices else -1
        return replace(self, **{name: choices[(index + 1) % len(choices)]})

    def describe(self) -> str:
        if self.greedy:
            sampling = "greedy"
        else:
            k = "all" if self.top_k is None else self.top_k
            sampling = f"temp {self.temperature:.1f} · top-k {k} · top-p {self.top_p:.2f}"
        window = "whole story" if self.window is None else f"last {self.window} words"
        seed = "random" if self.seed is None else str(self.seed)
        return f"{sampling} · {self.length} words/turn · reads {window} · seed {seed}"


CONFIG_FILE = "config.toml"
"""In the data folder: the writer's starting settings, under a ``[writer]`` table."""

_RANGES: dict[str, tuple[type, float, float]] = {
    "temperature": (float, 0.05, 5.0),
    "top_k": (int, 0, 100_000),  # 0: all words
    "top_p": (float, 0.01, 1.0),
    "repetition_penalty": (float, 1.0, 10.0),
    "length": (int, 1, 10_000),
    "window": (int, 0, 10_000),  # 0: the whole story
    "candidates": (int, 1, 50),
    "pace": (float, 0.0, 5.0),
    "seed": (int, 0, 2**31 - 1),
}


def load_settings(path: Path) -> tuple[WriterSettings, str | None]:
    """Settings from a config file, and one sentence about what was wrong with it (if anything).

    A missing file gives the defaults; a bad value is skipped (its default stays) and named.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return WriterSettings(), None
    except (OSError, UnicodeDecodeError) as error:
        return WriterSettings(), f"{path} cannot be read ({error}); the default settings are used."
    except tomllib.TOMLDecodeError as error:
        return WriterSettings(), f"{path} is not valid TOML ({error}); the default settings are used."
    writer = data.get("writer", {})
    if not isinstance(writer, dict):
        return WriterSettings(), f"In {path}, [writer] must be a table; the default settings are used."
    known = {f.name for f in fields(WriterSettings)}
    values: dict[str, Any] = {}
    problems: list[str] = []
    for key, value in writer.items():
        if key not in known:
            problems.append(f"'{key}' is not a setting")
        elif key in ("greedy", "colour"):
            if isinstance(value, bool):
                values[key] = value
            else:
                problems.append(f"'{key}' must be true or false")
        else:
            kind, low, high = _RANGES[key]
            number_ok = isinstance(value, int | float) and not isinstance(value, bool)
            if not number_ok or (kind is int and not isinstance(value, int)) or not low <= value <= high:
                what = "a whole number" if kind is int else "a number"
                problems.append(f"'{key}' must be {what} from {low:g} to {high:g}")
                continue
            if key in ("top_k", "window") and value == 0:
                value = None
            values[key] = kind(value) if value is not None else None
    settings = replace(WriterSettings(), **values)
    if not problems:
        return settings, None
    return settings, f"In {path}: {'; '.join(problems)}; their defaults are used."
