"""The writer's settings: how the model writes and what the screen shows."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
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
