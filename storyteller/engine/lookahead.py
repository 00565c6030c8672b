"""Each candidate's likeliest next few words, all candidates read side by side.

Greedy: after each candidate the model's most probable token, then the one after that, and
so on. All the candidates move on together, so a lookahead of N words costs N batched
network calls, whatever the number of candidates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .branches import Branches
from .predictor import Candidate, Predictor
from .tokenizer import PARAGRAPH, Detokenizer, TokenizerConfig
from .vocab import UNKNOWN_ID

MAX_LOOKAHEAD = 4
"""The most tokens a phrase looks ahead: past a few, the greedy guess says little."""


@dataclass(frozen=True)
class Phrase:
    """A candidate and the tokens the model would most likely write after it."""

    candidate: Candidate
    following: tuple[str, ...]
    """The likeliest continuation, one token (a word or a punctuation mark) a step."""
    probabilities: tuple[float, ...]
    """The probability the model gives each following token where it comes."""

    @property
    def tokens(self) -> list[str]:
        return [self.candidate.token, *self.following]


def lookahead(predictor: Predictor, candidates: Sequence[Candidate], steps: int) -> list[Phrase]:
    """Each candidate with its greedy continuation of ``steps`` tokens (one batched model call a step)."""
    if not 0 <= steps <= MAX_LOOKAHEAD:
        raise ValueError(f"the lookahead must be from 0 to {MAX_LOOKAHEAD} words (got {steps})")
    if not candidates or steps == 0:
        return [Phrase(c, (), ()) for c in candidates]
    branches = Branches(predictor, [c.id for c in candidates])
    rows = np.arange(len(candidates))
    chosen: list[np.ndarray] = []
    probabilities: list[np.ndarray] = []
    for _ in range(steps):
        logp = branches.step()
        probs = np.exp(logp)
        logp[:, UNKNOWN_ID] = -np.inf  # the model never writes <unk>
        best = logp.argmax(axis=1)
        chosen.append(best)
        probabilities.append(probs[rows, best])
        branches.extend(rows, best)
    tokens = predictor.model.vocabulary.tokens
    return [
        Phrase(
            candidate,
            tuple(tokens[int(step[n])] for step in chosen),
            tuple(float(step[n]) for step in probabilities),
        )
        for n, candidate in enumerate(candidates)
    ]


def continuation_text(before: Sequence[str], tokens: Sequence[str], tokenizer: TokenizerConfig) -> str:
    """``tokens`` as they read after the tokens ``before`` (a paragraph break shown as ¶)."""
    speller = Detokenizer(tokenizer)
    for token in before[-8:]:  # enough to know whether a sentence starts
        speller.push(token)
    pieces = []
    for token in tokens:
        piece = speller.push(token)
        pieces.append(" ¶ " if token == PARAGRAPH else piece)
    return " ".join("".join(pieces).split())  # one line


def following_text(phrase: Phrase, tokenizer: TokenizerConfig, before: Sequence[str] = ()) -> str:
    """The continuation as it reads after the story's tokens ``before`` and its candidate (which
    decide, say, that a word after a closing quote is a speech tag and keeps its small letter)."""
    return continuation_text([*before[-8:], phrase.candidate.token], phrase.following, tokenizer)
