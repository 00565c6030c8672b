"""The story as chat turns: the writer's and the model's words, coloured by probability if asked."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from ...engine import Detokenizer, TokenizerConfig
from ...engine.story import Story, Turn, Word

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


class StoryView(VerticalScroll, can_focus=False):
    """Shows a story's turns; only turns that changed are rendered again.

    It never takes the focus from the input line; PageUp/PageDown scroll it.
    """

    def __init__(self, tokenizer: TokenizerConfig, known: Callable[[str], bool], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._tokenizer = tokenizer
        self._known = known
        self._pieces: list[str] = []  # each word's text, spacing included
        self._detokenizer = Detokenizer(tokenizer)
        self._shown: list[tuple[object, ...]] = []

    def use(self, tokenizer: TokenizerConfig, known: Callable[[str], bool]) -> None:
        """Another model: its tokenizer and vocabulary; everything is drawn again."""
        self._tokenizer, self._known = tokenizer, known
        self._pieces, self._detokenizer = [], Detokenizer(tokenizer)
        self._shown = [()] * len(self._shown)

    def show(self, story: Story, cursor: int | None = None, colour: bool = False) -> None:
        self._update_pieces(story.tokens)
        follow = self.is_vertical_scroll_end or self.max_scroll_y == 0
        turns = story.turns()
        views = list(self.query(TurnView))
        for i, turn in enumerate(turns):
            mark = (
                cursor if cursor is not None and turn.start <= cursor < turn.start + len(turn.words) else None
            )
            signature = (turn.side, turn.start, turn.words, mark, colour)
            if i < len(views):
                if self._shown[i] != signature:
                    self._render_turn(views[i], turn, mark, colour)
                    self._shown[i] = signature
            else:
                view = TurnView(classes=turn.side)
                view.border_title = "you" if turn.side == "writer" else "model"
                self._render_turn(view, turn, mark, colour)
                self.mount(view)
                self._shown.append(signature)
        for view in views[len(turns) :]:
            view.remove()
        del self._shown[len(turns) :]
        if cursor is not None and turns:
            index = next(i for i, t in enumerate(turns) if t.start <= cursor < t.start + len(t.words))
            self.call_after_refresh(lambda: self.scroll_to_widget(self.query(TurnView)[index]))
        elif follow:
            self.call_after_refresh(self.scroll_end, animate=False)

    def _update_pieces(self, tokens: list[str]) -> None:
        shown = len(self._pieces)
        if shown > len(tokens) or self._tokens_shown() != tokens[:shown]:
            self._pieces, self._detokenizer, shown = [], Detokenizer(self._tokenizer), 0
        self._pieces.extend(self._detokenizer.push(t) for t in tokens[shown:])
        self._piece_tokens = list(tokens)

    def _tokens_shown(self) -> list[str]:
        return getattr(self, "_piece_tokens", [])[: len(self._pieces)]

    def _render_turn(self, view: TurnView, turn: Turn, cursor: int | None, colour: bool) -> None:
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
        view.update(text)
