"""The model's work for a session, done away from the UI: reading the story, writing a turn.

Each piece of work is asked for with a small request (a copy of what it needs, taken on the
UI thread) and answered with a small result that the session applies on the UI thread, where
it checks the story has not moved on in between. Only one piece runs at a time: the
predictor keeps the network's state and is guarded by a lock.

A model that fails while it reads or writes (a crafted one that scores some word as NaN, say)
never kills the work silently: the failure comes back as one sentence in the result, and the
turn ends.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from ..engine import Candidate, Model, Predictor, SamplingConfig, is_word
from ..engine.cache import memory_for
from ..engine.counts import CorpusCounts, counts_for
from ..engine.lookahead import Phrase, lookahead
from ..engine.page import kept_form, resume
from ..engine.predictor import MAX_CONTEXT
from ..engine.sampling import entropy_bits
from ..engine.story import Author, Word
from ..errors import StorytellerError

T = TypeVar("T")


@dataclass(frozen=True)
class AnalysisRequest:
    """Read the story: score the writer's words from ``unscored_from``, then list the candidates."""

    tokens: list[str]
    cursor: int | None
    unscored_from: int | None
    candidates: int
    window: int | None
    memory: int | None = None
    """How many of the story's words its memory holds (None: no memory)."""
    lookahead: int = 0
    """How many words to look ahead after each candidate (0: none)."""


@dataclass(frozen=True)
class Analysis:
    """What the model found: a score per word read, the candidates there and how unsure it is."""

    request: AnalysisRequest
    scores: list[tuple[float | None, int | None]]
    candidates: list[Candidate]
    entropy: float
    window: int | None
    problem: str | None = None
    """Why the model could not read the story (then nothing else is filled in)."""
    memory: int | None = None
    unremembered: int = 0
    """How many of ``scores``, from the first, were measured by the network alone (a long text
    read at once is scored with the memory only near its end)."""
    phrases: list[Phrase] = field(default_factory=list)
    """Each candidate with its likeliest next words (empty when the lookahead is off)."""
    scored_from: int = 0
    """The story's index of the first of ``scores`` (no earlier than the request's
    ``unscored_from``; later when the unscored words run back further than ``MAX_CONTEXT``)."""


@dataclass(frozen=True)
class TurnRequest:
    """The model writes ``length`` words after ``tokens``; ``turn`` tells its words from a stopped turn's."""

    turn: int
    tokens: list[str]
    config: SamplingConfig
    settings_index: int
    length: int
    candidates: int
    window: int | None
    pace: float
    curly: bool = False
    """Write quotes curly, as the writer's last one was."""
    stop: threading.Event = field(default_factory=threading.Event)
    memory: int | None = None
    forms: dict[str, str] = field(default_factory=dict)
    """How the story writes the words the model does not know, so one it writes from memory
    is written as the writer wrote it."""
    opening_rank: int = 0
    """The turn's first word is the model's candidate of this rank (0: sampled as usual)."""


@dataclass(frozen=True)
class ModelWord:
    """One word of a model's turn, with the candidates for the word after it."""

    turn: int
    word: Word
    candidates: list[Candidate]
    entropy: float


