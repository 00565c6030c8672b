"""A big vocabulary: storyteller's trainer against the plain loop, on one corpus, for one wall-clock budget.

The corpus is synthetic (``zipf_corpus.py``: 2,000,000 words, about 33,000 distinct,
Zipf-shaped, with class and paragraph-topic structure), generated once and kept under
``bench/.cache/``. The dataset is built once with storyteller's own code (lower-cased, full
vocabulary, 10% held out) so both sides predict the same tokens and are scored on the same
held-out chunks, from a fresh state, as ``training.evaluate`` scores.

* the plain loop (``plain_loop.py``): the textbook word-level LSTM, 2×200, full softmax, SGD;
* storyteller: ``training.train.train`` with the configuration in ``ours_config``.

Each run has its own process (threads and memory cannot leak from one to the next), with
OMP_WAIT_POLICY=PASSIVE. Words/s is the plain loop's training tokens over its training
seconds, and for storyteller the ``tokens_per_s`` of its last progress report.

    python bench/big_corpus.py [--budget 300] [--threads 1 2] [--sides plain ours] [--words 2000000]

Prints a Markdown table; paste it into bench/README.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import plain_loop
import torch
import zipf_corpus

from storyteller.engine import events
from storyteller.engine.corpus import read_corpus
from storyteller.engine.tokenizer import TokenizerConfig
from training.config import TrainConfig
from training.data import build_dataset
from training.evaluate import evaluate_baselines
from training.train import train

CACHE = Path(__file__).resolve().parent / ".cache"
SIDES = {
    "plain": "plain loop",
    "defaults": "storyteller, default settings",
    "ours": "storyteller, stateful objective only, batch 64×35",
}


def ours_config(budget: float, threads: int, side: str) -> TrainConfig:
    """Storyteller's side of the comparison: the one place its settings are chosen.

    Both sides get the network's size (2×200) and dropout (0.2), and the full vocabulary;
    storyteller's adaptive softmax comes on by itself at this vocabulary size. Its default
    settings also train the windowed objective (fresh-state 3-word windows, for the app's
    short contexts), which the plain loop does not; "ours" trains the plain loop's task
    alone, with a larger batch.
    """
    config = TrainConfig(
        time_budget=budget,
        max_vocab=None,
        units=200,
        layers=2,
        dropout=0.2,
        seed=0,
        threads=threads,
        device="cpu",  # the plain loop runs on the CPU
    )
    if side == "ours":
        config = dataclasses.replace(config, batch_size=64, seq_len=35, window_batch=0)
    return config


def corpus_file(words: int, vocab: int, seed: int) -> Path:
    """The cached corpus for these parameters (and this version of the generator), made if missing."""
    generator = hashlib.sha256(Path(zipf_corpus.__file__).read_bytes()).hexdigest()[:8]
    path = CACHE / f"zipf-w{words}-v{vocab}-s{seed}-{generator}.txt"
    if not path.exists():
        CACHE.mkdir(exist_ok=True)
        partial = path.with_suffix(".partial")
        started = time.perf_counter()
        summary = zipf_corpus.generate(partial, words, vocab, seed)
        partial.replace(path)
        print(
            f"generated {path.name}: {summary['words']:,} words, {summary['distinct']:,} distinct, "
            f"{time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
    return path


def run_plain(dataset: Path, budget: float, threads: int) -> dict[str, Any]:
    saved = np.load(dataset)
    held_out = list(saved["held_out"])
    return plain_loop.train_plain(saved["train"], held_out, int(saved["vocab_size"]), budget, threads)


def run_ours(corpus: Path, budget: float, threads: int, side: str) -> dict[str, Any]:
    config = ours_config(budget, threads, side)
    steps: list[events.Step] = []

    def watch(event: events.Event) -> None:
        if isinstance(event, events.Step):
            steps.append(event)

    result = train(config, read_corpus(corpus), on_progress=watch)
    last = steps[-1]
    return {
        "words_per_s": last.tokens_per_s,
        "first_step_s": steps[0].elapsed,
        "seconds": result.seconds,
        "epochs": result.epochs,
        "perplexity": result.metrics["perplexity"],
    }


def child(side: str, threads: int, budget: float, corpus: Path, dataset: Path) -> dict[str, Any] | None:
    """Run one side in a fresh process; its figures come back as the last line it prints (None: it failed)."""
    command = [sys.executable, __file__, "--run", side, "--threads", str(threads), "--budget", str(budget)]
    command += ["--corpus", str(corpus), "--dataset", str(dataset)]
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    lines = done.stdout.strip().splitlines()
    if done.returncode or not lines:
        print(f"{SIDES[side]}, {threads} thread(s): failed (exit status {done.returncode})", file=sys.stderr)
        return None
    figures: dict[str, Any] = json.loads(lines[-1])
    print(f"{SIDES[side]}, {threads} thread(s): {json.dumps(figures)}", file=sys.stderr)
    return figures


def code_version() -> str:
    """The checkout's commit, marked when files differ from it (storyteller's trainer changes often)."""
    described = subprocess.run(
        ["git", "describe", "--always", "--dirty"],
        cwd=Path(__file__).resolve().parent,
        capture_output=True,
        text=True,
        check=False,
    )
    return described.stdout.strip() or "unknown"


def main() -> None:
    args = _arguments()
    if args.run:
        if args.run == "plain":
            figures = run_plain(args.dataset, args.budget, args.threads[0])
        else:
            figures = run_ours(args.corpus, args.budget, args.threads[0], args.run)
        print(json.dumps(figures))
        return

    version = code_version()
    corpus = corpus_file(args.words, args.vocab, args.seed)
    data = build_dataset(read_corpus(corpus).blocks(), TokenizerConfig(lowercase=True), 3, 0.1, 1, None)
    vocab_size = len(data.vocabulary)
    baselines = evaluate_baselines(data.train, data.held_out, vocab_size, 3)
    CACHE.mkdir(exist_ok=True)
    runs: dict[tuple[str, int], list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(dir=CACHE) as folder:
        dataset = Path(folder) / "dataset.npz"
        np.savez(dataset, train=data.train, held_out=np.stack(data.held_out), vocab_size=vocab_size)
        for _ in range(args.repeats):
            for side in args.sides:
                for threads in args.threads if side == "plain" else args.ours_threads:
                    run = child(side, threads, args.budget, corpus, dataset)
                    runs.setdefault((side, threads), [])
                    if run is not None:
                        runs[side, threads].append(run)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()}; "
        f"torch {torch.__version__}, numpy {np.__version__}; OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}"
    )
    print(
        f"corpus: {corpus.name}, {data.tokens:,} tokens; vocabulary {vocab_size:,}; "
        f"train tokens {len(data.train):,}; held-out tokens {sum(len(c) for c in data.held_out):,}"
    )
    print(
        f"budget: {args.budget:g} s wall clock per run, each in a fresh process; medians of {args.repeats}; "
        f"code {version}"
    )
    _print_table(args, runs, baselines)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=300, help="wall-clock seconds per run")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="the plain loop's")
    parser.add_argument("--ours-threads", type=int, nargs="+", default=[2], help="storyteller's")
    parser.add_argument("--sides", nargs="+", choices=list(SIDES), default=list(SIDES))
    parser.add_argument("--repeats", type=int, default=1, help="runs of each row (the table shows medians)")
    parser.add_argument("--words", type=int, default=2_000_000)
    parser.add_argument("--vocab", type=int, default=33_000)
    parser.add_argument("--seed", type=int, default=0, help="the corpus's seed")
    parser.add_argument("--run", choices=sorted(SIDES), help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--dataset", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args()


def _print_table(
    args: argparse.Namespace, runs: dict[tuple[str, int], list[dict[str, Any]]], baselines: dict[str, Any]
) -> None:
    """The runs' medians side by side, the plain loop's best rate the yardstick."""

    def median(side: str, threads: int, key: str) -> float:
        return statistics.median(r[key] for r in runs[side, threads])

    plain_rates = [median("plain", t, "words_per_s") for t in args.threads if runs.get(("plain", t))]
    plain_best = max(plain_rates, default=None)
    print()
    print("| run | threads | words/s | held-out perplexity | words/s ÷ plain loop | epochs |")
    print("|---|---:|---:|---:|---:|---:|")
    for side in args.sides:
        for threads in args.threads if side == "plain" else args.ours_threads:
            if not runs[side, threads]:
                print(f"| {SIDES[side]} | {threads} | failed | | | |")
                continue
            rate = median(side, threads, "words_per_s")
            ratio = f"{rate / plain_best:.2f}" if plain_best else ""
            print(
                f"| {SIDES[side]} | {threads} | {rate:,.0f} | {median(side, threads, 'perplexity'):.1f} "
                f"| {ratio} | {median(side, threads, 'epochs'):.2f} |"
            )
    for name in ("unigram", "bigram"):
        print(
            f"| {name} baseline (counts on the training text) | | | {baselines[name]['perplexity']:.1f} | | |"
        )
    print()
    print(
        "storyteller's words/s: tokens read by its stateful objective over the seconds of its training "
        "loop (the windowed objective re-reads the same text); setup (reading, the baselines) and the "
        "final evaluation are outside, as they are for the plain loop."
    )


if __name__ == "__main__":
    main()
