"""One ``train()`` for the CLI, the tests and the app: progress through a callback, stop through an event.

A run reads as the README tells it: set-up (the text, the network, the plan of epochs),
then epochs of steps, each epoch judged on held-out text (keep the best, slow down or stop),
then the final figures on all the held-out text, handed to ``export``.

Each step optimises two objectives on the same weights:

* the stateful one: parallel streams of the corpus, truncated back-propagation over
  ``seq_len`` tokens, state carried from piece to piece (a random offset each epoch),
  so the model can carry a whole story in its state;
* the windowed one: random ``window``-token windows from a fresh state, so the model
  also predicts well from only a few words, as the classic example asked of it.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from storyteller.engine import events
from storyteller.engine.corpus import Corpus
from storyteller.engine.tokenizer import TokenizerConfig
from storyteller.engine.vocab import Vocabulary

from . import distributed
from .checkpoint import load_checkpoint, save_checkpoint
from .config import TrainConfig, TrainingError
from .data import stream_batches, windows
from .evaluate import evaluate_network, sample, window_ceiling
from .network import LanguageModel
from .setup import (
    DROPOUT_SIZED_AFTER,
    SELECTION_SCORING,
    Progress,
    SetUp,
    auto_dropout,
    check_bf16,
    pick_device,
)

LEARNT_BY_HEART = 1.03
"""Perplexity on its own text below which a small text counts as learnt (with its windows)."""
SMALL_TEXT_PATIENCE = 10
"""...and its patience is this many times as many of those short epochs."""
SHUFFLED_WINDOWS = 1 << 24
"""Up to this many, each epoch visits the windows in a shuffled order; a larger text samples
them at random (a shuffled order of 100 million windows alone would take 800 MB)."""
HALT_NONE, HALT_BUDGET, HALT_INTERRUPTED = 0, 1, 2
"""Why a step is not taken; several processes stop for the largest reason any of them has."""
PROGRESS_INTERVAL = 0.5
"""Seconds between two step reports."""
LAST_RATE = 0.05
"""The share of the learning rate left at the end of a run (see ``annealed``)."""


def annealed(progress: float) -> float:
    """The share of the learning rate to use ``progress`` (0 to 1) into a run: a half cosine
    from 1 down to ``LAST_RATE``. A run that knows its end (a time budget, or its epochs) takes
    its last steps small, which a fixed rate never does."""
    progress = min(1.0, max(0.0, progress))
    return LAST_RATE + (1 - LAST_RATE) * 0.5 * (1 + math.cos(math.pi * progress))


@dataclass
class TrainResult:
    """What a finished (or stopped) run gives: the best network and its figures."""

    model: LanguageModel
    vocabulary: Vocabulary
    tokenizer: TokenizerConfig
    """Lower-casing, and the names to capitalise again on output."""
    config: TrainConfig
    metrics: dict[str, float]
    baselines: dict[str, dict[str, float]]
    held_out: bool
    """False when the corpus was too small to hold any out (figures are on training text)."""
    stopped: str
    """'finished', 'converged' (early stopping), 'time budget' or 'interrupted'."""
    epochs: float
    corpus: dict[str, Any]
    seconds: float
    notes: list[str] = field(default_factory=list)
    check_text: list[np.ndarray] = field(default_factory=list)
    """Text the figures were measured on (held-out chunks), kept to check a quantised export."""
    primary: bool = True
    """False in all but the first process of a distributed run: that one alone writes the model."""


def train(
    config: TrainConfig,
    corpus: Corpus,
    on_progress: Progress | None = None,
    stop: threading.Event | None = None,
    checkpoint: Path | None = None,
    resume: Path | None = None,
) -> TrainResult:
    """Train a model on ``corpus``; returns the best model seen, even when stopped early.

    Started by torchrun, it trains with its sibling processes (see ``distributed``); only the
    first reports progress and writes checkpoints.
    """
    device = pick_device(config.device)
    if config.precision == "bf16":
        check_bf16(device)
    try:
        group = distributed.join(device)
    except RuntimeError as error:
        raise TrainingError(f"Distributed training cannot start: {error}.") from None
    try:
        run = _Run(config, corpus, device, group, on_progress, stop, checkpoint, resume)
        run.announce()
        run.model.train()
        for epoch in range(run.start_epoch, run.config.epochs):
            epoch_loss, epoch_steps = run.train_epoch(epoch)
            if epoch_steps == 0 or run.judge_epoch(epoch, epoch_loss, epoch_steps):
                break
        return run.result()
    finally:
        distributed.leave(group)


class _Run(SetUp):
    """One run after its set-up: its epochs, each judged, then its result; each method is one step
    of the module's story."""

    def announce(self) -> None:
        """Say what the run is about to train, then make ready to read the text."""
        data = self.data
        self.emit(
            events.Start(
                tokens=data.tokens,
                train_tokens=len(data.train),
                held_out_tokens=int(sum(len(c) for c in data.held_out)),
                vocabulary=len(data.vocabulary),
                parameters=sum(p.numel() for p in self.model.parameters()),
                device=str(self.device),
                epochs=self.config.epochs,
                steps_per_epoch=self.steps_per_epoch,
                baselines=self.baselines,
                notes=tuple(self.notes),
            )
        )
        self.stream = self._pieces()
        if self.every_window:
            wx, wy = windows(data.train, self.config.window, np.arange(self.n_windows))
            self.all_windows = (self._to_device(wx), self._to_device(wy))
        # A small text's windows are learnt first, alone: reading the text whole as well from the
        # first step took three times the steps to reach them (bench/README.md). The stream joins
        # once the windows are right as often as the text allows (a resumed run has begun it).
        self.windows_first = self.every_window and self.start_epoch == 0
        self.windows_target = (
            window_ceiling([data.train], self.config.window, self.n_windows) if self.windows_first else 0.0
        )
        self.state: tuple[torch.Tensor, torch.Tensor] | None = None
        self.stopped = "finished"
        self.step = self.start_epoch * self.steps_per_epoch
        self.tokens_done = 0  # text read by the stateful objective (the windows re-read the same text)
        self.loop_started = time.perf_counter()
        self.last_report = 0.0

    def _pieces(self) -> Iterator[tuple[np.ndarray, np.ndarray, bool]]:
        """Endless stateful pieces; the flag says a new pass began (state must be reset)."""
        config, train_ids = self.config, self.data.train
        while True:
            offset = int(self.rng.integers(0, config.seq_len)) if len(train_ids) > 4 * config.seq_len else 0
            fresh = True
            for x, y in stream_batches(train_ids, config.batch_size, config.seq_len, offset):
                yield x, y, fresh
                fresh = False

    def _to_device(self, array: np.ndarray) -> torch.Tensor:
        # A copy as int64: the ids may be a read-only memory map of 16-bit numbers.
        return torch.from_numpy(array.astype(np.int64)).to(self.device)

    # -- one epoch -----------------------------------------------------------------------

    def train_epoch(self, epoch: int) -> tuple[torch.Tensor, int]:
        """Up to an epoch of steps; its summed stream loss and how many steps it took (fewer
        when a stop or the time budget ends the run, which ``self.stopped`` then says)."""
        # Summed on the device: reading a loss every step would wait for the GPU every step.
        epoch_loss, epoch_steps = torch.zeros((), device=self.device), 0
        order = self.rng.permutation(self.n_windows) if self.n_windows <= SHUFFLED_WINDOWS else None
        for i in range(self.steps_per_epoch):
            elapsed = time.perf_counter() - self.started
            if self._halted(elapsed):
                break
            stream_loss, tokens = self._take_step(i, order, elapsed)
            self.step += 1
            epoch_steps += 1
            epoch_loss += stream_loss.detach()
            self.tokens_done += tokens
            self._resize_dropout()
            self._report_step(epoch, stream_loss)
        return epoch_loss, epoch_steps

    def _halted(self, elapsed: float) -> bool:
        """Whether the run stops before this step (all processes stop at the same step)."""
        halt = HALT_NONE
        if self.stop.is_set():
            halt = HALT_INTERRUPTED
        elif self.config.time_budget is not None and elapsed >= self.config.time_budget:
            halt = HALT_BUDGET
        if self.group is not None:
            halt = self.group.agree(halt, self.device)
        if halt:
            self.stopped = "interrupted" if halt == HALT_INTERRUPTED else "time budget"
        return bool(halt)

    def _take_step(self, i: int, order: np.ndarray | None, elapsed: float) -> tuple[torch.Tensor, int]:
        """One optimiser step on a stateful piece and a batch of windows; its stream loss and tokens."""
        config, group, model = self.config, self.group, self.model
        x, y, fresh = next(self.stream)
        if group is not None:
            x, y = group.share(x), group.share(y)
        if fresh or self.state is None or self.state[0].shape[1] != x.shape[0]:
            self.state = model.zero_state(x.shape[0], self.device)
        window_batch = None
        if self.every_window:
            window_batch = self.all_windows
        elif config.window_batch:
            if order is not None:
                starts = order[
                    np.arange(i * config.window_batch, (i + 1) * config.window_batch) % self.n_windows
                ]
            else:
                starts = self.rng.integers(0, self.n_windows, config.window_batch)
            if group is not None:
                starts = group.share(starts)
            wx, wy = windows(self.data.train, config.window, starts)
            window_batch = (self._to_device(wx), self._to_device(wy))
        with torch.autocast(self.device.type, torch.bfloat16, enabled=config.precision == "bf16"):
            loss, stream_loss, state, windows_right = self.objective(
                self._to_device(x), self._to_device(y), self.state, window_batch, not self.windows_first
            )
        if windows_right is not None:
            behind = int(float(windows_right) < self.windows_target)
            if group is not None:
                behind = group.agree(behind, self.device)  # every process reads all the windows
            self.windows_first = bool(behind)
        self.state = (state[0].detach(), state[1].detach())
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip)
        rate = config.lr * self.slowdown
        if config.schedule == "cosine":
            progress = self.step / self.total_steps
            if config.time_budget is not None:
                progress = max(progress, elapsed / config.time_budget)
            rate *= annealed(progress)
        for param_group in self.optimizer.param_groups:
            param_group["lr"] = rate
        self.optimizer.step()
        return stream_loss, x.size * (group.world if group else 1)

    def _resize_dropout(self) -> None:
        """With a time budget, size the dropout once the first steps have shown this machine's pace."""
        budget = self.config.time_budget
        if not self.size_dropout_later or budget is None or self.step != DROPOUT_SIZED_AFTER:
            return
        reading = self.tokens_done / (time.perf_counter() - self.loop_started)  # tokens per second
        left = max(0.0, budget - (time.perf_counter() - self.started))
        epochs_expected = self.step / self.steps_per_epoch + left * reading / max(1, len(self.data.train))
        dropout = auto_dropout(epochs_expected)
        self.config = dataclasses.replace(self.config, dropout=dropout)
        self.model.set_dropout(dropout)

    def _report_step(self, epoch: int, stream_loss: torch.Tensor) -> None:
        now = time.perf_counter()
        if now - self.last_report < PROGRESS_INTERVAL and self.step != self.total_steps:
            return
        loss_now = stream_loss.item()  # waits for the device: the time below is honest
        now = self.last_report = time.perf_counter()
        elapsed = now - self.started
        done_here = self.step - self.start_epoch * self.steps_per_epoch
        eta = elapsed / done_here * (self.total_steps - self.step)
        if self.config.time_budget is not None:
            eta = min(eta, max(0.0, self.config.time_budget - elapsed))
        self.emit(
            events.Step(
                epoch=epoch + 1,
                step=self.step,
                total_steps=self.total_steps,
                loss=loss_now,
                tokens_per_s=self.tokens_done / (now - self.loop_started),
                elapsed=elapsed,
                eta=eta,
            )
        )

    # -- judging an epoch ----------------------------------------------------------------

    def judge_epoch(self, epoch: int, epoch_loss: torch.Tensor, epoch_steps: int) -> bool:
        """Score the epoch on held-out text, keep the best weights or step back to them, report,
        checkpoint; whether the run ends here."""
        config = self.config
        judged = time.perf_counter()
        figures = evaluate_network(self.model, self.selection, config.window, self.device, *SELECTION_SCORING)
        judged = time.perf_counter() - judged
        held_loss = math.log(figures["perplexity"])
        improved = held_loss < self.best_loss - 1e-4
        if self.ceiling is not None:
            # Figures on the training text itself: the windows come first (they are learnt first),
            # then reading whole. Else a run stopped while the windows were being learnt would
            # keep the weights of its first steps, which read the text no worse.
            windowed = figures["windowed"]
            improved = windowed > self.best_windowed or (windowed == self.best_windowed and improved)
            if improved:
                self.best_windowed = windowed
        # Learnt all the text allows: every window as well as can be, and the text read whole
        # almost word for word (what generation from a longer context needs).
        reached_ceiling = (
            self.ceiling is not None
            and figures["windowed"] >= self.ceiling
            and figures["perplexity"] < LEARNT_BY_HEART
        )
        if improved or reached_ceiling:
            self.best_loss, self.bad_epochs = held_loss if improved else self.best_loss, 0
            self.best_state = copy.deepcopy(self.model.state_dict())
        else:
            self.bad_epochs += 1
            if not self.every_window:
                # Back to the best weights, with smaller steps: an epoch that made the model worse
                # (it began to learn the training text by heart) is not built on. A text that
                # trains on all its windows is judged every few steps, too often for that.
                self.slowdown /= 2
                if self.best_state is not None:
                    self.model.load_state_dict(self.best_state)
        self.emit(
            events.Epoch(
                epoch=epoch + epoch_steps / self.steps_per_epoch,
                train_loss=epoch_loss.item() / epoch_steps,
                metrics=figures,
                best=improved,
                lr=self.optimizer.param_groups[0]["lr"],
                eval_seconds=judged,
            )
        )
        if self.primary:
            text = sample(self.model, self.data.vocabulary, self.tokenizer, config.seed, self.device)
            self.emit(events.Sample(epoch=epoch + 1, text=text))
        if self.checkpoint is not None and self.primary and epoch_steps == self.steps_per_epoch:
            self._save_checkpoint(self.checkpoint, epoch + 1)
        if self.stopped != "finished":
            return True
        patience = config.patience * (SMALL_TEXT_PATIENCE if self.every_window else 1)
        if self.bad_epochs >= patience or reached_ceiling:
            self.stopped = "converged"
            return True
        return False

    def _save_checkpoint(self, path: Path, epochs_done: int) -> None:
        problem = save_checkpoint(
            path,
            self.model,
            self.optimizer,
            self.data.vocabulary,
            self.config,
            self.corpus,
            epochs_done,
            self.best_loss,
            self.bad_epochs,
            self.best_state,
            self.slowdown,
        )
        if problem:
            self.emit(events.Log(text=problem))

    # -- the result, for the export --------------------------------------------------------

    def result(self) -> TrainResult:
        """The best weights, their figures on all the held-out text, and what the card records."""
        if self.best_state is not None:
            self.model.load_state_dict(self.best_state)
        metrics = evaluate_network(self.model, self.chunks, self.config.window, self.device)
        self.model.eval()
        data, corpus = self.data, self.corpus
        result = TrainResult(
            model=self.model.cpu(),
            vocabulary=data.vocabulary,
            tokenizer=self.tokenizer,
            config=self.config,
            metrics=metrics,
            baselines=self.baselines,
            held_out=data.has_held_out,
            stopped=self.stopped,
            epochs=self.step / self.steps_per_epoch,
            corpus={
                "sha256": corpus.sha256,
                "tokens": data.tokens,
                "words": data.words,
                "files": [f.name for f in corpus.files][:100],
            },
            seconds=time.perf_counter() - self.started,
            notes=self.notes,
            check_text=self.chunks[:40],
            primary=self.primary,
        )
        self.emit(
            events.Done(
                stopped=self.stopped,
                epochs=result.epochs,
                seconds=result.seconds,
                metrics=metrics,
                baselines=self.baselines,
                held_out=result.held_out,
            )
        )
        return result


__all__ = ["TrainResult", "TrainingError", "load_checkpoint", "save_checkpoint", "train"]
