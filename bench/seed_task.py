"""The classic example's task: time for storyteller's trainer to reach 95% windowed accuracy.

The seed's network (2 layers × 512 units, 3-word window) on the ~200-word test fable, with
the training defaults. Windowed accuracy is measured fairly after every epoch: the current
model, greedy, over every 3-word window of the text.

    python bench/seed_task.py [--runs 3]

Prints a Markdown table; paste it into bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch

from storyteller.engine import read_corpus
from training.config import TrainConfig
from training.train import train

FABLE = Path(__file__).resolve().parent.parent / "tests" / "data" / "fable.txt"
TARGET = 0.95


def one_run(seed: int) -> tuple[float | None, float, float]:
    """Seconds to the target (None if never), final windowed accuracy, total seconds."""
    started = time.perf_counter()
    reached: list[float] = []

    def watch(event: dict) -> None:  # type: ignore[type-arg]
        if event["event"] == "epoch" and event["metrics"]["windowed"] >= TARGET and not reached:
            reached.append(time.perf_counter() - started)

    result = train(TrainConfig(layers=2, units=512, window=3, epochs=8, seed=seed), read_corpus(FABLE), watch)
    return (reached[0] if reached else None), result.metrics["windowed"], time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rows = [one_run(seed) for seed in range(args.runs)]
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores; "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads"
    )
    print()
    print("| run (seed) | seconds to ≥95% windowed | final windowed accuracy | seconds for 8 epochs |")
    print("|---|---:|---:|---:|")
    for seed, (to_target, final, total) in enumerate(rows):
        shown = f"{to_target:.1f}" if to_target is not None else "not reached"
        print(f"| {seed} | {shown} | {final:.1%} | {total:.1f} |")
    reached = [r[0] for r in rows if r[0] is not None]
    if reached:
        print(f"| median | {statistics.median(reached):.1f} | | |")


if __name__ == "__main__":
    main()
