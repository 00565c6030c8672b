"""Showing text from strangers (corpora, model files, file names) without letting it steer a terminal.

Control characters (escape sequences among them) become visible ``\\xNN`` escapes, and so do
line breaks of every kind (``\\n``, ``\\r``, the Unicode line and paragraph separators), so a
stranger's name or token shown on one line stays on that line: it can neither fake a line of
its own nor split a list. Prose that is meant to span lines passes ``keep_newlines``. Markup
needs no treatment here, since the app renders text as plain ``rich.text.Text`` and the
command line prints plain strings.
"""

from __future__ import annotations

import re

_OTHERS = r"\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_CONTROL = re.compile(rf"[\x00-\x08\x0a-\x1f{_OTHERS}]")
_CONTROL_BUT_NEWLINE = re.compile(rf"[\x00-\x08\x0b-\x1f{_OTHERS}]")


def visible(text: object, keep_newlines: bool = False) -> str:
    """``text`` with control, line-breaking, bidirectional-override and zero-width characters made
    visible; ``keep_newlines`` leaves ``\\n`` alone, for prose meant to span lines."""
    pattern = _CONTROL_BUT_NEWLINE if keep_newlines else _CONTROL
    return pattern.sub(_escape, str(text))


def one_line(prose: str) -> str:
    """The model's own prose (a training sample) on one line: its paragraph breaks shown as ``¶``,
    any other line break as a space, everything else as ``visible`` shows it."""
    paragraphs = (" ".join(p.split()) for p in re.split(r"\n\s*\n", prose))
    return visible(" ¶ ".join(p for p in paragraphs if p))


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 256 else f"\\u{code:04x}"
