"""The story as chat turns: the writer's and the model's words, coloured by probability if asked."""

from __future__ import annotations

import bisect
import copy
from collections.abc import Callable, Sequence

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from ...engine import PARAGRAPH, TokenizerConfig
from ...engine.page import LOOKBACK, bubbles
from ...engine.story import Story, Turn, Word
from ...engine.tokenizer import Speller
from ...text import visible

# Probability bands for colouring words: (lowest probability, style).
BANDS = ((0.3, "green"), (0.1, ""), (0.01, "yellow"), (0.0, "red"))
UNKNOWN_STYLE = "bold red underline"
CURSOR_STYLE = "reverse"
LOOP_STYLE = "dim underline"
"""Words that repeat an earlier phrase: the model went round in a loop (Ctrl+K fixes it)."""


# Colouring by the change a new model brings: (log2 of new / old probability above, style).
CHANGE_BANDS = ((3.0, "bold green"), (1.0, "green"), (-1.0, ""), (-3.0, "red"))


def change_style(change: float | None) -> str:
    """A word's style by how much more (green) or less (red) the new model expects it."""
    if change is None:
        return ""
    return next((style for floor, style in CHANGE_BANDS if change > floor), "bold red")


def word_style(word: Word, known: bool, colour: bool) -> str:
    if not known:
        return UNKNOWN_STYLE
    if not colour or word.probability is None:
        return ""
    return next(style for floor, style in BANDS if word.probability >= floor)


