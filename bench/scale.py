"""Memory at scale: storyteller's trainer on a 100-million-word corpus, peak resident memory per phase.

The corpus is ``zipf_corpus.py``'s (cached under ``bench/.cache/``; 100M words is about 600 MB
of text). One child process checks the corpus, builds the dataset (one streaming pass; ids
memory-mapped), counts the baselines, trains for ``--train-seconds`` and exports the model;
a thread samples its resident memory (VmRSS) every 0.2 s, and the kernel's own peak
(``ru_maxrss``) is reported beside it. The target: under 2 GB throughout.

    python bench/scale.py [--words 100000000] [--train-seconds 120]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import big_corpus
import torch

from storyteller.engine import events
from storyteller.engine.corpus import read_corpus
from training.config import TrainConfig
from training.export import export
from training.train import train

GB = 1 << 30


def resident_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


class MemoryWatch:
    """Samples resident memory in the background; ``phase`` names what is running now."""

    def __init__(self) -> None:
        self.phase = "start"
        self.peaks: dict[str, int] = {}
        self.seconds: dict[str, float] = {}
        self._since = time.perf_counter()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._done.wait(0.2):
            self.peaks[self.phase] = max(self.peaks.get(self.phase, 0), resident_bytes())

    def enter(self, phase: str) -> None:
        now = time.perf_counter()
        self.seconds[self.phase] = self.seconds.get(self.phase, 0.0) + now - self._since
        self.peaks[self.phase] = max(self.peaks.get(self.phase, 0), resident_bytes())
        self.phase, self._since = phase, now

    def stop(self) -> None:
        self.enter("end")
        self._done.set()
        self._thread.join()


def run(corpus_path: Path, train_seconds: float) -> dict[str, Any]:
    """The child: every phase of a real run, watched."""
    watch = MemoryWatch()
    watch.enter("check the corpus")
    corpus = read_corpus(corpus_path)
    watch.enter("build the dataset and baselines")
    stop = threading.Event()
    facts: dict[str, Any] = {}

    def stop_training() -> None:
        watch.enter("evaluate and export")
        stop.set()

    def progress(event: events.Event) -> None:
        if isinstance(event, events.Start):
            facts.update(tokens=event.tokens, vocabulary=event.vocabulary, train=event.train_tokens)
            watch.enter("train")
            threading.Timer(train_seconds, stop_training).start()
        elif isinstance(event, events.Step):
            facts["tokens_per_s"] = event.tokens_per_s

    config = TrainConfig(units=200, layers=2, threads=2, device="cpu", seed=0)
    result = train(config, corpus, on_progress=progress, stop=stop)
    with tempfile.TemporaryDirectory() as folder:
        export(result, Path(folder) / "scale.onnx")
    watch.stop()
    return {
        **facts,
        "perplexity": result.metrics["perplexity"],
        "bytes": corpus_path.stat().st_size,
        "phases": {phase: [watch.seconds.get(phase, 0.0), peak] for phase, peak in watch.peaks.items()},
        "maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=100_000_000)
    parser.add_argument("--vocab", type=int, default=33_000, help="the generator's vocabulary")
    parser.add_argument("--train-seconds", type=float, default=120, help="then the run is stopped")
    parser.add_argument("--run", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run(args.run, args.train_seconds)))
        return

    corpus = big_corpus.corpus_file(args.words, args.vocab, 0)
    command = [sys.executable, __file__, "--run", str(corpus), "--train-seconds", str(args.train_seconds)]
    started = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    total = time.perf_counter() - started

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()}")
    print(f"versions: torch {torch.__version__}, Python {platform.python_version()}")
    print(
        f"corpus: {args.words:,} words requested, {figures['bytes'] / 1e6:,.0f} MB of text, "
        f"{figures['tokens']:,} tokens, vocabulary {figures['vocabulary']:,}, "
        f"{figures['train']:,} training tokens; the whole run {total:.0f} s"
    )
    print()
    print("| phase | seconds | peak resident memory |")
    print("|---|---:|---:|")
    for phase, (seconds, peak) in figures["phases"].items():
        if phase not in ("start", "end"):
            print(f"| {phase} | {seconds:.0f} | {peak / GB:.2f} GB |")
    print(f"| the whole run (kernel's ru_maxrss) | {total:.0f} | {figures['maxrss'] / GB:.2f} GB |")
    print()
    print(
        f"training: {figures.get('tokens_per_s', 0):,.0f} tokens/s; held-out perplexity after "
        f"{args.train_seconds:.0f} s: {figures['perplexity']:.1f}"
    )


if __name__ == "__main__":
    main()
