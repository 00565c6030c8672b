"""The training command line (``python -m training`` and ``storyteller train``).

This module imports no torch at import time, so ``storyteller --help`` stays fast; torch
is loaded when a run starts.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from storyteller.engine import events
from storyteller.engine.corpus import read_corpus
from storyteller.engine.files import kind_of
from storyteller.engine.limits import check_training
from storyteller.engine.presets import PRESETS
from storyteller.engine.registry import MODEL_SUFFIX, user_models_dir
from storyteller.errors import INSTALL_HINT, StorytellerError
from storyteller.figures import figures_table
from storyteller.text import one_line, visible

from .config import TrainConfig

Reporter = Callable[[events.Event], None]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = TrainConfig()
    parser.add_argument("corpus", type=Path, help="a UTF-8 .txt file, or a folder of them")
    parser.add_argument(
        "--out",
        type=Path,
        help=f"model file to write (default: the user's models folder, {user_models_dir()})",
    )
    parser.add_argument("--name", help="the model's name (default: the output file's name)")
    parser.add_argument(
        "--preset",
        metavar="NAME",
        help="start from a named network ("
        + "; ".join(f"{name}: {p.layers}×{p.units}, window {p.window}" for name, p in PRESETS.items())
        + "); the flags below override it",
    )
    # Given as None when absent, so that a preset's value stands unless the flag is given.
    parser.add_argument("--layers", type=int, help=f"LSTM layers ({defaults.layers})")
    parser.add_argument("--units", type=int, help=f"units per layer ({defaults.units})")
    parser.add_argument("--embedding", type=int, help="embedding size (default: units, weights tied)")
    parser.add_argument(
        "--window", type=int, help=f"words of context for the windowed objective ({defaults.window})"
    )
    parser.add_argument(
        "--epochs", type=int, default=defaults.epochs, help="passes over the text at most (%(default)s)"
    )
    parser.add_argument("--time-budget", type=float, metavar="SECONDS", help="stop after this many seconds")
    parser.add_argument(
        "--batch-size", type=int, default=defaults.batch_size, help="parallel streams (%(default)s)"
    )
    parser.add_argument(
        "--seq-len", type=int, default=defaults.seq_len, help="back-propagation length (%(default)s)"
    )
    parser.add_argument(
        "--window-batch",
        type=int,
        default=defaults.window_batch,
        help="fresh-state windows per step for the windowed objective, 0 for none (%(default)s)",
    )
    parser.add_argument(
        "--softmax",
        choices=("auto", "full", "adaptive"),
        default=defaults.softmax,
        help="output layer: adaptive is several times faster with a large vocabulary; "
        "auto uses it from 10,000 words on (%(default)s)",
    )
    parser.add_argument("--lr", type=float, default=defaults.lr, help="Adam's learning rate (%(default)s)")
    parser.add_argument(
        "--schedule",
        choices=("cosine", "constant"),
        default=defaults.schedule,
        help="the learning rate falls to 5%% by the run's end, or stays (%(default)s)",
    )
    parser.add_argument(
        "--dropout",
        type=float,
        default=defaults.dropout,
        help="dropout (default: sized to the run, 0.1 for one pass over the text to 0.5 for 20 or more)",
    )
    parser.add_argument(
        "--weight-drop",
        type=float,
        default=defaults.weight_drop,
        help="dropout on the LSTM's recurrent weights (%(default)s)",
    )
    parser.add_argument(
        "--min-count",
        type=int,
        default=defaults.min_count,
        help="rarer words become <unk> (default: 1 under 20,000 training tokens, else 2)",
    )
    parser.add_argument(
        "--max-vocab", type=int, default=defaults.max_vocab, help="largest vocabulary (%(default)s)"
    )
    parser.add_argument(
        "--holdout", type=float, default=defaults.holdout, help="share held out for figures (%(default)s)"
    )
    parser.add_argument("--keep-case", action="store_true", help="do not fold words to lower case")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="random seed (%(default)s)")
    parser.add_argument(
        "--device", choices=("auto", "cpu", "cuda"), default="auto", help="where to train (%(default)s)"
    )
    parser.add_argument(
        "--bf16",
        action="store_true",
        help="compute in bfloat16 under autocast (GPUs with bf16; the model is saved in fp32)",
    )
    parser.add_argument(
        "--threads", type=int, default=defaults.threads, help="CPU threads for torch (%(default)s)"
    )
    parser.add_argument(
        "--int8",
        action="store_true",
        help="quantise the weights to int8 (faster, a quarter of the size; refused if its held-out "
        "perplexity is over 1%% above fp32's or its top-1 accuracy half a point below)",
    )
    parser.add_argument(
        "--no-index",
        dest="index",
        action="store_false",
        help="leave out the corpus index beside the model (where suggestions come from, the copy meter)",
    )
    parser.add_argument("--checkpoint", type=Path, help="save a checkpoint here after every epoch")
    parser.add_argument("--resume", type=Path, metavar="CHECKPOINT", help="continue from a checkpoint")
    parser.add_argument(
        "--progress",
        choices=("bar", "jsonl", "quiet"),
        default="bar",
        help="bar: a progress bar on stderr; jsonl: one JSON object per line on stdout",
    )


def config_from(args: argparse.Namespace) -> TrainConfig:
    """The run's configuration: the preset, if any, then every flag (a flag given wins)."""
    return TrainConfig.from_preset(
        args.preset,
        name=args.name or "",
        layers=args.layers,
        units=args.units,
        embedding=args.embedding,
        window=args.window,
        epochs=args.epochs,
        time_budget=args.time_budget,
        batch_size=args.batch_size,
        seq_len=args.seq_len,
        window_batch=args.window_batch,
        softmax=args.softmax,
        lr=args.lr,
        schedule=args.schedule,
        dropout=args.dropout,
        weight_drop=args.weight_drop,
        min_count=args.min_count,
        max_vocab=args.max_vocab,
        holdout=args.holdout,
        lowercase=not args.keep_case,
        seed=args.seed,
        device=args.device,
        precision="bf16" if args.bf16 else "fp32",
        threads=args.threads,
    )


