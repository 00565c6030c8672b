"""What the writing aids cost on the shipped default model, one core: medians of many presses.

* lookahead: a key press (one word accepted, then the next word's 10 candidates), without and
  with each candidate's next N words, batched (one call a step) and, for comparison, one
  candidate at a time; the added cost is the difference of medians;
* bridge: one search (within 8 words, 3 paths) for a few target words, at several beam widths;
* loops: looking for a loop after a 30-word turn (300 tokens back), and the no-repeat rule's
  cost per generated word.

    python bench/aids.py [--presses 200]

Prints Markdown tables; paste them into bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

from storyteller.engine import Predictor, SamplingConfig, load, resolve, tokenize
from storyteller.engine.bridge import BridgeError, bridge
from storyteller.engine.lookahead import lookahead
from storyteller.engine.loops import find_loop

CORPUS = Path(__file__).parent.parent / "training" / "corpus"


def story_tokens(model, count: int = 400) -> list[str]:  # type: ignore[no-untyped-def]
    """The opening of the project's corpus: a story of ``count`` tokens the model knows well."""
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))[:3])
    return tokenize(text, model.card.tokenizer)[:count]


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.2f}"


def press(predictor: Predictor, token: str, steps: int, batched: bool) -> float:
    """Seconds for one key press: accept ``token``, list 10 candidates, look ``steps`` ahead."""
    start = time.perf_counter()
    predictor.feed([token])
    candidates = predictor.candidates(10)
    if steps and batched:
        lookahead(predictor, candidates, steps)
    elif steps:
        for candidate in candidates:  # one candidate at a time: what batching saves
            lookahead(predictor, [candidate], steps)
    return time.perf_counter() - start


def lookahead_table(model, tokens: list[str], presses: int) -> None:  # type: ignore[no-untyped-def]
    variants = [(0, True), (1, True), (2, True), (3, True), (4, True), (3, False)]
    times: dict[tuple[int, bool], list[float]] = {v: [] for v in variants}
    predictors = {v: Predictor(model) for v in variants}
    for predictor in predictors.values():
        predictor.feed(tokens[:200])
        predictor.logits()
    for n in range(presses):  # interleaved, so machine noise hits every variant alike
        token = tokens[200 + n % 200]
        for variant in variants:
            times[variant].append(press(predictors[variant], token, *variant))
    base = statistics.median(times[(0, True)])
    print("| a key press (accept a word, 10 candidates) | median ms | added ms | fastest ms |")
    print("|---|---:|---:|---:|")
    for steps, batched in variants:
        label = "no lookahead" if not steps else f"lookahead {steps}"
        label += "" if batched else ", one candidate at a time"
        measured = times[(steps, batched)]
        added = "" if not steps else f"{(statistics.median(measured) - base) * 1000:.2f}"
        print(f"| {label} | {ms(measured)} | {added} | {min(measured) * 1000:.2f} |")


def bridge_table(model, tokens: list[str], rounds: int) -> None:  # type: ignore[no-untyped-def]
    predictor = Predictor(model)
    predictor.feed(tokens[:200])
    targets = ["river", "bread", "moon", "door"]
    print("\n| beam width | median ms per search (within 8, 3 paths) | searches that found a path |")
    print("|---:|---:|---:|")
    for beam in (8, 16, 32, 64):
        times, found = [], 0
        for _ in range(rounds):
            for target in targets:
                start = time.perf_counter()
                try:
                    bridge(predictor, target, 8, beam, 3)
                    found += 1
                except BridgeError:
                    pass
                times.append(time.perf_counter() - start)
        print(f"| {beam} | {ms(times)} | {found}/{len(times)} |")


def loop_table(model, tokens: list[str], presses: int) -> None:  # type: ignore[no-untyped-def]
    finds = []
    for n in range(presses):
        story = tokens[n % 50 : n % 50 + 330]
        start = time.perf_counter()
        find_loop(story, 300)
        finds.append(time.perf_counter() - start)
    print("\n| loops | median ms |")
    print("|---|---:|")
    print(f"| look for a loop in a 30-token turn, 300 tokens back | {ms(finds)} |")
    for rule in (0, 3):
        per_word = []
        for seed in range(max(3, presses // 40)):
            predictor = Predictor(model)
            predictor.feed(tokens[:200])
            config = SamplingConfig(seed=seed, no_repeat=rule)
            start = time.perf_counter()
            written = sum(1 for _ in predictor.generate(40, config))
            per_word.append((time.perf_counter() - start) / written)
        print(f"| one generated token, no-repeat {rule or 'off'} | {ms(per_word)} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=200)
    args = parser.parse_args()
    model = load(resolve("default"))
    tokens = story_tokens(model)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores (onnxruntime on 1 thread); "
        f"model: default, {model.card.layers}×{model.card.units}, vocabulary {len(model.vocabulary):,}; "
        f"numpy {np.__version__}; load average {os.getloadavg()[0]:.1f} at the start\n"
    )
    lookahead_table(model, tokens, args.presses)
    bridge_table(model, tokens, max(2, args.presses // 50))
    loop_table(model, tokens, args.presses)


if __name__ == "__main__":
    main()
