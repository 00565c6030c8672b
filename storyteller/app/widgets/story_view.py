"""The story as chat turns: the writer's and the model's words, coloured by probability if asked."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from ...engine import Detokenizer, TokenizerConfig
from ...engine.story import Story, Turn, Word
from ...text import visible

# Probability bands for colouring words: (lowest probability, style).
BANDS = ((0.3, "green"), (0.1, ""), (0.01, "yellow"), (0.0, "red"))
UNKNOWN_STYLE = "bold red underline"
CURSOR_STYLE = "reverse"


def word_style(word: Word, known: bool, colour: bool) -> str:
    if not known:
        return UNKNOWN_STYLE
    if not colour or word.probability is None:
        return ""
    return next(style for floor, style in BANDS if word.probability >= floor)


class TurnView(Static):
    """One turn of the conversation."""


class EarlierTurns(Static):
    """Stands for the turns above the ones drawn: rendering a whole long story would be slow."""


TURNS_SHOWN = 100
"""How many of the latest turns are drawn at first; PageUp at the top draws this many more."""


class StoryView(VerticalScroll, can_focus=False):
    """Shows a story's turns; only what changed is rendered again.

    It never takes the focus from the input line; PageUp/PageDown scroll it.
    """

    def __init__(self, tokenizer: TokenizerConfig, known: Callable[[str], bool], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._tokenizer = tokenizer
        self._known = known
        self._pieces: list[str] = []  # each word's text, spacing included, safe to show
        self._piece_tokens: list[str] = []
        self._detokenizer = Detokenizer(tokenizer)
        self._shown: list[tuple[object, ...]] = []
        self._limit = TURNS_SHOWN
        self._hidden = 0

    def compose(self) -> ComposeResult:
        yield EarlierTurns()

    def use(self, tokenizer: TokenizerConfig, known: Callable[[str], bool]) -> None:
        """Another model: its tokenizer and vocabulary; everything is drawn again."""
        self._tokenizer, self._known = tokenizer, known
        self._pieces, self._piece_tokens, self._detokenizer = [], [], Detokenizer(tokenizer)
        self._shown = [()] * len(self._shown)

    def show(self, story: Story, cursor: int | None = None, colour: bool = False) -> None:
        self._update_pieces(story.tokens)
        follow = self.is_vertical_scroll_end or self.max_scroll_y == 0
        turns = story.turns()
        if cursor is not None:  # the word cursor's turn must be drawn
            at = next(i for i, t in enumerate(turns) if t.start <= cursor < t.start + len(t.words))
            self._limit = max(self._limit, len(turns) - at)
        split = max(0, len(turns) - self._limit)
        self._show_earlier(turns[:split])
        recent = turns[split:]
        views = list(self.query(TurnView))
        for i, turn in enumerate(recent):
            mark = (
                cursor if cursor is not None and turn.start <= cursor < turn.start + len(turn.words) else None
            )
            signature = (turn.side, turn.start, turn.words, mark, colour)
            if i < len(views):
                if self._shown[i] != signature:
                    views[i].set_classes(turn.side)
                    views[i].border_title = _title(turn.side)
                    views[i].update(self._turn_text(turn, mark, colour))
                    self._shown[i] = signature
            else:
                view = TurnView(self._turn_text(turn, mark, colour), classes=turn.side)
                view.border_title = _title(turn.side)
                self.mount(view)
                self._shown.append(signature)
        for view in views[len(recent) :]:
            view.remove()
        del self._shown[len(recent) :]
        if cursor is not None and turns:
            index = next(i for i, t in enumerate(turns) if t.start <= cursor < t.start + len(t.words))
            target = self.query_one(EarlierTurns) if index < split else self.query(TurnView)[index - split]
            self.call_after_refresh(lambda: self.scroll_to_widget(target))
        elif follow:
            self.call_after_refresh(self.scroll_end, animate=False)

    def _show_earlier(self, older: list[Turn]) -> None:
        earlier = self.query_one(EarlierTurns)
        self._hidden = len(older)
        earlier.display = bool(older)
        if older:
            words = sum(1 for t in older for w in t.words if w.token[:1].isalnum())
            earlier.update(
                Text(
                    f"⋯ {len(older):,} earlier turns ({words:,} words) above · PageUp here shows more",
                    style="dim",
                )
            )

    def show_more(self) -> bool:
        """Draw more of the earlier turns (at the top); False when there are none left."""
        if not self._hidden:
            return False
        self._limit += TURNS_SHOWN
        return True

    def _update_pieces(self, tokens: list[str]) -> None:
        shown = len(self._pieces)
        if shown > len(tokens) or self._piece_tokens[:shown] != tokens[:shown]:
            self._pieces, self._detokenizer, shown = [], Detokenizer(self._tokenizer), 0
        self._pieces.extend(visible(self._detokenizer.push(t)) for t in tokens[shown:])
        self._piece_tokens = list(tokens)

    def _turn_text(self, turn: Turn, cursor: int | None, colour: bool) -> Text:
        text = Text()
        for offset, word in enumerate(turn.words):
            index = turn.start + offset
            piece = self._pieces[index]
            if offset == 0:
                piece = piece.lstrip()
            spaces = len(piece) - len(piece.lstrip())
            text.append(piece[:spaces])
            style = word_style(word, self._known(word.token), colour)
            if index == cursor:
                style = f"{style} {CURSOR_STYLE}".strip()
                if not piece.strip():  # a paragraph break under the cursor: show a mark
                    piece = piece + "¶"
            text.append(piece[spaces:], style=style)
        return text


def _title(side: str) -> str:
    return "you" if side == "writer" else "model"
