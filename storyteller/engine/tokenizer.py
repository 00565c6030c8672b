"""Turning prose into word tokens and tokens back into readable prose.

Training and inference both use this module, so they can never tokenise differently.

A token is a word (letters and digits, with inner apostrophes or hyphens: ``don't``,
``o'clock``, ``well-known``), a number (``1,000``, ``3.5``, ``4:30``), one punctuation mark,
an ellipsis, a dash, or the paragraph-break token ``<p>``. Dashes, ellipses and single quotes
are folded to one spelling each; control characters (terminal escapes among them) are dropped,
so nothing a corpus holds can steer a terminal.

Double quotation marks are two tokens, an opening ``“`` and a closing ``”``, for models that
say so in their tokenizer settings (``quotes``; every model from format 2 on); straight quotes
are decided from context (see ``_Quotes``). Older models fold every double quote to one ``"``.
Single quotes stay ``'`` in both: an apostrophe (``the Joneses'``, ``'tis``) cannot be told
from a closing single quote, so a quote nested in a quote is left to the apostrophe token.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

PARAGRAPH = "<p>"
"""The token that stands for a paragraph break (a blank line)."""

UNKNOWN = "<unk>"
"""The token the model sees for a word outside its vocabulary."""

DASH = "—"
ELLIPSIS = "..."
QUOTE = '"'
"""The one double quotation mark of models that fold them (format 1): opening and closing alike."""
OPEN_QUOTE = "\u201c"
"""An opening double quotation mark, for models with ``quotes``."""
CLOSE_QUOTE = "\u201d"
"""A closing double quotation mark, for models with ``quotes``."""

_FOLD_QUOTES = str.maketrans(dict.fromkeys("\u201c\u201d\u201e\u00ab\u00bb", QUOTE))
# With ``quotes`` curly marks say which they are; low and angle quotes take the curly spelling.
_CURLY = str.maketrans({"\u201e": OPEN_QUOTE, "\u00ab": OPEN_QUOTE, "\u00bb": CLOSE_QUOTE})

_FOLD = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u02bc": "'",
        "\u2013": DASH,
        "\u2014": DASH,
        "\u2015": DASH,
        "\u2026": ELLIPSIS,
        "\u00a0": " ",
        "\u200b": " ",  # zero-width space: an invisible word break
        "\u2028": "\n",
        "\u2029": "\n\n",
        "\t": " ",
        "\r": "\n",
    }
)

_TOKEN = re.compile(
    r"""
      (?P<para>\n[ ]*\n\s*)                       # a blank line: paragraph break
    | (?P<number>\d+(?:[.,:]\d+)+)                # 1,000  3.5  4:30
    | (?P<word>[^\W_]+(?:['\-][^\W_]+)*)          # don't  o'clock  well-known  4th
    | (?P<ellipsis>\.{3,})
    | (?P<dash>[—-]+)                              # -- , or a hyphen standing alone
    | (?P<mark>[^\s])                             # any other single mark
    """,
    re.VERBOSE,
)

# Marks written straight after the previous token, with no space.
_NO_SPACE_BEFORE = frozenset({",", ".", ";", ":", "!", "?", ")", "]", "}", "%", ELLIPSIS})
# Marks after which the next token follows with no space.
_NO_SPACE_AFTER = frozenset({"(", "[", "{", "$", "#"})
_SENTENCE_END = frozenset({".", "!", "?"})
_MARKS = frozenset({",", ".", ";", ":", "!", "?", ELLIPSIS})
_NOT_AFTER_A_MARK = (",", ".", ";", ":")


def marks_not_next(tokens: Sequence[str]) -> tuple[str, ...]:
    """The marks that may not follow ``tokens``: after a mark of punctuation, neither a comma, a
    full stop, a semicolon nor a colon (no ". ." or ", ."); "!" and "?" may follow one ("?!")."""
    return _NOT_AFTER_A_MARK if tokens and tokens[-1] in _MARKS else ()


_I_FORMS = {"i": "I", "i'm": "I'm", "i'll": "I'll", "i've": "I've", "i'd": "I'd"}


@dataclass(frozen=True)
class TokenizerConfig:
    """How text becomes tokens; stored inside every model file."""

    lowercase: bool = True
    """Fold words to lower case (detokenising then restores sentence capitals, "I" and names)."""
    names: tuple[str, ...] = ()
    """Lower-cased words the corpus writes with a capital mid-sentence (names), restored on output."""
    quotes: bool = False
    """Opening and closing double quotes are two tokens (“ and ”); False: one folded ``"``, as
    models of format 1 were trained (a card without the setting means False)."""

    def to_dict(self) -> dict[str, object]:
        return {"lowercase": self.lowercase, "names": list(self.names), "quotes": self.quotes}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> TokenizerConfig:
        lowercase = data.get("lowercase", True)
        quotes = data.get("quotes", False)
        if not isinstance(lowercase, bool) or not isinstance(quotes, bool):
            raise ValueError("tokenizer settings 'lowercase' and 'quotes' must be true or false")
        names = data.get("names", [])
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ValueError("tokenizer setting 'names' must be a list of words")
        return cls(lowercase=lowercase, names=tuple(names), quotes=quotes)


def find_names(text: str | Iterable[str], min_count: int = 2, share: float = 0.9) -> tuple[str, ...]:
    """Words that ``text`` capitalises mid-sentence at least ``share`` of the time (lower-cased, sorted)."""
    seen: Counter[str] = Counter()
    capitalised: Counter[str] = Counter()
    sentence_start = True
    for token in iter_tokens(text, TokenizerConfig(lowercase=False)):
        if token[:1].isalpha():
            if not sentence_start:
                folded = token.lower()
                seen[folded] += 1
                capitalised[folded] += token[:1].isupper()
            sentence_start = False
        elif token in _SENTENCE_END or token in (PARAGRAPH, QUOTE, ":"):
            sentence_start = True
    return tuple(
        sorted(
            w for w, n in seen.items() if n >= min_count and capitalised[w] >= share * n and w not in _I_FORMS
        )
    )


# Control characters (C0 and C1, but the line break), soft hyphen, zero-width and bidirectional
# controls, and the byte-order mark: invisible, or able to steer a terminal.
_INVISIBLE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u00ad\u200c-\u200f\u202a-\u202e\u2060-\u206f\ufeff]")


def clean(text: str, quotes: bool = False) -> str:
    """Normalise Unicode, fold quote/dash variants and drop control and invisible characters
    (``quotes``: curly double quotes are kept, to tell opening from closing)."""
    # A Windows line end is one line break, not two (which would read as a paragraph break).
    cleaned = unicodedata.normalize("NFC", text.replace("\r\n", "\n")).translate(_FOLD)
    return _INVISIBLE.sub("", cleaned.translate(_CURLY if quotes else _FOLD_QUOTES))


# Before a straight quote, a token after which the page writes the next one with no space: a
# quote there is decided by what follows it, never by spacing the page would not keep.
_HUGS_NEXT = _NO_SPACE_AFTER | {OPEN_QUOTE}


class _Quotes:
    """Decides whether each double quote opens or closes, reading tokens left to right.

    Curly quotes say which they are. A straight one opens at the start of a paragraph; after a
    word or a mark, with a space before it and none after (``said, "Go``); after ``(`` or an
    opening quote, when a word follows at once. It closes when it touches the word or mark
    before it (``Go,"``). Anything else (spaced on both sides, as in ``, " he said``, or at the
    end of the text) alternates: it closes a quote left open in the paragraph, else opens one.
    A paragraph break closes any quote: a speech running on re-opens in the next paragraph.
    """

    def __init__(self, open_: bool = False) -> None:
        self.open = open_

    def token(self, mark: str, previous: str | None, space_before: bool, following: str | None) -> str:
        """The token for ``mark`` after the token ``previous`` (None: nothing before it),
        ``following`` the character after it (None: the end of the text)."""
        if mark == QUOTE:
            tight = following is not None and not following.isspace()
            if previous == PARAGRAPH:
                opening = True
            elif previous is None:
                opening = not self.open
            elif previous in _HUGS_NEXT:
                opening = (tight and following.isalnum()) or not self.open  # type: ignore[union-attr]
            elif not space_before:
                opening = False
            else:
                opening = tight or not self.open
            mark = OPEN_QUOTE if opening else CLOSE_QUOTE
        self.open = mark == OPEN_QUOTE
        return mark


def _tokens(
    cleaned: str, config: TokenizerConfig, quotes: _Quotes, previous: str | None = None, gap: bool = False
) -> Iterator[tuple[str, re.Match[str]]]:
    """The tokens of one cleaned piece of text, with their matches (every paragraph break
    included); ``previous`` is the token before the piece, ``gap`` whether white space followed it."""
    ended = -1 if gap else 0  # where the token before ended: a match after it is spaced from it
    for match in _TOKEN.finditer(cleaned):
        kind = match.lastgroup
        if kind == "para":
            token = PARAGRAPH
            quotes.open = False
        elif kind == "ellipsis":
            token = ELLIPSIS
        elif kind == "dash":
            token = DASH
        else:
            token = match.group()
            if kind == "word":
                if config.lowercase:
                    token = token.lower()
            elif config.quotes and token in (QUOTE, OPEN_QUOTE, CLOSE_QUOTE):
                end = match.end()
                following = cleaned[end] if end < len(cleaned) else None
                token = quotes.token(token, previous, match.start() > ended, following)
        yield token, match
        previous, ended = token, match.end()


def iter_tokens(text: str | Iterable[str], config: TokenizerConfig = TokenizerConfig()) -> Iterator[str]:
    """Yield the tokens of ``text`` one by one: a string, or a stream of pieces of one text, each
    cut at a word boundary (as ``Corpus.blocks`` gives them) so a corpus need not fit in memory."""
    last = None
    quotes = _Quotes()
    gap = False  # whether white space followed the last token (a piece may end in it)
    for block in (text,) if isinstance(text, str) else text:
        cleaned = clean(block, config.quotes)
        ended = None
        for token, match in _tokens(cleaned, config, quotes, last, gap):
            ended = match.end()
            if token == PARAGRAPH and (last is None or last == PARAGRAPH):
                continue
            yield token
            last = token
        gap = (gap or bool(cleaned)) if ended is None else ended < len(cleaned)


def tokenize(text: str, config: TokenizerConfig = TokenizerConfig()) -> list[str]:
    """Split prose into tokens."""
    return list(iter_tokens(text, config))


# After "Go!" or "Why?" closing a quote, these words go on the sentence as a speech tag ("Go!"
# she cried), where any other word starts a new one ("Go!" The door shut).
_TAG_WORDS = frozenset(
    {"he", "she", "they", "we", "said", "says", "asked", "cried", "called", "shouted", "whispered"}
    | {"replied", "answered", "added", "laughed", "muttered", "yelled", "sang", "sighed", "exclaimed"}
)


class Detokenizer:
    """Builds readable text from tokens one at a time.

    Each ``push`` returns only the text that the new token adds, so a stream of words
    can be printed as it comes: the text of a prefix never changes when tokens follow.
    Opening and closing quote tokens are written as straight quotes, or as curly ones where
    ``curly`` is set (the writer types them so).
    """

    def __init__(self, config: TokenizerConfig = TokenizerConfig(), curly: bool = False) -> None:
        self._capitalize = config.lowercase
        self._names = frozenset(config.names)
        self.curly = curly
        self._previous: str | None = None
        self._sentence_start = True
        self._open_quote = False  # a folded quote is open (format 1)
        self._closed_after: str | None = None  # the token a closing quote followed

    def capitalizes(self, token: str) -> bool:
        """Whether ``token``, pushed next, starts a sentence and gets a capital."""
        return self._starts_sentence(token, self._previous)

    def _starts_sentence(self, token: str, previous: str | None) -> bool:
        if not (self._capitalize and self._sentence_start):
            return False
        # After a closing quote a sentence starts only where one ended inside the quote, and
        # after "!" or "?" not at a speech tag: "Go," said Ann; "Go." Ann left; "Go!" she said.
        return not (previous == CLOSE_QUOTE and self._closed_after in ("!", "?") and token in _TAG_WORDS)

    def push(self, token: str) -> str:
        previous = self._previous
        self._previous = token
        if token == PARAGRAPH:
            self._sentence_start = True
            self._open_quote = False
            return "" if previous in (None, PARAGRAPH) else "\n\n"

        if token == QUOTE:
            opening = not self._open_quote
            self._open_quote = opening
            if opening and previous in (None, ",", ":", *_SENTENCE_END):
                self._sentence_start = True  # quoted speech starts with a capital
            space = opening and self._space_wanted(previous)
            return (" " if space else "") + token
        if token == OPEN_QUOTE:
            if previous in (None, ",", ":", *_SENTENCE_END):
                self._sentence_start = True
            return (" " if self._space_wanted(previous) else "") + (token if self.curly else QUOTE)
        if token == CLOSE_QUOTE:
            self._closed_after = previous
            return token if self.curly else QUOTE

        text = token
        if token not in _SENTENCE_END and token not in _NO_SPACE_BEFORE and token != DASH:
            if self._capitalize:
                starts = self._starts_sentence(text, previous)
                text = _I_FORMS.get(text, text)
                if (starts or text in self._names) and text[:1].isalpha():
                    text = text[:1].upper() + text[1:]
            self._sentence_start = False
        if token in _SENTENCE_END:
            self._sentence_start = True

        if token in _NO_SPACE_BEFORE:
            # "." after "..." keeps a space, or the two would read back as one ellipsis.
            space = token.startswith(".") and previous is not None and previous.endswith(".")
        else:
            space = self._space_wanted(previous)
        return (" " if space else "") + text

    def _space_wanted(self, previous: str | None) -> bool:
        if previous is None or previous == PARAGRAPH or previous in _NO_SPACE_AFTER:
            return False
        # Straight after an opening quote the word attaches to it.
        return previous != OPEN_QUOTE and not (previous == QUOTE and self._open_quote)


def detokenize(tokens: Iterable[str], config: TokenizerConfig = TokenizerConfig()) -> str:
    """Join tokens into readable prose."""
    detokenizer = Detokenizer(config)
    return "".join(detokenizer.push(token) for token in tokens)


def attaches(token: str) -> bool:
    """Whether ``token`` is written straight after the word before it (a comma, a full stop …)."""
    return token in _NO_SPACE_BEFORE


@dataclass(frozen=True)
class Typed:
    """One token of what a writer typed, with its spelling and spacing there."""

    token: str
    form: str
    """The token as typed (its case kept; quotes, dashes and ellipses folded as in the token)."""
    space: bool | None
    """Whether white space came before it; None for the first token, which has nothing before it."""


def tokenize_typed(
    text: str, config: TokenizerConfig = TokenizerConfig(), open_quote: bool = False
) -> list[Typed]:
    """Split a writer's text into tokens as ``tokenize`` does, keeping how each was typed;
    ``open_quote``: the story before it has a double quote open (a straight one first closes it)."""
    typed: list[Typed] = []
    end = None  # where the last token ended
    for token, match in _tokens(clean(text, config.quotes), config, _Quotes(open_quote)):
        if token == PARAGRAPH and (not typed or typed[-1].token == PARAGRAPH):
            continue
        form = token if token in (PARAGRAPH, ELLIPSIS, DASH) else match.group()
        space = None if end is None else match.start() > end
        typed.append(Typed(token, form, space))
        end = match.end()
    return typed


class Speller:
    """Writes a story's words one at a time, like ``Detokenizer``, but in each word's own recorded
    form and spacing where it has them: what is on the page stays as it was written."""

    def __init__(self, config: TokenizerConfig = TokenizerConfig()) -> None:
        self.detokenizer = Detokenizer(config)

    def __copy__(self) -> Speller:
        twin = Speller.__new__(Speller)
        twin.detokenizer = copy.copy(self.detokenizer)
        return twin

    def push(self, token: str, form: str | None = None, space: bool | None = None) -> str:
        if form is not None and token in (OPEN_QUOTE, CLOSE_QUOTE):
            self.detokenizer.curly = form == token  # quotes without a form follow the last one
        piece = self.detokenizer.push(token)
        if token == PARAGRAPH or (form is None and space is None):
            return piece
        body = piece.lstrip(" ")
        lead = piece[: len(piece) - len(body)]
        if space is not None:
            lead = " " if space else ""
        return lead + (body if form is None else form)
