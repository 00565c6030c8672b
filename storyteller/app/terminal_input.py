"""What the terminal sends, read so that a paste stays a paste and Shift+F3 stays a key.

Textual 8's input parser, meeting an ESC inside a bracketed paste, starts reading an escape
sequence, cannot match it while pasting, and hands the characters after it out as key
presses: a pasted ``\\x1b[21~ …\\r`` opened the models screen and pressed Enter. Terminals
(tmux among them) pass a paste through unfiltered, so the app guards itself: inside a paste
every ESC becomes the four characters ``\\x1b``, the way the app shows every control
character, before Textual's parser sees it.

Shift+F3 arrives from xterm and tmux as ``ESC [1;2R``, which Textual takes for a report of
the cursor's position (asked for only by its inline driver, never by the full-screen one
used here) and drops. The parser reads it as ``ESC [13;2~``, the other spelling of the
same key (F3 is key 13 in the ``~`` series). A sequence split between two reads is left
as it is: a terminal sends a key's sequence in one piece.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.drivers import linux_driver
from textual.drivers.linux_driver import LinuxDriver
from textual.message import Message

ESC = "\x1b"
PASTE_START = "\x1b[200~"
PASTE_END = "\x1b[201~"
SHOWN_ESC = "\\x1b"
SHIFT_F3 = "\x1b[1;2R"
SHIFT_F3_SPELLED_OUT = "\x1b[13;2~"


def _end_prefix(text: str) -> int:
    """How many characters at the end of ``text`` could be the start of a split PASTE_END."""
    for size in range(min(len(text), len(PASTE_END) - 1), 0, -1):
        if PASTE_END.startswith(text[-size:]):
            return size
    return 0


class PasteGuard:
    """Passes a terminal's input through unchanged, except every ESC inside a bracketed paste.

    Input arrives in chunks that may split the paste's start or end marker anywhere; the
    guard remembers enough of the last chunk to find them.
    """

    def __init__(self) -> None:
        self._pasting = False
        self._held = ""  # inside a paste: the end of the last chunk, perhaps half an end marker
        self._seen = ""  # outside a paste: the end of the last chunk, perhaps half a start marker

    def feed(self, data: str) -> str:
        out: list[str] = []
        data, self._held = self._held + data, ""
        while data:
            if self._pasting:
                end = data.find(PASTE_END)
                if end < 0:
                    keep = _end_prefix(data)
                    body, self._held = data[: len(data) - keep], data[len(data) - keep :]
                    out.append(body.replace(ESC, SHOWN_ESC))
                    break
                out.append(data[:end].replace(ESC, SHOWN_ESC) + PASTE_END)
                data = data[end + len(PASTE_END) :]
                self._pasting, self._seen = False, ""
            else:
                look = self._seen + data
                start = look.find(PASTE_START)
                if start < 0:
                    out.append(data)
                    self._seen = look[-(len(PASTE_START) - 1) :]
                    break
                cut = start + len(PASTE_START) - len(self._seen)  # just after the marker, in data
                out.append(data[:cut])
                data = data[cut:]
                self._pasting, self._seen = True, ""
        return "".join(out)


class WriterParser(linux_driver.XTermParser):
    """Textual's parser, fed through a PasteGuard, that knows Shift+F3."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._guard = PasteGuard()

    def feed(self, data: str) -> Iterable[Message]:
        if not data:
            return super().feed(data)  # the end of input
        guarded = self._guard.feed(data).replace(SHIFT_F3, SHIFT_F3_SPELLED_OUT)  # pastes hold no ESC now
        # All held back (half an end marker): feeding "" would tell the parser input has ended.
        return super().feed(guarded) if guarded else ()


class WriterDriver(LinuxDriver):
    """The POSIX terminal driver, parsing its input with WriterParser."""

    def run_input_thread(self) -> None:
        # LinuxDriver builds its parser from this module-level name, and offers no other hook.
        linux_driver.XTermParser = WriterParser  # type: ignore[misc]
        super().run_input_thread()
