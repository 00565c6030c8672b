"""The model's work for a session, done away from the UI: reading the story, writing a turn.

Each piece of work is asked for with a small request (a copy of what it needs, taken on the
UI thread) and answered with a small result that the session applies on the UI thread, where
it checks the story has not moved on in between. Only one piece runs at a time: the
predictor keeps the network's state and is guarded by a lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from ..engine import Candidate, Model, Predictor, SamplingConfig
from ..engine.page import kept_form, resume
from ..engine.sampling import entropy_bits
from ..engine.story import Author, Word


@dataclass(frozen=True)
class AnalysisRequest:
    """Read the story: score the writer's words from ``unscored_from``, then list the candidates."""

    tokens: list[str]
    cursor: int | None
    unscored_from: int | None
    candidates: int
    window: int | None


@dataclass(frozen=True)
class Analysis:
    """What the model found: a score per word read, the candidates there and how unsure it is."""

    request: AnalysisRequest
    scores: list[tuple[float | None, int | None]]
    candidates: list[Candidate]
    entropy: float
    window: int | None


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
    stop: threading.Event = field(default_factory=threading.Event)


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

    def _predictor(self, model: Model, window: int | None) -> Predictor:
        """The predictor for this model and window (called with the lock held)."""
        current = self.predictor
        if current is None or current.window != window or current.model is not model:
            self.predictor = current = Predictor(model, window)
        return current

    def analyse(self, model: Model, request: AnalysisRequest) -> Analysis:
        tokens, cursor, start = request.tokens, request.cursor, request.unscored_from
        scores: list[tuple[float | None, int | None]] = []
        with self._lock:
            predictor = self._predictor(model, request.window)
            if start is not None and start < len(tokens):
                predictor.sync(tokens[:start])
                scores = predictor.score(tokens[start:])
            predictor.sync(tokens if cursor is None else tokens[:cursor])
            candidates = predictor.candidates(request.candidates)
            entropy = entropy_bits(predictor.probabilities())
            return Analysis(request, scores, candidates, entropy, predictor.window)

    def write(self, model: Model, request: TurnRequest, emit: Callable[[ModelWord], None]) -> None:
        """Write the turn, giving each word to ``emit`` as it comes; stops when ``request.stop`` is set."""
        stop = request.stop
        with self._lock:
            predictor = self._predictor(model, request.window)
            predictor.sync(request.tokens)
            # Each word keeps the form it is first shown in: another model never re-cases it.
            page = resume(request.tokens, model.card.tokenizer)
            for generated in predictor.generate(request.length, request.config, stop):
                form = kept_form(generated.token, page.push(generated.token).lstrip(" "))
                word = Word(
                    generated.token,
                    Author.MODEL,
                    generated.probability,
                    generated.rank,
                    request.settings_index,
                    predictor.window,
                    form,
                )
                candidates = predictor.candidates(request.candidates)
                emit(ModelWord(request.turn, word, candidates, entropy_bits(predictor.probabilities())))
                if request.pace and stop.wait(request.pace):
                    break
