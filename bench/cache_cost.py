"""What the story's memory, the corpus counts and the story's phrases cost per word, on a
2,000-word story, side by side.

For each model: the story is the first 2,000 words of ``training/corpus`` (read once, then the
clock starts); the model then writes words one at a time after it (a generation step: the
distribution, sampling, reading the word back) and the writer's words are scored one sentence
at a time, with nothing mixed in, with the memory (its default size), with the memory and
the corpus counts, and with the story's phrases as well (each for a model whose card weighs
them), interleaved in rounds so machine noise hits all alike. One thread
(``OMP_NUM_THREADS=1``, onnxruntime's one thread). Medians.

    OMP_NUM_THREADS=1 python bench/cache_cost.py [--model default] [--model /tmp/c.onnx] [--rounds 7]

Prints a Markdown table; paste it into bench/README.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import statistics
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

from storyteller.engine import Predictor, SamplingConfig, load, read_corpus, resolve, tokenize
from storyteller.engine.cache import DEFAULT_WORDS, memory_for
from storyteller.engine.counts import counts_for
from storyteller.engine.vocab import is_word

CORPUS = Path(__file__).parent.parent / "training" / "corpus"
STORY_WORDS = 2_000


def story(tokenizer) -> tuple[list[str], list[str]]:  # type: ignore[no-untyped-def]
    """The first 2,000 words of the corpus, and the sentence after them (for scoring)."""
    tokens = tokenize(read_corpus(CORPUS).text, tokenizer)
    words, end = 0, len(tokens) - 1
    for index, token in enumerate(tokens):
        words += is_word(token)
        if words == STORY_WORDS:
            end = index
            break
    after = tokens[end + 1 : end + 40]
    stop = next((i for i, t in enumerate(after) if t == "."), len(after) - 1)
    return tokens[: end + 1], after[: stop + 1]


def per_word(model, tokens, sentence, memory, counts, steps: int) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
    """Median seconds per generated word, per scored word, and for the distribution alone."""
    predictor = Predictor(model, memory=memory, counts=counts)
    predictor.feed(tokens)
    predictor.logits()
    generated = []
    config = SamplingConfig(seed=1)
    stream = predictor.generate(steps, config)
    while True:
        start = time.thread_time()
        if next(stream, None) is None:
            break
        generated.append(time.thread_time() - start)
    scored = []
    for _ in range(5):
        predictor.sync(tokens)
        predictor.logits()
        start = time.thread_time()
        predictor.score(sentence)
        scored.append((time.thread_time() - start) / len(sentence))
    mixing = []
    for _ in range(steps):
        predictor._mixed = None  # the mixing again, the network's scores kept
        start = time.thread_time()
        predictor.distribution()
        mixing.append(time.thread_time() - start)
    return statistics.median(generated), statistics.median(scored), statistics.median(mixing)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model", action="append", help="a model's name or path (repeatable; default: default)"
    )
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=60)
    args = parser.parse_args()
    print(
        f"cache_cost.py on {platform.processor() or platform.machine()}, {os.cpu_count()} cores, one thread"
    )
    print()
    print("| model | story tokens | mixed in | per generated word | per scored word | the mixing alone |")
    print("|---|---:|---|---:|---:|---:|")
    for spec in args.model or ["default"]:
        model = load(resolve(spec))
        tokens, sentence = story(model.card.tokenizer)
        fitted = memory_for(model.card.cache, DEFAULT_WORDS)
        memory = dataclasses.replace(fitted, phrases=0.0)
        counts = counts_for(model)
        settings = {"nothing": (None, None), f"memory ({memory.words:,} words)": (memory, None)}
        if counts is not None:
            settings["memory and corpus counts"] = (memory, counts)
        if fitted.phrases:
            settings["memory, corpus counts and the story's phrases"] = (fitted, counts)
        results: dict[str, list[tuple[float, float, float]]] = {label: [] for label in settings}
        for _ in range(args.rounds):
            for label, (story_memory, story_counts) in settings.items():
                results[label].append(
                    per_word(model, tokens, sentence, story_memory, story_counts, args.steps)
                )
        medians = {
            label: [statistics.median(r[i] for r in rows) for i in range(3)]
            for label, rows in results.items()
        }
        name = f"{model.name} ({model.card.layers}×{model.card.units}, vocabulary {len(model.vocabulary):,})"
        for label, (gen, score, mixing) in medians.items():
            cells = [
                f"{gen * 1e3:.3f} ms",
                f"{score * 1e3:.3f} ms",
                f"{mixing * 1e3:.3f} ms" if label != "nothing" else "—",
            ]
            print(f"| {name} | {len(tokens):,} | {label} | {' | '.join(cells)} |")
        if counts is None:
            print(f"| {name} | | (its card gives the corpus counts no weight, or it has no index) | | | |")
        if not fitted.phrases:
            print(f"| {name} | | (its card gives the story's phrases no weight) | | | |")


if __name__ == "__main__":
    main()
