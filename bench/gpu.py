"""Every GPU measurement in one go: the plain loop's 2×650 model against storyteller's trainer.

The reference is the textbook loop (``plain_loop.py``) at the size tutorials use on a GPU:
2×650, dropout 0.5, batch 20, 35-step truncated back-propagation, full softmax, SGD (on an
H100 about 115,000 words/s, bound by kernel launches). Storyteller's trainer then runs the
same network with its levers added one at a time: the adaptive softmax, a larger batch,
bf16 autocast. Every run has the same wall-clock budget on the same corpus (the 2M-word
``zipf_corpus.py`` text, full vocabulary, same held-out chunks), in its own process; the
table gives words/s, held-out perplexity, and the ratio of words/s to the plain loop's.

On a lent GPU machine (its python3 has torch, onnx and onnxruntime; carry a platformdirs
wheel as ``.whl``, see bench/README.md), from the repository root::

    PYTHONPATH=.:/tmp/site python3 bench/gpu.py --budget 60

``--device cpu --budget 5 --words 100000`` runs the same script on a CPU, to check it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import big_corpus
import numpy as np
import plain_loop
import torch

from storyteller.engine import events
from storyteller.engine.corpus import read_corpus
from storyteller.engine.tokenizer import TokenizerConfig
from training.config import TrainConfig
from training.data import build_dataset
from training.train import train

UNITS = 650
"""The tutorials' "medium" GPU model."""

ROWS: dict[str, dict[str, Any]] = {
    "plain loop (full softmax, batch 20, SGD)": {},
    "storyteller, full softmax, batch 20": {"softmax": "full", "batch_size": 20},
    "+ adaptive softmax": {"softmax": "adaptive", "batch_size": 20},
    "+ batch 128": {"softmax": "adaptive", "batch_size": 128},
    "+ batch 512": {"softmax": "adaptive", "batch_size": 512},
    "+ bf16 autocast": {"softmax": "adaptive", "batch_size": 512, "precision": "bf16"},
}
"""Each row's settings for storyteller's trainer (the first row is the plain loop)."""


def ours(settings: dict[str, Any], budget: float, device: str) -> TrainConfig:
    return TrainConfig(
        units=UNITS,
        layers=2,
        dropout=0.5,
        seq_len=35,
        window_batch=0,  # the plain loop's task: the stateful objective alone
        max_vocab=None,
        time_budget=budget,
        seed=0,
        device=device,
        **settings,
    )


def run_row(row: str, corpus: Path, dataset: Path, budget: float, device: str) -> dict[str, Any]:
    settings = ROWS[row]
    if not settings:
        saved = np.load(dataset)
        return plain_loop.train_plain(
            saved["train"],
            list(saved["held_out"]),
            int(saved["vocab_size"]),
            budget,
            size=UNITS,
            dropout=0.5,
            device=device,
        )
    steps: list[events.Step] = []
    result = train(
        ours(settings, budget, device),
        read_corpus(corpus),
        on_progress=lambda e: steps.append(e) if isinstance(e, events.Step) else None,
    )
    return {"words_per_s": steps[-1].tokens_per_s, "perplexity": result.metrics["perplexity"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=60, help="wall-clock seconds per run")
    parser.add_argument("--words", type=int, default=2_000_000)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--row", help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--dataset", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.row:
        print(json.dumps(run_row(args.row, args.corpus, args.dataset, args.budget, args.device)))
        return

    corpus = big_corpus.corpus_file(args.words, 33_000, 0)
    data = build_dataset(read_corpus(corpus).blocks(), TokenizerConfig(lowercase=True), 3, 0.1, 1, None)
    name = torch.cuda.get_device_name() if args.device == "cuda" else platform.processor() or "CPU"
    print(f"device: {name}; torch {torch.__version__}; Python {platform.python_version()}")
    print(
        f"corpus: {data.tokens:,} tokens, vocabulary {len(data.vocabulary):,}; "
        f"budget {args.budget:.0f} s per run; network 2×{UNITS}"
    )
    results: dict[str, dict[str, Any] | None] = {}
    with tempfile.TemporaryDirectory() as folder:
        dataset = Path(folder) / "dataset.npz"
        np.savez(
            dataset,
            train=np.asarray(data.train),
            held_out=np.stack(data.held_out),
            vocab_size=len(data.vocabulary),
        )
        for row in ROWS:
            command = [
                sys.executable,
                __file__,
                "--row",
                row,
                "--budget",
                str(args.budget),
                "--device",
                args.device,
            ]
            command += ["--corpus", str(corpus), "--dataset", str(dataset)]
            done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False, env=os.environ)
            lines = done.stdout.strip().splitlines()
            results[row] = json.loads(lines[-1]) if done.returncode == 0 and lines else None
            print(f"{row}: {results[row] or f'failed (exit status {done.returncode})'}", file=sys.stderr)

    reference = next(iter(results.values()))
    print()
    print("| run | words/s | held-out perplexity | words/s ÷ plain loop |")
    print("|---|---:|---:|---:|")
    for row, figures in results.items():
        if figures is None:
            print(f"| {row} | failed | | |")
            continue
        ratio = figures["words_per_s"] / reference["words_per_s"] if reference else float("nan")
        print(f"| {row} | {figures['words_per_s']:,.0f} | {figures['perplexity']:.1f} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
