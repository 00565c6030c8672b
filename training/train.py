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
import math
import threading
import time
from dataclasses import dataclass, field, replace
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
from .evaluate import evaluate_network, sample
from .network import LanguageModel
from .setup import SELECTION_SCORING, Progress, check_bf16, pick_device, pick_precision
from .steps import Steps

LEARNT_BY_HEART = 1.03
"""Perplexity on its own text below which a small text counts as learnt (with its windows)."""
SMALL_TEXT_PATIENCE = 10
"""...and its patience is this many times as many of those short epochs."""
SAMPLE_INTERVAL = 2.0
"""Seconds at least between two samples of the model's writing: a small text's epochs take a
fraction of a second, and writing a sample after each took a seventh of them."""


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
    training_text: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    """The ids trained on (memory-mapped), whose counts the export weighs against the network."""
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
    config = replace(config, precision=pick_precision(config.precision, device))  # the card says which
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


class _Run(Steps):
    """One run after its set-up: its epochs (their steps in ``steps``), each judged, then its
    result; each method is one step of the module's story."""

    # -- judging an epoch ----------------------------------------------------------------

    def judge_epoch(self, epoch: int, epoch_loss: torch.Tensor, epoch_steps: int) -> bool:
        """Score the epoch on held-out text, keep the best weights or step back to them, report,
        checkpoint; whether the run ends here."""
        config = self.config
        judged = time.perf_counter()
        live = None
        if self.average is not None:  # the average is what is judged and kept
            live = {name: weights.clone() for name, weights in self.model.state_dict().items()}
            self.model.load_state_dict(self.average)
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
        if self.ceiling is not None and figures["windowed"] >= self.ceiling:
            # The windows are learnt: the text is read whole from here on. The steps' own count
            # (under dropout) reached the ceiling 5 epochs later on the test fable.
            self.windows_first = False
        if improved or reached_ceiling:
            self.best_loss, self.bad_epochs = held_loss if improved else self.best_loss, 0
            self.best_state = copy.deepcopy(self.model.state_dict())
        if live is not None:
            self.model.load_state_dict(live)
        if not (improved or reached_ceiling):
            self.bad_epochs += 1
            if not self.every_window and self.average is None:
                # Back to the best weights, with smaller steps: an epoch that made the model worse
                # (it began to learn the training text by heart) is not built on. A text that
                # trains on all its windows is judged every few steps, too often for that.
                self.slowdown /= 2
                if self.best_state is not None:
                    self.model.load_state_dict(self.best_state)
                if config.optimizer == "asgd":  # from here on the average of the steps is judged
                    self.begin_average()
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
        if self.primary and time.perf_counter() - self.last_sample >= SAMPLE_INTERVAL:
            text = sample(self.model, self.data.vocabulary, self.tokenizer, config.seed, self.device)
            self.emit(events.Sample(epoch=epoch + 1, text=text))
            self.last_sample = time.perf_counter()
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
            self.average,
            self.averaged,
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
        if self.config.optimizer == "auto":  # the run ended before choosing: it ran as Adam
            self.config = replace(self.config, optimizer="adam")
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
            training_text=data.train,
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
