"""The corpus aids' costs: the index of ``training/corpus`` (size, build time), a key press's look-ups
(each candidate's count, the copy meter, Ctrl+F's lines), ``score --copies``, and a story scored
again under two models after a switch.

    python bench/sources.py [--corpus training/corpus] [--model default] [--repeat 200]

Look-ups are timed on stories cut from the corpus (the copy meter's worst case: everything found)
and on the model's own text; medians over ``--repeat`` presses. Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from pathlib import Path

from storyteller.cli_sources import shared_runs
from storyteller.engine import Model, Predictor, SamplingConfig, load, read_corpus, resolve, tokenize
from storyteller.engine.corpus_index import CorpusIndex, index_path
from storyteller.engine.index_build import build_index
from storyteller.engine.index_file import load_index
from storyteller.engine.rescore import Rescorer, compare


def median_ms(work, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, default=Path("training/corpus"))
    parser.add_argument("--model", default="default")
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    model = load(resolve(args.model))
    machine = f"{platform.machine()}, {platform.processor() or 'cpu'}"
    print(f"machine: {machine}; model {model.name}; corpus {args.corpus}")
    index = _building(model, args.corpus)
    words = [index.vocabulary[i] for i in index.ids.tolist()]
    written = _key_presses(model, index, words, args.repeat)
    _whole_stories(model, index, words, written)


def _building(model: Model, corpus_path: Path) -> CorpusIndex:
    """Building the corpus's index, saving it and loading it back."""
    corpus = read_corpus(corpus_path)
    builds = []
    for _ in range(3):
        start = time.perf_counter()
        index = build_index(corpus, model.card.tokenizer, corpus_path)
        builds.append(time.perf_counter() - start)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x.index"
        index.save(path)
        size = path.stat().st_size
        loads = [median_ms(lambda: load_index(path), 1) for _ in range(5)]
    print("\n| index | tokens | files | vocabulary | bytes | build (median of 3) | load and check |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {corpus_path} | {index.tokens:,} | {len(index.files)} | {len(index.vocabulary):,} | {size:,} | "
        f"{statistics.median(builds):.2f} s | {statistics.median(loads):.1f} ms |"
    )
    shipped = index_path(model.path) if model.path else None
    if shipped and shipped.exists():
        print(f"\nshipped beside the model: {shipped.name}, {shipped.stat().st_size:,} bytes")
    return index


def _key_presses(model: Model, index: CorpusIndex, words: list[str], repeat: int) -> list[str]:
    """The look-ups a key press makes, on a story copied from the corpus and on the model's own;
    returns the model's own."""
    predictor = Predictor(model)
    predictor.feed(tokenize("The old hen looked at the fox and said", model.card.tokenizer))
    written = [g.token for g in predictor.generate(300, SamplingConfig(seed=1))]
    stories = {
        "copied from the corpus (300 tokens)": words[5000:5300],
        "the model's own (300 tokens)": written,
    }
    print("\n| a key press's look-ups, on a story … | 10 candidates' counts | copy meter | both | Ctrl+F |")
    print("|---|---:|---:|---:|---:|")
    for label, story in stories.items():
        reader = Predictor(model)
        reader.feed(story)
        top = [c.token for c in reader.candidates(10)]
        counts = median_ms(lambda s=story, c=top: index.following(s, c), repeat)
        meter = median_ms(lambda s=story: index.copied(s), repeat)
        both = median_ms(lambda s=story, c=top: (index.following(s, c), index.copied(s)), repeat)

        def sources(s: list[str] = story, c: list[str] = top) -> None:
            found = index.found_tail([*s[-3:], c[0]])
            for place in index.places(found, 5):
                index.source(place, len(found))

        lines = median_ms(sources, repeat)
        print(f"| {label} | {counts:.2f} ms | {meter:.2f} ms | {both:.2f} ms | {lines:.2f} ms |")
    return written


def _whole_stories(model: Model, index: CorpusIndex, words: list[str], written: list[str]) -> None:
    """``score --copies`` and the rescoring under two models, on stories of growing length."""
    print("\n| whole-story work | tokens | time |")
    print("|---|---:|---:|")
    for length in (1_000, 10_000):
        story = (written * (length // len(written) + 1))[:length]
        start = time.perf_counter()
        shared_runs(index, story)
        print(f"| `score --copies` (the model's text) | {length:,} | {time.perf_counter() - start:.2f} s |")
        start = time.perf_counter()
        shared_runs(index, words[:length])
        took = time.perf_counter() - start
        print(f"| `score --copies` (the corpus itself: one long run) | {length:,} | {took:.2f} s |")
        old, new = Rescorer(load(resolve("tests/fixtures/tiny.onnx"))), Rescorer(model)
        start = time.perf_counter()
        old.update(story)
        new.update(story)
        compare(old, new)
        whole = time.perf_counter() - start
        start = time.perf_counter()
        grown = [*story, "the"]
        old.update(grown)
        new.update(grown)
        compare(old, new)
        print(f"| rescore under two models after a switch | {length:,} | {whole:.2f} s |")
        print(f"| … then one more word | {length + 1:,} | {(time.perf_counter() - start) * 1000:.1f} ms |")


if __name__ == "__main__":
    main()
