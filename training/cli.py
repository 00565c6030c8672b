"""The training command line (``python -m training`` and ``storyteller train``): a run, its checks
and its export. Its flags are in ``flags``, its progress in ``progress``, its stopping in ``stopping``.

This module imports no torch at import time, so ``storyteller --help`` stays fast; torch
is loaded when a run starts.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from storyteller.engine import events
from storyteller.engine.corpus import read_corpus
from storyteller.engine.files import FileProblem, check_untrusted
from storyteller.engine.limits import check_training
from storyteller.engine.registry import MODEL_SUFFIX, user_models_dir
from storyteller.errors import StorytellerError, say_error, training_missing
from storyteller.text import visible

from .config import MAX_CHECKPOINT_BYTES, TrainConfig
from .flags import add_arguments, config_from
from .progress import BarReporter, JsonReporter, Reporter
from .stopping import ABANDONED, install_stop_handler


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
        return say_error(error)


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
        raise StorytellerError(training_missing(error.name)) from None

    stop = threading.Event()
    restore = install_stop_handler(stop)
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
            check_untrusted(resume, MAX_CHECKPOINT_BYTES, "Checkpoint")
        except FileProblem as error:
            raise StorytellerError(str(error)) from None


def _stem(path: Path) -> str:
    return path.resolve().stem if path.is_file() else path.resolve().name or "model"


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
