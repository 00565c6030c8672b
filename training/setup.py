"""A training run's set-up: the settings checked, the text read, the network built, the epochs planned.

Everything here is decided before the first step; ``train.py`` then runs the epochs.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn.parallel import DistributedDataParallel

from storyteller.engine import events
from storyteller.engine.corpus import Corpus
from storyteller.engine.corpus_index import MAX_INDEX_TOKENS
from storyteller.engine.tokenizer import TokenizerConfig, find_names
from storyteller.engine.vocab import Vocabulary

from . import distributed
from .checkpoint import load_checkpoint
from .config import (
    DEFAULT_CHANGE_PENALTY,
    DEFAULT_LR,
    DEFAULT_RARE_AS_UNKNOWN,
    DEFAULT_SEQ_LEN,
    TrainConfig,
    TrainingError,
    counts_share_for,
)
from .data import JUDGED_PIECE, Dataset, build_dataset, stream_batches
from .evaluate import evaluate_baselines, selection_chunks, window_ceiling
from .network import LanguageModel, Objective

Progress = Callable[[events.Event], None]
MIN_STEPS_PER_EPOCH = 20
"""A small text still gets this many steps between two evaluations..."""
SMALL_TEXT_EPOCH_STEPS = 2
"""...and a text that trains on all its windows at once, this many."""
ALL_WINDOWS_UP_TO = 4_096
"""A text with at most this many windows trains on all of them in every step (one batch)."""
SELECTION_SCORING = (1_000, 2_000)
"""Windows and ranked positions each epoch's judgement scores at most (the final figures: up to
20,000 and 50,000). They are shown, not chosen by (but for a text learnt by heart, whose few
windows all fit). On 50,000 words a judgement took 0.23 s with these, 0.29 s with 2,000 and
5,000, which came to 5.4% of a 60 s run once bf16 read more epochs in it."""


DROPOUT_SIZED_AFTER = 20
"""With a time budget, the steps after which the run's length in epochs is estimated, and the
dropout (when none is given) and the optimiser (when 'auto') are chosen for it."""


def auto_dropout(epochs: float) -> float:
    """Dropout for a run of about ``epochs`` passes over its text: 0.1 for one pass (nothing
    to unlearn yet: more only slows learning), rising to 0.5 from about 20 passes on (the
    model has seen every sentence many times and begins to learn them by heart). Measured on
    real prose at 60 s and 300 s (bench/README.md)."""
    return round(min(0.5, max(0.1, 0.1 + 0.4 * (epochs - 1) / 20)), 2)


BY_HEART_WIDTH = 128
"""A text too small to hold any out can only be learnt by heart. Adam's rate for it is the usual
0.01 up to this many units, and falls in inverse proportion to the width beyond (a wider layer
sums more weights into each output, so each may move less)..."""
BY_HEART_SPREAD = 1.0
"""...and its word embeddings start with this standard deviation (the others within ±0.1):
words far apart from the first step tell the text's few contexts apart at once. On the test
fable (2×512: rate 0.0025; bench/README.md) 95% of the windows were right after 6 steps,
against 12-13 with the usual start and rate."""


def by_heart_rate(units: int) -> float:
    """Adam's learning rate for a text learnt by heart, with ``units`` units a layer."""
    return DEFAULT_LR["adam"] * min(1.0, BY_HEART_WIDTH / units)


STEPS_PER_PASS = 140
"""With no batch size given, a text gets at least this many steps a pass where fewer parallel
streams give them..."""
STREAMS = (12, 16, 24, 32)
"""...from the default 32 streams down to 12 at the fewest (each divides among 2 or 4 processes)."""


