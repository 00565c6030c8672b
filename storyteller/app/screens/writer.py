"""The writer's screen: it shows a ``WritingSession`` and sends it the writer's intents.

The screen owns no story logic. After every change the session calls ``_on_change``, which
draws what changed and, when the model is idle, asks it to read the story again. The
model runs only in thread workers (the session's ``Reader`` takes one piece of work at a
time); its results come back through ``call_from_thread`` and the session drops any that
the story has outrun. Dialogs and their answers live in ``writer_dialogs.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer

from ...engine import Model
from ...session import Analysis, Change, ModelWord, TurnRequest, WritingSession
from ..keys import KEYS
from ..trainer import TRAINER
from ..training import Training
from ..widgets.candidates import CandidatesPanel
from ..widgets.notice_bar import NoticeBar
from ..widgets.status_bar import StatusBar
from ..widgets.story_view import StoryView
from ..widgets.writer_input import PARAGRAPH_MARK, WriterInput
from .writer_aids import Aided


class WriterScreen(Aided):
    """Write with the model, word by word."""

    BINDINGS = list(KEYS)

    def __init__(
        self,
        session: WritingSession,
        trainer_command: Sequence[str] = TRAINER,
        training: Training | None = None,
    ) -> None:
        super().__init__()
        self.session = session
        self.trainer_command = list(trainer_command)
        self.training = training or Training()

    def compose(self) -> ComposeResult:
        model = self.session.model
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
        self.session.listener = self._on_change
        self.training.listeners.append(lambda event: self._show_status())
        self.query_one(WriterInput).focus()
        self._on_change(Change(story=True))
        self.offer_restore()

    # -- drawing the session -----------------------------------------------------------

    def _on_change(self, change: Change) -> None:
        """The session changed: draw what did, and have the model read the story if it is idle."""
        if change.notice:
            self.notify(change.notice, markup=False, timeout=2 if change.settings else 5)
        session = self.session
        if change.model:
            model = session.model
            self.query_one(StoryView).use(model.card.tokenizer, model.vocabulary.__contains__)
        if not (change.story or change.model or change.settings):
            return
        self._show_status()
        if change.story or change.model:
            self._show_story()
            self._show_unknown()
            if not session.writing:
                self._analyse_now()
            elif session.candidates_at == (len(session.story.words), None):
                self._show_candidates()

    def _show_story(self) -> None:
        session = self.session
        changes = session.aids.changes()  # what a new model thinks (F8)
        self.query_one(StoryView).show(
            session.story, session.cursor, session.settings.colour, session.loop_span(), changes
        )

    def _show_status(self) -> None:
        session = self.session
        self.query_one(StatusBar).show(
            session.model.name,
            session.settings,
            session.story.word_count(),
            session.writing,
            "restoring the last session's story…" if session.files.restoring else self.training.status(),
            session.quote_open,
            self.aids_text(),
        )

    def _show_candidates(self) -> None:
        session = self.session
        panel = self.query_one(CandidatesPanel)
        panel.show(session.candidates, session.entropy, session.cursor_label(), session.following_texts())
        self._look_up()

    def _show_unknown(self) -> None:
        bar = self.query_one(NoticeBar)
        session = self.session
        if not session.unknown:
            bar.say(None)
            return
        text = Text("Unknown to the model (it reads <unk>): ")
        for i, word in enumerate(session.unknown):
            text.append(", " if i else "")
            text.append(word, style="bold red underline")
        text.append(". ")
        fixable = session.fixable()
        if fixable is not None:
            nearest = session.model.vocabulary.nearest(fixable)
            text.append(f"Nearest to {fixable!r}: {', '.join(nearest)}; ")
            text.append("Ctrl+N", style="bold")
            text.append(f" uses {nearest[0]!r}.")
        bar.say(text)

    # -- the model's work, in workers --------------------------------------------------

    def _analyse_now(self) -> None:
        self.query_one(CandidatesPanel).waiting(self.session.cursor_label())
        self._analyse(self.session.model, self.session.analysis_request())

    # Descriptions are given: by default a worker's describes its arguments, a whole story here.
    @work(thread=True, exclusive=True, group="model", exit_on_error=False, description="analyse")
    def _analyse(self, model: Model, request: object) -> None:
        analysis = self.session.reader.analyse(model, request)  # type: ignore[arg-type]
        self.app.call_from_thread(self._analysed, analysis)

    def _analysed(self, analysis: Analysis) -> None:
        scored = bool(analysis.scores)
        if not self.session.apply_analysis(analysis):
            return  # the story moved on; a newer analysis is on its way
        if scored:
            self._show_story()
        self._show_candidates()

    def _start(self, request: TurnRequest | str) -> None:
        if isinstance(request, TurnRequest):
            self._write(self.session.model, request)

    @work(thread=True, exclusive=True, group="model", exit_on_error=False, description="write")
    def _write(self, model: Model, request: TurnRequest) -> None:
        problem = self.session.reader.write(
            model, request, lambda word: self.app.call_from_thread(self._wrote, word)
        )
        self.app.call_from_thread(self.session.turn_over, request.turn, problem)

    def _wrote(self, word: ModelWord) -> None:
        self.session.model_wrote(word)

    # -- the writer's intents ----------------------------------------------------------

    @on(WriterInput.Submitted)
    def _submitted(self, event: WriterInput.Submitted) -> None:
        text = event.value
        event.input.value = ""
        if text.strip():
            self.session.add_text(text)
        else:
            self.action_continue()

    def action_continue(self) -> None:
        """Enter on an empty line: the model writes ``length`` words."""
        self._start(self.session.start_turn())

    def action_regenerate(self) -> None:
        self._start(self.session.start_turn(regenerate=True))

    def action_paragraph(self) -> None:
        prompt = self.query_one(WriterInput)
        text, prompt.value = prompt.value, ""
        self.session.add_text(text + PARAGRAPH_MARK)

    def action_accept(self) -> None:
        self.session.pick(1)

    def action_accept_phrase(self) -> None:
        """Shift+Tab: the top candidate and its likeliest next words."""
        self.session.pick(1, phrase=True)

    def action_pick(self, number: int) -> None:
        self.session.pick(number)

    def action_replace_unknown(self) -> None:
        self.session.replace_unknown()

    def action_stop(self) -> None:
        """Esc: stop the model (keeping its words), or leave the word cursor."""
        self.session.stop()

    def action_undo(self) -> None:
        self.session.undo()

    def action_undo_turn(self) -> None:
        self.session.undo_turn()

    def action_redo(self) -> None:
        self.session.redo()

    def action_cursor(self, step: int) -> None:
        self.session.move_cursor(step)

    def action_setting(self, name: str, direction: int = 1) -> None:
        self.session.change_setting(name, direction)

    def action_rollback(self) -> None:
        self.session.rollback()

    def action_scroll(self, pages: int) -> None:
        view = self.query_one(StoryView)
        if pages < 0 and view.scroll_y == 0 and view.show_more():
            self._show_story()
        else:
            view.page(pages)

    # -- what tests and the benchmarks read (the session holds it) ---------------------

    @property
    def story(self):  # type: ignore[no-untyped-def]
        return self.session.story

    @property
    def cursor(self) -> int | None:
        return self.session.cursor

    @property
    def writing(self) -> bool:
        return self.session.writing

    @writing.setter
    def writing(self, value: bool) -> None:
        self.session.writing = value

    @property
    def _candidates(self) -> list:  # type: ignore[type-arg]
        return self.session.candidates

    @property
    def _candidates_at(self) -> tuple[int, int | None] | None:
        return self.session.candidates_at

    @property
    def _predictor(self):  # type: ignore[no-untyped-def]
        return self.session.reader.predictor

    @property
    def _turn(self) -> int:
        return self.session.turn

    def set_story(self, story) -> None:  # type: ignore[no-untyped-def]
        self.session.set_story(story)

    def _model_wrote(self, turn: int, word, candidates, entropy: float) -> None:  # type: ignore[no-untyped-def]
        self.session.model_wrote(ModelWord(turn, word, candidates, entropy))