class BarReporter:
    """Human progress on stderr: a bar with ETA, a line per epoch, a table at the end."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()

    def __call__(self, event: events.Event) -> None:
        if isinstance(event, events.Start):
            held = event.held_out_tokens
            self.line(
                f"{event.tokens:,} tokens, vocabulary {event.vocabulary:,}, "
                f"{event.parameters:,} weights, on {event.device}; "
                + (f"{held:,} tokens held out." if held else "nothing held out.")
            )
            for note in event.notes:
                self.line(f"note: {note}")
        elif isinstance(event, events.Step) and self.tty:
            share = event.step / max(1, event.total_steps)
            filled = int(share * 30)
            self.stream.write(
                f"\r[{'#' * filled}{'.' * (30 - filled)}] {share:4.0%} epoch {event.epoch} "
                f"loss {event.loss:.3f} {event.tokens_per_s:,.0f} tok/s ETA {_clock(event.eta)} "
            )
            self.stream.flush()
        elif isinstance(event, events.Epoch):
            m = event.metrics
            self.line(
                f"epoch {event.epoch:.2f}: perplexity {m['perplexity']:.1f}, top-1 {m['top1']:.1%}, "
                f"top-5 {m['top5']:.1%}, windowed {m['windowed']:.1%}" + (" *" if event.best else "")
            )
        elif isinstance(event, events.Sample):
            self.line(f"  sample: {one_line(event.text)}")
        elif isinstance(event, events.Done):
            self.line(f"stopped: {event.stopped} after {event.epochs:.2f} epochs, {event.seconds:.1f} s")
            metrics = {"held_out": event.held_out, "model": event.metrics, **event.baselines}
            for row in figures_table(metrics):
                self.line(row)

    def line(self, text: str) -> None:
        if self.tty:
            self.stream.write("\r\033[K")
        self.stream.write(visible(text) + "\n")
        self.stream.flush()


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class JsonReporter:
    """One JSON object per line on stdout, for the app's retrain panel."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    def __call__(self, event: events.Event) -> None:
        self.stream.write(events.to_json(event) + "\n")
        self.stream.flush()