def auto_batch(tokens: int, seq_len: int) -> int:
    """Parallel streams for a text of ``tokens`` training tokens: the most of ``STREAMS`` that
    read it in at least ``STEPS_PER_PASS`` steps, else the fewest. Measured on real prose
    (bench/README.md), more steps a pass pay on a small text: on 50,000 words (56,000 tokens) 16
    streams (110 steps a pass) ended 4-11% lower than 32 (55 steps), and 12 (147 steps) about
    0.6% lower than 16; 8 and 10 ended level with 12, reading the text only about 6 times in a
    minute, near the 4 passes below which 'auto' takes Adam. On 100,000 words 24 streams ended
    lower than 32 (146 steps a pass against 110); on 250,000 words, where 32 give 270 steps a
    pass, 16 ended level and read fewer words a second."""
    for streams in reversed(STREAMS):
        if tokens >= STEPS_PER_PASS * streams * seq_len:
            return streams
    return STREAMS[0]


def reads_whole(data: Dataset, group: distributed.Group | None) -> bool:
    """Whether the stateful objective reads the text whole, as one row, in every step: so it reads
    a text learnt by heart that fits in one judged piece (``JUDGED_PIECE``), as the judgement reads
    it and as the app will (from a fresh state to the end). On the test fable, rows of about 36
    tokens each from a fresh state took 14-22 epochs to read it whole, one row 9-11 (bench/README.md).
    Under torchrun the rows must divide among the processes, so they stay as they were."""
    return not data.has_held_out and len(data.train) <= JUDGED_PIECE and group is None


