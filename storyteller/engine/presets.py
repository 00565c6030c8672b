"""Network presets: named sizes to start training from, for the retrain panel and ``train --preset``.

Defined here, torch-free, so that the app's panel and the trainer (``training/config.py``) read
the same list; a preset sets only the network's shape, and a setting given explicitly wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Preset:
    """A network size to start from."""

    label: str
    """How the retrain panel lists it."""
    layers: int
    units: int
    window: int

    def settings(self) -> dict[str, Any]:
        """The training settings it sets, by their configuration names."""
        return {"layers": self.layers, "units": self.units, "window": self.window}


PRESETS = {
    "fast": Preset("fast: 1×128, seconds on a small text", 1, 128, 3),
    "balanced": Preset("balanced: 1×256, the trainer's defaults", 1, 256, 3),
    "seed": Preset("the classic example's 2×512, 3-word window", 2, 512, 3),
    "larger": Preset("larger: 2×768, for big texts and patience", 2, 768, 3),
}


def preset_named(name: str) -> Preset:
    """The preset called ``name``; ``ValueError`` in one sentence listing the names when there is none."""
    try:
        return PRESETS[name]
    except KeyError:
        names = list(PRESETS)
        listed = ", ".join(names[:-1]) + f" or {names[-1]}"
        raise ValueError(f"There is no preset '{name[:40]}': choose {listed}.") from None


def preset_for(tokens: int) -> str:
    """A preset sized to the corpus: on real prose of 50,000 to 1,000,000 words the trainer's
    defaults (one layer) beat two layers in budgets of minutes (bench/README.md)."""
    return "fast" if tokens < 5_000 else "balanced"
