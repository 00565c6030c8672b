"""The ``storyteller`` command: generate, candidates, models, replay, score, train (and, with no
command, the writer).

Expected problems print one sentence to stderr and exit with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from . import __version__, cli_sources
from .engine import (
    PARAGRAPH,
    Detokenizer,
    Model,
    Predictor,
    SamplingConfig,
    find_models,
    load,
    resolve,
    tokenize,
)
from .engine.bridge import bridge, check_limits
from .engine.cache import Memory, memory_for
from .engine.corpus import read_corpus
from .engine.lookahead import MAX_LOOKAHEAD, continuation_text, following_text, lookahead
from .engine.model import ModelError
from .engine.page import resume
from .engine.registry import resolve_name
from .engine.replay import replay
from .engine.rescore import Rescorer
from .engine.sampling import entropy_bits
from .engine.scoring import score_ids
from .engine.story import load_story
from .engine.tokenizer import CLOSE_QUOTE, OPEN_QUOTE
from .errors import StorytellerError
from .figures import count, figures_table, weights_line
from .text import visible

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but its errors are one sentence too (and exit 2, as argparse does)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message[:1].upper()}{message[1:]}.\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="storyteller",
        description="Write stories with a word-level LSTM language model. With no command, opens the writer.",
        allow_abbrev=False,  # the writer's --top-k must not swallow a command's --to
    )
    parser.add_argument("--version", action="version", version=f"storyteller {__version__}")
    parser.add_argument(
        "--model", dest="app_model", help="the writer's model: a name or a path (default: the shipped model)"
    )
    from .session.settings import add_flags

    add_flags(parser.add_argument_group("the writer's settings (kept in <data dir>/config.toml)"))
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    generate = commands.add_parser("generate", help="continue a prompt, word by word")
    generate.add_argument("prompt", help="the words to continue")
    generate.add_argument("--words", type=int, default=32, help="words to write (%(default)s)")
    _model_argument(generate)
    sampling = SamplingConfig()
    generate.add_argument("--seed", type=int, help="makes the output reproducible")
    generate.add_argument("--greedy", action="store_true", help="always take the most probable word")
    generate.add_argument("--temperature", type=float, default=sampling.temperature, help="(%(default)s)")
    generate.add_argument(
        "--top-k", type=int, default=sampling.top_k, help="sample among the k most probable (%(default)s)"
    )
    generate.add_argument(
        "--top-p",
        type=float,
        default=sampling.top_p,
        help="sample among the words covering this mass (%(default)s)",
    )
    generate.add_argument(
        "--repetition-penalty",
        type=float,
        default=sampling.repetition_penalty,
        help="(%(default)s; 1 is none)",
    )
    generate.add_argument(
        "--no-repeat",
        type=int,
        default=0,
        metavar="N",
        help="never repeat a phrase of N tokens from the last few hundred (0, the default: off)",
    )
    _window_argument(generate)
    _memory_argument(generate)

    candidates = commands.add_parser("candidates", help="the most probable next words after a prompt")
    candidates.add_argument("prompt", help="the words so far")
    candidates.add_argument("--k", type=int, default=10, help="how many (%(default)s)")
    candidates.add_argument(
        "--lookahead",
        type=int,
        default=0,
        metavar="N",
        help="show each candidate's likeliest next N words, 1 to 4 (default: none)",
    )
    _model_argument(candidates)
    _window_argument(candidates)
    _memory_argument(candidates)
    cli_sources.add_sources_flag(candidates)

    bridge = commands.add_parser("bridge", help="the likeliest ways from a prompt to a word you name")
    bridge.add_argument("prompt", help="the words so far")
    bridge.add_argument("--to", required=True, metavar="WORD", help="the word to reach")
    bridge.add_argument("--within", type=int, default=8, metavar="N", help="at most N words (%(default)s)")
    bridge.add_argument("--paths", type=int, default=3, metavar="K", help="how many paths (%(default)s)")
    bridge.add_argument("--beam", type=int, default=16, metavar="B", help="the beam width (%(default)s)")
    _model_argument(bridge)
    _window_argument(bridge)

    commands.add_parser("models", help="every model found, with its figures")

    replay = commands.add_parser(
        "replay", help="re-run the model over a story file: do its recorded probabilities still hold?"
    )
    replay.add_argument("story", type=Path, help="a story file (.json) saved by the writer")
    replay.add_argument("--model", help="the model to replay with (default: the one the story names)")
    _memory_argument(replay, "check only the words measured without the story's memory")

    score = commands.add_parser(
        "score", help="how well a model knows a text, with and without the story's memory"
    )
    score.add_argument("text", type=Path, help="a text file (or a folder of .txt files)")
    _model_argument(score)
    _memory_argument(score)
    score.add_argument(
        "--copies", action="store_true", help="list the longest runs found word for word in the corpus"
    )
    score.add_argument(
        "--against",
        metavar="MODEL",
        help="score it under this model too: both perplexities, and the words that changed most",
    )
    cli_sources.add_commands(commands, "a model's name or path (default: the shipped default model)")

    train = commands.add_parser(
        "train", help="train a model from a text file or folder (needs the train extra)"
    )
    from training.cli import add_arguments  # torch-free at import

    add_arguments(train)
    return parser


def _model_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", help="a model's name or path (default: the shipped default model)")


def _window_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--window",
        type=int,
        metavar="N",
        help="condition on the last N words only (default: the whole prompt)",
    )


def _memory_argument(
    parser: argparse.ArgumentParser, help: str = "the network alone, without the story's memory"
) -> None:
    parser.add_argument("--no-cache", action="store_true", help=help)


def _memory(args: argparse.Namespace, model: Model) -> Memory | None:
    """The story's memory for a command that has ``--no-cache`` (``bridge`` reads the network alone)."""
    return None if getattr(args, "no_cache", True) else memory_for(model.card.cache)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command is None:
            return write(args.app_model, args)
        if args.command == "train":
            from training.cli import run

            return run(args)
        return COMMANDS[args.command](args)
    except StorytellerError as error:
        print(f"storyteller: error: {visible(error)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


def write(model_spec: str | None, flags: argparse.Namespace | None = None) -> int:
    """Open the writer's app, with the settings of ``<data dir>/config.toml`` and the flags given."""
    from .engine import data_dir
    from .session.settings import CONFIG_FILE, from_flags, load_settings

    folder = data_dir()
    settings, problem = load_settings(folder / CONFIG_FILE)
    if flags is not None:
        try:
            settings = from_flags(flags, settings)
        except ValueError as error:
            raise StorytellerError(f"{error}.") from None
    model = _load_model(model_spec)
    from .app import make_app  # textual loads only for the app

    make_app(model, folder, settings, notice=problem).run()
    return 0


def _load_model(spec: str | None) -> Model:
    return load(resolve(spec))


def _predictor(args: argparse.Namespace, model: Model) -> tuple[Predictor, list[str]]:
    if args.window is not None and args.window < 1:
        raise StorytellerError(f"--window must be at least 1 (got {args.window}).")
    tokens = tokenize(args.prompt, model.card.tokenizer)
    if not tokens:
        raise StorytellerError("The prompt is empty: give at least one word.")
    predictor = Predictor(model, args.window, _memory(args, model))
    unknown = predictor.feed(tokens)
    if unknown:
        _explain_unknown(model, unknown)
    return predictor, tokens


def _explain_unknown(model: Model, unknown: list[str]) -> None:
    shown = unknown[:10]
    parts = []
    for word in shown:
        near = model.vocabulary.nearest(word)
        parts.append(f"{word} (did you mean {', '.join(near)}?)" if near else word)
    parts = [visible(part) for part in parts]
    more = f" and {len(unknown) - len(shown)} more" if len(unknown) > len(shown) else ""
    print(
        f"note: the model does not know {'; '.join(parts)}{more}; it reads them as <unk>.",
        file=sys.stderr,
    )


def generate(args: argparse.Namespace) -> int:
    if args.words < 1:
        raise StorytellerError(f"--words must be at least 1 (got {args.words}).")
    config = SamplingConfig(
        greedy=args.greedy,
        temperature=args.temperature,
        top_k=args.top_k,
        top_p=args.top_p,
        repetition_penalty=args.repetition_penalty,
        seed=args.seed,
        no_repeat=args.no_repeat,
    )
    try:
        config.check()
    except ValueError as error:
        raise StorytellerError(f"Invalid setting: {error}.") from None
    model = _load_model(args.model)
    predictor, tokens = _predictor(args, model)
    detokenizer = Detokenizer(model.card.tokenizer)
    out = sys.stdout
    # Only a paragraph break may start a new line: a token from the model's vocabulary may not.
    out.write("".join(visible(detokenizer.push(t), keep_newlines=t == PARAGRAPH) for t in tokens))
    out.flush()
    for generated in predictor.generate(args.words, config, threading.Event()):
        token = generated.token
        out.write(visible(detokenizer.push(token), keep_newlines=token == PARAGRAPH))
        out.flush()
    out.write("\n")
    return 0


def candidates(args: argparse.Namespace) -> int:
    if args.k < 1:
        raise StorytellerError(f"--k must be at least 1 (got {args.k}).")
    if not 0 <= args.lookahead <= MAX_LOOKAHEAD:
        raise StorytellerError(f"--lookahead must be from 0 to {MAX_LOOKAHEAD} (got {args.lookahead}).")
    model = _load_model(args.model)
    predictor, tokens = _predictor(args, model)
    print(f"after: {visible(_tail(tokens, model))}")
    probs = predictor.probabilities()
    entropy = entropy_bits(probs)
    phrases = lookahead(predictor, predictor.candidates(args.k), args.lookahead)
    for rank, phrase in enumerate(phrases, 1):
        candidate = phrase.candidate
        bar = "█" * round(candidate.probability * 40)
        mark = "  (from the story's memory)" if candidate.from_memory else ""
        if phrase.following:
            bar = f"| {following_text(phrase, model.card.tokenizer, tokens)}"
        print(visible(f"{rank:3}. {_shown(candidate.token):<16} {candidate.probability:7.2%} {bar}{mark}"))
    print(f"uncertainty: {entropy:.2f} bits (as unsure as a choice among {2**entropy:,.1f} words)")
    if args.sources:
        cli_sources.print_sources(model, tokens, predictor.candidates(args.k))
    return 0


def bridge_to(args: argparse.Namespace) -> int:
    check_limits(args.within, args.beam, args.paths)
    model = _load_model(args.model)
    predictor, tokens = _predictor(args, model)
    paths = bridge(predictor, args.to, args.within, args.beam, args.paths)
    print(f"after: {visible(_tail(tokens, model))}")
    for rank, path in enumerate(paths, 1):
        text = continuation_text(tokens, path.tokens, model.card.tokenizer)
        print(visible(f"{rank:3}. log-probability {path.log_probability:7.2f}  {text}"))
    return 0


def _tail(tokens: list[str], model: Model, count: int = 12) -> str:
    # Written from the paragraph's start, so the last tokens' quotes and capitals read as in the whole.
    detokenizer = resume(tokens[:-count], model.card.tokenizer)
    text = "".join(detokenizer.push(t) for t in tokens[-count:]).strip()
    return ("… " if len(tokens) > count else "") + text


_SHOWN = {PARAGRAPH: "¶ (new paragraph)", OPEN_QUOTE: "“ (opens a quote)", CLOSE_QUOTE: "” (closes a quote)"}


def _shown(token: str) -> str:
    return _SHOWN.get(token, token)


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
    return 0


def replay_story(args: argparse.Namespace) -> int:
    """Exit 0 when every recorded probability holds, 1 when some do not."""
    story = load_story(args.story)
    if args.model:
        model = _load_model(args.model)
    elif story.model.get("name"):
        # A name from the file, never a path: a story must not choose which file is opened.
        model = load(resolve_name(story.model["name"]))
    else:
        model = _load_model(None)
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
    model = _load_model(args.model)
    if args.text.suffix == ".json":  # a story file saved by the writer
        tokens = cli_sources.story_tokens(args.text, model)
    else:
        tokens = tokenize(read_corpus(args.text).text, model.card.tokenizer)
    if not tokens:
        raise StorytellerError(f"'{args.text}' holds no words to score.")
    memory = _memory(args, model)
    tally = score_ids(model, model.vocabulary.encode(tokens).tolist(), memory)
    print(
        visible(
            f"'{args.text}' with model '{model.name}': {tally.positions:,} tokens, "
            f"{tally.unknown_share:.1%} outside its vocabulary"
        )
    )
    columns = [tally.figures(remembered=False)] + ([tally.figures(remembered=True)] if memory else [])
    print(f"{'':12}{'without memory':>16}" + (f"{'with memory':>14}" if memory else ""))
    widths = (16, 14)
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
            f"({source});\nwindowed accuracy reads {model.card.window} words from a fresh state, "
            "so the memory has no part in it"
        )
    if args.against or args.copies:
        scorer = Rescorer(model)
        scorer.update(tokens)
        if args.against:
            cli_sources.print_comparison(_load_model(args.against), scorer, tokens)
        if args.copies:
            cli_sources.print_copies(cli_sources.model_index(model), tokens)
    return 0


def _cell(name: str, value: float | None, width: int) -> str:
    if value is None:
        return f"{'—':>{width}}"
    return f"{value:>{width}.1f}" if name.endswith("perplexity") else f"{value:>{width}.1%}"


COMMANDS = {
    "generate": generate,
    "candidates": candidates,
    "bridge": bridge_to,
    "models": models,
    "replay": replay_story,
    "score": score,
    "index": cli_sources.index_command,
}
