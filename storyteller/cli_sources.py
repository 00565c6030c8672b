"""The command line's corpus aids: ``index``, ``candidates --sources`` and ``score`` (``--copies``,
``--against``). ``cli.py`` adds ``index``; ``cli_predict`` and ``cli_measure`` call the rest.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .cli_common import load_model, model_argument
from .engine import Model, read_corpus
from .engine.corpus_index import CorpusIndex, index_path
from .engine.index_build import build_index
from .engine.index_file import index_for
from .engine.predictor import Candidate
from .engine.rescore import Rescorer, compare
from .engine.vocab import is_word
from .errors import StorytellerError
from .text import visible

SHOWN_PLACES = 3
SHOWN_RUNS = 10
SHOWN_CHANGES = 5


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    index = commands.add_parser(
        "index", help="index a model's corpus beside it (where suggestions come from, the copy meter)"
    )
    index.add_argument("corpus", type=Path, help="the .txt file or folder the model was trained on")
    model_argument(index)


def add_sources_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sources",
        action="store_true",
        help="how often the corpus has each candidate after the prompt's last words, and where",
    )


def model_index(model: Model) -> CorpusIndex:
    """The model's index, or one sentence saying why there is none (raised)."""
    return index_for(model)


def print_sources(model: Model, tokens: list[str], candidates: list[Candidate]) -> None:
    """``candidates --sources``: the counts, and where the top candidate follows the prompt in the corpus."""
    index = model_index(model)
    counts = index.following(tokens, [c.token for c in candidates])
    if not counts.context:
        print("corpus: the prompt's last word is not in the corpus.")
        return
    context = tokens[-counts.context :]
    print(f"corpus: after “{visible(' '.join(context))}”:")
    for rank, (candidate, count) in enumerate(zip(candidates, counts.counts, strict=True), 1):
        print(f"{rank:3}. {visible(candidate.token):<16} {count:>8,}×")
    show_places(index, [*context, candidates[0].token])


def show_places(index: CorpusIndex, pattern: list[str]) -> None:
    """Where ``pattern`` (shortened from the left until found) is in the corpus, a few lines of it."""
    pattern = index.found_tail(pattern)
    if not pattern:
        print("corpus: not found.")
        return
    total = index.count(pattern)
    print(f"“{visible(' '.join(pattern))}” is in the corpus {total:,} times; the first:")
    for place in index.places(pattern, SHOWN_PLACES):
        line = index.source(place, len(pattern))
        print(visible(f"  {line.file}:{line.line}: {line.before}[{line.match}]{line.after}"))


def index_command(args: argparse.Namespace) -> int:
    model = load_model(args.model)
    if model.path is None:
        raise StorytellerError("The model has no file to put an index beside.")
    corpus = read_corpus(args.corpus)
    began = time.perf_counter()
    index = build_index(corpus, model.card.tokenizer, args.corpus)
    out = index_path(model.path)
    try:
        index.save(out)
    except OSError as error:
        raise StorytellerError(f"The index could not be written to '{out}' ({error.strerror}).") from None
    trained_on = model.card.corpus.get("sha256")
    if trained_on and trained_on != corpus.sha256:
        note = f"note: model '{model.name}' was trained on another text than '{args.corpus}'."
        print(visible(note), file=sys.stderr)
    size = out.stat().st_size
    held = "" if index.total == index.tokens else f" (the first {index.tokens:,} of {index.total:,})"
    print(
        visible(
            f"wrote {out}: {index.tokens:,} tokens{held} from {_files(len(index.files))}, "
            f"{size / 1e6:.2f} MB, in {time.perf_counter() - began:.1f} s"
        )
    )
    return 0


def _files(count: int) -> str:
    return "1 file" if count == 1 else f"{count:,} files"


def print_comparison(other: Model, scorer: Rescorer, tokens: list[str]) -> None:
    """``score --against``: the story under ``other`` (the old model) and under the model scored."""
    old = Rescorer(other)
    old.update(tokens)
    result = compare(old, scorer)
    if result.old_perplexity is None or result.new_perplexity is None:
        print("No token is known to both models: nothing to compare.")
        return
    print(
        visible(
            f"over the {result.counted:,} tokens both know: '{result.old}' {result.old_perplexity:.1f} → "
            f"'{result.new}' {result.new_perplexity:.1f}"
        )
    )
    ranked = sorted((c, i) for i, c in enumerate(result.changes) if c is not None and is_word(tokens[i]))
    for title, picked in (("more expected", ranked[::-1]), ("less expected", ranked)):
        print(f"{title} under '{visible(result.new)}':")
        for change, i in picked[:SHOWN_CHANGES]:
            print(visible(f"  word {i + 1:>6,}  {tokens[i]:<16} ×{2**change:,.2f}"))


def print_copies(index: CorpusIndex, tokens: list[str]) -> None:
    """``score --copies``: the longest runs of the story found word for word in the corpus."""
    runs = shared_runs(index, tokens)
    if not runs:
        print("No run of two or more words is found word for word in the corpus.")
        return
    print(f"the longest runs found word for word in the corpus (of {len(runs):,}):")
    for words, start, length in runs[:SHOWN_RUNS]:
        place = index.places(tokens[start : start + length], 1)[0]
        line = index.source(place, length)
        at = sum(1 for t in tokens[:start] if is_word(t)) + 1
        print(visible(f"  {words:>4} words at word {at:,}: “{_cut(line.match)}” ({line.file}:{line.line})"))


def _cut(text: str, words: int = 16) -> str:
    parts = text.split(" ")
    return text if len(parts) <= words else " ".join(parts[:words]) + " …"


def shared_runs(index: CorpusIndex, tokens: list[str], minimum: int = 2) -> list[tuple[int, int, int]]:
    """Every maximal run of at least ``minimum`` words found in the corpus: (words, start, tokens),
    longest first."""
    ids = index.ids_of(tokens)
    runs = []
    start = 0
    while start < len(ids):
        found = index.longest_from(ids, start)
        if not found:
            start += 1
            continue
        end = start + found
        words = sum(1 for t in tokens[start:end] if is_word(t))
        if words >= minimum:
            runs.append((words, start, found))
        if end >= len(ids):
            break
        # The next run worth a look is the first one to reach past this one: from the first start
        # whose tokens up to one past this run's end are in the corpus (binary search: a later
        # start has fewer tokens to find). Every start before it lies inside this run.
        lo, hi = start + 1, end + 1
        while lo < hi:
            middle = (lo + hi) // 2
            if index.occurs(ids[middle : end + 1]):
                hi = middle
            else:
                lo = middle + 1
        start = lo
    runs.sort(key=lambda run: (-run[0], run[1]))
    return runs
