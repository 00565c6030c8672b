"""Pastes, below the terminal: the guard that keeps a paste's escapes from acting as keys, and
how a paste becomes one input line."""

from __future__ import annotations

from textual import events

from storyteller.app.terminal_input import PASTE_END, PASTE_START, PasteGuard, WriterParser
from storyteller.app.widgets.writer_input import one_line

PASTE = "the fox \x1b[21~ ran\r\x1bOP \x07 3"
STREAM = f"ab\x1b[A{PASTE_START}{PASTE}{PASTE_END}\x1bOPz{PASTE_START}x\x1b{PASTE_END}"
GUARDED_PASTE = "the fox \\x1b[21~ ran\r\\x1bOP \x07 3"
GUARDED = f"ab\x1b[A{PASTE_START}{GUARDED_PASTE}{PASTE_END}\x1bOPz{PASTE_START}x\\x1b{PASTE_END}"


def test_the_guard_hides_escapes_inside_a_paste_only() -> None:
    assert PasteGuard().feed(STREAM) == GUARDED


def test_the_guard_finds_markers_split_anywhere() -> None:
    for cut in range(len(STREAM) + 1):
        for second in range(cut, len(STREAM) + 1):
            guard = PasteGuard()
            pieces = [STREAM[:cut], STREAM[cut:second], STREAM[second:]]
            assert "".join(guard.feed(p) for p in pieces if p) == GUARDED, (cut, second)


def test_the_guard_holds_back_nothing_outside_a_paste() -> None:
    guard = PasteGuard()
    assert guard.feed("\x1b") == "\x1b"  # a lone Esc key press goes on at once
    assert guard.feed("[200") == "[200"


def test_a_paste_with_escapes_is_one_paste_event_and_no_key() -> None:
    parser = WriterParser()
    events_out = [*parser.feed(f"{PASTE_START}{PASTE}{PASTE_END}"), *parser.feed("q")]
    assert [type(e) for e in events_out] == [events.Paste, events.Key]
    assert events_out[0].text == GUARDED_PASTE  # type: ignore[attr-defined]


def test_shift_f3_is_a_key_not_a_cursor_report() -> None:
    parser = WriterParser()
    keys = [e.key for e in parser.feed("\x1b[1;2R\x1b[1;2P") if isinstance(e, events.Key)]
    assert keys == ["shift+f3", "shift+f1"]


def test_the_aids_keys_arrive_as_the_terminal_sends_them() -> None:
    parser = WriterParser()
    keys = [e.key for e in parser.feed("\x1b[Z\x05\x0b") if isinstance(e, events.Key)]
    assert keys == ["shift+tab", "ctrl+e", "ctrl+k"]  # what tmux and xterm send for them


def test_pasted_lines_become_one_line() -> None:
    assert one_line("the kettle sang.\n\nthe cat slept.\nthe end\r\rof it") == (
        "the kettle sang. ¶ the cat slept. the end ¶ of it"
    )
    assert one_line("\r\n  one\r\n\r\n\r\n two\tthree \n") == "one ¶ two three"
    assert one_line("a \x07 b \\x1b") == "a \\x07 b \\x1b"
    assert one_line("\n \n") == ""
