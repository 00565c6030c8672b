"""The network: embedding → stacked LSTM → output layer (a full softmax or an adaptive one).

With a large vocabulary almost all of a step's arithmetic is the output layer: scoring every
word of a 33,000-word vocabulary costs ten times the LSTM itself. The adaptive softmax
scores the frequent words in full and puts the rare ones in clusters behind one score each::

    hidden ──► head: [the 2,000 most frequent words | cluster 1 | cluster 2 ...]
          └──► cluster 1: a narrower projection ──► its 8,000 words
          └──► cluster 2: narrower still        ──► the rest

    log p(rare word) = log p(its cluster | head) + log p(word | its cluster)

Training computes a cluster only for the positions whose target lies in it, so the common
case costs the head alone. The exported model still gives a score for every word.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

import torch
from torch import nn
from torch.func import functional_call
from torch.nn import functional as F

from storyteller.engine.vocab import UNKNOWN_ID

from .config import ADAPTIVE_FROM, TrainConfig

State = tuple[torch.Tensor, torch.Tensor]

SHORTLIST = 2_000
"""Words the adaptive softmax's head scores in full."""
CLUSTER_GROWTH = 5
"""Each cluster holds this many times more words than the one before (2,000 · 8,000 · 40,000 ...)."""
PROJECTION_SHRINK = 4
"""Each cluster scores from a projection this many times narrower than the one before."""


def adaptive_cutoffs(vocab_size: int) -> list[int]:
    """Where the head's shortlist and each cluster end: ``[2000, 10000, ..., vocab_size]``."""
    cutoffs, edge = [], SHORTLIST
    while edge < vocab_size:
        cutoffs.append(edge)
        edge *= CLUSTER_GROWTH
    return [*cutoffs, vocab_size]


def uses_adaptive_softmax(config: TrainConfig, vocab_size: int) -> bool:
    if vocab_size <= SHORTLIST:
        return False  # no rare words to put in clusters
    return config.softmax == "adaptive" or (config.softmax == "auto" and vocab_size >= ADAPTIVE_FROM)


