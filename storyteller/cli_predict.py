"""The commands that ask a model for words after a prompt: ``generate``, ``candidates``, ``bridge``."""

from __future__ import annotations

import argparse
import sys
import threading

from . import cli_sources
from .cli_common import load_model, memory, memory_argument, model_argument, window_argument
from .engine import PARAGRAPH, Detokenizer, Model, Predictor, SamplingConfig, tokenize
from .engine.bridge import bridge, check_limits
from .engine.counts import counts_for
from .engine.lookahead import MAX_LOOKAHEAD, continuation_text, following_text, lookahead
from .engine.page import resume
from .engine.sampling import entropy_bits
from .engine.tokenizer import CLOSE_QUOTE, OPEN_QUOTE
from .errors import StorytellerError
from .text import visible


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    _add_generate(commands)
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
    model_argument(candidates)
    window_argument(candidates)
    memory_argument(candidates)
    cli_sources.add_sources_flag(candidates)

    bridge = commands.add_parser("bridge", help="the likeliest ways from a prompt to a word you name")
    bridge.add_argument("prompt", help="the words so far")
    bridge.add_argument("--to", required=True, metavar="WORD", help="the word to reach")
    bridge.add_argument("--within", type=int, default=8, metavar="N", help="at most N words (%(default)s)")
    bridge.add_argument("--paths", type=int, default=3, metavar="K", help="how many paths (%(default)s)")
    bridge.add_argument("--beam", type=int, default=16, metavar="B", help="the beam width (%(default)s)")
    model_argument(bridge)
    window_argument(bridge)


def _add_generate(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    generate = commands.add_parser("generate", help="continue a prompt, word by word")
    generate.add_argument("prompt", help="the words to continue")
    generate.add_argument("--words", type=int, default=32, help="words to write (%(default)s)")
    model_argument(generate)
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
    window_argument(generate)
    memory_argument(generate)


def _predictor(args: argparse.Namespace, model: Model) -> tuple[Predictor, list[str]]:
    if args.window is not None and args.window < 1:
        raise StorytellerError(f"--window must be at least 1 (got {args.window}).")
    tokens = tokenize(args.prompt, model.card.tokenizer)
    if not tokens:
        raise StorytellerError("The prompt is empty: give at least one word.")
    story_memory = memory(args, model)
    predictor = Predictor(model, args.window, story_memory, counts_for(model) if story_memory else None)
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
    model = load_model(args.model)
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
    model = load_model(args.model)
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
    model = load_model(args.model)
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


COMMANDS = {"generate": generate, "candidates": candidates, "bridge": bridge_to}
