"""Showing text from strangers (corpora, model files, file names) without letting it steer a terminal.

Control characters (escape sequences among them) become visible ``\\xNN`` escapes; markup
needs no treatment here, since the app renders text as plain ``rich.text.Text`` and the
command line prints plain strings.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def visible(text: object) -> str:
    """``text`` with control, bidirectional-override and zero-width characters made visible."""
    return _CONTROL.sub(
        lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256 else f"\\u{ord(m.group()):04x}",
        str(text),
    )
