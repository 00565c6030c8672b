"""A session's model work: the model's turns, and its reading of the story (scores and candidates).

Mixed into ``WritingSession``. The session never runs the model itself: it hands out requests
(``start_turn``, ``analysis_request``) that the session's ``Reader`` carries out in whatever
thread the caller chooses, and applies what comes back (``model_wrote``, ``apply_analysis``),
dropping whatever the story has outrun.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace

from ..engine import Candidate, Model
from ..engine.lookahead import Phrase
from ..engine.page import curly
from ..engine.story import Author, Story, Word
from .reading import Analysis, AnalysisRequest, ModelWord, TurnRequest
from .settings import WriterSettings


class ModelWork:
    """The model intents of a ``WritingSession`` (see the module's docstring)."""

    story: Story
    settings: WriterSettings
    cursor: int | None
    writing: bool
    turn: int
    _attempt: int
    _request: TurnRequest | None
    candidates: list[Candidate]
    candidates_at: tuple[int, int | None] | None
    candidates_window: int | None
    candidates_memory: int | None
    phrases: list[Phrase]
    look_for_loop: Callable[[int], str | None]
    model: Model
    entropy: float
    unscored_from: int | None
    say: Callable[[str], str]
    changed: Callable[..., None]
    leave_cursor: Callable[[], bool]
    _tell_story: Callable[[], None]
    _before: Callable[[int], list[Word]]

    # -- the model's turn --------------------------------------------------------------

    def start_turn(
        self, regenerate: bool = False, settings: WriterSettings | None = None, opening_rank: int = 0
    ) -> TurnRequest | str:
        """A model turn to write (give it to ``Reader.write``), or why there is none; ``settings``
        for this turn alone, and the first word the candidate of ``opening_rank`` if given."""
        if regenerate:
            last = self.story.last_turn()
            if last is None or last.side != "model":
                return self.say("Nothing to regenerate: the last words are yours.")
            self.halt()
            self.story.cut(last.start)  # the old turn is kept as a branch
            self._attempt += 1
        elif self.writing:
            return ""
        else:
            self._attempt = 0
        settings = settings or self.settings
        self.cursor = None
        base = settings.seed if settings.seed is not None else random.randrange(2**31)
        seed = (base + len(self.story.words) + 7919 * self._attempt) % 2**31
        index = self.story.remember_settings(settings.recorded(seed))
        self.turn += 1
        self.writing = True
        self._request = TurnRequest(
            self.turn,
            self.story.tokens,
            settings.sampling(seed),
            index,
            settings.length,
            settings.candidates,
            settings.window,
            settings.pace,
            curly(self._before(len(self.story.words))),
            memory=settings.memory,
            forms=self._unknown_forms(),
            opening_rank=opening_rank,
        )
        self._tell_story()
        return self._request

    def model_wrote(self, written: ModelWord) -> bool:
        """A word of the model's turn arrives (on the UI thread); False if its turn was stopped."""
        if written.turn != self.turn or not self.writing:
            return False
        self.story.add([written.word])
        self._set_candidates(
            written.candidates, written.entropy, None, written.word.window, written.word.memory
        )
        self.changed()  # autosaved: a kill mid-turn loses at most the word in flight
        return True

    def turn_over(self, turn: int, problem: str | None = None) -> None:
        """The model's turn ended: done, stopped, or failed (``problem`` says why, in one sentence)."""
        if turn == self.turn and self.writing:
            self.writing = False
            self.changed(notice=self.look_for_loop(self._turn_start()))
        if problem:
            self.say(problem)

    def halt(self) -> bool:
        """Stop the model's turn, if any; its words in flight will be dropped."""
        if not self.writing:
            return False
        if self._request is not None:
            self._request.stop.set()
        self.turn += 1
        self.writing = False
        return True

    def _turn_start(self) -> int:
        """Where the model's current (or last) turn began, in words."""
        return len(self._request.tokens) if self._request is not None else len(self.story.words)

    def stop(self) -> None:
        """Esc: stop the model (keeping its words; a writer often stops it because it went round
        in a loop, so the loop is looked for as when a turn ends), or leave the word cursor."""
        start = self._turn_start()
        if self.halt():
            self.changed(notice=self.look_for_loop(start))
        else:
            self.leave_cursor()

    # -- reading the story -------------------------------------------------------------

    def analysis_request(self) -> AnalysisRequest:
        return AnalysisRequest(
            self.story.tokens,
            self.cursor,
            self.unscored_from,
            self.settings.candidates,
            self.settings.window,
            self.settings.memory,
            lookahead=self.settings.lookahead,
        )

    def apply_analysis(self, analysis: Analysis) -> bool:
        """The model's reading of the story; False (and nothing changes) if the story moved on."""
        request = analysis.request
        if not self.story.has_tokens(request.tokens) or request.cursor != self.cursor or self.writing:
            return False
        if analysis.problem:
            self._set_candidates([], 0.0, request.cursor, analysis.window, None)
            self.say(analysis.problem)
            return True
        if analysis.scores and request.unscored_from is not None:
            for offset, (probability, rank) in enumerate(analysis.scores):
                index = analysis.scored_from + offset
                word = self.story.words[index]
                if word.author is Author.WRITER:
                    scored = replace(
                        word,
                        probability=probability,
                        rank=rank,
                        window=analysis.window,
                        memory=analysis.memory if offset >= analysis.unremembered else None,
                    )
                    self.story.replace(index, scored)
            self.unscored_from = None
        self._set_candidates(
            analysis.candidates, analysis.entropy, request.cursor, analysis.window, analysis.memory
        )
        self.phrases = analysis.phrases
        return True

    def _set_candidates(
        self,
        candidates: list[Candidate],
        entropy: float,
        cursor: int | None,
        window: int | None,
        memory: int | None,
    ) -> None:
        self.candidates, self.entropy, self.phrases = candidates, entropy, []
        self.candidates_at = (len(self.story.words), cursor)
        self.candidates_window, self.candidates_memory = window, memory

    def _unknown_forms(self) -> dict[str, str]:
        """The latest written form of each word in the story that the model does not know."""
        vocabulary = self.model.vocabulary
        return {token: form for token, form in self.story.written_forms().items() if token not in vocabulary}
