"""The candidates panel: the next word's top k with probability bars, and how sure the model is.

It fits itself to its width: on a narrow terminal the panel narrows (see the stylesheet's
breakpoints) and its bars shorten, then go, so the story keeps most of the screen.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.widgets import Static

from ...engine import PARAGRAPH, Candidate
from ...text import visible

BAR_WIDTH = 12
WORD_WIDTH = 14
BLOCKS = " ▏▎▍▌▋▊▉█"
MIN_BAR = 3
"""A bar shorter than this says too little to be worth its room."""
MEMORY_MARK = "↺"
"""Before a word offered from the story's own memory rather than by the network."""
COUNT_WIDTH = 5
"""Cells of a candidate's count in the corpus (a space, then up to four)."""
PHRASE_ROOM = 8
"""The fewest cells a candidate's next words keep: on a panel too narrow for both, the counts
in the corpus give way (a phrase cut to "I am…" says nothing)."""


def bar(probability: float, width: int = BAR_WIDTH) -> str:
    eighths = round(probability * width * 8)
    full, rest = divmod(eighths, 8)
    return ("█" * full + (BLOCKS[rest] if rest else "")).ljust(width)


def shown(token: str) -> str:
    """A token as the panel shows it: a paragraph break as ¶, control characters made visible."""
    return "¶" if token == PARAGRAPH else visible(token)


def count_label(count: int) -> str:
    """A corpus count in four cells at most: 7, 512, 12k, 3M."""
    if count < 1000:
        return str(count)
    if count < 1_000_000:
        return f"{count // 1000}k"
    return f"{min(count // 1_000_000, 999)}M"


def candidate_lines(
    candidates: list[Candidate],
    width: int,
    following: list[str] | None = None,
    counts: list[int] | None = None,
) -> list[Text]:
    """One line per candidate, ``width`` cells at most: key, word, bar (if it fits), probability.
    With ``following`` (each candidate's likeliest next words), those take the bar's place; with
    ``counts``, each line ends with the candidate's count in the corpus."""
    if counts is not None and counts_fit(candidates, width, following):
        width -= COUNT_WIDTH
    else:
        counts = None
    lines = _phrase_lines(candidates, width, following) if following else _bar_lines(candidates, width)
    for number, line in enumerate(lines, 1):
        if counts is not None and number <= len(counts):
            line.append(f" {count_label(counts[number - 1]):>{COUNT_WIDTH - 1}}", style="dim")
    return lines


def counts_fit(candidates: list[Candidate], width: int, following: list[str] | None) -> bool:
    """Whether the corpus counts fit beside the rest: always beside bars (which shorten, then
    go), beside next words only while those keep ``PHRASE_ROOM`` cells."""
    return not following or _phrase_room(candidates, width - COUNT_WIDTH) >= PHRASE_ROOM


def _word_room(candidates: list[Candidate], width: int) -> int:
    longest = max((len(shown(c.token)) for c in candidates), default=1)
    return max(3, min(longest, 10, width // 3))


def _phrase_room(candidates: list[Candidate], width: int) -> int:
    """Cells for a candidate's next words: what key, word, " │ " and " 12%" leave."""
    return max(0, width - 2 - _word_room(candidates, width) - 3 - 4)


def _bar_lines(candidates: list[Candidate], width: int) -> list[Text]:
    wide = width >= 2 + WORD_WIDTH + 1 + BAR_WIDTH + 7
    percent, decimals = (6, 1) if wide else (4, 0)  # " 12.3%" with room to spare, or " 12%"
    word = WORD_WIDTH if wide else max(4, min(12, width - 2 - 1 - percent))
    bar_width = min(BAR_WIDTH, width - (2 + word + 1 + percent + 1))
    lines = []
    for number, candidate in enumerate(candidates, 1):
        line = _start(number, candidate.from_memory)
        line.append(
            f"{shown(candidate.token)[:word]:<{word}} ", style="green" if candidate.from_memory else ""
        )
        if bar_width >= MIN_BAR:
            line.append(bar(candidate.probability, bar_width), style="cyan")
            line.append(" ")
        line.append(f"{candidate.probability:{percent}.{decimals}%}")
        lines.append(line)
    return lines


def _start(number: int, remembered: bool = False) -> Text:
    """The candidate's key, then ``MEMORY_MARK`` for a word offered from the story's memory."""
    line = Text(f"{number % 10 if number <= 10 else ' '}", style="bold")
    line.append(MEMORY_MARK if remembered else " ", style="green")
    return line


def _phrase_lines(candidates: list[Candidate], width: int, following: list[str]) -> list[Text]:
    """key, word, "│", its next words (cut with … to fit), probability."""
    word, rest = _word_room(candidates, width), _phrase_room(candidates, width)
    lines = []
    for number, candidate in enumerate(candidates, 1):
        line = _start(number, candidate.from_memory)
        line.append(
            f"{shown(candidate.token)[:word]:<{word}}", style="green" if candidate.from_memory else ""
        )
        phrase = visible(following[number - 1] if number <= len(following) else "")
        if len(phrase) > rest - 1:
            phrase = phrase[: max(0, rest - 2)] + "…"
        if rest >= 3:
            line.append(" │ ", style="dim")
            line.append(f"{phrase:<{rest}}", style="italic")
        else:  # no room for the next words
            line.append(" ")
        line.append(f"{candidate.probability:4.0%}")
        lines.append(line)
    return lines


class CandidatesPanel(Static):
    """Lists candidates; the number before each one is its Shift+F key."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._shown: tuple[list[Candidate], float | None, str, list[str] | None] | None = None
        self._counts: tuple[list[int], list[str] | None] | None = None

    def show(
        self,
        candidates: list[Candidate],
        entropy: float | None,
        heading: str,
        following: list[str] | None = None,
    ) -> None:
        if self._shown is None or self._shown[0] != candidates:
            self._counts = None  # counted for other candidates
        self._shown = (candidates, entropy, heading, following)
        text = Text(heading + "\n", style="bold")
        width = self.content_size.width or BAR_WIDTH + WORD_WIDTH + 9  # 0 before the first layout
        counts, context = self._counts or (None, None)
        if not counts_fit(candidates, width, following):
            counts = None
        for line in candidate_lines(candidates, width, following, counts):
            text.append_text(line)
            text.append("\n")
        if any(c.from_memory for c in candidates):
            text.append(f"{MEMORY_MARK} from the story's memory\n", style="dim green")
        if counts is not None:
            after = f"after “{visible(' '.join(context))}”" if context else "(the last word is not in it)"
            text.append(f"right: times in the corpus {after}\n", style="dim")
        if entropy is not None:
            text.append(f"\nuncertainty {entropy:.1f} bits\n", style="dim")
            text.append(f"≈ a choice among {2**entropy:,.0f} words", style="dim")
        self.update(text)

    def counts(self, counts: list[int], context: list[str] | None) -> None:
        """Each candidate's count in the corpus after ``context`` (None: the story's last word is
        not there)."""
        self._counts = (counts, context)
        if self._shown is not None:
            self.show(*self._shown)

    def waiting(self, heading: str) -> None:
        self._shown = self._counts = None
        self.update(Text(heading + "\n…", style="dim"))

    def on_resize(self, event: events.Resize) -> None:
        if self._shown is not None:
            self.show(*self._shown)
