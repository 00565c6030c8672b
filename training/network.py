"""The network: embedding → stacked LSTM → linear, weights optionally tied."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from .config import TrainConfig

State = tuple[torch.Tensor, torch.Tensor]


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
            dropout=config.dropout if config.layers > 1 else 0.0,
        )
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.units, vocab_size)
        if config.tie_weights and embedding == config.units:
            self.head.weight = self.embed.weight
        self._init_weights()

    def _init_weights(self) -> None:
        nn.init.uniform_(self.embed.weight, -0.1, 0.1)
        nn.init.zeros_(self.head.bias)
        for name, param in self.lstm.named_parameters():
            if name.startswith("bias"):
                # Forget-gate bias 1 (gates are ordered input, forget, cell, output):
                # the state starts out remembering.
                nn.init.zeros_(param)
                param.data[self.units : 2 * self.units] = 0.5  # two biases add up to 1

    def zero_state(self, batch: int, device: torch.device | str = "cpu") -> State:
        shape = (self.layers, batch, self.units)
        return torch.zeros(shape, device=device), torch.zeros(shape, device=device)

    def forward(
        self,
        ids: torch.Tensor,
        state: State | None = None,
        targets: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None, State]:
        """Scores for the next token at every position; the mean loss when targets are given."""
        if state is None:
            state = self.zero_state(ids.shape[0], ids.device)
        hidden, state = self.lstm(self.drop(self.embed(ids)), state)
        logits = self.head(self.drop(hidden))
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
        return logits, loss, state


class OnnxSignature(nn.Module):
    """The network with the exported signature: (input_ids, h0, c0) → (logits, hn, cn)."""

    def __init__(self, model: LanguageModel) -> None:
        super().__init__()
        self.model = model

    def forward(
        self, input_ids: torch.Tensor, h0: torch.Tensor, c0: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        logits, _, (hn, cn) = self.model(input_ids, (h0, c0))
        return logits, hn, cn
