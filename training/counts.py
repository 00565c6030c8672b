"""What the corpus counts would give each word of the training text, were that word held out.

The app mixes the network with the counts of its training text (``storyteller.engine.counts``):
``(1 - α) p_net + α p_counts``. Trained alone, the network spends its few minutes learning
what the counts already know (the phrases the text repeats). Trained on the loss of the mix,
it learns most where the counts are weak (Neubig and Dyer, "Generalizing and Hybridizing
Count-based and Neural Language Models", 2016, train a network inside such a mixture). The
counts must not have seen the word they score, or they would know every training word: each
word is scored by the counts of the whole text less that one occurrence (leave-one-out), which
is what a held-out word in the same context gets. A text longer than the corpus index holds
(``MAX_INDEX_TOKENS``), whose counts in the app are those of its beginning, trains on the
network's loss alone.
"""

from __future__ import annotations

import numpy as np

from storyteller.engine.corpus_index import CONTEXT
from storyteller.engine.counts import discounted


def left_out_probabilities(ids: np.ndarray, size: int) -> np.ndarray:
    """For each position ``t`` of ``ids`` (a vocabulary of ``size``): the probability that the
    counts of all of ``ids`` but the occurrence at ``t`` give ``ids[t]`` after the tokens before
    it, with the engine's smoothing (absolute discounting interpolated from the last ``CONTEXT``
    tokens down to a uniform distribution). float32, one per position."""
    ids = np.asarray(ids, np.int64)
    n = len(ids)
    if n < 2:
        return np.full(n, 1.0 / size, np.float32)
    # Order 0: the discounted unigram distribution over a uniform one.
    unigram = np.bincount(ids, minlength=size)
    probs = discounted(
        unigram[ids] - 1.0, n - 1.0, np.count_nonzero(unigram) - (unigram[ids] == 1), 1.0 / size
    )
    # Order k: the last k tokens before each position t >= k, as a rank among all such contexts.
    context = np.zeros(n, np.int64)
    found = np.ones(n, bool)  # every shorter context was seen elsewhere: the engine reads on
    for order in range(1, CONTEXT + 1):
        at = np.arange(order, n)
        _, context[at] = np.unique(context[at] * size + ids[at - order], return_inverse=True)
        pairs, pair_of, pair_count = np.unique(
            context[at] * size + ids[at], return_inverse=True, return_counts=True
        )
        total = np.bincount(context[at])  # how often each context is followed by a token
        followers = np.bincount(pairs // size, minlength=len(total))  # by how many different ones
        own = pair_count[pair_of] - 1.0  # this pair elsewhere
        elsewhere = total[context[at]] - 1.0  # this context elsewhere
        others = followers[context[at]] - (own == 0)
        found[at] &= elsewhere > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            higher = discounted(own, elsewhere, others, probs[at])
        probs[at] = np.where(found[at], higher, probs[at])
    return probs.astype(np.float32)
