"""The writer's screen: the story, the candidates, the input line and every writing key.

The model runs only in thread workers, one at a time (a lock guards the predictor); the UI
thread never waits for it. Words the model writes come back through ``call_from_thread``,
each tagged with the turn that asked for it, so a word from a stopped turn is dropped.
"""

from __future__ import annotations

import random
import threading
from dataclasses import replace
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer

from ...engine import PARAGRAPH, Candidate, Predictor, SamplingConfig, is_word, tokenize
from ...engine.sampling import entropy_bits
from ...engine.story import Author, Story, Word
from ..settings import LENGTH_CHOICES, PACE_CHOICES, TEMPERATURE_STEP, TOP_K_CHOICES, WINDOW_CHOICES
from ..widgets.candidates import CandidatesPanel, shown
from ..widgets.notice_bar import NoticeBar
from ..widgets.status_bar import StatusBar
from ..widgets.story_view import StoryView
from ..widgets.writer_input import PARAGRAPH_MARK, WriterInput

if TYPE_CHECKING:
    from ..app import StorytellerApp

# The footer shows the keys marked show=True in this order, and cuts what does not fit: the
# most used first, and few enough to fit 120 columns.
KEYS = [
    Binding("tab", "accept", "Accept word", priority=True),
    Binding("escape", "stop", "Stop", priority=True),
    Binding("f1", "help", "Help"),
    Binding("ctrl+z", "undo", "Undo", priority=True),
    Binding("ctrl+y", "redo", "Redo", show=False, priority=True),
    Binding("ctrl+r", "regenerate", "Regenerate", priority=True),
    Binding("ctrl+l", "paragraph", "New paragraph", show=False, priority=True),
    Binding("alt+left", "cursor(-1)", "Earlier word", show=False),
    Binding("alt+right", "cursor(1)", "Later word", show=False),
    Binding("ctrl+b", "branches", "Branches", show=False),
    Binding("ctrl+n", "replace_unknown", "Use nearest word", show=False, priority=True),
    Binding("f2", "temperature(-1)", "Colder", show=False),
    Binding("f3", "temperature(1)", "Warmer", show=False),
    Binding("f4", "top_k", "Top-k", show=False),
    Binding("f5", "length", "Length", show=False),
    Binding("f6", "greedy", "Greedy", show=False),
    Binding("f7", "window", "Window", show=False),
    Binding("f8", "colour", "Colour", show=False),
    Binding("f9", "pace", "Pace", show=False),
    Binding("ctrl+s", "save", "Save", priority=True),
    Binding("ctrl+o", "open", "Open", priority=True),
    Binding("ctrl+t", "app.retrain", "Retrain", priority=True),
    Binding("f10", "models", "Models"),
    Binding("ctrl+g", "app.rollback", "Previous model", show=False, priority=True),
    Binding("pageup", "scroll(-1)", "Scroll up", show=False),
    Binding("pagedown", "scroll(1)", "Scroll down", show=False),
    # Digits are text. Shift+F1 … Shift+F10 reach the app in tmux with default settings and in
    # xterm (both send ESC [1;2P … ESC [21;2~); Alt+digit does not (tmux sends ESC 1, which
    # Textual reads as "¡", the character macOS types for Option+1).
    *(Binding(f"shift+f{n}", f"pick({n})", f"Pick candidate {n}", show=False) for n in range(1, 11)),
]
"""The writer's keys (the help screen explains them; the command palette lists them)."""


