"""A run's steps: the text read as streams and windows, one optimiser step at a time on both
objectives, the learning rate's schedule, and the progress each step reports."""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Iterator

import numpy as np
import torch

from storyteller.engine import events
from storyteller.engine.vocab import UNKNOWN_ID

from .config import DEFAULT_CLIP, DEFAULT_LR, counts_share_for
from .counts import left_out_probabilities
from .data import as_unknown, rarest_words, stream_batches, stream_targets, window_places, windows
from .evaluate import window_ceiling
from .setup import DROPOUT_SIZED_AFTER, SetUp, auto_dropout

SHUFFLED_WINDOWS = 1 << 24
"""Up to this many, each epoch visits the windows in a shuffled order; a larger text samples
them at random (a shuffled order of 100 million windows alone would take 800 MB)."""
HALT_NONE, HALT_BUDGET, HALT_INTERRUPTED = 0, 1, 2
"""Why a step is not taken; several processes stop for the largest reason any of them has."""
PROGRESS_INTERVAL = 0.5
"""Seconds between two step reports."""
LAST_RATE = 0.05
"""The share of the learning rate left at the end of a run (see ``annealed``)."""
AVERAGED_TAIL = 0.5
"""With 'asgd', the averaging begins at this share of a run that knows its end (its epochs, or
a time budget) at the latest, where no epoch has yet failed to improve: its last half is then
read as an average of its steps. On 50,000 words of real prose at 60 s, where the first epoch
that does not improve comes in the run's last seconds, if at all, the averaged run ended about
0.5% lower as the app reads it and about 2% lower on known words (bench/README.md)."""


def annealed(progress: float) -> float:
    """The share of the learning rate to use ``progress`` (0 to 1) into a run: a half cosine
    from 1 down to ``LAST_RATE``. A run that knows its end (a time budget, or its epochs) takes
    its last steps small, which a fixed rate never does."""
    progress = min(1.0, max(0.0, progress))
    return LAST_RATE + (1 - LAST_RATE) * 0.5 * (1 + math.cos(math.pi * progress))


