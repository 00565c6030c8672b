"""The model reading a story: next-word distributions, candidates and streaming generation.

The predictor holds the story's tokens and the network's state after them. In stateful
mode (``window=None``) the whole story conditions the next word (a story opened at millions of
words is read from ``MAX_CONTEXT`` tokens before its end: the state forgets sooner); in windowed mode only
the last ``window`` tokens do, each prediction starting from a fresh state, as the
classic example did. In stateful mode the story's memory (``cache.py``), when given, mixes
the words already in the story into every distribution, and with it the counts of the corpus the
model learnt from (``counts.py``) and of the story's own phrases (``phrases.py``), as the model's
card weighs them (all were fitted together):
candidates, scores and generation all read the same mixed one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from .cache import Keys, Memory, Mixed, attention, mix, plain, share
from .corpus_index import CONTEXT
from .counts import CorpusCounts, counts_weight
from .loops import forbid, repeated_endings
from .model import Model, State
from .phrases import Phrases
from .quotes import QUOTE_LOOKBACK, as_read, not_next
from .sampling import SamplingConfig, choose, shape, softmax
from .tokenizer import UNKNOWN, marks_not_next
from .vocab import PARAGRAPH_ID, UNKNOWN_ID, is_word

CHECKPOINT_EVERY = 64
"""Keep the network state every this many tokens near the story's end (undo, a word put back)."""

FAR_CHECKPOINT_EVERY = 1024
"""... and every this many further back: a story of millions of words keeps a state per page or
so, not one per line, and is read in longer pieces."""

NEAR_END = 4096
"""Tokens at the story's end that keep the closer states."""

MAX_CONTEXT = 20_000
"""The most tokens read afresh to reach a position: further back, a story is begun again at a
paragraph break (as a story starts). The network's state forgets long before this: on the default
model, reading 1,000 or 100,000 tokens before the end changes the next word's probabilities less
than how the reading is cut into pieces does. Opening a story of any length reads at most this
many tokens (bench/huge_story.py)."""

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
    from_memory: bool = False
    """Offered mostly from the story's memory rather than by the network."""


