"""One ``train()`` for the CLI, the tests and the app: progress through a callback, stop through an event.

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
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn.parallel import DistributedDataParallel

from storyteller.engine.corpus import Corpus
from storyteller.engine.tokenizer import TokenizerConfig, detokenize, find_names
from storyteller.engine.vocab import PARAGRAPH_ID, UNKNOWN_ID, Vocabulary

from . import distributed
from .config import TrainConfig
from .data import build_dataset, stream_batches, windows
from .evaluate import evaluate_baselines, evaluate_network, selection_chunks, window_ceiling
from .network import LanguageModel, Objective

Progress = Callable[[dict[str, Any]], None]
CHECKPOINT_FORMAT = "storyteller-checkpoint"
CHECKPOINT_VERSION = 1
MIN_STEPS_PER_EPOCH = 20
"""A small text still gets this many steps between two evaluations..."""
SMALL_TEXT_EPOCH_STEPS = 4
"""...and a text that trains on all its windows at once, this many."""
LEARNT_BY_HEART = 1.03
"""Perplexity on its own text below which a small text counts as learnt (with its windows)."""
SMALL_TEXT_PATIENCE = 5
"""...and its patience is this many times as many of those short epochs."""
ALL_WINDOWS_UP_TO = 4_096
"""A text with at most this many windows trains on all of them in every step (one batch)."""
SHUFFLED_WINDOWS = 1 << 24
"""Up to this many, each epoch visits the windows in a shuffled order; a larger text samples
them at random (a shuffled order of 100 million windows alone would take 800 MB)."""
HALT_NONE, HALT_BUDGET, HALT_INTERRUPTED = 0, 1, 2
"""Why a step is not taken; several processes stop for the largest reason any of them has."""
PROGRESS_INTERVAL = 0.5
"""Seconds between two step reports."""
SELECTION_SCORING = (2_000, 5_000)
"""Windows and ranked positions each epoch's judgement scores at most (the final figures: more)."""
LAST_RATE = 0.05
"""The share of the learning rate left at the end of a run (see ``annealed``)."""


DROPOUT_SIZED_AFTER = 20
"""With a time budget and no dropout given, the steps after which the run's length in epochs
is estimated and the dropout sized to it."""


def auto_dropout(epochs: float) -> float:
    """Dropout for a run of about ``epochs`` passes over its text: 0.1 for one pass (nothing
    to unlearn yet: more only slows learning), rising to 0.5 from about 20 passes on (the
    model has seen every sentence many times and begins to learn them by heart). Measured on
    real prose at 60 s and 300 s (bench/README.md)."""
    return round(min(0.5, max(0.1, 0.1 + 0.4 * (epochs - 1) / 20)), 2)


def annealed(progress: float) -> float:
    """The share of the learning rate to use ``progress`` (0 to 1) into a run: a half cosine
    from 1 down to ``LAST_RATE``. A run that knows its end (a time budget, or its epochs) takes
    its last steps small, which a fixed rate never does."""
    progress = min(1.0, max(0.0, progress))
    return LAST_RATE + (1 - LAST_RATE) * 0.5 * (1 + math.cos(math.pi * progress))


class TrainingError(Exception):
    """Training cannot start or go on; the message is one sentence for the user."""


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


