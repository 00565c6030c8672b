"""Reading quotes in a sequence of tokens: whether a quote is open where the tokens end, which
quote may come next, and a story written with one kind of quote tokens read by a model of the
other kind.

Models of format 1 fold every double quote to one ``"``; later ones tell an opening ``“`` from a
closing ``”`` (see ``tokenizer``). A story keeps the tokens it was written with, whichever model
reads it next.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence

from .tokenizer import CLOSE_QUOTE, OPEN_QUOTE, PARAGRAPH, QUOTE

QUOTE_LOOKBACK = 4096
"""Tokens read back to tell whether a quote is open: a caller may pass only these many."""


def quote_open(tokens: Sequence[str], lookback: int = QUOTE_LOOKBACK) -> bool:
    """Whether ``tokens`` end inside a double quote: one opened in their last paragraph and not
    closed (looked for in the last ``lookback`` tokens; folded ``"`` count as opening and closing
    in turn)."""
    return _open_after(reversed(tokens[max(0, len(tokens) - lookback) :]))


def not_next(tokens: Sequence[str]) -> tuple[str, ...]:
    """What a model with opening and closing quotes may not write after ``tokens``: a closing quote
    where none is open or straight after the opening one (an empty pair), an opening one inside a
    quote (double quotes do not nest), a paragraph break straight after an opening quote."""
    if tokens and tokens[-1] == OPEN_QUOTE:
        return (CLOSE_QUOTE, OPEN_QUOTE, PARAGRAPH)
    return (OPEN_QUOTE,) if quote_open(tokens) else (CLOSE_QUOTE,)


def _open_after(backwards: Iterable[str]) -> bool:
    folded = 0
    for token in backwards:
        if token == QUOTE:
            folded += 1
        elif token in (OPEN_QUOTE, CLOSE_QUOTE, PARAGRAPH):
            return (token == OPEN_QUOTE) != (folded % 2 == 1)
    return folded % 2 == 1


def as_read(tokens: Sequence[str], quotes: bool, before: Sequence[str] = ()) -> list[str]:
    """``tokens`` (after ``before``) as a model with or without ``quotes`` reads them: a story
    written with the other kind of model keeps its tokens, and each folded ``"`` reads as opening
    or closing in turn (within its paragraph), each “ or ” as ``"``."""
    if not quotes:
        return [QUOTE if t in (OPEN_QUOTE, CLOSE_QUOTE) else t for t in tokens]
    read: list[str] = []
    open_: bool | None = None  # known once the first folded quote needs it
    for token in tokens:
        if token == QUOTE:
            if open_ is None:
                open_ = _open_after(itertools.chain(reversed(read), reversed(before)))
            token = CLOSE_QUOTE if open_ else OPEN_QUOTE
        if open_ is not None and token in (OPEN_QUOTE, CLOSE_QUOTE, PARAGRAPH):
            open_ = token == OPEN_QUOTE
        read.append(token)
    return read
