"""The corpus's own counts as a next-word distribution, mixed with the network's.

A word-level network trained for minutes on a writer's text has not learnt every phrase the text
repeats; a count of what followed the story's last few words in the corpus has. Following
Mikolov et al. ("Empirical Evaluation and Combination of Advanced Language Modeling Techniques",
2011), the two are mixed linearly::

    p(w) = (1 - α) p_net(w) + α p_counts(w | last tokens)

``p_counts`` is an interpolated absolute-discounting n-gram model (Ney, Essen and Kneser, 1994)
read straight from the corpus index's suffix array: for each of the story's last 0 to ``CONTEXT``
tokens, the suffixes that start with them are a range, and the tokens that follow them there are
that context's counts. Each order keeps its counts less a fixed discount ``D`` and hands the mass
taken off to the order below, down to a uniform distribution::

    p_k(w) = max(c_k(w) - D, 0) / C_k + D · n_k / C_k · p_{k-1}(w)

(``c_k(w)``: how often ``w`` follows the last k tokens, ``C_k`` their sum, ``n_k`` how many
distinct tokens follow). Nothing is stored beyond the index: a prediction costs a few binary
searches and one count of the tokens after a context, however long the corpus.

Counted in the model's vocabulary, so the two distributions share their ids: a corpus word the
model does not know counts as ``<unk>``. α is fitted on held-out text when a model is exported
(``training.mix_fit``) and kept on its card.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .cache import part_weight
from .corpus_index import CONTEXT, CorpusIndex, IndexFileError
from .index_file import index_for
from .model import Model
from .tokenizer import PARAGRAPH, TokenizerConfig
from .vocab import Vocabulary

DISCOUNT = 0.75
"""D, the same at every order: mixed with a network, it did as well as Kneser-Ney's continuation
counts on held-out prose (bench/README.md)."""


class CorpusCounts:
    """What followed the story's last tokens in a corpus, as a distribution over a model's ids."""

    def __init__(self, index: CorpusIndex, vocabulary: Vocabulary) -> None:
        self.index = index
        self.size = len(vocabulary)
        # Each of the index's tokens as the model's id (<unk> where the model lacks the word).
        self._ids = np.array([vocabulary.id(token) for token in index.vocabulary], np.int64)
        uniform = np.full(self.size, 1.0 / self.size)
        if index.tokens:
            unigram = np.bincount(self._ids[index.ids], minlength=self.size).astype(np.float64)
            uniform = _discounted(unigram, uniform)
        self._unigram = uniform
        """The distribution after no context: the same at every position."""

    @classmethod
    def of_ids(cls, ids: np.ndarray, vocabulary: Vocabulary) -> CorpusCounts:
        """Counts of a text already in ``vocabulary``'s ids (the trainer's training text)."""
        from .index_build import suffix_array  # only the trainer builds one here

        ids = np.asarray(ids, np.uint32)
        index = CorpusIndex(
            vocabulary=list(vocabulary.tokens),
            tokenizer=TokenizerConfig(),
            ids=ids,
            suffixes=suffix_array(ids),
            files=[],
            mark_tokens=np.zeros(0, np.uint32),
            mark_lines=np.zeros(0, np.uint32),
            total=len(ids),
        )
        return cls(index, vocabulary)

    def context_of(self, tokens: list[str]) -> list[int]:
        """The index's ids of the last ``CONTEXT`` of ``tokens`` as the model read them; a story
        starts after a paragraph break, as the network reads it."""
        tail = tokens[-CONTEXT:]
        if len(tail) < CONTEXT:
            tail = [PARAGRAPH, *tail]
        return self.index.ids_of(tail)

    def probabilities(self, context: list[int]) -> np.ndarray:
        """The next token's distribution after ``context`` (the index's ids, oldest first; -1 for
        a token the corpus lacks, which cuts the context there)."""
        probs = self._unigram
        index = self.index
        for order in range(1, len(context) + 1):
            pattern = context[len(context) - order :]
            lo, hi = index.suffix_range(pattern)
            if hi <= lo:
                break
            places = index.suffixes[lo:hi].astype(np.int64) + order
            places = places[places < index.tokens]  # the corpus's very end is followed by nothing
            if not len(places):
                break
            counts = np.bincount(self._ids[index.ids[places]], minlength=self.size).astype(np.float64)
            probs = _discounted(counts, probs)
        return probs

    def of_targets(self, chunk: np.ndarray) -> np.ndarray:
        """For held-out text in the index's ids (counts made by ``of_ids``), read from its start:
        the probability of each token after the first (so of ``chunk[1:]``)."""
        ids = np.asarray(chunk, np.int64).tolist()
        out = np.empty(max(0, len(ids) - 1))
        for position in range(1, len(ids)):
            context = ids[max(0, position - CONTEXT) : position]
            out[position - 1] = self.probabilities(context)[ids[position]]
        return out


def _discounted(counts: np.ndarray, lower: np.ndarray) -> np.ndarray:
    return discounted(counts, counts.sum(), np.count_nonzero(counts), lower)


def discounted(count: Any, total: Any, seen: Any, lower: Any) -> np.ndarray:
    """One order up: the probability of a token seen ``count`` times after a context followed
    ``total`` times, by ``seen`` different tokens, where the order below gives it ``lower``
    (numbers or arrays alike; ``training.counts`` reads many contexts at once)."""
    return np.maximum(count - DISCOUNT, 0.0) / total + (DISCOUNT * seen / total) * lower  # type: ignore[no-any-return]


def counts_weight(cache: dict[str, Any]) -> float:
    """α from a model's card (its ``cache`` field's ``counts``): 0, off, where it has none (its
    memory was fitted without the counts) or a bad one."""
    return part_weight(cache, "counts")


def counts_for(model: Model) -> CorpusCounts | None:
    """The counts of the corpus index beside ``model``, as its card weighs them; None for a model
    whose card gives them no weight, or without a usable index (the corpus aids say why)."""
    if counts_weight(model.card.cache) == 0.0:
        return None  # the index is not even read
    try:
        return CorpusCounts(index_for(model), model.vocabulary)
    except IndexFileError:
        return None