def pick_device(wanted: str) -> torch.device:
    if wanted == "cuda" or (wanted == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise TrainingError("A GPU was asked for but torch sees no CUDA device.")
        return torch.device("cuda")
    return torch.device("cpu")


def check_bf16(device: torch.device) -> None:
    """Refuse bf16 where this device cannot run an LSTM in it (CPUs without AVX-512 cannot)."""
    probe = torch.nn.LSTM(8, 8, batch_first=True).to(device)
    try:
        with torch.autocast(device.type, torch.bfloat16):
            probe(torch.zeros(1, 2, 8, device=device))
    except RuntimeError:
        raise TrainingError(
            f"This {device.type.upper()} cannot run an LSTM in bfloat16: train without --bf16."
        ) from None


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
        return _train(config, corpus, device, group, on_progress, stop, checkpoint, resume)
    finally:
        distributed.leave(group)


def _train(
    config: TrainConfig,
    corpus: Corpus,
    device: torch.device,
    group: distributed.Group | None,
    on_progress: Progress | None,
    stop: threading.Event | None,
    checkpoint: Path | None,
    resume: Path | None,
) -> TrainResult:
    primary = group is None or group.primary
    emit = on_progress if on_progress and primary else (lambda event: None)
    stop = stop or threading.Event()
    started = time.perf_counter()
    saved = load_checkpoint(resume, corpus) if resume else None
    if saved:
        config = TrainConfig.from_dict(
            {**saved["config"], "epochs": config.epochs, "time_budget": config.time_budget}
        )
    try:
        config.check()
    except ValueError as error:
        raise TrainingError(f"Invalid setting: {error}.") from None

    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    if config.threads:
        torch.set_num_threads(config.threads)
    if group is not None and device.type == "cuda":
        device = torch.device("cuda", group.local_rank)
        torch.cuda.set_device(device)
    notes = list(corpus.notes)
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
        notes.append(
            f"The corpus ({data.tokens:,} tokens) is too small to hold text out: "
            "it was trained on whole, and its figures are measured on the training text."
        )

    if config.lowercase:
        names = tuple(n for n in find_names(corpus.blocks()) if n in data.vocabulary)
        tokenizer = TokenizerConfig(lowercase=True, names=names, quotes=True)
    lr = config.lr
    if data.min_count is not None:
        config = dataclasses.replace(config, min_count=data.min_count)  # the card says what was used
    vocab_size = len(data.vocabulary)
    size_dropout_later = False
    if config.dropout is None:
        # Sized at once when the run's length is known in epochs; with a time budget, after the
        # first steps have shown how fast this machine reads (see ``DROPOUT_SIZED_AFTER``). A
        # text too small to hold any out can only be learnt by heart: it gets the least.
        tiny = not data.has_held_out
        size_dropout_later = config.time_budget is not None and not tiny
        guess = 1.0 if tiny or size_dropout_later else config.epochs
        config = dataclasses.replace(config, dropout=auto_dropout(guess))
    model = LanguageModel(vocab_size, config).to(device)
    objective: torch.nn.Module = Objective(model)
    if group is not None:
        try:
            group.check("window batch", config.window_batch)
            for offset in (0, config.seq_len - 1):
                rows, _ = next(stream_batches(data.train, config.batch_size, config.seq_len, offset))
                group.check("batch of parallel streams", len(rows))
        except ValueError as error:
            raise TrainingError(f"Invalid setting: {error}.") from None
        objective = DistributedDataParallel(objective)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, fused=True)  # one kernel for all weights
    start_epoch, best_loss, bad_epochs, best_state = 0, math.inf, 0, None
    slowdown = 1.0  # halved whenever an epoch does not improve the held-out loss
    if saved:
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        start_epoch, best_loss = saved["epoch"], saved["best_loss"]
        bad_epochs, best_state = saved["bad_epochs"], saved["best_model"]
        slowdown = float(saved.get("slowdown", 1.0))
        rng = np.random.default_rng([config.seed, start_epoch])

    chunks = data.eval_chunks()
    selection = selection_chunks(chunks)
    baselines = evaluate_baselines(data.train, chunks, vocab_size, config.window)
    n_windows = len(data.train) - config.window
    # Under torchrun every process reads all the windows: their gradients agree, so the average
    # is the one process's gradient, as the stateful rows' shares average to the whole batch's.
    every_window = bool(config.window_batch) and n_windows <= ALL_WINDOWS_UP_TO
    stream_steps = sum(1 for _ in stream_batches(data.train, config.batch_size, config.seq_len, 0))
    steps_per_epoch = max(stream_steps, SMALL_TEXT_EPOCH_STEPS if every_window else MIN_STEPS_PER_EPOCH)
    # On the training text itself, a model can be seen to reach all it can: then it stops.
    ceiling = None if data.has_held_out else window_ceiling(selection, config.window, SELECTION_SCORING[0])
    if every_window:
        notes.append(
            f"The text is small: every step trains on all its {n_windows:,} windows of {config.window} words"
            + (
                f", and training stops once they reach the best accuracy the text allows ({ceiling:.1%})."
                if ceiling is not None
                else "."
            )
        )
    total_steps = steps_per_epoch * config.epochs
    emit(
        {
            "event": "start",
            "tokens": data.tokens,
            "train_tokens": len(data.train),
            "held_out_tokens": int(sum(len(c) for c in data.held_out)),
            "vocabulary": vocab_size,
            "parameters": sum(p.numel() for p in model.parameters()),
            "device": str(device),
            "epochs": config.epochs,
            "steps_per_epoch": steps_per_epoch,
            "baselines": baselines,
            "notes": notes,
        }
    )

    def batches() -> Iterator[tuple[np.ndarray, np.ndarray, bool]]:
        """Endless stateful pieces; the flag says a new pass began (state must be reset)."""
        while True:
            offset = int(rng.integers(0, config.seq_len)) if len(data.train) > 4 * config.seq_len else 0
            fresh = True
            for x, y in stream_batches(data.train, config.batch_size, config.seq_len, offset):
                yield x, y, fresh
                fresh = False

    def to_device(array: np.ndarray) -> torch.Tensor:
        # A copy as int64: the ids may be a read-only memory map of 16-bit numbers.
        return torch.from_numpy(array.astype(np.int64)).to(device)

    stream = batches()
    if every_window:
        wx, wy = windows(data.train, config.window, np.arange(n_windows))
        all_windows = (to_device(wx), to_device(wy))
    state = None
    stopped = "finished"
    step = start_epoch * steps_per_epoch
    tokens_done = 0  # text read by the stateful objective (the windows re-read the same text)
    loop_started = time.perf_counter()
    last_report = 0.0
    epoch = start_epoch
    model.train()
    for epoch in range(start_epoch, config.epochs):
        # Summed on the device: reading a loss every step would wait for the GPU every step.
        epoch_loss, epoch_steps = torch.zeros((), device=device), 0
        order = rng.permutation(n_windows) if n_windows <= SHUFFLED_WINDOWS else None
        for i in range(steps_per_epoch):
            elapsed = time.perf_counter() - started
            halt = HALT_NONE
            if stop.is_set():
                halt = HALT_INTERRUPTED
            elif config.time_budget is not None and elapsed >= config.time_budget:
                halt = HALT_BUDGET
            if group is not None:
                halt = group.agree(halt, device)  # all processes stop at the same step
            if halt:
                stopped = "interrupted" if halt == HALT_INTERRUPTED else "time budget"
                break
            x, y, fresh = next(stream)
            if group is not None:
                x, y = group.share(x), group.share(y)
            if fresh or state is None or state[0].shape[1] != x.shape[0]:
                state = model.zero_state(x.shape[0], device)
            window_batch = None
            if every_window:
                window_batch = all_windows
            elif config.window_batch:
                if order is not None:
                    starts = order[
                        np.arange(i * config.window_batch, (i + 1) * config.window_batch) % n_windows
                    ]
                else:
                    starts = rng.integers(0, n_windows, config.window_batch)
                if group is not None:
                    starts = group.share(starts)
                wx, wy = windows(data.train, config.window, starts)
                window_batch = (to_device(wx), to_device(wy))
            with torch.autocast(device.type, torch.bfloat16, enabled=config.precision == "bf16"):
                loss, stream_loss, state = objective(to_device(x), to_device(y), state, window_batch)
            state = (state[0].detach(), state[1].detach())
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip)
            rate = lr * slowdown
            if config.schedule == "cosine":
                progress = step / total_steps
                if config.time_budget is not None:
                    progress = max(progress, elapsed / config.time_budget)
                rate *= annealed(progress)
            for param_group in optimizer.param_groups:
                param_group["lr"] = rate
            optimizer.step()

            step += 1
            epoch_steps += 1
            epoch_loss += stream_loss.detach()
            tokens_done += x.size * (group.world if group else 1)
            if size_dropout_later and config.time_budget is not None and step == DROPOUT_SIZED_AFTER:
                reading = tokens_done / (time.perf_counter() - loop_started)  # tokens per second
                left = max(0.0, config.time_budget - (time.perf_counter() - started))
                epochs_expected = step / steps_per_epoch + left * reading / max(1, len(data.train))
                dropout = auto_dropout(epochs_expected)
                config = dataclasses.replace(config, dropout=dropout)
                model.set_dropout(dropout)
            now = time.perf_counter()
            if now - last_report >= PROGRESS_INTERVAL or step == total_steps:
                loss_now = stream_loss.item()  # waits for the device: the time below is honest
                now = last_report = time.perf_counter()
                elapsed = now - started
                done_here = step - start_epoch * steps_per_epoch
                eta = elapsed / done_here * (total_steps - step)
                if config.time_budget is not None:
                    eta = min(eta, max(0.0, config.time_budget - elapsed))
                emit(
                    {
                        "event": "step",
                        "epoch": epoch + 1,
                        "step": step,
                        "total_steps": total_steps,
                        "loss": loss_now,
                        "tokens_per_s": tokens_done / (now - loop_started),
                        "elapsed": elapsed,
                        "eta": eta,
                    }
                )
        if epoch_steps == 0:
            break
        judged = time.perf_counter()
        figures = evaluate_network(model, selection, config.window, device, *SELECTION_SCORING)
        judged = time.perf_counter() - judged
        held_loss = math.log(figures["perplexity"])
        improved = held_loss < best_loss - 1e-4
        # Learnt all the text allows: every window as well as can be, and the text read whole
        # almost word for word (what generation from a longer context needs).
        reached_ceiling = (
            ceiling is not None and figures["windowed"] >= ceiling and figures["perplexity"] < LEARNT_BY_HEART
        )
        if improved or reached_ceiling:
            best_loss, bad_epochs = min(best_loss, held_loss), 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            bad_epochs += 1
            if not every_window:
                # Back to the best weights, with smaller steps: an epoch that made the model worse
                # (it began to learn the training text by heart) is not built on. A text that
                # trains on all its windows is judged every few steps, too often for that.
                slowdown /= 2
                if best_state is not None:
                    model.load_state_dict(best_state)
        emit(
            {
                "event": "epoch",
                "epoch": epoch + epoch_steps / steps_per_epoch,
                "train_loss": epoch_loss.item() / epoch_steps,
                "metrics": figures,
                "best": improved,
                "lr": optimizer.param_groups[0]["lr"],
                "eval_seconds": judged,
            }
        )
        if primary:
            emit(
                {
                    "event": "sample",
                    "epoch": epoch + 1,
                    "text": sample(model, data.vocabulary, tokenizer, config.seed, device),
                }
            )
        if checkpoint is not None and primary and epoch_steps == steps_per_epoch:
            problem = save_checkpoint(
                checkpoint,
                model,
                optimizer,
                data.vocabulary,
                config,
                corpus,
                epoch + 1,
                best_loss,
                bad_epochs,
                best_state,
                slowdown,
            )
            if problem:
                emit({"event": "log", "text": problem})
        if stopped != "finished":
            break
        if bad_epochs >= config.patience * (SMALL_TEXT_PATIENCE if every_window else 1) or reached_ceiling:
            stopped = "converged"
            break

    if best_state is not None:
        model.load_state_dict(best_state)
    metrics = evaluate_network(model, chunks, config.window, device)
    model.eval()
    result = TrainResult(
        model=model.cpu(),
        vocabulary=data.vocabulary,
        tokenizer=tokenizer,
        config=config,
        metrics=metrics,
        baselines=baselines,
        held_out=data.has_held_out,
        stopped=stopped,
        epochs=step / steps_per_epoch,
        corpus={
            "sha256": corpus.sha256,
            "tokens": data.tokens,
            "words": data.words,
            "files": [f.name for f in corpus.files][:100],
        },
        seconds=time.perf_counter() - started,
        notes=notes,
        check_text=chunks[:40],
        primary=primary,
    )
    emit(
        {
            "event": "done",
            "stopped": stopped,
            "epochs": result.epochs,
            "seconds": result.seconds,
            "metrics": metrics,
            "baselines": baselines,
            "held_out": result.held_out,
        }
    )
    return result