class Reader:
    """The predictor and its lock: one piece of the model's work at a time, in any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.predictor: Predictor | None = None
        self._counts: tuple[Model, CorpusCounts | None] | None = None
        """The last model's corpus counts (its index is read once, when the memory first needs it)."""

    def _predictor(self, model: Model, window: int | None, words: int | None) -> Predictor:
        """The predictor for this model, window and memory (called with the lock held)."""
        current = self.predictor
        memory = memory_for(model.card.cache, words) if words and window is None else None
        if (
            current is None
            or current.window != window
            or current.model is not model
            or current.memory != memory
        ):
            counts = self._counts_for(model) if memory else None
            self.predictor = current = Predictor(model, window, memory, counts)
        return current

    def _counts_for(self, model: Model) -> CorpusCounts | None:
        if self._counts is None or self._counts[0] is not model:
            self._counts = (model, counts_for(model))
        return self._counts[1]

    def analyse(self, model: Model, request: AnalysisRequest) -> Analysis:
        with self._lock:
            try:
                return self._analyse(model, request)
            except Exception as error:  # the model's failure, said, never a silent worker's death
                self.predictor = None  # its state may be half-way through the failed piece
                return Analysis(request, [], [], 0.0, request.window, problem=_sentence(error))

    def _analyse(self, model: Model, request: AnalysisRequest) -> Analysis:
        tokens, cursor, start = request.tokens, request.cursor, request.unscored_from
        scores: list[tuple[float | None, int | None]] = []
        predictor = self._predictor(model, request.window, request.memory)
        unremembered = 0
        if start is not None and start < len(tokens):
            # Of a story opened or pasted unscored, the words before its last MAX_CONTEXT tokens keep
            # no probability: scoring them all kept the candidates waiting for minutes (a restored
            # 10-million-word autosave), and the model reads no further back to write anyway.
            start = max(start, len(tokens) - MAX_CONTEXT)
            predictor.sync(tokens[:start])
            unremembered = predictor.unremembered(len(tokens) - start)
            scores = predictor.score(tokens[start:])
        predictor.sync(tokens if cursor is None else tokens[:cursor])
        candidates = predictor.candidates(request.candidates)
        entropy = entropy_bits(predictor.probabilities())
        memory = _words(predictor)
        phrases = lookahead(predictor, candidates, request.lookahead) if request.lookahead else []
        return Analysis(
            request,
            scores,
            candidates,
            entropy,
            predictor.window,
            memory=memory,
            unremembered=unremembered,
            phrases=phrases,
            scored_from=start or 0,
        )

    def using(self, model: Model, window: int | None, tokens: list[str], work: Callable[[Predictor], T]) -> T:
        """``work`` done with the predictor reading ``tokens`` (in the caller's thread, the lock held).
        A failure of the model comes back as a ``StorytellerError`` sentence."""
        with self._lock:
            predictor = self._predictor(model, window, None)  # the network alone: the aids read it directly
            try:
                predictor.sync(tokens)
                return work(predictor)
            except StorytellerError:
                raise
            except Exception as error:  # the model's failure, said, never a traceback
                self.predictor = None
                raise StorytellerError(_sentence(error)) from None

    def write(self, model: Model, request: TurnRequest, emit: Callable[[ModelWord], None]) -> str | None:
        """Write the turn, giving each word to ``emit`` as it comes; stops when ``request.stop`` is
        set. Returns one sentence if the model failed (the words before the failure stay)."""
        with self._lock:
            try:
                self._write(model, request, emit)
            except Exception as error:  # the model's failure, said, never a silent worker's death
                self.predictor = None
                return _sentence(error)
        return None

    def _write(self, model: Model, request: TurnRequest, emit: Callable[[ModelWord], None]) -> None:
        stop = request.stop
        predictor = self._predictor(model, request.window, request.memory)
        predictor.sync(request.tokens)
        # Each word keeps the form it is first shown in: another model never re-cases it.
        page = resume(request.tokens, model.card.tokenizer, request.curly)

        def emit_word(token: str, author: Author, probability: float, rank: int) -> None:
            form = kept_form(token, page.push(token).lstrip(" "))
            word = Word(
                token,
                author,
                probability,
                rank,
                request.settings_index,
                predictor.window,
                request.forms.get(token, form),
                memory=_words(predictor),
            )
            candidates = predictor.candidates(request.candidates)
            emit(ModelWord(request.turn, word, candidates, entropy_bits(predictor.probabilities())))

        length = request.length
        if request.opening_rank:
            ranked = predictor.candidates(request.opening_rank)
            opening = ranked[-1]
            predictor.feed([opening.token])
            emit_word(opening.token, Author.PICKED, opening.probability, len(ranked))
            length -= is_word(opening.token)
        for generated in predictor.generate(length, request.config, stop) if length > 0 else ():
            emit_word(generated.token, Author.MODEL, generated.probability, generated.rank)
            if request.pace and stop.wait(request.pace):
                break


def _words(predictor: Predictor) -> int | None:
    return predictor.memory.words if predictor.memory else None


def _sentence(error: Exception) -> str:
    """What the writer reads about a failure of the model's work."""
    if isinstance(error, StorytellerError):
        return str(error)
    return f"The model failed ({type(error).__name__}); the story so far is kept."
