"""The writer's settings as command-line flags: one ``--name`` per setting, checked as the config
file's values are."""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import Any

from .settings import DEFAULTS, SPECS, WriterSettings, check


def add_flags(parser: argparse._ActionsContainer, prefix: str = "writer_") -> None:
    """One ``--name`` flag per setting, checked as the config file is (dest ``prefix + name``)."""
    for name, spec in SPECS.items():
        flag = "--" + name.replace("_", "-")
        dest = prefix + name
        if spec.kind is bool:
            parser.add_argument(flag, dest=dest, action=argparse.BooleanOptionalAction, help=spec.help)
            continue
        default = getattr(DEFAULTS, name)
        shown = 0 if default is None and spec.none_is_zero else default
        parser.add_argument(
            flag,
            dest=dest,
            type=spec.kind,
            metavar="N",
            help=f"{spec.help} ({spec.low:g} to {spec.high:g}; default {_or_random(shown)})",
        )


def _or_random(value: object) -> object:
    return "random" if value is None else value


def from_flags(args: argparse.Namespace, settings: WriterSettings, prefix: str = "writer_") -> WriterSettings:
    """``settings`` with the flags given on the command line; a bad value raises ``ValueError``."""
    values: dict[str, Any] = {}
    for name in SPECS:
        value = getattr(args, prefix + name, None)
        if value is None:
            continue
        checked, problem = check(name, value)
        if problem:
            spec = SPECS[name]  # argparse has checked the type: only the range can be wrong
            raise ValueError(
                f"--{name.replace('_', '-')} must be from {spec.low:g} to {spec.high:g} (got {value})"
            )
        values[name] = checked
    return replace(settings, **values)