@torch.no_grad()
def sample(
    model: LanguageModel,
    vocabulary: Vocabulary,
    tokenizer: TokenizerConfig,
    seed: int,
    device: torch.device,
    length: int = 24,
) -> str:
    """A short text from a fresh state, to watch the model learn."""
    was_training = model.training
    model.eval()
    generator = torch.Generator().manual_seed(seed)
    ids = torch.tensor([[PARAGRAPH_ID]], device=device)
    state = None
    out: list[str] = []
    for _ in range(length):
        logits, state = model(ids, state)
        scores = logits[0, -1].float().cpu() / 0.8
        scores[UNKNOWN_ID] = -math.inf
        token = int(torch.multinomial(torch.softmax(scores, -1), 1, generator=generator))
        out.append(vocabulary.tokens[token])
        ids = torch.tensor([[token]], device=device)
    model.train(was_training)
    return detokenize(out, tokenizer).strip()


def save_checkpoint(
    path: Path,
    model: LanguageModel,
    optimizer: torch.optim.Optimizer,
    vocabulary: Vocabulary,
    config: TrainConfig,
    corpus: Corpus,
    epoch: int,
    best_loss: float,
    bad_epochs: int,
    best_state: dict[str, torch.Tensor] | None,
    slowdown: float = 1.0,
) -> str | None:
    """State dicts and plain data only (loadable with ``weights_only=True``), written atomically.

    A disk that refuses the checkpoint (full, gone, read-only) costs the checkpoint, not the run:
    the temporary file goes, the last good checkpoint stays, and one sentence is printed on stderr
    and returned.
    """
    import sys

    from storyteller.text import visible

    payload = {
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "config": config.to_dict(),
        "vocabulary": list(vocabulary.tokens),
        "corpus_sha256": corpus.sha256,
        "epoch": epoch,
        "best_loss": best_loss,
        "bad_epochs": bad_epochs,
        "slowdown": slowdown,
        "model": model.state_dict(),
        "best_model": best_state,
        "optimizer": optimizer.state_dict(),
    }
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        torch.save(payload, temporary)
        os.replace(temporary, path)
    except (OSError, RuntimeError) as error:  # torch reports a failed write as a RuntimeError
        temporary.unlink(missing_ok=True)
        reason = error.strerror if isinstance(error, OSError) and error.strerror else "the write failed"
        problem = (
            f"The checkpoint after epoch {epoch} could not be saved to '{path}' ({reason}); training goes on."
        )
        print(f"storyteller: warning: {visible(problem)}", file=sys.stderr)
        return problem
    return None


