"""The plain loop: a word-level LSTM trained the textbook way, as a reference for storyteller's trainer.

What most tutorials (and PyTorch's word_language_model example) do: Embedding(V, 200) →
dropout → 2-layer LSTM(200) → dropout → Linear(200, V) with a full softmax, weights not
tied; plain SGD written out (lr 20), gradient norm clipped at 0.25, the training stream cut
into 20 columns, truncated back-propagation over 35 steps with the state carried (detached)
from piece to piece, and the rate divided by 4 after an epoch that did not improve the
held-out loss.

Held-out perplexity is measured as ``training.evaluate.evaluate_network`` measures it: each
chunk from a zero state, inputs ``chunk[:-1]``, targets ``chunk[1:]``, exp(total NLL / total
count) over all chunks, without dropout.
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch
from torch import nn

SIZE = 200
LAYERS = 2
DROPOUT = 0.2
BATCH = 20
BPTT = 35
LR = 20.0
CLIP = 0.25
EVAL_PIECE = 2048
"""Held-out chunks are run this many tokens at a time (state carried), to bound memory."""

State = tuple[torch.Tensor, torch.Tensor]


class PlainLSTM(nn.Module):
    """Embedding → dropout → LSTM → dropout → linear decoder; sequence-first tensors."""

    def __init__(self, vocab_size: int, size: int = SIZE, dropout: float = DROPOUT) -> None:
        super().__init__()
        self.size = size
        self.embed = nn.Embedding(vocab_size, size)
        self.drop = nn.Dropout(dropout)
        self.lstm = nn.LSTM(size, size, LAYERS, dropout=dropout)
        self.decoder = nn.Linear(size, vocab_size)
        nn.init.uniform_(self.embed.weight, -0.1, 0.1)
        nn.init.uniform_(self.decoder.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)

    def zero_state(self, batch: int) -> State:
        device = self.decoder.weight.device
        shape = (LAYERS, batch, self.size)
        return torch.zeros(shape, device=device), torch.zeros(shape, device=device)

    def forward(self, ids: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        hidden, state = self.lstm(self.drop(self.embed(ids)), state)
        return self.decoder(self.drop(hidden)), state


def columns(ids: np.ndarray, batch: int) -> torch.Tensor:
    """The id stream cut into ``batch`` columns, read top to bottom (the tail that does not fit is dropped).

    ::

        a b c d e f g h i j k l  →  a e i
                                    b f j
                                    c g k
                                    d h l
    """
    rows = len(ids) // batch
    return torch.from_numpy(np.asarray(ids[: rows * batch], np.int64).reshape(batch, rows).T.copy())


@torch.no_grad()
def held_out_nll(
    model: PlainLSTM, chunks: list[np.ndarray], unknown_id: int | None = None
) -> tuple[float, int, float, int]:
    """Total NLL and count over the held-out chunks, each from a zero state; then the same for
    the targets other than ``unknown_id`` (the known words)."""
    model.eval()
    total, count, known_total, known_count = 0.0, 0, 0.0, 0
    for chunk in chunks:
        if len(chunk) < 2:
            continue
        device = model.decoder.weight.device
        ids = torch.from_numpy(np.asarray(chunk[:-1], np.int64)).unsqueeze(1).to(device)
        targets = torch.from_numpy(np.asarray(chunk[1:], np.int64)).to(device)
        state = model.zero_state(1)
        for start in range(0, len(targets), EVAL_PIECE):
            logits, state = model(ids[start : start + EVAL_PIECE], state)
            piece = targets[start : start + EVAL_PIECE]
            losses = nn.functional.cross_entropy(logits[:, 0].float(), piece, reduction="none")
            total += losses.sum().item()
            count += len(piece)
            known = piece != unknown_id
            known_total += losses[known].sum().item()
            known_count += int(known.sum().item())
    model.train()
    return total, count, known_total, known_count


def train_plain(
    train_ids: np.ndarray,
    held_out: list[np.ndarray],
    vocab_size: int,
    seconds: float,
    threads: int = 1,
    seed: int = 0,
    size: int = SIZE,
    dropout: float = DROPOUT,
    device: str = "cpu",
    unknown_id: int | None = None,
) -> dict[str, float]:
    """Train for ``seconds`` of wall clock; words/s over the training loop, then held-out perplexity.

    The budget is checked between steps and covers any epoch-end evaluation; the final
    evaluation is outside it. The perplexity is that of the best model seen (the final one,
    or one kept at an epoch end), as the textbook loop reloads its best checkpoint.
    """
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    data = columns(train_ids, BATCH).to(device)
    model = PlainLSTM(vocab_size, size, dropout).to(device)
    criterion = nn.CrossEntropyLoss()
    lr = LR
    best_loss = best_known = math.inf
    tokens = 0
    model.train()
    started = time.perf_counter()
    out_of_time = False
    while not out_of_time:
        state = model.zero_state(BATCH)
        for start in range(0, len(data) - 1, BPTT):
            if time.perf_counter() - started >= seconds:
                out_of_time = True
                break
            length = min(BPTT, len(data) - 1 - start)
            inputs = data[start : start + length]
            targets = data[start + 1 : start + 1 + length].reshape(-1)
            state = (state[0].detach(), state[1].detach())
            model.zero_grad()
            logits, state = model(inputs, state)
            loss = criterion(logits.view(-1, vocab_size), targets)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), CLIP)
            for parameter in model.parameters():
                if parameter.grad is not None:
                    parameter.data.add_(parameter.grad, alpha=-lr)
            tokens += targets.numel()
        else:  # a whole epoch: score it, and slow down if it did not help
            total, count, known_total, known_count = held_out_nll(model, held_out, unknown_id)
            if total / count < best_loss:
                best_loss, best_known = total / count, known_total / max(1, known_count)
            else:
                lr /= 4
    if data.is_cuda:
        torch.cuda.synchronize()  # the steps queued on the GPU belong to the training time
    train_seconds = time.perf_counter() - started
    total, count, known_total, known_count = held_out_nll(model, held_out, unknown_id)
    final_loss, final_known = total / count, known_total / max(1, known_count)
    if best_loss < final_loss:  # an epoch end scored better: the textbook loop keeps that model
        final_loss, final_known = best_loss, best_known
    return {
        "words_per_s": tokens / train_seconds,
        "tokens": tokens,
        "seconds": train_seconds,
        "epochs": tokens / ((len(data) - 1) * BATCH),
        "perplexity": math.exp(final_loss),
        "known_perplexity": math.exp(final_known),
        "eval_seconds": time.perf_counter() - started - train_seconds,
    }