def pick_device(wanted: str) -> torch.device:
    if wanted == "cuda" or (wanted == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise TrainingError("A GPU was asked for but torch sees no CUDA device.")
        return torch.device("cuda")
    return torch.device("cpu")


def pick_precision(wanted: str, device: torch.device) -> str:
    """The precision ``wanted`` stands for on ``device``: 'auto' is bf16 on a CPU whose AMX
    tiles multiply bfloat16 natively, else fp32; any other choice stands for itself."""
    if wanted != "auto":
        return wanted
    has_amx = getattr(torch.cpu, "_is_amx_tile_supported", None)  # torch's own probe, where it has one
    return "bf16" if device.type == "cpu" and has_amx is not None and has_amx() else "fp32"


def check_bf16(device: torch.device) -> None:
    """Refuse bf16 where this device cannot run an LSTM in it (CPUs without AVX-512 cannot)."""
    probe = torch.nn.LSTM(8, 8, batch_first=True).to(device)
    try:
        with torch.autocast(device.type, torch.bfloat16):
            probe(torch.zeros(1, 2, 8, device=device))
    except RuntimeError:
        raise TrainingError(
            f"This {device.type.upper()} cannot run an LSTM in bfloat16: train with --precision fp32."
        ) from None


class SetUp:
    """What a run decides before its first step: its settings, its text, its network and optimiser
    (with a checkpoint's state when resuming), and its plan of epochs."""

    def __init__(
        self,
        config: TrainConfig,
        corpus: Corpus,
        device: torch.device,
        group: distributed.Group | None,
        on_progress: Progress | None,
        stop: threading.Event | None,
        checkpoint: Path | None,
        resume: Path | None,
    ) -> None:
        self.primary = group is None or group.primary
        self.emit: Progress = on_progress if on_progress and self.primary else (lambda event: None)
        self.stop = stop or threading.Event()
        self.corpus, self.group, self.checkpoint = corpus, group, checkpoint
        self.started = time.perf_counter()
        saved = load_checkpoint(resume, corpus) if resume else None
        if saved:
            config = TrainConfig.from_dict(
                {**saved["config"], "epochs": config.epochs, "time_budget": config.time_budget}
            )
        try:
            config.check()
        except ValueError as error:
            raise TrainingError(f"Invalid setting: {error}.") from None
        self.config = config
        torch.manual_seed(config.seed)
        self.rng = np.random.default_rng(config.seed)
        if config.threads:
            torch.set_num_threads(config.threads)
        if group is not None and device.type == "cuda":
            device = torch.device("cuda", group.local_rank)
            torch.cuda.set_device(device)
        self.device = device
        self._read_text(saved)
        self._build_network(saved)
        self._plan_epochs()

    def _read_text(self, saved: dict[str, Any] | None) -> None:
        """The dataset (vocabulary, training ids, held-out chunks) and the tokenizer's names."""
        config, corpus = self.config, self.corpus
        self.notes = list(corpus.notes)
        tokenizer = TokenizerConfig(lowercase=config.lowercase, quotes=True)
        try:
            data = build_dataset(
                corpus.blocks(),
                tokenizer,
                config.window,
                config.holdout,
                config.min_count,
                config.max_vocab,
                Vocabulary(saved["vocabulary"]) if saved else None,
            )
        except ValueError as error:
            raise TrainingError(f"The corpus cannot be used: {error}.") from None
        if not data.has_held_out:
            self.notes.append(
                f"The corpus ({data.tokens:,} tokens) is too small to hold text out: "
                "it was trained on whole, and its figures are measured on the training text."
            )
        if config.lowercase:
            names = tuple(n for n in find_names(corpus.blocks()) if n in data.vocabulary)
            tokenizer = TokenizerConfig(lowercase=True, names=names, quotes=True)
        # The card says what was used.
        seq_len, streams = config.seq_len, config.batch_size
        if seq_len is None and streams is None and reads_whole(data, self.group):
            seq_len, streams = len(data.train) - 1, 1
        self.seq_len = seq_len or DEFAULT_SEQ_LEN
        self.streams = streams or auto_batch(len(data.train), self.seq_len)
        min_count = config.min_count if data.min_count is None else data.min_count
        self.config = dataclasses.replace(
            config, batch_size=self.streams, seq_len=self.seq_len, min_count=min_count
        )
        self.data, self.tokenizer = data, tokenizer

    def _build_network(self, saved: dict[str, Any] | None) -> None:
        """The network sized for this text, its optimiser, and a checkpoint's state if resuming."""
        config, data, group = self.config, self.data, self.group
        # The dropout, the counts' share and 'auto''s optimiser are sized to the run's length: at
        # once when it is known in epochs; with a time budget, after the first steps have shown how
        # fast this machine reads (see ``DROPOUT_SIZED_AFTER``). A text too small to hold any out
        # can only be learnt by heart: it gets the least dropout, no change penalty, no counts, no
        # rare words read as <unk>, Adam at ``by_heart_rate`` and embeddings spread wide
        # (``BY_HEART_SPREAD``).
        tiny = not data.has_held_out
        later = config.time_budget is not None and not tiny
        passes = 1.0 if tiny else config.epochs
        self.size_dropout_later = later and config.dropout is None
        if config.dropout is None:
            config = dataclasses.replace(config, dropout=auto_dropout(1.0 if later else passes))
        if config.change_penalty is None:
            config = dataclasses.replace(config, change_penalty=0.0 if tiny else DEFAULT_CHANGE_PENALTY)
        if config.rare_as_unknown is None:
            cut = config.min_count is not None and config.min_count >= 2  # else no word stands for <unk>
            config = dataclasses.replace(
                config, rare_as_unknown=DEFAULT_RARE_AS_UNKNOWN if cut and not tiny else 0.0
            )
        counted = not tiny and len(data.train) <= MAX_INDEX_TOKENS  # the counts the app will have
        self.share_counts_later = later and counted and config.counts_share is None
        if config.counts_share is None:
            share = counts_share_for(1.0 if later else passes) if counted else 0.0
            config = dataclasses.replace(config, counts_share=share)
        rates_given = config.lr is not None or config.clip is not None
        if tiny and config.lr is None and config.optimizer in ("auto", "adam"):
            config = dataclasses.replace(config, lr=by_heart_rate(config.units))
        self.choose_optimizer_later = later and config.optimizer == "auto" and not rates_given
        if not self.choose_optimizer_later:
            config = dataclasses.replace(config, optimizer=config.optimizer_for(passes))
        self.config = config
        self.model = model = LanguageModel(len(data.vocabulary), config).to(self.device)
        if tiny:
            torch.nn.init.normal_(model.embed.weight, std=BY_HEART_SPREAD)
        self.objective: torch.nn.Module = Objective(model)
        if group is not None:
            try:
                group.check("window batch", config.window_batch)
                for offset in (0, self.seq_len - 1):
                    rows, _ = next(stream_batches(data.train, self.streams, self.seq_len, offset))
                    group.check("batch of parallel streams", len(rows))
            except ValueError as error:
                raise TrainingError(f"Invalid setting: {error}.") from None
            self.objective = DistributedDataParallel(self.objective)
        # The rates used, for the card (the optimiser's own when none was given).
        config = self.config = dataclasses.replace(config, lr=config.start_rate(), clip=config.clip_norm())
        self.optimizer = self.new_optimizer()
        # 'auto' takes its first steps with Adam while it measures the pace; averaged SGD then
        # begins again from these weights (after Adam's 20 steps, it learnt less: bench/README.md).
        self.first_weights = copy.deepcopy(model.state_dict()) if self.choose_optimizer_later else None
        # With 'asgd', the running average of the weights from the first plateau on, and its count.
        self.average: dict[str, torch.Tensor] | None = None
        self.averaged = 0
        self.start_epoch, self.best_loss, self.bad_epochs = 0, math.inf, 0
        self.best_windowed = -1.0  # judged first on a text too small to hold any out
        self.best_state: dict[str, torch.Tensor] | None = None
        self.slowdown = 1.0  # halved whenever an epoch does not improve the held-out loss
        if saved:
            model.load_state_dict(saved["model"])
            self.optimizer.load_state_dict(saved["optimizer"])
            self.start_epoch, self.best_loss = saved["epoch"], saved["best_loss"]
            self.bad_epochs, self.best_state = saved["bad_epochs"], saved["best_model"]
            self.slowdown = float(saved.get("slowdown", 1.0))
            if saved.get("average") is not None:
                self.average = {name: w.to(self.device) for name, w in saved["average"].items()}
                self.averaged = saved["averaged"]
            self.rng = np.random.default_rng([config.seed, self.start_epoch])

    def new_optimizer(self) -> torch.optim.Optimizer:
        """The configured optimiser over the network's weights ('auto' is Adam until it chooses)."""
        config, model = self.config, self.model
        if config.optimizer in ("adam", "auto"):  # one kernel for all weights
            return torch.optim.Adam(model.parameters(), lr=config.start_rate(), fused=True)
        return torch.optim.SGD(model.parameters(), lr=config.start_rate())

    def _plan_epochs(self) -> None:
        """What each epoch is judged on, the baselines, the steps an epoch takes, the stopping rule."""
        config, data = self.config, self.data
        self.chunks = data.eval_chunks()
        self.selection = selection_chunks(self.chunks)
        self.baselines = evaluate_baselines(data.train, self.chunks, len(data.vocabulary), config.window)
        self.n_windows = n_windows = len(data.train) - config.window
        # Under torchrun every process reads all the windows: their gradients agree, so the average
        # is the one process's gradient, as the stateful rows' shares average to the whole batch's.
        self.every_window = bool(config.window_batch) and n_windows <= ALL_WINDOWS_UP_TO
        stream_steps = sum(1 for _ in stream_batches(data.train, self.streams, self.seq_len, 0))
        fewest = SMALL_TEXT_EPOCH_STEPS if self.every_window else MIN_STEPS_PER_EPOCH
        self.steps_per_epoch = max(stream_steps, fewest)
        # On the training text itself, a model can be seen to reach all it can: then it stops.
        self.ceiling = (
            None if data.has_held_out else window_ceiling(self.selection, config.window, SELECTION_SCORING[0])
        )
        if self.every_window:
            self.notes.append(
                f"The text is small: every step trains on all its {n_windows:,} windows of "
                f"{config.window} words"
                + (
                    ", and training stops once they reach the best accuracy the text allows "
                    f"({self.ceiling:.1%})."
                    if self.ceiling is not None
                    else "."
                )
            )
        self.total_steps = self.steps_per_epoch * config.epochs
