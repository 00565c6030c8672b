"""How a story reads on the page: each word in the form it was written in, and the turns as bubbles.

A word keeps the form it was first shown in (``Word.form``): the writer's own spelling, or the
capitals the model's tokenizer gave it when it was written. Another model, with other
tokenizer settings, spells new words its way but never changes those already written.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from .tokenizer import (
    CLOSE_QUOTE,
    OPEN_QUOTE,
    PARAGRAPH,
    Detokenizer,
    Speller,
    TokenizerConfig,
    Typed,
    attaches,
)

if TYPE_CHECKING:
    from .words import Turn, Word

LOOKBACK = 1024
"""Words read back (to the last paragraph break, at most this many) to spell a word in context."""


def spell(words: Iterable[Word], config: TokenizerConfig = TokenizerConfig()) -> str:
    """The words as prose, each in its written form (words without one as ``config`` spells them)."""
    speller = Speller(config)
    return "".join(speller.push(w.token, w.form, w.space) for w in words)


def resume(before: Sequence[str], config: TokenizerConfig, curly: bool = False) -> Detokenizer:
    """A detokenizer in the state it would be in after the tokens ``before`` (read back to the last
    paragraph break, at most ``LOOKBACK`` tokens: what decides a capital or a space is nearer),
    writing quotes curly if ``curly``."""
    start = max(0, len(before) - LOOKBACK)
    for index in range(len(before) - 1, start - 1, -1):
        if before[index] == PARAGRAPH:
            start = index
            break
    detokenizer = Detokenizer(config, curly)
    for token in before[start:]:
        detokenizer.push(token)
    return detokenizer


def _tail(words: Sequence[Word]) -> list[str]:
    return [w.token for w in words[max(0, len(words) - LOOKBACK) :]]


def curly(words: Sequence[Word]) -> bool:
    """Whether new quotes follow the writer's curly ones: the last quote among ``words`` (in the
    last ``LOOKBACK``) is written curly. Straight otherwise."""
    for word in reversed(words[max(0, len(words) - LOOKBACK) :]):
        if word.token in (OPEN_QUOTE, CLOSE_QUOTE):
            return word.form in (OPEN_QUOTE, CLOSE_QUOTE)
    return False


def kept_form(token: str, shown: str) -> str | None:
    """The form to keep for ``token`` shown as ``shown``: None where case cannot change it (a mark,
    a number), which the page writes as the token itself; a quote keeps its straight or curly form."""
    if token == PARAGRAPH:
        return None
    quote = token in (OPEN_QUOTE, CLOSE_QUOTE)
    return shown if quote or token.lower() != token.upper() or shown != token else None


def written(before: Sequence[Word], tokens: Sequence[str], config: TokenizerConfig) -> list[str | None]:
    """How ``tokens`` are shown after the words ``before``: each one's form (``kept_form``)."""
    detokenizer = resume(_tail(before), config, curly(before))
    return [kept_form(token, detokenizer.push(token).lstrip(" ")) for token in tokens]


def typed_forms(
    before: Sequence[Word], typed: Sequence[Typed], config: TokenizerConfig
) -> list[tuple[str | None, bool | None]]:
    """What the writer typed, as it will be kept: each word as typed, but for the capital a
    sentence start gets where the model capitalises them (never "i" or a name the writer left in
    lower case: ``[i]`` stays ``[i]``); the spacing typed between two tokens is kept where the
    page would space them otherwise. Each token's (form, space) for ``Word``."""
    detokenizer = resume(_tail(before), config)
    kept: list[tuple[str | None, bool | None]] = []
    for item in typed:
        typed_form = item.form
        if detokenizer.capitalizes(item.token) and typed_form == typed_form.lower():
            typed_form = typed_form[:1].upper() + typed_form[1:]
        piece = detokenizer.push(item.token)
        form = kept_form(item.token, typed_form)
        space = item.space if item.space is not None and item.space != piece.startswith(" ") else None
        if item.token == PARAGRAPH:
            space = None  # a paragraph break is never spaced
        kept.append((form, space))
    return kept


def bubbles(turns: Sequence[Turn]) -> list[Turn]:
    """The turns as the page shows them: marks that attach to the word before them (a full stop, a
    comma) that open a turn are shown at the end of the turn before, where they belong."""
    shown: list[Turn] = []
    for turn in turns:
        lead = 0
        while shown and lead < len(turn.words) and attaches(turn.words[lead].token):
            lead += 1
        if lead:
            shown[-1] = replace(shown[-1], words=shown[-1].words + turn.words[:lead])
            turn = replace(turn, start=turn.start + lead, words=turn.words[lead:])
        if not turn.words:
            continue
        if shown and shown[-1].side == turn.side:
            shown[-1] = replace(shown[-1], words=shown[-1].words + turn.words)
        else:
            shown.append(turn)
    return shown