class TurnView(Static):
    """One turn of the conversation."""

    def __init__(self, start: int, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.start = start
        """The index of the turn's first word in the story."""


class Greeting(Static):
    """What a new writer sees in place of a story: what to do first."""


GREETING = (
    "Welcome. Type a few words below and press Enter; then press Enter on an empty line and "
    "the model writes its turn. Tab takes the model's top word, Shift+F1 … F10 another one; "
    "Ctrl+O lists your stories; F1 shows every key."
)


class EarlierTurns(Static):
    """Stands for the turns above the ones drawn: rendering a whole long story would be slow."""


TURNS_SHOWN = 100
"""How many of the latest turns are drawn at first; PageUp at the top draws this many more."""
WORDS_SHOWN = 4_000
"""How many of the latest words the turns drawn hold at most at first, the first of them drawn
only from its last words if need be (a pasted book, or a stranger's file of one turn of
millions of words); PageUp at the top draws this many more."""
CUT_EVERY = 1_024
"""A long turn is cut on a multiple of this many words, so the drawn part keeps its start
(and its view) while the writer adds words to it."""
CHECKPOINT_EVERY = 256
"""Tokens between two saved states of the detokenizer: an edit anywhere re-reads at most this many."""


class StoryView(VerticalScroll, can_focus=False):
    """Shows a story's turns; only what changed is worked out and rendered again.

    It never takes the focus from the input line; PageUp/PageDown scroll it. It follows the
    end of the story (new words, a resize, another model, another story) unless the writer
    has scrolled up; scrolling back down to the end follows it again.
    """

    def __init__(self, tokenizer: TokenizerConfig, known: Callable[[str], bool], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._tokenizer = tokenizer
        self._known = known
        self._story: Story | None = None
        self._revision = 0  # the story's revision when the pieces were last brought up to date
        self._pieces: list[str] = []  # each word's text, spacing included, safe to show
        self._speller = Speller(tokenizer)
        self._base = 0  # the first word whose text is worked out: _pieces[i] is word _base + i's
        self._checkpoints: list[tuple[int, Speller]] = []  # the speller before a word, every so many
        self._drawn: list[tuple[TurnView, tuple[object, ...] | None]] = []  # the views, and what each shows
        self._limit = TURNS_SHOWN
        self._words = WORDS_SHOWN  # the turns drawn hold at most this many words (and CUT_EVERY more)
        self._hidden = 0
        self._earlier = ""  # what the line standing for the earlier turns says
        self.following = True
        """Whether the end of the story is kept in view (False once the writer scrolls up)."""

    def compose(self) -> ComposeResult:
        yield Greeting(GREETING)
        yield EarlierTurns()

    def use(self, tokenizer: TokenizerConfig, known: Callable[[str], bool]) -> None:
        """Another model: its tokenizer and vocabulary; everything is drawn again."""
        self._tokenizer, self._known = tokenizer, known
        self._story, self._pieces, self._checkpoints = None, [], []
        self._drawn = [(view, None) for view, _ in self._drawn]

    def show(
        self,
        story: Story,
        cursor: int | None = None,
        colour: bool = False,
        marked: range | None = None,
        changes: Sequence[float | None] | None = None,
    ) -> None:
        """Draw ``story``; ``marked`` words are a loop's; ``changes`` (one per word, or fewer: the
        words after them have none) colours by what a new model thinks instead.

        Only the latest turns are looked at (``_limit`` of them, and the cursor's): what it costs
        does not grow with the story, however long (a restored story of millions of words)."""
        self.query_one(Greeting).display = not story.words
        follow = self.following
        count = story.turn_count()
        if cursor is not None:
            self._limit = max(self._limit, count - story.turn_of(cursor))
        # Turns read: as many again as are drawn, since a mark that opens a turn joins the one before
        # (``bubbles``) and two turns can become one; the first one read may be missing such a mark.
        first = max(0, count - 2 * self._limit - 8)
        turns = bubbles(story.turns(first))
        if first:
            turns = turns[1:]
        at = None  # the word cursor's turn, which must be drawn
        if cursor is not None:
            at = max(0, bisect.bisect_right(turns, cursor, key=lambda t: t.start) - 1)
        shown = self._latest(turns[max(0, len(turns) - self._limit) :], cursor)
        split = len(turns) - len(shown)
        self._update_pieces(story, shown[0].start if shown else len(story.words))
        earlier = split if not first else story.turn_of(turns[split].start)
        self._show_earlier(story, shown[0].start if shown else 0, earlier)
        drawn, self._drawn = self._drawn, []
        kept = 0  # drawn[kept:] are still to be matched with the turns, in order
        for turn in shown:
            while kept < len(drawn) and drawn[kept][0].start < turn.start:
                drawn[kept][0].remove()  # its turn has gone, or scrolled into the earlier ones
                kept += 1
            mark = (
                cursor if cursor is not None and turn.start <= cursor < turn.start + len(turn.words) else None
            )
            end = turn.start + len(turn.words)
            looped = range(max(turn.start, marked.start), min(end, marked.stop)) if marked else None
            looped = looped or None
            changed = None
            if changes is not None:  # words written since the comparison have none
                changed = tuple(changes[turn.start : end])
                changed += (None,) * (len(turn.words) - len(changed))
            signature = (turn.side, turn.words, mark, colour, looped, changed)
            if kept < len(drawn) and drawn[kept][0].start == turn.start:
                view, before = drawn[kept]
                kept += 1
                if before != signature:
                    view.set_classes(turn.side)
                    view.border_title = _title(turn.side)
                    view.update(self._turn_text(turn, mark, colour, looped, changed))
            else:
                view = TurnView(
                    turn.start, self._turn_text(turn, mark, colour, looped, changed), classes=turn.side
                )
                view.border_title = _title(turn.side)
                self.mount(view, before=drawn[kept][0] if kept < len(drawn) else None)
            self._drawn.append((view, signature))
        for view, _ in drawn[kept:]:
            view.remove()
        if at is not None:
            target = self.query_one(EarlierTurns) if at < split else self._drawn[at - split][0]
            self.call_after_refresh(lambda: self.scroll_to_widget(target))
        elif follow:
            self.call_after_refresh(self.scroll_end, animate=False)

    def page(self, pages: int) -> None:
        """The writer scrolls a page up (negative) or down; at the end, the view follows it again."""
        if pages < 0:
            self.following = False
            self.scroll_page_up()
        else:
            self.scroll_page_down(on_complete=self._at_end_follow)

    def _at_end_follow(self) -> None:
        if self.is_vertical_scroll_end or self.max_scroll_y == 0:
            self.following = True

    def _on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self.following = False

    def _on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        self.call_after_refresh(self._at_end_follow)

    def on_resize(self, event: events.Resize) -> None:
        if self.following:
            self.call_after_refresh(self.scroll_end, animate=False)

    def _latest(self, turns: Sequence[Turn], cursor: int | None) -> list[Turn]:
        """The latest of ``turns`` holding about ``_words`` words (the cursor's always among them),
        the first drawn from its last words only, cut on a multiple of ``CUT_EVERY`` words."""
        if not turns:
            return []
        if cursor is not None:
            self._words = max(self._words, turns[-1].start + len(turns[-1].words) - cursor)
        left = self._words
        for index in range(len(turns) - 1, -1, -1):
            turn = turns[index]
            if len(turn.words) >= left:
                cut = (len(turn.words) - left) // CUT_EVERY * CUT_EVERY
                first = Turn(turn.side, turn.start + cut, turn.words[cut:]) if cut else turn
                return [first, *turns[index + 1 :]]
            left -= len(turn.words)
        return list(turns)

    def _show_earlier(self, story: Story, start: int, split: int) -> None:
        """The line that stands for the ``split`` turns before word ``start`` (or, when the first
        turn drawn is drawn only from ``start``, for its words before)."""
        earlier = self.query_one(EarlierTurns)
        self._hidden = split or start
        earlier.display = bool(self._hidden)
        if self._hidden:
            words = story.word_count(before=start)
            if split:
                text = f"⋯ {split:,} earlier turns ({words:,} words) above · PageUp here shows more"
            else:
                text = f"⋯ {words:,} earlier words above · PageUp here shows more"
            if text != self._earlier:
                earlier.update(Text(text, style="dim"))
                self._earlier = text

    def show_more(self) -> bool:
        """Draw more of the earlier turns (at the top); False when there are none left."""
        if not self._hidden:
            return False
        self._limit += TURNS_SHOWN
        self._words += WORDS_SHOWN
        return True

    @property
    def drawn(self) -> int:
        """How many turns are drawn (the rest stand behind the "earlier turns" line)."""
        return len(self._drawn)

    @property
    def spelled(self) -> int:
        """How many words' text is worked out: those drawn, and a few before them for their context."""
        return len(self._pieces)

    def _update_pieces(self, story: Story, start: int = 0) -> None:
        """Work out the text of the words from ``start`` on that changed since the last look, and
        of no others: a word is spelled in the context of the words before it, read back to a
        paragraph break (``page.LOOKBACK`` words at most), as the page spells a word anywhere."""
        keep = story.unchanged_since(self._revision) if story is self._story else 0
        self._story, self._revision = story, story.revision
        words = story.words
        if (
            keep < self._base
            or start < self._base
            or not self._checkpoints
            or (keep < start and keep < _context_start(words, start))  # starting afresh is shorter
        ):
            self._base = _context_start(words, start)
            self._pieces = []
            self._checkpoints = [(self._base, Speller(self._tokenizer))]
            self._speller = copy.copy(self._checkpoints[0][1])
        elif keep < self._base + len(self._pieces):
            del self._pieces[keep - self._base :]
            while self._checkpoints[-1][0] > keep:
                self._checkpoints.pop()
            at, speller = self._checkpoints[-1]
            self._speller = copy.copy(speller)
            for word in words[at:keep]:
                self._speller.push(
                    word.token, word.form, word.space
                )  # back to the state after the words kept
        for index in range(self._base + len(self._pieces), len(words)):
            if index - self._checkpoints[-1][0] >= CHECKPOINT_EVERY:
                self._checkpoints.append((index, copy.copy(self._speller)))
            word = words[index]
            # Only a paragraph break starts a line, never a token's own line break.
            shown = self._speller.push(word.token, word.form, word.space)
            self._pieces.append(visible(shown, keep_newlines=word.token == PARAGRAPH))

    def _turn_text(
        self,
        turn: Turn,
        cursor: int | None,
        colour: bool,
        looped: range | None = None,
        changes: Sequence[float | None] | None = None,
    ) -> Text:
        text = Text()
        for offset, word in enumerate(turn.words):
            index = turn.start + offset
            piece = self._pieces[index - self._base]
            if offset == 0:
                piece = piece.lstrip()
            spaces = len(piece) - len(piece.lstrip())
            text.append(piece[:spaces])
            style = word_style(word, self._known(word.token), colour)
            if changes is not None and colour and style != UNKNOWN_STYLE:
                style = change_style(changes[offset])
            if looped is not None and index in looped:
                style = f"{style} {LOOP_STYLE}".strip()
            if index == cursor:
                style = f"{style} {CURSOR_STYLE}".strip()
                if not piece.strip():  # a paragraph break under the cursor: show a mark
                    piece = piece + "¶"
            text.append(piece[spaces:], style=style)
        return text


def _context_start(words: Sequence[Word], start: int) -> int:
    """Where to begin spelling to spell word ``start`` as in the whole story: the paragraph break
    before it, read back ``LOOKBACK`` words at most (``page.resume``)."""
    lowest = max(0, start - LOOKBACK)
    for index in range(start - 1, lowest - 1, -1):
        if words[index].token == PARAGRAPH:
            return index
    return lowest


def _title(side: str) -> str:
    return "you" if side == "writer" else "model"
