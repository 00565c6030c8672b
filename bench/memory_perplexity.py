"""Held-out perplexity with and without the story's memory, side by side.

For each model: the held-out part of ``training/corpus`` (the 10 contiguous chunks training holds
out, each read from a fresh state, figures pooled, as training measures them) and each ``--text``
read whole as one story (as ``storyteller score`` reads it). Engine only: numpy + onnxruntime.

    python bench/memory_perplexity.py --model /tmp/c.onnx --model default \
        --text bench/.cache/prose-w50000-s0.txt

Prints a Markdown table; paste it into bench/README.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from storyteller.engine import load, read_corpus, resolve, tokenize
from storyteller.engine.cache import memory_for
from storyteller.engine.corpus import split
from storyteller.engine.scoring import Tally, score_ids

CORPUS = Path(__file__).parent.parent / "training" / "corpus"
HOLDOUT = 0.1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model", action="append", help="a model's name or path (repeatable; default: default)"
    )
    parser.add_argument("--text", action="append", default=[], type=Path, help="another text (repeatable)")
    parser.add_argument("--words", type=int, help="read only the first N tokens of each --text")
    parser.add_argument("--skip-corpus", action="store_true", help="leave out training/corpus")
    args = parser.parse_args()
    print(
        "| model | λ, θ | text | tokens | outside vocabulary | perplexity without | with memory | change "
        "| known-word perplexity without | with memory | top-1 without | with |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for spec in args.model or ["default"]:
        model = load(resolve(spec))
        memory = memory_for(model.card.cache)
        fitted = f"{memory.weight:g}, {memory.scale:g}" + ("" if memory.fitted else " (defaults)")
        texts = []
        if not args.skip_corpus:
            tokens = tokenize(read_corpus(CORPUS).text, model.card.tokenizer)
            _, held = split(len(tokens), HOLDOUT)
            texts.append(("training/corpus, held out", [tokens[a:b] for a, b in held]))
        for path in args.text:
            tokens = tokenize(read_corpus(path).text, model.card.tokenizer)[: args.words]
            texts.append((path.name + (f", first {len(tokens):,} tokens" if args.words else ""), [tokens]))
        for name, chunks in texts:
            tally = Tally()
            for chunk in chunks:
                tally += score_ids(model, model.vocabulary.encode(chunk).tolist(), memory, most_windows=0)
            plain, remembered = tally.figures(remembered=False), tally.figures(remembered=True)
            change = remembered["perplexity"] / plain["perplexity"] - 1  # type: ignore[operator]
            print(
                f"| {model.name} ({model.card.layers}×{model.card.units}) | {fitted} | {name} | "
                f"{tally.positions:,} | {tally.unknown_share:.1%} | {plain['perplexity']:.1f} | "
                f"{remembered['perplexity']:.1f} | {change:+.1%} | {plain['known_perplexity']:.1f} | "
                f"{remembered['known_perplexity']:.1f} | {plain['top1']:.1%} | "
                f"{remembered['top1']:.1%} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