class Predictor:
    """A model conditioned on a growing sequence of tokens."""

    def __init__(
        self,
        model: Model,
        window: int | None = None,
        memory: Memory | None = None,
        counts: CorpusCounts | None = None,
    ) -> None:
        if window is not None and window < 1:
            raise ValueError(f"window must be at least 1 word (got {window})")
        self.model = model
        self.window = window
        self.memory = memory if window is None else None
        """The story's memory (None: off; a window leaves the model no memory beyond it)."""
        weight = counts_weight(model.card.cache) if self.memory is not None and counts is not None else 0.0
        self.counts = counts if weight > 0 else None
        """The corpus counts mixed in (None: off, as they are whenever the memory is)."""
        self._counts_weight = weight
        self._keys = Keys(model.card.units, self.memory.words) if self.memory else None
        memory = self.memory
        self._phrases = Phrases(memory.words, memory.phrases) if memory and memory.phrases else None
        """The story's phrases, mixed in with the memory when the card weighs them."""
        self._mixed: Mixed | None = None
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
        read = as_read(new, self.model.card.tokenizer.quotes, self.tokens)
        self.tokens.extend(new)
        self._ids.extend(vocabulary.id(t) for t in read)
        self._logits = self._mixed = None
        return vocabulary.unknown(t for t in read if t != UNKNOWN)

    def sync(self, tokens: list[str]) -> list[str]:
        """Make the story read ``tokens``, re-reading only from where it differs."""
        common = common_prefix(self.tokens, tokens)
        if common < len(self.tokens):
            self.truncate(common)
        return self.feed(tokens[common:])

    def score(self, tokens: list[str]) -> list[tuple[float | None, int | None]]:
        """Append ``tokens`` and return each one's (probability, rank) where it was added.

        Unknown words get (None, None): the model only saw ``<unk>`` there (unless the story's
        memory holds the word, which then offers it by its form). With the memory on, the first
        ``unremembered(len(tokens))`` are scored by the network alone.
        """
        plain = self.unremembered(len(tokens))
        scored = self._score_network(tokens[:plain]) if plain else []
        # Each position's memory holds the positions before it: read one token at a time.
        quotes = self.model.card.tokenizer.quotes
        for token in tokens[plain:]:
            read = as_read([token], quotes, self.tokens)[0]
            scored.append(self.distribution().scored(self.model.vocabulary.id(read), token))
            self.feed([token])
        return scored

    def unremembered(self, count: int) -> int:
        """Of ``count`` tokens scored at once, how many at the start the network scores alone.

        With the memory, every token costs a network call of its own; only the last
        ``memory.words`` get one, so a restored or pasted text of any length costs a bounded
        number of calls (the words before are read in pieces, as without the memory).
        """
        return count if self.memory is None else max(0, count - self.memory.words)

    def _score_network(self, tokens: list[str]) -> list[tuple[float | None, int | None]]:
        memory, keys = self.memory, self._keys
        if memory is None:
            return self._score_in_pieces(tokens)
        self.memory, self._keys = None, None
        self._mixed = None
        try:
            return self._score_in_pieces(tokens)
        finally:
            self.memory, self._keys = memory, keys
            if keys is not None:
                keys.drop_from(0)  # read without it: the memory fills again from a checkpoint
            self._logits = self._mixed = None

    def _score_in_pieces(self, tokens: list[str]) -> list[tuple[float | None, int | None]]:
        vocabulary = self.model.vocabulary
        scored_plain: list[tuple[float | None, int | None]] = []
        for start in range(0, len(tokens), SCORE_PIECE):
            piece = tokens[start : start + SCORE_PIECE]
            ids = [vocabulary.id(t) for t in as_read(piece, self.model.card.tokenizer.quotes, self.tokens)]
            for logits, token_id, token in zip(self._logits_before(ids), ids, piece, strict=True):
                scored_plain.append(plain(softmax(logits)).scored(token_id, token))
            self.feed(piece)
        return scored_plain

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
        if self._phrases is not None:
            self._phrases.cut(length + 1)
        del self.tokens[length:]
        del self._ids[length + 1 :]
        self._logits = self._mixed = None
        if self._fed > len(self._ids):
            self._rewind(len(self._ids))
            self._checkpoints = {n: s for n, s in self._checkpoints.items() if n <= self._fed}

    def _rewind(self, position: int) -> None:
        """Go back to the last kept state at or before ``position``; the rest is read again."""
        base = max((n for n in self._checkpoints if n <= position), default=0)
        self._state = self._checkpoints.get(base, self.model.zero_state())
        self._fed = base
        if self._keys is not None:
            self._keys.drop_from(base)

    def logits(self) -> np.ndarray:
        """The network's scores for the next token, given the story so far."""
        if self._logits is None:
            self._logits = self._windowed() if self.window else self._stateful()
        return self._logits

    def distribution(self) -> Mixed:
        """The next token's distribution: the network's, mixed with the corpus counts, the story's
        phrases and the story's memory if on."""
        if self._mixed is None:
            probs = softmax(self.logits())
            if self.counts is not None:
                counted = self.counts.probabilities(self.counts.context_of(self._read_tail()))
                probs = (1 - self._counts_weight) * probs + self._counts_weight * counted
            recalled = None
            if self._phrases is not None and self.memory is not None:
                self._phrases.read(self._ids)
                probs, recalled = self._phrases.mixed(probs)
            keys = self._keys
            if self.memory is None or keys is None or keys.count < 2:
                self._mixed = plain(probs, recalled)
            else:
                query, remembered, values, codes = keys.memory()
                weights = attention(query, remembered, self.memory.scale)
                weight = share(self.memory.weight, len(values))
                self._mixed = mix(probs, weights, values, codes, keys.names, weight, recalled)
        return self._mixed

    def _read_tail(self) -> list[str]:
        """The story's last ``CONTEXT`` tokens as the model reads them (quotes told apart)."""
        end = len(self.tokens)
        before = self.tokens[max(0, end - CONTEXT - QUOTE_LOOKBACK) : max(0, end - CONTEXT)]
        return as_read(self.tokens[max(0, end - CONTEXT) :], self.model.card.tokenizer.quotes, before)

    def start(self) -> tuple[State, list[int]]:
        """Where a continuation of the story starts: the network's state after the story and no
        ids (stateful), or a fresh state and the window's ids still to read (windowed)."""
        self.logits()  # brings the state up to the story's end
        if self.window:
            return self.model.zero_state(), self._ids[-self.window :]
        return self._state, []

    def probabilities(self) -> np.ndarray:
        return self.distribution().probs

    def candidates(self, k: int = 10) -> list[Candidate]:
        """The k most probable next tokens, with the probabilities they are drawn with; ``<unk>``
        and what may not come next (``forbidden``) left out. A word the story's memory holds but
        the vocabulary lacks comes by its form."""
        mixed = self.distribution()
        probs = mixed.offered()
        left_out = {UNKNOWN_ID, *self.forbidden()}
        count = min(k + len(left_out), len(probs))
        top = np.argpartition(-probs, count - 1)[:count]
        top = top[np.argsort(-probs[top], kind="stable")]
        known = len(self.model.vocabulary)
        return [
            Candidate(
                self._token(mixed, i), float(probs[i]), i if i < known else UNKNOWN_ID, mixed.from_memory(i)
            )
            for i in map(int, top)
            if i not in left_out
        ][:k]

    def forbidden(self) -> list[int]:
        """Ids that may not come next: generation never draws them and candidates leave them out.
        For a model of format 2 on (opening and closing quotes), the quote rules of
        ``quotes.not_next`` and no mark of punctuation doubled (``tokenizer.marks_not_next``);
        older models write exactly as they always did."""
        if not self.model.card.tokenizer.quotes:
            return []
        vocabulary = self.model.vocabulary
        banned = (*not_next(self.tokens), *marks_not_next(self.tokens))
        return [vocabulary.id(t) for t in banned if t in vocabulary]

    def _token(self, mixed: Mixed, index: int) -> str:
        tokens = self.model.vocabulary.tokens
        return tokens[index] if index < len(tokens) else mixed.forms[index - len(tokens)]

    def generate(
        self, words: int, config: SamplingConfig, stop: threading.Event | None = None
    ) -> Iterator[Generated]:
        """Yield tokens one at a time, feeding each back, until ``words`` words or ``stop`` is set."""
        config.check()
        rng = np.random.default_rng(config.seed)
        written = 0
        for _ in range(words * MAX_TOKENS_PER_WORD):
            if written >= words or (stop is not None and stop.is_set()):
                return
            logits = self.logits()
            mixed = self.distribution()
            mixed_in = self.counts is not None or mixed.remembered.any()
            scores = _scores(mixed.probs, logits) if mixed_in else logits
            banned = self.forbidden()
            if config.no_repeat:
                banned += repeated_endings(self._ids, config.no_repeat)
            scores = forbid(scores, banned)
            chosen = choose(shape(scores, config, self._recent(config.repetition_window, mixed)), rng)
            token = self._token(mixed, chosen)
            probability, rank = mixed.scored(chosen if chosen < len(logits) else UNKNOWN_ID, token)
            self.feed([token])
            written += is_word(token)
            yield Generated(token, probability or 0.0, rank or 0)

    def _recent(self, count: int, mixed: Mixed) -> list[int]:
        """Where the words (not punctuation) among the last ``count`` tokens sit in ``mixed``."""
        if not count:
            return []
        ids = self._ids[max(0, len(self._ids) - count) :]
        tokens = (
            self.tokens[len(self.tokens) - len(ids) :] if len(ids) <= len(self.tokens) else ["", *self.tokens]
        )
        recent = (mixed.index(i, t) for i, t in zip(ids, tokens, strict=True) if is_word(t))
        return [i for i in recent if i is not None]

    def _stateful(self) -> np.ndarray:
        keys = self._keys
        if keys is not None:
            # The memory needs the state after each of its positions: read those one at a time,
            # the positions before it in pieces.
            end = len(self._ids)
            needed = max(0, end - 1 - keys.words)
            if keys.stop < needed:
                keys.drop_from(0)  # all it holds is older than the memory reaches
            if (keys.count and (keys.stop != self._fed or keys.first > needed)) or (
                not keys.count and self._fed > needed
            ):
                self._rewind(needed)
            self._read(needed)
            logits = None
            while self._fed < end:
                logits, self._state = self.model.run(
                    np.array([[self._ids[self._fed]]], np.int64), self._state
                )
                token = self.tokens[self._fed - 1] if self._fed else None
                keys.append(self._fed, self._state[0][-1, 0], self._ids[self._fed], token)
                self._fed += 1
                if self._fed % CHECKPOINT_EVERY == 0:
                    self._checkpoints[self._fed] = self._state
        else:
            logits = self._read(len(self._ids))
        if logits is None:
            # Nothing new since the last read: re-read the last token from the state before it.
            self._rewind(self._fed - 1)
            return self._stateful()
        return logits[0, -1]

    def _read(self, stop: int) -> np.ndarray | None:
        """Read the ids up to ``stop`` in pieces that end where a state is kept, and keep it."""
        logits = None
        far_until = (len(self._ids) - NEAR_END) // FAR_CHECKPOINT_EVERY * FAR_CHECKPOINT_EVERY
        afresh = (stop - MAX_CONTEXT) // FAR_CHECKPOINT_EVERY * FAR_CHECKPOINT_EVERY
        if afresh > self._fed:
            _, self._state = self.model.run(np.array([[PARAGRAPH_ID]], np.int64))
            self._fed = afresh
        while self._fed < stop:
            every = FAR_CHECKPOINT_EVERY if self._fed < far_until else CHECKPOINT_EVERY
            end = min(stop, self._fed - self._fed % every + every)
            piece = np.array([self._ids[self._fed : end]], np.int64)
            logits, self._state = self.model.run(piece, self._state)
            self._fed = end
            if end % every == 0:
                self._checkpoints[end] = self._state
        return logits

    def _windowed(self) -> np.ndarray:
        assert self.window is not None
        context = self._ids[-self.window :]
        logits, _ = self.model.run(np.array([context], np.int64))
        return logits[0, -1]


def common_prefix(first: list[str], second: list[str]) -> int:
    """How many leading tokens two lists share: compared in halving slices, so a story of
    millions of tokens that only grew at its end costs one comparison in C, not a Python loop."""
    low, high = 0, min(len(first), len(second))
    if first[:high] == second[:high]:
        return high
    # first[:low] == second[:low], first[:high] != second[:high]
    while high - low > 1:
        middle = (low + high) // 2
        if first[low:middle] == second[low:middle]:
            low = middle
        else:
            high = middle
    return low


def _scores(probs: np.ndarray, logits: np.ndarray) -> np.ndarray:
    """Mixed probabilities as scores on the network's own scale: log p plus the network's
    log-normaliser, so a penalty that treats positive and negative scores apart acts as before."""
    top = float(logits.max())
    normaliser = top + float(np.log(np.exp(logits.astype(np.float64) - top).sum()))
    with np.errstate(divide="ignore"):
        return np.log(probs) + normaliser  # type: ignore[no-any-return]
