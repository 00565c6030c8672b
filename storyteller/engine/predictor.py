"""The model reading a story: next-word distributions, candidates and streaming generation.

The predictor holds the story's tokens and the network's state after them. In stateful
mode (``window=None``) the whole story conditions the next word; in windowed mode only
the last ``window`` tokens do, each prediction starting from a fresh state, as the
classic example did.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from .loops import forbid, repeated_endings
from .model import Model, State
from .sampling import SamplingConfig, choose, shape, softmax
from .tokenizer import UNKNOWN
from .vocab import PARAGRAPH_ID, UNKNOWN_ID

CHECKPOINT_EVERY = 64
"""Keep the network state every this many tokens, so going back never re-reads the whole story."""

SCORE_PIECE = 256
"""Tokens scored per network call: a restored story of millions of words is read in bounded
pieces (memory stays at a piece's scores), never handed to the network whole."""

MAX_TOKENS_PER_WORD = 4
"""Generation stops after this many tokens per requested word, whatever the model does."""


@dataclass(frozen=True)
class Generated:
    """A token the model wrote, with the probability and rank its own distribution gave it."""

    token: str
    probability: float
    rank: int


@dataclass(frozen=True)
class Candidate:
    """One possible next token and the probability the model gives it."""

    token: str
    probability: float
    id: int


def is_word(token: str) -> bool:
    """Words count towards a length; punctuation and paragraph breaks do not."""
    return token[:1].isalnum()


class Predictor:
    """A model conditioned on a growing sequence of tokens."""

    def __init__(self, model: Model, window: int | None = None) -> None:
        if window is not None and window < 1:
            raise ValueError(f"window must be at least 1 word (got {window})")
        self.model = model
        self.window = window
        self.tokens: list[str] = []
        # The network reads a paragraph break first: a story starts like a new paragraph.
        self._ids: list[int] = [PARAGRAPH_ID]
        self._state: State = model.zero_state()
        self._checkpoints: dict[int, State] = {}
        self._logits: np.ndarray | None = None
        self._fed = 0  # how many of self._ids the stateful network has read

    def feed(self, tokens: Iterable[str]) -> list[str]:
        """Append tokens to the story; returns the distinct ones the model does not know."""
        vocabulary = self.model.vocabulary
        new = [t for t in tokens if t]
        self.tokens.extend(new)
        self._ids.extend(vocabulary.id(t) for t in new)
        self._logits = None
        return vocabulary.unknown(t for t in new if t != UNKNOWN)

    def sync(self, tokens: list[str]) -> list[str]:
        """Make the story read ``tokens``, re-reading only from where it differs."""
        common = 0
        for mine, theirs in zip(self.tokens, tokens, strict=False):
            if mine != theirs:
                break
            common += 1
        if common < len(self.tokens):
            self.truncate(common)
        return self.feed(tokens[common:])

    def score(self, tokens: list[str]) -> list[tuple[float | None, int | None]]:
        """Append ``tokens`` and return each one's (probability, rank) where it was added.

        Unknown words get (None, None): the model only saw ``<unk>`` there.
        """
        vocabulary = self.model.vocabulary
        scored: list[tuple[float | None, int | None]] = []
        for start in range(0, len(tokens), SCORE_PIECE):
            piece = tokens[start : start + SCORE_PIECE]
            ids = [vocabulary.id(t) for t in piece]
            for logits, token_id in zip(self._logits_before(ids), ids, strict=True):
                if token_id == UNKNOWN_ID:
                    scored.append((None, None))
                    continue
                probs = softmax(logits)
                probs[UNKNOWN_ID] = 0.0
                scored.append((float(probs[token_id]), int((probs > probs[token_id]).sum()) + 1))
            self.feed(piece)
        return scored

    def _logits_before(self, ids: list[int]) -> np.ndarray:
        """The next-token scores at each position where ``ids`` will be added, in one pass."""
        if self.window is None:
            first = self.logits()
            if len(ids) == 1:
                return first[None, :]
            # logits() leaves the state at the end of the story.
            rest, _ = self.model.run(np.array([ids[:-1]], np.int64), self._state)
            return np.concatenate([first[None, :], rest[0]])
        history = self._ids + ids
        start = len(self._ids)
        rows = []
        for i in range(start, start + len(ids)):
            context = history[max(0, i - self.window) : i]
            logits, _ = self.model.run(np.array([context], np.int64))
            rows.append(logits[0, -1])
        return np.stack(rows)

    def truncate(self, length: int) -> None:
        """Keep only the first ``length`` tokens of the story (for undo and branching)."""
        if not 0 <= length <= len(self.tokens):
            raise ValueError(f"cannot truncate a story of {len(self.tokens)} tokens to {length}")
        del self.tokens[length:]
        del self._ids[length + 1 :]
        self._logits = None
        if self._fed > len(self._ids):
            base = max((n for n in self._checkpoints if n <= len(self._ids)), default=0)
            self._checkpoints = {n: s for n, s in self._checkpoints.items() if n <= base}
            self._state = self._checkpoints.get(base, self.model.zero_state())
            self._fed = base

    def logits(self) -> np.ndarray:
        """The network's scores for the next token, given the story so far."""
        if self._logits is None:
            self._logits = self._windowed() if self.window else self._stateful()
        return self._logits

    def start(self) -> tuple[State, list[int]]:
        """Where a continuation of the story starts: the network's state after the story and no
        ids (stateful), or a fresh state and the window's ids still to read (windowed)."""
        self.logits()  # brings the state up to the story's end
        if self.window:
            return self.model.zero_state(), self._ids[-self.window :]
        return self._state, []

    def probabilities(self) -> np.ndarray:
        return softmax(self.logits())

    def candidates(self, k: int = 10) -> list[Candidate]:
        """The k most probable next tokens, ``<unk>`` left out, with the model's own probabilities."""
        probs = self.probabilities()
        count = min(k + 1, len(probs))
        top = np.argpartition(-probs, count - 1)[:count]
        top = top[np.argsort(-probs[top], kind="stable")]
        vocabulary = self.model.vocabulary
        return [Candidate(vocabulary.tokens[i], float(probs[i]), int(i)) for i in top if i != UNKNOWN_ID][:k]

    def generate(
        self, words: int, config: SamplingConfig, stop: threading.Event | None = None
    ) -> Iterator[Generated]:
        """Yield tokens one at a time, feeding each back, until ``words`` words or ``stop`` is set."""
        config.check()
        rng = np.random.default_rng(config.seed)
        vocabulary = self.model.vocabulary
        written = 0
        for _ in range(words * MAX_TOKENS_PER_WORD):
            if written >= words or (stop is not None and stop.is_set()):
                return
            recent = self._recent_words(config.repetition_window)
            logits = self.logits()
            allowed = (
                forbid(logits, repeated_endings(self._ids, config.no_repeat)) if config.no_repeat else logits
            )
            chosen = choose(shape(allowed, config, recent), rng)
            probs = softmax(logits)
            probs[UNKNOWN_ID] = 0.0
            token = vocabulary.tokens[chosen]
            self.feed([token])
            written += is_word(token)
            yield Generated(token, float(probs[chosen]), int((probs > probs[chosen]).sum()) + 1)

    def _recent_words(self, count: int) -> list[int]:
        """Ids of the words (not punctuation) among the last ``count`` tokens."""
        tokens = self.model.vocabulary.tokens
        return [i for i in self._ids[max(0, len(self._ids) - count) :] if is_word(tokens[i])] if count else []

    def _stateful(self) -> np.ndarray:
        pending = self._ids[self._fed :]
        logits = None
        # Read in checkpoint-sized pieces so each piece's end state can be kept.
        while pending:
            room = CHECKPOINT_EVERY - self._fed % CHECKPOINT_EVERY
            piece, pending = pending[:room], pending[room:]
            logits, self._state = self.model.run(np.array([piece], np.int64), self._state)
            self._fed += len(piece)
            if self._fed % CHECKPOINT_EVERY == 0:
                self._checkpoints[self._fed] = self._state
        if logits is None:
            # Nothing new since the last read: re-read the last token from the state before it.
            self._fed -= 1
            base = max((n for n in self._checkpoints if n <= self._fed), default=0)
            self._state = self._checkpoints.get(base, self.model.zero_state())
            self._fed = base
            return self._stateful()
        return logits[0, -1]

    def _windowed(self) -> np.ndarray:
        assert self.window is not None
        context = self._ids[-self.window :]
        logits, _ = self.model.run(np.array([context], np.int64))
        return logits[0, -1]
