"""The aids that look past the model: the corpus index (each candidate's count, the copy meter,
where a suggestion comes from) and the story scored again under the model before a switch.

Like the model's own work, it is asked for with a request taken on the UI thread (``request``),
done in a worker (``work``), and applied back on the UI thread (``apply``), where a result the
story has outrun is dropped. A newer request stops the older one between pieces of scoring.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from ..engine import Model, is_word
from ..engine.corpus_index import CorpusIndex, Counts, IndexFileError, SourceLine
from ..engine.index_file import NoIndex, index_for
from ..engine.rescore import Comparison, Rescorer, compare
from ..engine.story import Story
from ..errors import StorytellerError

SHOWN_PLACES = 5
"""Ctrl+F shows this many places of the corpus."""


@dataclass(frozen=True)
class AidsRequest:
    """What the aids look at: the story, the candidates shown, and the models before and after a switch."""

    number: int
    tokens: list[str]
    context: list[str]
    """The tokens before the candidates' place (the story's, or up to the word cursor)."""
    candidates: list[str]
    model: Model
    previous: Model | None


@dataclass(frozen=True)
class AidsResult:
    """What the aids found (None where they could not look: no index, no earlier model)."""

    request: AidsRequest
    counts: Counts | None
    copied: int | None
    """Words in the longest run of the story's last words found word for word in the corpus."""
    comparison: Comparison | None
    notice: str | None = None
    """One sentence to say (once per model): its index was refused."""


@dataclass(frozen=True)
class Sources:
    """Where a candidate comes from: the words looked up, how often they occur, a few places."""

    words: list[str]
    total: int
    places: list[SourceLine]


class CorpusAids:
    """The corpus indexes and rescoring of a session (see the module's docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latest = 0
        self._indexes: dict[Model, CorpusIndex | None] = {}
        self._why: dict[Model, str] = {}
        """Why a model has no index, in one sentence."""
        self._pair: tuple[Rescorer, Rescorer] | None = None
        self._failed: tuple[Model | None, Model] | None = None
        """The two models whose scoring of the story failed (not tried again)."""
        self.result: AidsResult | None = None
        """The latest result applied."""
        self.comparison: Comparison | None = None
        """The story under the model before the last switch and the one after it."""
        self.show_change = False
        """Whether the story is coloured by the change between the two models (F8's third state)."""

    def request(
        self,
        tokens: list[str],
        context: list[str],
        candidates: list[str],
        model: Model,
        previous: Model | None,
    ) -> AidsRequest:
        """``tokens`` and ``context`` are the caller's to give away: the look-ups read them in a worker."""
        self._latest += 1
        return AidsRequest(self._latest, tokens, context, candidates, model, previous)

    def work(self, request: AidsRequest) -> AidsResult:
        """Look everything up (in a worker thread)."""
        with self._lock:
            index, notice = self._index(request.model)
            counts = copied = None
            if index is not None:
                counts = index.following(request.context, request.candidates)
                run = index.copied(request.tokens)
                tail = request.tokens[len(request.tokens) - run :] if run else []
                copied = sum(1 for t in tail if is_word(t))
            try:
                comparison = self._compare(request)
            except StorytellerError as error:  # a model that fails on this story: said once, not retried
                comparison, self._failed = None, (request.previous, request.model)
                notice = f"The story could not be scored again under both models: {error}"
            return AidsResult(request, counts, copied, comparison, notice)

    def _index(self, model: Model) -> tuple[CorpusIndex | None, str | None]:
        if model in self._indexes:
            return self._indexes[model], None
        try:
            self._indexes[model] = index_for(model)
            return self._indexes[model], None
        except IndexFileError as error:
            self._indexes[model] = None
            self._why[model] = str(error)
            # A model without an index is a choice (--no-index): said on Ctrl+F. One refused is news.
            return None, None if isinstance(error, NoIndex) else str(error)

    def _compare(self, request: AidsRequest) -> Comparison | None:
        old, new = request.previous, request.model
        if old is None or self._failed == (old, new):
            self._pair = None
            return None
        if self._pair is None or (self._pair[0].model, self._pair[1].model) != (old, new):
            self._pair = (Rescorer(old), Rescorer(new))
        outrun = lambda: self._latest != request.number  # noqa: E731
        if all(scorer.update(request.tokens, outrun) for scorer in self._pair):
            return compare(*self._pair)
        return None

    def apply(self, result: AidsResult, story: Story, model: Model, previous: Model | None) -> bool:
        """Keep ``result`` if the story and models are still the ones it looked at."""
        request = result.request
        if not story.has_tokens(request.tokens) or request.model is not model:
            return False
        self.result = result
        if request.previous is not previous or previous is None:
            self.comparison, self.show_change = None, False
        elif result.comparison is not None:
            self.comparison = result.comparison
        return True

    def sources(self, model: Model, context: list[str], candidate: str) -> Sources | str:
        """Where ``candidate`` follows the story's last words in the corpus, or why that cannot be said."""
        if model not in self._indexes:
            return "The corpus index is still being read; try again in a moment."
        index = self._indexes[model]
        if index is None:
            return self._why[model]
        words = index.found_tail([*context[-3:], candidate])
        if not words:
            return f"“{candidate}” is not in the corpus that '{model.name}' learnt from."
        places = [index.source(place, len(words)) for place in index.places(words, SHOWN_PLACES)]
        return Sources(words, index.count(words), places)

    def changes(self) -> list[float | None] | None:
        """Per word of the story, the change the F8 colouring shows (None: colour by probability;
        words written since the comparison have none)."""
        if not self.show_change or self.comparison is None:
            return None
        return self.comparison.changes
