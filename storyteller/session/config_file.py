"""The writer's config file: its ``[writer]`` table read (each bad value named), and one setting
kept in it without losing the others."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..engine.files import FileProblem, read_untrusted, write_atomically
from .autosave import set_aside
from .settings import DEFAULTS, SPECS, WriterSettings, check

CONFIG_FILE = "config.toml"
"""In the data folder: the writer's settings, under a ``[writer]`` table."""
MAX_CONFIG_BYTES = 1 << 20
"""A config file is a few lines: a larger one is not read."""


class Unreadable(Exception):
    """A config file that cannot be read as a whole; the message says why, without a full stop."""


def _writer_table(path: Path) -> dict[str, Any] | None:
    """The ``[writer]`` table of a config file (None when there is no file); ``Unreadable`` when the
    file cannot be read as a whole."""
    shown = f"Config file '{path}'"  # as read_untrusted names it
    try:
        data = tomllib.loads(read_untrusted(path, MAX_CONFIG_BYTES, "Config file").decode("utf-8"))
    except FileProblem as error:
        if error.missing:
            return None
        raise Unreadable(str(error).removesuffix(".")) from None
    except UnicodeDecodeError:
        raise Unreadable(f"{shown} cannot be read (not UTF-8)") from None
    except tomllib.TOMLDecodeError as error:
        raise Unreadable(f"{shown} is not valid TOML ({error})") from None
    except RecursionError:  # tomllib parses nested arrays and tables by recursion
        raise Unreadable(f"{shown} is nested too deeply") from None
    writer = data.get("writer", {})
    if not isinstance(writer, dict):
        raise Unreadable(f"In {shown}, [writer] must be a table")
    return writer


def load_settings(path: Path) -> tuple[WriterSettings, str | None]:
    """Settings from a config file, and one sentence about what was wrong with it (if anything).

    A missing file gives the defaults; a bad value is skipped (its default stays) and named.
    """
    try:
        writer = _writer_table(path)
    except Unreadable as error:
        return WriterSettings(), f"{error}; the default settings are used."
    if writer is None:
        return WriterSettings(), None
    values: dict[str, Any] = {}
    problems: list[str] = []
    for key, value in writer.items():
        checked, problem = check(key, value)
        if problem:
            problems.append(problem)
        else:
            values[key] = checked
    settings = replace(WriterSettings(), **values)
    if not problems:
        return settings, None
    return settings, f"In {path}: {'; '.join(problems)}; their defaults are used."


def readable(path: Path) -> str | None:
    """None when the config file at ``path`` can be read as a whole (or is missing); else why not."""
    try:
        _writer_table(path)
    except Unreadable as error:
        return str(error)
    return None


def to_toml(settings: WriterSettings) -> str:
    """The ``[writer]`` table holding every setting that differs from its default."""
    lines = ["[writer]"]
    for name, spec in SPECS.items():
        value = getattr(settings, name)
        if value == getattr(DEFAULTS, name):
            continue
        if value is None:
            if not spec.none_is_zero:
                continue  # no seed: leave it out for fresh randomness
            value = 0
        text = ("true" if value else "false") if isinstance(value, bool) else repr(value)
        lines.append(f"{name} = {text}  # {spec.help}")
    return "\n".join(lines) + "\n"


def persist(path: Path, name: str, value: object) -> str | None:
    """Keep one setting in the config file at ``path``, the file's other values as they are; a
    file that cannot be read is never written over: it is set aside first (as an unreadable
    autosave is), or the setting is not kept. One sentence for the writer, if there is one."""
    notice = None
    problem = readable(path)
    if problem is not None:
        try:
            kept = set_aside(path)
        except OSError as error:
            return (
                f"{problem}, and it could not be moved aside ({error.strerror or error}), so the "
                "setting is not kept in it."
            )
        notice = (
            f"{problem}: it is kept, untouched, as '{kept.name}', and a new {CONFIG_FILE} holds the setting."
        )
    kept_settings, _ = load_settings(path)  # the file's other values stay as the file has them
    try:
        write_atomically(to_toml(replace(kept_settings, **{name: value})).encode(), path)  # type: ignore[arg-type]
    except OSError as error:
        return f"The setting could not be kept in {path} ({error.strerror})."
    return notice
