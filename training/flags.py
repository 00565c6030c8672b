"""The training command's flags, and the ``TrainConfig`` they make (torch-free, for ``--help``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from storyteller.engine.presets import PRESETS
from storyteller.engine.registry import user_models_dir

from .config import DEFAULT_SEQ_LEN, OPTIMIZERS, PRECISIONS, TrainConfig
from .data import JUDGED_PIECE


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Every flag of ``storyteller train`` and ``python -m training``, in the order ``--help`` lists them."""
    defaults = TrainConfig()
    _add_network_flags(parser, defaults)
    _add_learning_flags(parser, defaults)
    _add_run_flags(parser, defaults)


def _add_network_flags(parser: argparse.ArgumentParser, defaults: TrainConfig) -> None:
    """The text, where the model goes, and the network's shape."""
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


def _add_learning_flags(parser: argparse.ArgumentParser, defaults: TrainConfig) -> None:
    """How long and how the network learns."""
    parser.add_argument(
        "--epochs", type=int, default=defaults.epochs, help="passes over the text at most (%(default)s)"
    )
    parser.add_argument("--time-budget", type=float, metavar="SECONDS", help="stop after this many seconds")
    parser.add_argument(
        "--batch-size",
        type=int,
        default=defaults.batch_size,
        help="parallel streams (default: 32, or 24, 16 or 12 for a text of under about 143,000, 107,000 "
        "or 72,000 tokens)",
    )
    parser.add_argument(
        "--seq-len",
        type=int,
        default=defaults.seq_len,
        help=f"back-propagation length (default: {DEFAULT_SEQ_LEN}, or the whole of a text learnt by heart "
        f"of up to {JUDGED_PIECE} tokens)",
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
    parser.add_argument(
        "--optimizer",
        choices=OPTIMIZERS,
        default=defaults.optimizer,
        help="adam; sgd, plain; asgd, SGD whose weights are averaged from the first epoch "
        "that does not help on (or from half the run); or auto, asgd for a run of 4 passes "
        "or more, else adam (%(default)s)",
    )
    parser.add_argument(
        "--lr", type=float, default=defaults.lr, help="learning rate (default: 0.01 for Adam, 20 for SGD)"
    )
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
        "--word-drop",
        type=float,
        default=defaults.word_drop,
        help="share of words whose embedding is dropped whole for a step (%(default)s)",
    )
    parser.add_argument(
        "--change-penalty",
        type=float,
        default=defaults.change_penalty,
        help="weight of the penalty on the LSTM output's change from word to word "
        "(default: 1, or 0 for a text too small to hold any out)",
    )
    parser.add_argument(
        "--counts-share",
        type=float,
        default=defaults.counts_share,
        help="share of the text's counts in the mix the network is trained as "
        "(default: 0.15 for a run of 4 passes or more, else 0)",
    )
    parser.add_argument(
        "--rare-as-unknown",
        type=float,
        default=defaults.rare_as_unknown,
        help="share of the rarest kept words' occurrences read as <unk> each pass "
        "(default: 0.5 where the vocabulary is cut at 2 sightings or more, else 0)",
    )


def _add_run_flags(parser: argparse.ArgumentParser, defaults: TrainConfig) -> None:
    """The vocabulary, the held-out text, the machine, the export and the run's progress."""
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
        "--precision",
        choices=PRECISIONS,
        default=defaults.precision,
        help="arithmetic of the matrix products: bf16 under autocast, or fp32; auto takes bf16 on "
        "a CPU with AMX (the model is saved in fp32 either way; %(default)s)",
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
        optimizer=args.optimizer,
        lr=args.lr,
        schedule=args.schedule,
        dropout=args.dropout,
        weight_drop=args.weight_drop,
        word_drop=args.word_drop,
        change_penalty=args.change_penalty,
        counts_share=args.counts_share,
        rare_as_unknown=args.rare_as_unknown,
        min_count=args.min_count,
        max_vocab=args.max_vocab,
        holdout=args.holdout,
        lowercase=not args.keep_case,
        seed=args.seed,
        device=args.device,
        precision=args.precision,
        threads=args.threads,
    )