MAX_CHECKPOINT_BYTES = 64 * 2**30
"""Larger than the largest model the limits allow, with its optimiser state and best copy."""


def load_checkpoint(path: Path, corpus: Corpus) -> dict[str, Any]:
    """Read a checkpoint without unpickling anything but tensors and plain data, and check all of
    it (types, keys, every tensor's shape against the network its configuration describes) before
    any of it is used: an edited checkpoint is one sentence, never a traceback mid-run."""
    import stat
    import warnings

    from storyteller.engine.files import kind_of

    shown = f"Checkpoint '{path}'"
    try:
        status = path.stat()
    except FileNotFoundError:
        raise TrainingError(f"{shown} does not exist.") from None
    except OSError as error:
        raise TrainingError(f"{shown} cannot be read ({error.strerror}).") from None
    kind = kind_of(status.st_mode)
    if kind is not None:  # a named pipe would block torch.load forever
        raise TrainingError(f"{shown} is {kind}, not a checkpoint file.")
    if stat.S_ISREG(status.st_mode) and status.st_size > MAX_CHECKPOINT_BYTES:
        raise TrainingError(f"{shown} is too large ({status.st_size:,} bytes) to be a checkpoint.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a refused pickle is our sentence, not torch's warning
            payload = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise TrainingError(f"{shown} does not exist.") from None
    except Exception:
        raise TrainingError(f"{shown} is not a readable storyteller checkpoint.") from None
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise TrainingError(f"'{path}' is not a storyteller checkpoint.")
    if payload.get("version") != CHECKPOINT_VERSION:
        raise TrainingError(
            f"{shown} has format version {str(payload.get('version'))[:20]}, not {CHECKPOINT_VERSION}."
        )
    if payload.get("corpus_sha256") != corpus.sha256:
        raise TrainingError(f"{shown} was made from a different corpus.")
    try:
        _check_checkpoint(payload)
    except (ValueError, TypeError, KeyError) as error:
        raise TrainingError(f"{shown} has been altered or is damaged: {error}.") from None
    return payload


def _check_checkpoint(payload: dict[str, Any]) -> None:
    """Raise ``ValueError`` naming the first part of a checkpoint that is not what it should be."""
    from storyteller.engine.limits import check_training

    if not isinstance(payload.get("config"), dict):
        raise ValueError("its configuration is missing")
    config = TrainConfig.from_dict(payload["config"])
    check_training(config)
    config.check()
    tokens = payload.get("vocabulary")
    if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
        raise ValueError("its vocabulary is not a list of words")
    vocabulary = Vocabulary(tokens)
    for key in ("epoch", "bad_epochs"):
        value = payload.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"its '{key}' is not a count")
    if not isinstance(payload.get("best_loss"), int | float) or isinstance(payload["best_loss"], bool):
        raise ValueError("its 'best_loss' is not a number")
    with torch.device("meta"):  # shapes only: nothing is allocated, whatever the sizes claim
        network = LanguageModel(len(vocabulary), config)
    expected = {name: tuple(t.shape) for name, t in network.state_dict().items()}
    for key in ("model", "best_model"):
        state = payload.get(key)
        if state is None and key == "best_model":
            continue
        if not isinstance(state, dict):
            raise ValueError(f"its '{key}' weights are missing")
        shapes = {name: tuple(t.shape) for name, t in state.items() if isinstance(t, torch.Tensor)}
        if len(shapes) != len(state) or shapes != expected:
            raise ValueError(f"its '{key}' weights do not fit the network its configuration describes")
    optimizer = payload.get("optimizer")
    if not isinstance(optimizer, dict) or not isinstance(optimizer.get("param_groups"), list):
        raise ValueError("its optimiser state is missing")
    parameters = [tuple(p.shape) for p in network.parameters()]
    listed = [
        i for group in optimizer["param_groups"] if isinstance(group, dict) for i in group.get("params", [])
    ]
    if len(listed) != len(parameters) or not isinstance(optimizer.get("state"), dict):
        raise ValueError("its optimiser state does not fit the network")
    for index, entry in optimizer["state"].items():
        if index not in listed or not isinstance(entry, dict):
            raise ValueError("its optimiser state does not fit the network")
        for name, value in entry.items():
            if not isinstance(value, torch.Tensor):
                raise ValueError("its optimiser state holds something other than tensors")
            if name != "step" and tuple(value.shape) != parameters[listed.index(index)]:
                raise ValueError("its optimiser state does not fit the network")
