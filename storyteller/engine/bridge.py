"""A bridge to a word: the likeliest ways from the story's end to a word the writer names.

A beam search, batched: every step reads all the beams in one network call. At each step
any beam may end with the target (a finished path); the others go on with their likeliest
next tokens, never the target itself nor ``<unk>``. A path's score is the sum of its tokens'
log-probabilities, so going on can only lower it: the search stops as soon as no beam can
beat the paths already found.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass

import numpy as np

from ..errors import StorytellerError
from .branches import Branches
from .predictor import Predictor
from .tokenizer import tokenize
from .vocab import UNKNOWN_ID, is_word

MAX_WITHIN = 64
MAX_BEAM = 256
MAX_PATHS = 10
REACH = 1e-3
"""The least probability the target needs where a path ends with it: a word the model gives
less than one chance in a thousand is not one it would write there."""
TOKENS_PER_WORD = 2
"""A path of N words holds at most this many tokens per word (punctuation is not counted)."""


class BridgeError(StorytellerError):
    """No bridge to the word, with the reason in one sentence."""


@dataclass(frozen=True)
class BridgePath:
    """One way to the target: its tokens (the target last) and how likely the model finds it."""

    tokens: tuple[str, ...]
    probabilities: tuple[float, ...]
    """Each token's probability where it comes."""
    log_probability: float
    """The path's natural log-probability: the sum of its tokens'."""

    @property
    def probability(self) -> float:
        return math.exp(self.log_probability)


def target_id(predictor: Predictor, target: str) -> int:
    """The id of the word to reach, or a ``BridgeError`` that says what is wrong with it."""
    model = predictor.model
    tokens = tokenize(target, model.card.tokenizer)
    if len(tokens) != 1 or not is_word(tokens[0]):
        raise BridgeError(f"Give one word to reach (got {target.strip()[:40]!r}).")
    word = tokens[0]
    vocabulary = model.vocabulary
    if word in vocabulary and vocabulary.id(word) != UNKNOWN_ID:
        return vocabulary.id(word)
    near = vocabulary.nearest(word) or difflib.get_close_matches(
        word, [t for t in vocabulary.tokens if is_word(t)], n=3, cutoff=0.6
    )
    if near:
        raise BridgeError(f"The model does not know {word!r}; the nearest words it knows: {', '.join(near)}.")
    raise BridgeError(f"The model does not know {word!r}, nor any word spelt like it.")


def check_limits(within: int, beam: int, paths: int) -> None:
    if not 1 <= within <= MAX_WITHIN:
        raise BridgeError(f"The bridge must be from 1 to {MAX_WITHIN} words long (got {within}).")
    if not 1 <= beam <= MAX_BEAM:
        raise BridgeError(f"The beam width must be from 1 to {MAX_BEAM} (got {beam}).")
    if not 1 <= paths <= MAX_PATHS:
        raise BridgeError(f"Ask for 1 to {MAX_PATHS} paths (got {paths}).")


def bridge(
    predictor: Predictor, target: str, within: int = 8, beam: int = 16, paths: int = 3
) -> list[BridgePath]:
    """The ``paths`` likeliest paths of at most ``within`` words from the story's end to ``target``,
    best first; a ``BridgeError`` sentence when the word is unknown or out of reach."""
    check_limits(within, beam, paths)
    goal = target_id(predictor, target)
    vocabulary = predictor.model.vocabulary
    word_mask = np.array([is_word(t) for t in vocabulary.tokens])
    branches = Branches(predictor)
    scores = np.zeros(1)
    words = np.zeros(1, np.int64)
    probabilities: list[list[float]] = [[]]
    found: list[tuple[float, list[int], list[float]]] = []
    floor = math.log(REACH)
    for _ in range(within * TOKENS_PER_WORD):
        logp = branches.step()
        for row in np.flatnonzero(logp[:, goal] >= floor):
            found.append(
                (
                    float(scores[row] + logp[row, goal]),
                    [*branches.paths[row], goal],
                    [*probabilities[row], math.exp(logp[row, goal])],
                )
            )
        found.sort(key=lambda f: -f[0])
        del found[paths:]
        if len(found) == paths and scores.max() <= found[-1][0]:
            break  # going on only lowers a score: no beam can beat the paths found
        total = scores[:, None] + logp
        total[:, goal] = -np.inf
        total[:, UNKNOWN_ID] = -np.inf
        total[(words + 1 >= within)[:, None] & word_mask[None, :]] = -np.inf  # leave room for the target
        flat = total.ravel()
        keep = min(beam, int(np.isfinite(flat).sum()))
        if keep == 0:
            break
        best = np.argpartition(-flat, keep - 1)[:keep]
        rows, ids = np.divmod(best, total.shape[1])
        probabilities = [[*probabilities[r], math.exp(logp[r, i])] for r, i in zip(rows, ids, strict=True)]
        scores = flat[best]
        words = words[rows] + word_mask[ids]
        branches.extend(rows, ids)
    if not found:
        limit = f"{within} word{'s' * (within != 1)}"
        raise BridgeError(
            f"{vocabulary.tokens[goal]!r} cannot be reached within {limit} from here "
            "(the model never gives it one chance in a thousand on the way)."
        )
    tokens = vocabulary.tokens
    return [BridgePath(tuple(tokens[i] for i in ids), tuple(p), score) for score, ids, p in found]
