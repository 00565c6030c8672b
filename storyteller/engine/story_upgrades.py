"""Older story files brought up to the current format, one small step per format version.

``upgrade`` checks a parsed file's format and version, then applies each step from its
version on (``upgrades.py``); the story reader then reads the result as a current file. A step
never fails on what it does not understand: it leaves it for the reader to name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .page import kept_form, resume
from .tokenizer import Detokenizer, TokenizerConfig
from .upgrades import NewerVersion, NoVersion, upgraded

STORY_FORMAT = "storyteller-story"


def _v1_to_v2(data: dict[str, Any], tokenizer: TokenizerConfig) -> dict[str, Any]:
    """Version 1 kept tokens only, spelled on screen by whichever model was in use, so switching
    models re-cased text already written ("said Pearl" became "said pearl"). Version 2 keeps each
    word's written form: an old story's words take the form the model opening it gives them,
    and keep it from then on."""
    data = {**data, "version": 2}
    tokens: list[str] = []
    if isinstance(data.get("words"), list):
        detokenizer = Detokenizer(tokenizer)
        data["words"] = [_spelled(entry, detokenizer) for entry in data["words"]]
        tokens = [entry["t"] for entry in data["words"] if _token(entry) is not None]
    if isinstance(data.get("branches"), list):
        data["branches"] = [_spelled_branch(entry, tokens, tokenizer) for entry in data["branches"]]
    return data


def _token(entry: Any) -> str | None:
    if isinstance(entry, dict) and isinstance(entry.get("t"), str) and entry["t"]:
        return str(entry["t"])
    return None


def _spelled(entry: Any, detokenizer: Detokenizer) -> Any:
    token = _token(entry)
    if token is None:
        return entry
    form = kept_form(token, detokenizer.push(token).lstrip(" "))
    return entry if form is None else {**entry, "f": form}


def _spelled_branch(entry: Any, tokens: list[str], tokenizer: TokenizerConfig) -> Any:
    if not isinstance(entry, dict) or not isinstance(entry.get("words"), list):
        return entry
    start = entry.get("start")
    before = tokens[:start] if isinstance(start, int) and not isinstance(start, bool) and start >= 0 else []
    detokenizer = resume(before, tokenizer)
    return {**entry, "words": [_spelled(word, detokenizer) for word in entry["words"]]}


STEPS: list[Callable[[dict[str, Any], TokenizerConfig], dict[str, Any]]] = [_v1_to_v2]
"""STEPS[n - 1] takes a version-n file to version n + 1."""
STORY_VERSION = len(STEPS) + 1


def upgrade(data: Any, tokenizer: TokenizerConfig) -> dict[str, Any]:
    """``data`` (a parsed story file) in the current format; raises ``ValueError`` if it is not a
    story, has no version, or is newer than this storyteller reads."""
    if not isinstance(data, dict) or data.get("format") != STORY_FORMAT:
        raise ValueError("it is not a storyteller story")
    try:
        return upgraded(data, "version", STEPS, tokenizer)
    except NoVersion:
        raise ValueError("it has no format version") from None
    except NewerVersion as newer:
        raise ValueError(
            f"it was saved by a newer storyteller (format {newer.version}; "
            f"this version reads {newer.current})"
        ) from None
