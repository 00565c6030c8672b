"""The candidates panel: the next word's top k with probability bars, and how sure the model is."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from ...engine import PARAGRAPH, Candidate
from ...text import visible

BAR_WIDTH = 12
BLOCKS = " ▏▎▍▌▋▊▉█"


def bar(probability: float, width: int = BAR_WIDTH) -> str:
    eighths = round(probability * width * 8)
    full, rest = divmod(eighths, 8)
    return ("█" * full + (BLOCKS[rest] if rest else "")).ljust(width)


def shown(token: str) -> str:
    """A token as the panel shows it: a paragraph break as ¶, control characters made visible."""
    return "¶" if token == PARAGRAPH else visible(token)


class CandidatesPanel(Static):
    """Lists candidates; the digit before each one picks it."""

    def show(self, candidates: list[Candidate], entropy: float | None, heading: str) -> None:
        text = Text(heading + "\n", style="bold")
        for number, candidate in enumerate(candidates, 1):
            key = str(number % 10) if number <= 10 else " "
            text.append(f"{key} ", style="bold")
            text.append(f"{shown(candidate.token)[:14]:<14} ")
            text.append(bar(candidate.probability), style="cyan")
            text.append(f" {candidate.probability:6.1%}\n")
        if entropy is not None:
            text.append(f"\nuncertainty {entropy:.1f} bits\n", style="dim")
            text.append(f"≈ a choice among {2**entropy:,.0f} words", style="dim")
        self.update(text)

    def waiting(self, heading: str) -> None:
        self.update(Text(heading + "\n…", style="dim"))
