"""The ``storyteller`` command: generate, candidates, models, replay, score, train (and, with no
command, the writer). The commands live in ``cli_predict``, ``cli_measure`` and ``cli_sources``;
this module builds the parser and runs the one asked for.

Expected problems print one sentence to stderr and exit with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from . import __version__, cli_measure, cli_predict, cli_sources
from .cli_common import load_model
from .errors import EXIT_USAGE, StorytellerError, say_error


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
    from .session.setting_flags import add_flags

    add_flags(parser.add_argument_group("the writer's settings (kept in <data dir>/config.toml)"))
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    cli_predict.add_commands(commands)
    cli_measure.add_commands(commands)
    cli_sources.add_commands(commands)

    train = commands.add_parser(
        "train", help="train a model from a text file or folder (needs the train extra)"
    )
    from training.flags import add_arguments  # torch-free at import

    add_arguments(train)
    return parser


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
        return say_error(error)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


def write(model_spec: str | None, flags: argparse.Namespace | None = None) -> int:
    """Open the writer's app, with the settings of ``<data dir>/config.toml`` and the flags given."""
    from .engine import data_dir
    from .session.config_file import CONFIG_FILE, load_settings
    from .session.setting_flags import from_flags

    folder = data_dir()
    settings, problem = load_settings(folder / CONFIG_FILE)
    if flags is not None:
        try:
            settings = from_flags(flags, settings)
        except ValueError as error:
            raise StorytellerError(f"{error}.") from None
    model = load_model(model_spec)
    from .app import StorytellerApp  # textual loads only for the app

    StorytellerApp(model, folder, settings, notice=problem).run()
    return 0


COMMANDS = {**cli_predict.COMMANDS, **cli_measure.COMMANDS, "index": cli_sources.index_command}