def run(args: argparse.Namespace) -> int:
    """Train and export; expected failures become one sentence and exit status 2."""
    report = (
        JsonReporter()
        if args.progress == "jsonl"
        else BarReporter()
        if args.progress == "bar"
        else (lambda e: None)
    )
    try:
        return _run(args, report)
    except StorytellerError as error:
        if args.progress == "jsonl":
            report(events.Error(message=str(error)))
        print(f"storyteller: error: {visible(error)}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, report: Reporter) -> int:
    try:
        config = config_from(args)
    except ValueError as error:  # an unknown preset
        raise StorytellerError(str(error)) from None
    try:
        # The limits the loader holds a model to, checked now: a run that would write a model the
        # loader refuses, or fail after its training, never starts.
        config.check()
        check_training(config)
    except ValueError as error:
        raise StorytellerError(f"Invalid setting: {error}.") from None
    _check_checkpoint_paths(args.checkpoint, args.resume)
    out: Path = args.out or user_models_dir() / f"{_stem(args.corpus)}{MODEL_SUFFIX}"
    if out.suffix != MODEL_SUFFIX:
        raise StorytellerError(f"The output file must end in {MODEL_SUFFIX} (got '{out}').")
    if out.is_dir():
        raise StorytellerError(f"The output path '{out}' is a folder.")
    corpus = read_corpus(args.corpus)

    # Must be set before torch loads OpenMP: idle threads then sleep instead of spinning.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:  # torch and onnx, loaded only now: said in one sentence when missing
        from . import export as _export  # noqa: F401
        from . import train as _train  # noqa: F401
    except ImportError as error:
        raise StorytellerError(
            f"Training needs torch and onnx ({error.name} is missing): {INSTALL_HINT}."
        ) from None

    stop = threading.Event()
    restore = _install_stop_handler(stop)
    try:
        return _train_and_export(args, config, corpus, out, report, stop)
    finally:
        restore()


def _train_and_export(
    args: argparse.Namespace,
    config: TrainConfig,
    corpus: Any,
    out: Path,
    report: Reporter,
    stop: threading.Event,
) -> int:
    """The run and its export, under the stop handlers (an abandon during the export writes nothing)."""
    from .export import ExportError, export
    from .train import TrainingError, train

    try:
        result = train(config, corpus, report, stop, checkpoint=args.checkpoint, resume=args.resume)
    except TrainingError as error:
        raise StorytellerError(str(error)) from None
    if not result.primary:
        return 0  # a distributed run's other processes: the first one exports
    started = time.perf_counter()
    try:
        difference = export(result, out, args.name, int8=args.int8)
    except ExportError as error:
        raise StorytellerError(str(error)) from None
    report(
        events.Exported(
            path=str(out),
            parity=difference,
            bytes=out.stat().st_size,
            seconds=time.perf_counter() - started,
        )
    )
    if args.progress != "jsonl":
        print(
            visible(
                f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB; torch/onnxruntime parity {difference:.1e})"
            ),
            file=sys.stderr,
        )
    from .index import drop_index, write_index

    if not getattr(args, "index", True):
        drop_index(out)
        return 0
    written = write_index(corpus, result.tokenizer, Path(args.corpus), out)
    if args.progress != "jsonl":
        print(visible(written), file=sys.stderr)
    return 0


def _check_checkpoint_paths(checkpoint: Path | None, resume: Path | None) -> None:
    """Refuse, before any training, a checkpoint that could never be written or read."""
    if checkpoint is not None:
        if checkpoint.is_dir():
            raise StorytellerError(f"The checkpoint path '{checkpoint}' is a folder; name a file in it.")
        folder = checkpoint.parent
        if not folder.is_dir():
            raise StorytellerError(f"The checkpoint's folder '{folder}' does not exist.")
        if not os.access(folder, os.W_OK):
            raise StorytellerError(f"The checkpoint's folder '{folder}' cannot be written to.")
    if resume is not None:
        try:
            kind = kind_of(resume.stat().st_mode)
        except FileNotFoundError:
            raise StorytellerError(f"Checkpoint '{resume}' does not exist.") from None
        except OSError as error:
            raise StorytellerError(f"Checkpoint '{resume}' cannot be read ({error.strerror}).") from None
        if kind is not None:
            raise StorytellerError(f"Checkpoint '{resume}' is {kind}, not a checkpoint file.")


def _stem(path: Path) -> str:
    return path.resolve().stem if path.is_file() else path.resolve().name or "model"


ABANDONED = 130
"""Exit status after a second Ctrl+C (the shell's for an interrupt)."""


ABANDON_SIGNAL = getattr(signal, "SIGUSR1", None)
"""Abandon at once, writing nothing: what the app's cancel sends. One signal, so it cannot be
lost the way the second of two quick interrupts is when both arrive before either is handled."""


def _install_stop_handler(stop: threading.Event) -> Callable[[], None]:
    """First Ctrl+C (or SIGTERM): finish the step, keep the best model, export it.

    A second Ctrl+C, or ``ABANDON_SIGNAL``, gives up at once. Returns a function that restores
    the old handlers.
    """

    def handler(signum: int, frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        print("\nstopping: exporting the best model so far (Ctrl+C again to abandon)", file=sys.stderr)

    def abandon(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        return lambda: None  # signals belong to the main thread (e.g. under a test runner)
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    if ABANDON_SIGNAL is not None:
        previous[ABANDON_SIGNAL] = signal.signal(ABANDON_SIGNAL, abandon)

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)

    return restore


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m training", description="Train a storyteller model from text."
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except KeyboardInterrupt:
        print("abandoned: nothing was written", file=sys.stderr)
        return ABANDONED