class Steps(SetUp):
    """A set-up run that takes its steps: ``announce`` once, then ``train_epoch`` for each epoch
    (``train._Run`` judges each epoch and gives the result)."""

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
        # The rarest kept words, of which a share is read as <unk> in each pass (a new salt each).
        self.rarest = rarest_words(data.train, len(data.vocabulary)) if self.config.rare_as_unknown else None
        self.salt = 0
        # What the counts give each training word, itself left out: the stream loss is the mix's.
        self._count_left_out(self.config.counts_share or 0.0)
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
        self.last_sample = -math.inf  # when the model's writing was last shown (``train._Run``)

    def _pieces(self) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, bool]]:
        """Endless stateful pieces: inputs, targets, where the targets are in the text, and whether
        a new pass began (state must be reset)."""
        train_ids = self.data.train
        while True:
            offset = int(self.rng.integers(0, self.seq_len)) if len(train_ids) > 4 * self.seq_len else 0
            if self.rarest is not None:
                self.salt = int(self.rng.integers(0, 2**63))
            fresh = True
            pieces = stream_batches(train_ids, self.streams, self.seq_len, offset)
            places = stream_targets(len(train_ids), self.streams, self.seq_len, offset)
            for (x, y), where in zip(pieces, places, strict=True):
                yield x, y, where, fresh
                fresh = False

    def _count_left_out(self, share: float) -> None:
        """What the training text's counts give each of its words, that word left out (None where
        the counts have no share in the loss); and, where the rarest words are read as ``<unk>``,
        what they give ``<unk>`` at each place instead (counted with every rarest word as ``<unk>``)."""
        self.left_out = self.left_out_unknown = None
        if not share:
            return
        text, size = self.data.train, len(self.data.vocabulary)
        self.left_out = left_out_probabilities(text, size)
        if self.rarest is not None:
            ids = np.asarray(text, np.int64)
            self.left_out_unknown = left_out_probabilities(np.where(self.rarest[ids], UNKNOWN_ID, ids), size)

    def _as_read(self, ids: np.ndarray, places: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """``ids``, the training text's tokens at ``places``, as this pass reads them: with a share
        of the rarest words read as ``<unk>`` (and where), when the run does that."""
        if self.rarest is None:
            return ids, None
        return as_unknown(ids, places, self.rarest, self.config.rare_as_unknown or 0.0, self.salt)

    def begin_average(self) -> None:
        """From here on the running average of the weights, starting from the weights now, is what
        is judged and kept ('asgd')."""
        self.average = {name: w.clone() for name, w in self.model.state_dict().items()}
        self.averaged = 1

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
            if self.group is not None and self.config.time_budget is not None:
                # One clock for all processes (the slowest one's): the rate's schedule and the
                # averaging's start follow it, and the processes' weights must not drift apart.
                elapsed = self.group.agree(round(elapsed * 1e6), self.device) / 1e6
            if self._halted(elapsed):
                break
            stream_loss, tokens = self._take_step(i, order, elapsed)
            self.step += 1
            epoch_steps += 1
            epoch_loss += stream_loss.detach()
            self.tokens_done += tokens
            self._size_to_pace()
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
        x, y, where, fresh = next(self.stream)
        x, _ = self._as_read(x, where - 1)
        y, unknown = self._as_read(y, where)
        counts = None if self.left_out is None else self.left_out[where]
        if counts is not None and unknown is not None and self.left_out_unknown is not None:
            counts = np.where(unknown, self.left_out_unknown[where], counts)
        if group is not None:
            x, y = group.share(x), group.share(y)
            counts = None if counts is None else group.share(counts)
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
            places = window_places(config.window, starts)
            wx, wy = self._as_read(wx, places)[0], self._as_read(wy, places + 1)[0]
            window_batch = (self._to_device(wx), self._to_device(wy))
        with torch.autocast(self.device.type, torch.bfloat16, enabled=config.precision == "bf16"):
            loss, stream_loss, state, windows_right = self.objective(
                self._to_device(x),
                self._to_device(y),
                self.state,
                window_batch,
                not self.windows_first,
                None if counts is None else torch.from_numpy(counts).to(self.device),
            )
        if windows_right is not None:
            behind = int(float(windows_right) < self.windows_target)
            if group is not None:
                behind = group.agree(behind, self.device)  # every process reads all the windows
            self.windows_first = bool(behind)
        self.state = (state[0].detach(), state[1].detach())
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip_norm())
        progress = self.step / self.total_steps
        if config.time_budget is not None:
            progress = max(progress, elapsed / config.time_budget)
        rate = config.start_rate() * self.slowdown
        if config.schedule == "cosine":
            rate *= annealed(progress)
        for param_group in self.optimizer.param_groups:
            param_group["lr"] = rate
        self.optimizer.step()
        if self.average is not None:
            self.averaged += 1
            for name, weights in model.state_dict().items():
                self.average[name].lerp_(weights, 1 / self.averaged)
        elif config.optimizer == "asgd" and progress >= AVERAGED_TAIL:
            self.begin_average()
        return stream_loss, x.size * (group.world if group else 1)

    def _size_to_pace(self) -> None:
        """With a time budget, once the first steps have shown this machine's pace, size the
        dropout and the counts' share and choose 'auto''s optimiser for the passes over the text
        the run can make."""
        budget = self.config.time_budget
        if budget is None or self.step != DROPOUT_SIZED_AFTER:
            return
        if not (self.size_dropout_later or self.choose_optimizer_later or self.share_counts_later):
            return
        reading = self.tokens_done / (time.perf_counter() - self.loop_started)  # tokens per second
        left = max(0.0, budget - (time.perf_counter() - self.started))
        passes = self.step / self.steps_per_epoch + left * reading / max(1, len(self.data.train))
        if self.group is not None:  # every process decides alike: the slowest one's pace
            passes = -self.group.agree(-round(passes * 1000), self.device) / 1000
        if self.size_dropout_later:
            dropout = auto_dropout(passes)
            self.config = dataclasses.replace(self.config, dropout=dropout)
            self.model.set_dropout(dropout)
        if self.share_counts_later:
            share = counts_share_for(passes)
            self.config = dataclasses.replace(self.config, counts_share=share)
            self.model.counts_share = share
            self._count_left_out(share)
        if self.choose_optimizer_later:
            # The rates on the config are Adam's stand-ins until now, not given ones.
            chosen = dataclasses.replace(self.config, lr=None, clip=None).optimizer_for(passes)
            self.config = dataclasses.replace(
                self.config, optimizer=chosen, lr=DEFAULT_LR[chosen], clip=DEFAULT_CLIP[chosen]
            )
            if chosen != "adam" and self.first_weights is not None:
                self.model.load_state_dict(self.first_weights)
                self.optimizer, self.state = self.new_optimizer(), None
            self.first_weights = None
        self.emit(
            events.Log(
                text=f"About {passes:.1f} passes over the text fit the time budget: "
                f"dropout {self.config.dropout}, optimizer {self.config.optimizer}, "
                f"counts' share in the loss {self.config.counts_share}."
            )
        )

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
