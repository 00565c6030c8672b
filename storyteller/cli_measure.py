"""The commands that measure models and texts: ``models``, ``replay``, ``score``."""

from __future__ import annotations

import argparse
from pathlib import Path

from . import cli_sources
from .cli_common import load_model, memory, memory_argument, model_argument
from .engine import Model, find_models, load, tokenize
from .engine.cache import Memory
from .engine.corpus import read_corpus
from .engine.counts import CorpusCounts, counts_for, counts_weight
from .engine.model import ModelError
from .engine.quotes import as_read
from .engine.registry import resolve_name
from .engine.replay import replay
from .engine.rescore import Rescorer
from .engine.scoring import Tally, score_ids
from .engine.story import load_story
from .errors import StorytellerError
from .figures import count, figures_table, weights_line
from .text import visible


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    commands.add_parser("models", help="every model found, with its figures")

    replay = commands.add_parser(
        "replay", help="re-run the model over a story file: do its recorded probabilities still hold?"
    )
    replay.add_argument("story", type=Path, help="a story file (.json) saved by the writer")
    replay.add_argument("--model", help="the model to replay with (default: the one the story names)")
    memory_argument(replay, "check only the words measured without the story's memory")

    score = commands.add_parser(
        "score", help="how well a model knows a text, with and without the story's memory"
    )
    score.add_argument("text", type=Path, help="a text file (or a folder of .txt files)")
    model_argument(score)
    memory_argument(score)
    score.add_argument(
        "--copies", action="store_true", help="list the longest runs found word for word in the corpus"
    )
    score.add_argument(
        "--against",
        metavar="MODEL",
        help="score it under this model too: both perplexities, and the words that changed most",
    )


def models(args: argparse.Namespace) -> int:
    entries = find_models()
    if not entries:
        print("No models found.")
        return 0
    for entry in entries:
        # Each model on its own: one that cannot be read says so and the list goes on.
        try:
            size = f"{entry.path.stat().st_size / 1e6:.1f} MB"
        except OSError:
            size = "gone"
        print(visible(f"{entry.name}  [{entry.source}]  {entry.path}  {size}"))
        try:
            model = load(entry.path)
        except ModelError as error:
            print(f"    unusable: {visible(error)}")
            continue
        _print_card(model)
    return 0


def _print_card(model: Model) -> None:
    card = model.card
    corpus = card.corpus
    print(
        visible(
            f"    {card.layers}×{card.units} LSTM, vocabulary {len(card.vocabulary):,}, "
            f"window {card.window}; trained on {count(corpus.get('words', 0))} words; "
            f"created {card.created or 'unknown'}"
        )
    )
    print(f"    {visible(weights_line(card.training))}")
    for line in figures_table(card.metrics):
        print(f"    {visible(line)}")


def replay_story(args: argparse.Namespace) -> int:
    """Exit 0 when every recorded probability holds, 1 when some do not."""
    story = load_story(args.story)
    if args.model:
        model = load_model(args.model)
    elif story.model.get("name"):
        # A name from the file, never a path: a story must not choose which file is opened.
        model = load(resolve_name(story.model["name"]))
    else:
        model = load_model(None)
    report = replay(story, model, memory=not args.no_cache)
    if report.skipped:
        print(f"{report.skipped:,} words measured with the story's memory are left unchecked (--no-cache).")
    if report.same_model is False:
        print(
            visible(f"note: the story was written with another version of '{model.name}' (its hash differs).")
        )
    if not report.checked:
        print("The story records no probabilities to check.")
        return 0
    print(
        visible(
            f"{report.holding:,} of {report.checked:,} recorded probabilities hold "
            f"(largest difference {report.largest_difference:.1e}) with model '{model.name}'."
        )
    )
    if report.first_difference is not None:
        word = story.words[report.first_difference]
        print(visible(f"The first that does not: word {report.first_difference + 1}, '{word.token}'."))
    return 0 if report.holds else 1


def score(args: argparse.Namespace) -> int:
    """One table: the network alone and with the story's memory, side by side."""
    model = load_model(args.model)
    if args.text.suffix == ".json":  # a story file saved by the writer
        tokens = list(load_story(args.text).tokens)
    else:
        tokens = tokenize(read_corpus(args.text).text, model.card.tokenizer)
    if not tokens:
        raise StorytellerError(f"'{args.text}' holds no words to score.")
    story_memory = memory(args, model)
    counts = counts_for(model) if story_memory else None
    read = as_read(tokens, model.card.tokenizer.quotes)
    tally = score_ids(model, model.vocabulary.encode(read).tolist(), story_memory, counts=counts, tokens=read)
    print(
        visible(
            f"'{args.text}' with model '{model.name}': {tally.positions:,} tokens, "
            f"{tally.unknown_share:.1%} outside its vocabulary"
        )
    )
    _print_table(tally, model, story_memory, counts)
    if args.against or args.copies:
        scorer = Rescorer(model)
        scorer.update(tokens)
        if args.against:
            cli_sources.print_comparison(load_model(args.against), scorer, tokens)
        if args.copies:
            cli_sources.print_copies(cli_sources.model_index(model), tokens)
    return 0


def _print_table(tally: Tally, model: Model, memory: Memory | None, counts: CorpusCounts | None) -> None:
    columns = [tally.figures(remembered=False)] + ([tally.figures(remembered=True)] if memory else [])
    mixed = "with memory" if counts is None else "memory+counts"
    print(f"{'':12}{'without memory':>16}" + (f"{mixed:>15}" if memory else ""))
    widths = (16, 15)
    for name, label in (
        ("perplexity", "perplexity"),
        ("known_perplexity", "known words"),
        ("top1", "top-1"),
        ("top5", "top-5"),
        ("windowed", "windowed"),
    ):
        cells = [_cell(name, column[name], width) for column, width in zip(columns, widths, strict=False)]
        print(f"{label:12}" + "".join(cells))
    if memory:
        source = "fitted at export" if memory.fitted else "defaults: the model file has none fitted"
        print(
            f"memory: the last {memory.words:,} words, weight {memory.weight:g}, scale {memory.scale:g} "
            f"({source});"
        )
        if memory.phrases:
            print(f"the story's phrases: what followed its last words there, weight {memory.phrases:g};")
        if counts is not None:
            print(
                f"corpus counts: the {counts.index.tokens:,} tokens of its index, "
                f"weight {counts_weight(model.card.cache):g} (fitted at export);"
            )
        print(
            f"windowed accuracy reads {model.card.window} words from a fresh state, "
            "so the memory has no part in it"
        )


def _cell(name: str, value: float | None, width: int) -> str:
    if value is None:
        return f"{'—':>{width}}"
    return f"{value:>{width}.1f}" if name.endswith("perplexity") else f"{value:>{width}.1%}"


COMMANDS = {"models": models, "replay": replay_story, "score": score}