class AdaptiveSoftmax(nn.Module):
    """Log-probabilities over ``cutoffs[-1]`` words, frequent words first (the vocabulary's order)."""

    def __init__(self, units: int, cutoffs: list[int], shortlist_weight: torch.Tensor | None = None) -> None:
        super().__init__()
        self.cutoffs = cutoffs
        self.shortlist = cutoffs[0]
        clusters = len(cutoffs) - 1
        # The head's rows: the shortlist's words (tied to the embedding when given), then one per cluster.
        self.shortlist_weight = shortlist_weight
        own_rows = clusters if shortlist_weight is not None else self.shortlist + clusters
        self.own_weight = nn.Parameter(torch.empty(own_rows, units))
        self.bias = nn.Parameter(torch.zeros(self.shortlist + clusters))
        self.tails = nn.ModuleList()
        for i in range(clusters):
            width = max(8, units // PROJECTION_SHRINK ** (i + 1))
            words = cutoffs[i + 1] - cutoffs[i]
            self.tails.append(nn.Sequential(nn.Linear(units, width, bias=False), nn.Linear(width, words)))
        nn.init.uniform_(self.own_weight, -0.1, 0.1)

    def head(self, hidden: torch.Tensor) -> torch.Tensor:
        """Log-probabilities of the shortlist's words and of each cluster."""
        weight: torch.Tensor = self.own_weight
        if self.shortlist_weight is not None:
            weight = torch.cat([self.shortlist_weight[: self.shortlist], self.own_weight])
        return F.log_softmax(F.linear(hidden, weight, self.bias), -1)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        """Log-probabilities of every word: ``[..., units]`` → ``[..., vocab]``."""
        head = self.head(hidden)
        parts = [head[..., : self.shortlist]]
        for i, tail in enumerate(self.tails):
            cluster = head[..., self.shortlist + i : self.shortlist + i + 1]
            parts.append(cluster + F.log_softmax(tail(hidden), -1))
        return torch.cat(parts, -1)

    def top(self, hidden: torch.Tensor, k: int) -> torch.Tensor:
        """The ``k`` likeliest words at each position of ``hidden`` ([n, units] → [n, k]), best
        first, found part by part without assembling every word's score."""
        head = self.head(hidden)
        values, indices = head[:, : self.shortlist].topk(min(k, self.shortlist), -1)
        found_values, found_indices = [values], [indices]
        for i, tail in enumerate(self.tails):
            logits = tail(hidden)  # ranked as they are: log_softmax only shifts each row
            values, indices = logits.topk(min(k, logits.shape[-1]), -1)
            shift = head[:, self.shortlist + i, None] - logits.logsumexp(-1, keepdim=True)
            found_values.append(values + shift)
            found_indices.append(indices + self.cutoffs[i])
        order = torch.cat(found_values, -1).topk(k, -1).indices
        return torch.cat(found_indices, -1).gather(1, order)

    def nlls(self, hidden: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Negative log-likelihood of each of ``targets`` ([n]) given ``hidden`` ([n, units]): [n]."""
        head = self.head(hidden)
        cluster_of = torch.bucketize(targets, targets.new_tensor(self.cutoffs[:-1]), right=True)
        head_index = torch.where(cluster_of == 0, targets, self.shortlist + cluster_of - 1)
        nll = -head.gather(1, head_index[:, None]).squeeze(1)
        for i, tail in enumerate(self.tails):
            # A cluster without targets runs on zero rows: every weight takes part in every step
            # (so DistributedDataParallel needs no search for unused ones), at no cost.
            rows = (cluster_of == i + 1).nonzero().squeeze(1)
            scores = F.log_softmax(tail(hidden[rows]), -1)
            inside = (targets[rows] - self.cutoffs[i])[:, None]
            nll = nll.index_add(0, rows, -scores.gather(1, inside).squeeze(1))
        return nll


class LanguageModel(nn.Module):
    """A word-level LSTM language model over ``vocab_size`` tokens."""

    def __init__(self, vocab_size: int, config: TrainConfig) -> None:
        super().__init__()
        embedding = config.embedding or config.units
        self.layers = config.layers
        self.units = config.units
        self.embed = nn.Embedding(vocab_size, embedding)
        self.lstm = nn.LSTM(
            embedding,
            config.units,
            config.layers,
            batch_first=True,
            dropout=(config.dropout or 0.0) if config.layers > 1 else 0.0,
        )
        self.dropout = config.dropout or 0.0
        self.weight_drop = config.weight_drop
        self.word_drop = config.word_drop
        self.change_penalty = config.change_penalty or 0.0
        self.counts_share = config.counts_share or 0.0
        self.unknown_log_scale = 0.0
        """Added to ``<unk>``'s score (see ``scaled_unknown``)."""
        tie = config.tie_weights and embedding == config.units
        self.head: nn.Linear | None = None
        self.adaptive: AdaptiveSoftmax | None = None
        if uses_adaptive_softmax(config, vocab_size):
            shortlist = self.embed.weight if tie else None
            self.adaptive = AdaptiveSoftmax(config.units, adaptive_cutoffs(vocab_size), shortlist)
        else:
            self.head = nn.Linear(config.units, vocab_size)
            nn.init.zeros_(self.head.bias)
            if tie:
                self.head.weight = self.embed.weight
        self._init_weights()

    def _init_weights(self) -> None:
        nn.init.uniform_(self.embed.weight, -0.1, 0.1)
        for name, param in self.lstm.named_parameters():
            if name.startswith("bias"):
                # Forget-gate bias 1 (gates are ordered input, forget, cell, output):
                # the state starts out remembering.
                nn.init.zeros_(param)
                param.data[self.units : 2 * self.units] = 0.5  # two biases add up to 1

    def zero_state(self, batch: int, device: torch.device | str = "cpu") -> State:
        shape = (self.layers, batch, self.units)
        return torch.zeros(shape, device=device), torch.zeros(shape, device=device)

    def hidden(self, ids: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        """The last layer's output at every position (dropout applied in training), and the new state."""
        out, state = self._read(ids, state)
        return self._locked_dropout(out), state

    def _read(self, ids: torch.Tensor, state: State | None) -> tuple[torch.Tensor, State]:
        """The LSTM's output before the output dropout, and the new state."""
        if state is None:
            state = self.zero_state(ids.shape[0], ids.device)
        return self._recur(self._locked_dropout(self._embed(ids)), state)

    def _embed(self, ids: torch.Tensor) -> torch.Tensor:
        """The words' embeddings; in training with ``word_drop``, a share of the vocabulary's
        words is dropped whole for the step (Merity et al. 2017): the network learns to read a
        sentence with a word missing, as it will meet words it hardly knows."""
        vectors: torch.Tensor = self.embed(ids)
        if not self.training or not self.word_drop:
            return vectors
        kept = vectors.new_empty(self.embed.num_embeddings).bernoulli_(1 - self.word_drop)
        return vectors * (kept[ids] / (1 - self.word_drop)).unsqueeze(-1)

    def set_dropout(self, dropout: float) -> None:
        """Change the dropout of a model in training (the trainer sizes it to the run's length)."""
        self.dropout = dropout
        self.lstm.dropout = dropout if self.layers > 1 else 0.0

    def _locked_dropout(self, x: torch.Tensor) -> torch.Tensor:
        """Dropout with one mask per sequence, the same at every position ("variational"
        dropout, Gal and Ghahramani 2016): a unit is off for a whole piece of text, so the
        network cannot lean on it at one word and do without it at the next."""
        if not self.training or not self.dropout or x.dim() != 3:
            return x
        keep = x.new_empty(x.shape[0], 1, x.shape[2]).bernoulli_(1 - self.dropout)
        return x * keep / (1 - self.dropout)

    def _recur(self, x: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        """The LSTM; in training with ``weight_drop``, its recurrent weights get dropout for the
        step (DropConnect, Merity et al. 2017): it regularises what the state carries from word
        to word, which dropout on inputs and outputs never touches."""
        if not self.training or not self.weight_drop:
            return self.lstm(x, state)  # type: ignore[no-any-return]
        weights = {
            name: F.dropout(param, self.weight_drop) if name.startswith("weight_hh") else param
            for name, param in self.lstm.named_parameters()
        }
        return functional_call(self.lstm, weights, (x, state))  # type: ignore[no-any-return]

    def scores(self, hidden: torch.Tensor) -> torch.Tensor:
        """Scores for every word (log-probabilities up to a constant per position)."""
        if self.adaptive is not None:
            scores = self.adaptive(hidden)
        else:
            assert self.head is not None
            scores = self.head(hidden)
        if self.unknown_log_scale:
            shift = torch.zeros(scores.shape[-1], dtype=scores.dtype, device=scores.device)
            shift[UNKNOWN_ID] = self.unknown_log_scale
            scores = scores + shift
        return scores

    def top(self, hidden: torch.Tensor, k: int) -> torch.Tensor:
        """The ``k`` likeliest next words after each row of ``hidden`` ([n, units] → [n, k]), best first."""
        if self.adaptive is not None:
            return self.adaptive.top(hidden, k)
        return self.scores(hidden).topk(k, -1).indices

    def nll(self, hidden: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Mean negative log-likelihood of ``targets`` ([n]) after the rows of ``hidden`` ([n, units])."""
        return self.nlls(hidden, targets).mean()

    def nlls(self, hidden: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Negative log-likelihood of each of ``targets`` ([n]) after the rows of ``hidden``: [n]."""
        if self.adaptive is not None:
            return self.adaptive.nlls(hidden, targets)
        assert self.head is not None
        return F.cross_entropy(self.head(hidden), targets, reduction="none")

    def forward(self, ids: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        """Scores for the next token at every position, and the state after the last one."""
        out, state = self.hidden(ids, state)
        return self.scores(out), state

    def loss(
        self, ids: torch.Tensor, targets: torch.Tensor, state: State | None = None
    ) -> tuple[torch.Tensor, State]:
        """Mean negative log-likelihood of ``targets`` (never scoring every word when it need not)."""
        out, state = self.hidden(ids, state)
        return self.nll(out.reshape(-1, out.shape[-1]), targets.reshape(-1)), state

    def penalised_loss(
        self,
        ids: torch.Tensor,
        targets: torch.Tensor,
        state: State | None = None,
        counts: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, State]:
        """(the loss to minimise; the network's own loss; the state). In training, the loss to
        minimise is the mix's, ``-log((1 - α) p_net + α p_counts)``, when ``counts`` gives the
        counts' probability of each target (``training.counts``) and α (``counts_share``) is
        above 0, plus the penalty on the output's change.

        The penalty is the mean square of the LSTM's output's change from one word to the next
        (Merity et al.'s temporal activation regularisation): it keeps the state from jumping."""
        raw, state = self._read(ids, state)
        nlls = self.nlls(self._locked_dropout(raw).reshape(-1, raw.shape[-1]), targets.reshape(-1))
        nll = nlls.mean()
        if not self.training:
            return nll, nll, state
        loss = nll
        if counts is not None and self.counts_share:
            share = self.counts_share
            mixed = torch.logaddexp(
                math.log(1 - share) - nlls.float(), math.log(share) + counts.reshape(-1).log()
            )
            loss = -mixed.mean()
        if self.change_penalty and raw.shape[1] > 1:
            loss = loss + self.change_penalty * (raw[:, 1:] - raw[:, :-1]).pow(2).mean()
        return loss, nll, state

    @contextmanager
    def scaled_unknown(self, scale: float) -> Iterator[None]:
        """Within the block, ``<unk>``'s probability is ``scale`` times the network's (the rest
        renormalised), in ``scores`` and so in an export: a text new to the model has more words
        outside its vocabulary than its training text had words seen once (``training.mix_fit``)."""
        self.unknown_log_scale = math.log(scale)
        try:
            yield
        finally:
            self.unknown_log_scale = 0.0


class Objective(nn.Module):
    """One training step's loss, in one forward call (as DistributedDataParallel wants it): the
    stateful objective on ``ids``, plus the windowed one on ``windows`` when given."""

    def __init__(self, model: LanguageModel) -> None:
        super().__init__()
        self.model = model

    def forward(
        self,
        ids: torch.Tensor,
        targets: torch.Tensor,
        state: State | None,
        windows: tuple[torch.Tensor, torch.Tensor] | None = None,
        stream: bool = True,
        counts: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, State, torch.Tensor | None]:
        """(the loss to minimise, the stateful objective's own loss, the state after ``ids``, and
        the share of windows whose last word the model ranks first). ``counts``: the training
        text's counts' probability of each target, each left out (see ``penalised_loss``).

        ``stream=False`` trains on the windows alone: the share is then measured (on the same
        forward pass), the stateful part is the windows' loss and the state stays as it was.

        A stream of one row is read at full precision even under bf16 autocast: bf16's recurrent
        kernels pay only on a wide batch. The classic 2×512 network read the 218 tokens of the test
        fable as one row, forward and backward, in 0.31 s in bf16 and 0.17 s in fp32, while its
        216 windows took 0.09 s in bf16 and 0.16 s in fp32 (2 cores with AMX).
        """
        if stream or windows is None:
            with torch.autocast(ids.device.type, enabled=False) if len(ids) == 1 else nullcontext():
                loss, stream_loss, state = self.model.penalised_loss(ids, targets, state, counts)
            if windows is not None:
                window_loss, _ = self.model.loss(*windows)
                loss = loss + window_loss
            return loss, stream_loss, state, None
        assert state is not None
        contexts, following = windows
        out, _ = self.model.hidden(contexts)
        window_loss = self.model.nll(out.reshape(-1, out.shape[-1]), following.reshape(-1))
        with torch.no_grad():
            guesses = self.model.scores(out[:, -1].detach()).argmax(-1)
            right = (guesses == following[:, -1]).float().mean()
        return window_loss, window_loss, state, right


class OnnxSignature(nn.Module):
    """The network with the exported signature: (input_ids, h0, c0) → (logits, hn, cn)."""

    def __init__(self, model: LanguageModel) -> None:
        super().__init__()
        self.model = model

    def forward(
        self, input_ids: torch.Tensor, h0: torch.Tensor, c0: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        logits, (hn, cn) = self.model(input_ids, (h0, c0))
        return logits, hn, cn
