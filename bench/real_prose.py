"""Real prose: storyteller's trainer against the textbook loop, same tokens, same wall-clock budget.

The texts are real English prose that Debian packages install (``prose_corpus.py``: the
fortunes, then the King James Bible), of about 50,000, 250,000 and 1,000,000 words. Each is
made into one dataset with storyteller's own code and default vocabulary settings (10% held
out in 10 chunks; words seen once become <unk> from 20,000 training tokens on), so both
sides predict the very same tokens and are scored on the very same held-out targets, each
chunk from a fresh state:

* the textbook loop (``plain_loop.py``): 2×200 LSTM, full softmax, SGD lr 20, clip 0.25,
  batch 20×35, the rate divided by 4 after an epoch that did not help;
* storyteller: ``training.train.train`` with its default settings and the budget as
  ``time_budget`` (which counts its reading of the text too), or a variant of them
  (``--variant NAME key=value ...``) to measure one lever at a time.

Perplexity counts every target; "known" leaves out the targets that are <unk>. storyteller is
also scored as the app reads, with the story's memory mixed in, and with its ``<unk>`` scaled,
the counts of its training text (``storyteller.engine.counts``), the story's phrases
(``storyteller.engine.phrases``) and the memory, each weight fitted on held-out text that is
not scored (the textbook loop mixes nothing).
Each run has a fresh process, OMP_WAIT_POLICY=PASSIVE and the same threads.

    python bench/real_prose.py [--words 50000 250000 1000000] [--budgets 60 300] [--repeats 1]
    python bench/real_prose.py --words 250000 --budgets 60 --sides ours \\
        --variant "old vocabulary" min_count=1 --variant "no windows" window_batch=0

Prints a Markdown table; paste it into bench/README.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import plain_loop
import prose_corpus
import torch
from big_corpus import code_version

from storyteller.engine import events
from storyteller.engine.cache import DEFAULT_SCALE, DEFAULT_WEIGHT, DEFAULT_WORDS
from storyteller.engine.corpus import read_corpus
from storyteller.engine.tokenizer import TokenizerConfig
from storyteller.engine.vocab import UNKNOWN_ID
from training.config import TrainConfig
from training.data import build_dataset
from training.evaluate import evaluate_baselines
from training.export import counts_of
from training.mix_fit import COUNT_WEIGHTS, PHRASE_WEIGHTS, SCALES, UNKNOWN_SCALES, WEIGHTS, mix_perplexities
from training.train import TrainResult, train

CACHE = prose_corpus.CACHE


def ours(budget: float, threads: int, overrides: dict[str, Any]) -> TrainConfig:
    """storyteller's defaults, the budget, the CPU, and a variant's overrides."""
    config = TrainConfig(time_budget=budget, seed=0, threads=threads, device="cpu")
    return dataclasses.replace(config, **overrides)


def run_plain(dataset: Path, budget: float, threads: int) -> dict[str, Any]:
    saved = np.load(dataset)
    return plain_loop.train_plain(
        saved["train"],
        list(saved["held_out"]),
        int(saved["vocab_size"]),
        budget,
        threads,
        unknown_id=UNKNOWN_ID,
    )


def run_ours(
    corpus: Path, budget: float, threads: int, overrides: dict[str, Any], vocab: int
) -> dict[str, Any]:
    steps: list[events.Step] = []
    epochs: list[events.Epoch] = []

    def watch(event: events.Event) -> None:
        if isinstance(event, events.Step):
            steps.append(event)
        elif isinstance(event, events.Epoch):
            epochs.append(event)

    result = train(ours(budget, threads, overrides), read_corpus(corpus), on_progress=watch)
    memory = memory_figures(result)
    if "min_count" not in overrides and "max_vocab" not in overrides and len(result.vocabulary) != vocab:
        raise SystemExit(
            f"storyteller's vocabulary ({len(result.vocabulary)}) is not the dataset's ({vocab})"
        )
    return {
        "words_per_s": steps[-1].tokens_per_s if steps else 0.0,
        "seconds": result.seconds,
        "epochs": result.epochs,
        "perplexity": result.metrics["perplexity"],
        "known_perplexity": result.metrics["known_perplexity"],
        "eval_seconds": sum(e.eval_seconds for e in epochs),
        "unknown_share": result.metrics["unknown_share"],
        "stopped": result.stopped,
        "optimizer": result.config.optimizer,
        "dropout": result.config.dropout,
        **memory,
    }


def memory_figures(result: TrainResult) -> dict[str, float]:
    """Perplexity on the same held-out targets mixed as the app and ``storyteller score`` read.

    * "memory": the story's memory at the engine's default λ and θ (nothing chosen on the test text);
    * "mixed": the network's ``<unk>`` scaled by β, the corpus counts (of the training text only),
      the story's phrases and the memory, with β, α, σ, λ and θ fitted as the export fits them,
      on held-out text that is not scored: fitted on one half of the chunks to score the other,
      then the other way round;
    * "fitted": all five fitted on all of the test text (chosen on what it scores: a bound)."""
    everything = sum(len(chunk) for chunk in result.check_text)  # not only the export's sample
    counts = counts_of(result)
    halves = result.check_text[::2], result.check_text[1::2]
    scored = [
        mix_perplexities(result.model, half, COUNT_WEIGHTS, DEFAULT_WORDS, everything, counts)
        for half in halves
    ]
    total = sum(count for _, count in scored)
    # Mean log-perplexity over all targets, at every triple, and with each half's triple fitted on the other.
    log_all = sum(count * np.log(grid) for grid, count in scored) / total
    crossed = (
        sum(
            count * np.log(grid.flat[int(np.argmin(other))])
            for (grid, count), (other, _) in zip(scored, scored[::-1], strict=True)
        )
        / total
    )
    u, a, p, s, w = np.unravel_index(int(np.argmin(log_all)), log_all.shape)
    return {
        "memory_perplexity": float(
            np.exp(log_all[0, 0, 0, SCALES.index(DEFAULT_SCALE), WEIGHTS.index(DEFAULT_WEIGHT)])
        ),
        "mixed_perplexity": float(np.exp(crossed)),
        "fitted_perplexity": float(np.exp(log_all[u, a, p, s, w])),
        "fitted_unknown": UNKNOWN_SCALES[u],
        "fitted_counts": COUNT_WEIGHTS[a],
        "fitted_phrases": PHRASE_WEIGHTS[p],
        "fitted_weight": WEIGHTS[w],
        "fitted_scale": SCALES[s],
    }


def child(args: list[str]) -> dict[str, Any] | None:
    """One run in a fresh process; its figures are the last line it prints (None: it failed)."""
    done = subprocess.run([sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True, check=False)
    lines = done.stdout.strip().splitlines()
    if done.returncode or not lines:
        print(f"run {args}: failed (exit status {done.returncode})", file=sys.stderr)
        return None
    figures: dict[str, Any] = json.loads(lines[-1])
    print(f"{args[:2]}: {json.dumps(figures)}", file=sys.stderr)
    return figures


def parse_variant(words: list[str]) -> tuple[str, dict[str, Any]]:
    """``NAME key=value ...`` → (NAME, overrides); values are JSON (numbers, true, null) or text."""
    name, overrides = words[0], {}
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    for word in words[1:]:
        key, _, value = word.partition("=")
        if key not in known:
            raise SystemExit(f"{key!r} is not a training setting")
        try:
            overrides[key] = json.loads(value)
        except json.JSONDecodeError:
            overrides[key] = value
    return name, overrides


def main() -> None:
    args = _arguments()
    if args.run:
        if args.run == "plain":
            figures = run_plain(args.dataset, args.budget, args.threads)
        else:
            figures = run_ours(args.corpus, args.budget, args.threads, json.loads(args.overrides), args.vocab)
        print(json.dumps(figures))
        return

    systems = [("textbook loop", "plain", {})] if "plain" in args.sides else []
    if "ours" in args.sides:
        systems.append(("storyteller, defaults", "ours", {}))
    systems += [(name, "ours", overrides) for name, overrides in map(parse_variant, args.variant)]
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores; torch {torch.__version__}, "
        f"{args.threads} threads each, OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}; "
        f"medians of {args.repeats}; code {code_version()}"
    )
    tables = [_measure(words, args, systems) for words in args.words]
    for table in tables:
        _print_table(*table)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, nargs="+", default=[50_000, 250_000, 1_000_000])
    parser.add_argument("--budgets", type=float, nargs="+", default=[60, 300])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--sides", nargs="+", choices=["plain", "ours"], default=["plain", "ours"])
    parser.add_argument("--variant", nargs="+", action="append", default=[], metavar="NAME key=value")
    parser.add_argument("--repeats", type=int, default=1, help="runs of each row (the table shows medians)")
    parser.add_argument("--run", help=argparse.SUPPRESS)
    parser.add_argument("--budget", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--dataset", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--overrides", default="{}", help=argparse.SUPPRESS)
    parser.add_argument("--vocab", type=int, default=0, help=argparse.SUPPRESS)
    return parser.parse_args()


Row = tuple[str, str, dict[str, Any] | None]
"""A table's row: the system's name, the budget, its figures (None: every run failed)."""


def _measure(
    words: int, args: argparse.Namespace, systems: list[tuple[str, str, dict[str, Any]]]
) -> tuple[int, int, dict[str, dict[str, float]], list[Row]]:
    """Every system under every budget on a text of ``words`` words, each run in a fresh process."""
    corpus = prose_corpus.prose_file(words)
    data = build_dataset(
        read_corpus(corpus).blocks(), TokenizerConfig(lowercase=True, quotes=True), 3, 0.1, None, 30_000
    )
    vocab = len(data.vocabulary)
    held_out = np.concatenate(data.held_out)
    baselines = evaluate_baselines(data.train, data.held_out, vocab, 3)
    print(
        f"{prose_corpus.describe(corpus)}; vocabulary {vocab:,}; train tokens {len(data.train):,}; "
        f"held-out targets {len(held_out) - len(data.held_out):,}, "
        f"{np.mean(held_out == UNKNOWN_ID):.1%} of them <unk>"
    )
    CACHE.mkdir(exist_ok=True)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(dir=CACHE) as folder:
        dataset = Path(folder) / "dataset.npz"
        np.savez(dataset, train=data.train, held_out=np.stack(data.held_out), vocab_size=vocab)
        for budget in args.budgets:
            for name, side, overrides in systems:
                runs = []
                for _ in range(args.repeats):
                    command = ["--run", side, "--budget", str(budget), "--threads", str(args.threads)]
                    command += ["--corpus", str(corpus), "--dataset", str(dataset)]
                    command += ["--overrides", json.dumps(overrides), "--vocab", str(vocab)]
                    figures = child(command)
                    if figures is not None:
                        runs.append(figures)
                rows.append((name, f"{budget:g}", median_of(runs)))
    return words, vocab, baselines, rows


def _print_table(words: int, vocab: int, baselines: dict[str, dict[str, float]], rows: list[Row]) -> None:
    print()
    print(f"**{words:,} words** (vocabulary {vocab:,})")
    print()
    print(
        "| budget s | system | test perplexity | known-word perplexity | ÷ textbook | epochs | words/s "
        "| judging epochs, % of the run | with the story's memory (λ 0.1, θ 0.3) | ÷ textbook "
        "| with <unk> scaled, the corpus counts, the story's phrases and the memory, "
        "fitted on the other half | ÷ textbook | fitted on the test text (β, α, σ, λ, θ) |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    plain = {budget: figures for name, budget, figures in rows if name == "textbook loop" and figures}
    for name, budget, figures in rows:
        if figures is None:
            print(f"| {budget} | {name} | failed | | | | | | | | | | |")
            continue
        ratio = f"{figures['perplexity'] / plain[budget]['perplexity']:.2f}" if budget in plain else ""
        perplexities = f"{figures['perplexity']:.1f} | {figures['known_perplexity']:.1f}"
        judging = f"{figures['eval_seconds'] / figures['seconds']:.1%}" if name != "textbook loop" else ""
        print(
            f"| {budget} | {name} | {perplexities} | {ratio} "
            f"| {figures['epochs']:.1f} | {figures['words_per_s']:,.0f} | {judging} "
            f"| {with_memory(figures, plain.get(budget))}"
        )
    for name in ("unigram", "bigram"):
        print(f"| | {name} baseline | {baselines[name]['perplexity']:.1f} | | | | | | | | | | |")


def with_memory(figures: dict[str, Any], plain: dict[str, Any] | None) -> str:
    """The mixed columns of a row (empty for the textbook loop, which mixes nothing)."""
    if "memory_perplexity" not in figures:
        return " | | | | |"
    ratios = [
        f"{figures[key] / plain['perplexity']:.{places}f}" if plain else ""
        for key, places in (("memory_perplexity", 2), ("mixed_perplexity", 3))
    ]
    fitted = (
        f"{figures['fitted_perplexity']:.1f} "
        f"({figures['fitted_unknown']:g}, {figures['fitted_counts']:g}, {figures['fitted_phrases']:g}, "
        f"{figures['fitted_weight']:g}, {figures['fitted_scale']:g})"
    )
    return (
        f"{figures['memory_perplexity']:.1f} | {ratios[0]} | {figures['mixed_perplexity']:.2f} | {ratios[1]} "
        f"| {fitted} |"
    )


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any] | None:
    if not runs:
        return None
    keys = [k for k, v in runs[0].items() if isinstance(v, int | float)]
    return {k: statistics.median(r[k] for r in runs) for k in keys}


if __name__ == "__main__":
    main()