class WriterScreen(Screen[None]):
    """Write with the model, word by word."""

    BINDINGS = list(KEYS)

    def __init__(self) -> None:
        super().__init__()
        self.story = Story()
        self.cursor: int | None = None
        self.writing = False
        self._turn = 0  # which model turn a word belongs to; bumped to drop stale words
        self._attempt = 0  # regenerations of the current turn
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._predictor: Predictor | None = None
        self._candidates: list[Candidate] = []
        self._candidates_at: tuple[int, int | None] | None = None
        self._candidates_window: int | None = None
        self._unscored_from: int | None = None
        self._unknown: list[str] = []

    @property
    def st(self) -> StorytellerApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        model = self.st.model
        with Horizontal(id="main"):
            yield StoryView(model.card.tokenizer, model.vocabulary.__contains__, id="story")
            with Vertical(id="side"):
                yield CandidatesPanel(id="candidates")
        yield NoticeBar(id="notice")
        yield WriterInput(
            placeholder="Type words and Enter · Enter alone: the model writes · F1: every key", id="prompt"
        )
        yield StatusBar(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(NoticeBar).say(None)
        self.query_one(WriterInput).focus()
        self.set_story(self.story)

    # -- the story changes -------------------------------------------------------------

    def set_story(self, story: Story) -> None:
        """Show another story (a restored or opened one)."""
        self._halt()
        self.story = story
        self.cursor = None
        self._unscored_from = next(
            (i for i, w in enumerate(story.words) if w.author is Author.WRITER and w.probability is None),
            None,
        )
        self._changed(autosave=False)

    def _changed(self, autosave: bool = True) -> None:
        """After any change to the story: redraw, re-read the model, autosave."""
        self.query_one(StoryView).show(self.story, self.cursor, self.st.settings.colour)
        self._show_status()
        self._analyse_now()
        if autosave:
            self.st.autosave(self.story)

    def _show_status(self) -> None:
        self.query_one(StatusBar).show(
            self.st.model.name, self.st.settings, self.story.word_count(), self.writing
        )

    def _halt(self) -> None:
        """Stop the model's turn, if any; its words in flight will be dropped."""
        if self.writing:
            self._stop.set()
            self._turn += 1
            self.writing = False

    # -- the writer's words ------------------------------------------------------------

    @on(WriterInput.Submitted)
    def _submitted(self, event: WriterInput.Submitted) -> None:
        text = event.value
        event.input.value = ""
        if text.strip():
            self.add_text(text)
        else:
            self.action_continue()

    def add_text(self, text: str) -> None:
        """The writer's words join the story (a ¶ is a paragraph break)."""
        tokenizer = self.st.model.card.tokenizer
        tokens = tokenize(text.replace(PARAGRAPH_MARK, "\n\n"), tokenizer)
        if text.lstrip().startswith(PARAGRAPH_MARK):
            tokens.insert(0, PARAGRAPH)  # the tokenizer drops a break before any text
        previous = self.story.words[-1].token if self.story.words else PARAGRAPH
        while tokens and tokens[0] == PARAGRAPH and previous == PARAGRAPH:
            tokens.pop(0)  # one break is enough, and a story does not start with one
        if not tokens:
            return
        self._add_writer_words(tokens)

    def _add_writer_words(self, tokens: list[str]) -> None:
        self._halt()
        self.cursor = None
        start = len(self.story.words)
        self.story.add(Word(t, Author.WRITER) for t in tokens)
        if self._unscored_from is None or self._unscored_from > start:
            self._unscored_from = start
        self._unknown = self.st.model.vocabulary.unknown(tokens)
        self._show_unknown()
        self._changed()

    def _show_unknown(self) -> None:
        bar = self.query_one(NoticeBar)
        if not self._unknown:
            bar.say(None)
            return
        vocabulary = self.st.model.vocabulary
        text = Text("Unknown to the model (it reads <unk>): ")
        for i, word in enumerate(self._unknown):
            text.append(", " if i else "")
            text.append(word, style="bold red underline")
        text.append(". ")
        fixable = self._fixable()
        if fixable is not None:
            nearest = vocabulary.nearest(fixable)
            text.append(f"Nearest to {fixable!r}: {', '.join(nearest)}; ")
            text.append("Ctrl+N", style="bold")
            text.append(f" uses {nearest[0]!r}.")
        bar.say(text)

    def _fixable(self) -> str | None:
        """The latest unknown word (not punctuation) that has a known word near it."""
        vocabulary = self.st.model.vocabulary
        return next((w for w in reversed(self._unknown) if is_word(w) and vocabulary.nearest(w)), None)

    def action_replace_unknown(self) -> None:
        if not self._unknown:
            self.notify("No unknown word to replace.", markup=False)
            return
        vocabulary = self.st.model.vocabulary
        word = self._fixable()
        index = max((i for i, w in enumerate(self.story.words) if w.token == word), default=None)
        if word is None or index is None:
            self.notify("No known word is near enough to replace it.", markup=False)
            return
        self._unknown.remove(word)
        nearest = vocabulary.nearest(word)
        self._halt()
        self.story.replace(index, Word(nearest[0], Author.WRITER))
        self._unscored_from = min(index, self._unscored_from if self._unscored_from is not None else index)
        self._show_unknown()
        self._changed()

    def action_paragraph(self) -> None:
        prompt = self.query_one(WriterInput)
        text, prompt.value = prompt.value, ""
        self.add_text(text + PARAGRAPH_MARK)

    # -- picking candidates ------------------------------------------------------------

    def action_accept(self) -> None:
        self.action_pick(1)

    def action_pick(self, number: int) -> None:
        if self._candidates_at != (len(self.story.words), self.cursor) or not self._candidates:
            self.notify("The candidates are still being worked out; try again.", markup=False)
            return
        if not 1 <= number <= len(self._candidates):
            self.notify(f"There is no candidate {number}.", markup=False)
            return
        candidate = self._candidates[number - 1]
        self._halt()
        if self.cursor is not None:
            self.story.cut(self.cursor)  # what followed is kept as a branch
            self.cursor = None
        self.story.add(
            [
                Word(
                    candidate.token,
                    Author.PICKED,
                    candidate.probability,
                    number,
                    window=self._candidates_window,
                )
            ]
        )
        self._unknown = []
        self._show_unknown()
        self._changed()

    # -- the model's turn --------------------------------------------------------------

    def action_continue(self) -> None:
        """Enter on an empty line: the model writes ``length`` words."""
        if self.writing:
            return
        self._attempt = 0
        self._start_turn()

    def _start_turn(self) -> None:
        settings = self.st.settings
        self.cursor = None
        base = settings.seed if settings.seed is not None else random.randrange(2**31)
        seed = (base + len(self.story.words) + 7919 * self._attempt) % 2**31
        index = self.story.remember_settings(settings.recorded(seed))
        self._turn += 1
        self._stop = threading.Event()
        self.writing = True
        self.query_one(StoryView).show(self.story, None, settings.colour)
        self._show_status()
        self._write(self._turn, list(self.story.tokens), settings.sampling(seed), index)

    # Descriptions are given: by default a worker's describes its arguments, a whole story here.
    @work(thread=True, exclusive=True, group="model", exit_on_error=False, description="write")
    def _write(self, turn: int, tokens: list[str], config: SamplingConfig, settings_index: int) -> None:
        settings = self.st.settings
        stop = self._stop
        with self._lock:
            predictor = self._predictor_now()
            predictor.sync(tokens)
            for generated in predictor.generate(settings.length, config, stop):
                word = Word(
                    generated.token,
                    Author.MODEL,
                    generated.probability,
                    generated.rank,
                    settings_index,
                    predictor.window,
                )
                candidates = predictor.candidates(settings.candidates)
                entropy = entropy_bits(predictor.probabilities())
                self.app.call_from_thread(self._model_wrote, turn, word, candidates, entropy)

                if settings.pace and stop.wait(settings.pace):
                    break
        self.app.call_from_thread(self._turn_over, turn)

    def _model_wrote(self, turn: int, word: Word, candidates: list[Candidate], entropy: float) -> None:
        if turn != self._turn:
            return
        self.story.add([word])
        self.query_one(StoryView).show(self.story, None, self.st.settings.colour)
        self._set_candidates(candidates, entropy, None, word.window)
        self._show_status()
        self.st.autosave(self.story)  # a kill mid-turn loses at most the word in flight

    def _turn_over(self, turn: int) -> None:
        if turn != self._turn:
            return
        self.writing = False
        self._changed()

    def action_stop(self) -> None:
        """Esc: stop the model (keeping its words), or leave the word cursor."""
        if self.writing:
            self._halt()
            self._changed()
        elif self.cursor is not None:
            self.cursor = None
            self._changed(autosave=False)

    def action_regenerate(self) -> None:
        turns = self.story.turns()
        if not turns or turns[-1].side != "model":
            self.notify("Nothing to regenerate: the last words are yours.", markup=False)
            return
        self._halt()
        self.story.cut(turns[-1].start)  # the old turn is kept as a branch
        self._attempt += 1
        self._start_turn()

    # -- undo, redo, going back --------------------------------------------------------

    def action_undo(self) -> None:
        self._halt()
        if self.story.undo() is None:
            self.notify("Nothing to undo.", markup=False)
        self.cursor = None
        self._changed()

    def action_redo(self) -> None:
        self._halt()
        if self.story.redo() is None:
            self.notify("Nothing to redo.", markup=False)
        self._changed()

    def action_cursor(self, step: int) -> None:
        if not self.story.words:
            return
        self._halt()
        last = len(self.story.words) - 1
        if self.cursor is None:
            self.cursor = last if step < 0 else None
        else:
            moved = self.cursor + step
            self.cursor = None if moved > last else max(0, moved)
        self._changed(autosave=False)

    def action_branches(self) -> None:
        from .branches import BranchesScreen

        self._halt()
        available = [b for b in self.story.branches if b.start <= len(self.story.words)]
        if not available:
            self.notify("No branches: nothing has been replaced yet.", markup=False)
            return

        def switch(choice: int | None) -> None:
            if choice is not None:
                self.story.switch(self.story.branches.index(available[choice]))
                self._unscored_from = None
                self._changed()

        self.app.push_screen(BranchesScreen(self.story, available, self.st.model.card.tokenizer), switch)

    # -- reading the model -------------------------------------------------------------

    def _analyse_now(self) -> None:
        heading = self._heading()
        self.query_one(CandidatesPanel).waiting(heading)
        self._analyse(list(self.story.tokens), self.cursor, self._unscored_from)

    @work(thread=True, exclusive=True, group="model", exit_on_error=False, description="analyse")
    def _analyse(self, tokens: list[str], cursor: int | None, unscored_from: int | None) -> None:
        settings = self.st.settings
        scores: list[tuple[float | None, int | None]] = []
        with self._lock:
            predictor = self._predictor_now()
            if unscored_from is not None and unscored_from < len(tokens):
                predictor.sync(tokens[:unscored_from])
                scores = predictor.score(tokens[unscored_from:])
            predictor.sync(tokens if cursor is None else tokens[:cursor])
            candidates = predictor.candidates(settings.candidates)
            entropy = entropy_bits(predictor.probabilities())
            window = predictor.window
        self.app.call_from_thread(
            self._analysed, tokens, cursor, unscored_from, scores, candidates, entropy, window
        )

    def _analysed(
        self,
        tokens: list[str],
        cursor: int | None,
        unscored_from: int | None,
        scores: list[tuple[float | None, int | None]],
        candidates: list[Candidate],
        entropy: float,
        window: int | None,
    ) -> None:
        if tokens != self.story.tokens or cursor != self.cursor or self.writing:
            return  # the story moved on; a newer analysis is on its way
        if scores and unscored_from is not None:
            for offset, (probability, rank) in enumerate(scores):
                index = unscored_from + offset
                word = self.story.words[index]
                if word.author is Author.WRITER:
                    self.story.replace(
                        index, replace(word, probability=probability, rank=rank, window=window)
                    )
            self._unscored_from = None
            self.query_one(StoryView).show(self.story, self.cursor, self.st.settings.colour)
        self._set_candidates(candidates, entropy, cursor, window)

    def _set_candidates(
        self, candidates: list[Candidate], entropy: float, cursor: int | None, window: int | None
    ) -> None:
        self._candidates = candidates
        self._candidates_at = (len(self.story.words), cursor)
        self._candidates_window = window
        self.query_one(CandidatesPanel).show(candidates, entropy, self._heading())

    def _heading(self) -> str:
        if self.cursor is None:
            return "Next word"
        word = shown(self.story.words[self.cursor].token)
        return f"Instead of “{word}” (word {self.cursor + 1})"

    def model_changed(self) -> None:
        """The app switched models: read the story again with the new one."""
        self._halt()
        model = self.st.model  # the next worker builds a predictor for it (see _predictor_now)
        self.query_one(StoryView).use(model.card.tokenizer, model.vocabulary.__contains__)
        self._unknown = model.vocabulary.unknown(self.story.tokens)
        self._show_unknown()
        self._changed(autosave=False)

    def action_models(self) -> None:
        from .models import ModelsScreen

        self.app.push_screen(ModelsScreen())

    def _predictor_now(self) -> Predictor:
        """The predictor for the current window setting (called with the lock held)."""
        window, model = self.st.settings.window, self.st.model
        if self._predictor is None or self._predictor.window != window or self._predictor.model is not model:
            self._predictor = Predictor(model, window)
        return self._predictor

    # -- settings ----------------------------------------------------------------------

    def _settings_changed(self, message: str) -> None:
        self._show_status()
        self.notify(message, markup=False, timeout=2)

    def action_temperature(self, direction: int) -> None:
        self.st.settings = self.st.settings.warmer(direction * TEMPERATURE_STEP)
        self._settings_changed(f"Temperature {self.st.settings.temperature:.1f}")

    def action_top_k(self) -> None:
        self.st.settings = self.st.settings.cycled("top_k", TOP_K_CHOICES)
        k = self.st.settings.top_k
        self._settings_changed(f"Top-k {'all' if k is None else k}")

    def action_length(self) -> None:
        self.st.settings = self.st.settings.cycled("length", LENGTH_CHOICES)
        self._settings_changed(f"The model writes {self.st.settings.length} words a turn")

    def action_greedy(self) -> None:
        self.st.settings = replace(self.st.settings, greedy=not self.st.settings.greedy)
        self._settings_changed(
            "Greedy: always the most probable word" if self.st.settings.greedy else "Sampling"
        )

    def action_window(self) -> None:
        self.st.settings = self.st.settings.cycled("window", WINDOW_CHOICES)
        window = self.st.settings.window
        self._settings_changed(
            "The model reads the whole story"
            if window is None
            else f"The model reads the last {window} words"
        )
        self._changed(autosave=False)

    def action_colour(self) -> None:
        self.st.settings = replace(self.st.settings, colour=not self.st.settings.colour)
        self._settings_changed("Colour by probability " + ("on" if self.st.settings.colour else "off"))
        self.query_one(StoryView).show(self.story, self.cursor, self.st.settings.colour)

    def action_pace(self) -> None:
        self.st.settings = self.st.settings.cycled("pace", PACE_CHOICES)
        pace = self.st.settings.pace
        self._settings_changed(
            "The model writes at once" if pace == 0 else f"A word every {pace * 1000:.0f} ms"
        )

    # -- files and help ----------------------------------------------------------------

    def action_save(self) -> None:
        self.st.ask_save(self.story)

    def action_open(self) -> None:
        self._halt()
        self.st.ask_open(self.story)

    def action_scroll(self, pages: int) -> None:
        view = self.query_one(StoryView)
        if pages < 0 and view.scroll_y == 0 and view.show_more():
            view.show(self.story, self.cursor, self.st.settings.colour)
        elif pages < 0:
            view.scroll_page_up()
        else:
            view.scroll_page_down()

    def action_help(self) -> None:
        from .help import HelpScreen

        self.app.push_screen(HelpScreen())
