"""Turning prose into word tokens and tokens back into readable prose.

Training and inference both use this module, so they can never tokenise differently.

A token is a word (letters and digits, with inner apostrophes or hyphens: ``don't``,
``o'clock``, ``well-known``), a number (``1,000``, ``3.5``, ``4:30``), one punctuation mark,
an ellipsis, a dash, or the paragraph-break token ``<p>``. Curly quotes, dashes and
ellipses are folded to one spelling each; control characters (terminal escapes among
them) are dropped, so nothing a corpus holds can steer a terminal.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

PARAGRAPH = "<p>"
"""The token that stands for a paragraph break (a blank line)."""

UNKNOWN = "<unk>"
"""The token the model sees for a word outside its vocabulary."""

DASH = "—"
ELLIPSIS = "..."
QUOTE = '"'

_FOLD = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u02bc": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u00ab": '"',
        "\u00bb": '"',
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
_I_FORMS = {"i": "I", "i'm": "I'm", "i'll": "I'll", "i've": "I've", "i'd": "I'd"}


@dataclass(frozen=True)
class TokenizerConfig:
    """How text becomes tokens; stored inside every model file."""

    lowercase: bool = True
    """Fold words to lower case (detokenising then restores sentence capitals, "I" and names)."""
    names: tuple[str, ...] = ()
    """Lower-cased words the corpus writes with a capital mid-sentence (names), restored on output."""

    def to_dict(self) -> dict[str, object]:
        return {"lowercase": self.lowercase, "names": list(self.names)}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> TokenizerConfig:
        lowercase = data.get("lowercase", True)
        if not isinstance(lowercase, bool):
            raise ValueError("tokenizer setting 'lowercase' must be true or false")
        names = data.get("names", [])
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ValueError("tokenizer setting 'names' must be a list of words")
        return cls(lowercase=lowercase, names=tuple(names))


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


def clean(text: str) -> str:
    """Normalise Unicode, fold quote/dash variants and drop control and invisible characters."""
    # A Windows line end is one line break, not two (which would read as a paragraph break).
    return _INVISIBLE.sub("", unicodedata.normalize("NFC", text.replace("\r\n", "\n")).translate(_FOLD))


def iter_tokens(text: str | Iterable[str], config: TokenizerConfig = TokenizerConfig()) -> Iterator[str]:
    """Yield the tokens of ``text`` one by one: a string, or a stream of pieces of one text, each
    cut at a word boundary (as ``Corpus.blocks`` gives them) so a corpus need not fit in memory."""
    last = None
    for block in (text,) if isinstance(text, str) else text:
        for match in _TOKEN.finditer(clean(block)):
            kind = match.lastgroup
            if kind == "para":
                token = PARAGRAPH
                if last is None or last == PARAGRAPH:
                    continue
            elif kind == "ellipsis":
                token = ELLIPSIS
            elif kind == "dash":
                token = DASH
            else:
                token = match.group()
                if config.lowercase and kind == "word":
                    token = token.lower()
            yield token
            last = token


def tokenize(text: str, config: TokenizerConfig = TokenizerConfig()) -> list[str]:
    """Split prose into tokens."""
    return list(iter_tokens(text, config))


class Detokenizer:
    """Builds readable text from tokens one at a time.

    Each ``push`` returns only the text that the new token adds, so a stream of words
    can be printed as it comes: the text of a prefix never changes when tokens follow.
    """

    def __init__(self, config: TokenizerConfig = TokenizerConfig()) -> None:
        self._capitalize = config.lowercase
        self._names = frozenset(config.names)
        self._previous: str | None = None
        self._sentence_start = True
        self._open_quote = False

    @property
    def capitalizes_next(self) -> bool:
        """Whether a word pushed next starts a sentence and gets a capital."""
        return self._capitalize and self._sentence_start

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

        text = token
        if token not in _SENTENCE_END and token not in _NO_SPACE_BEFORE and token != DASH:
            if self._capitalize:
                text = _I_FORMS.get(text, text)
                if (self._sentence_start or text in self._names) and text[:1].isalpha():
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
        return not (previous == QUOTE and self._open_quote)


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


def tokenize_typed(text: str, config: TokenizerConfig = TokenizerConfig()) -> list[Typed]:
    """Split a writer's text into tokens as ``tokenize`` does, keeping how each was typed."""
    cleaned = clean(text)
    typed: list[Typed] = []
    end = None  # where the last token ended
    for match in _TOKEN.finditer(cleaned):
        kind = match.lastgroup
        if kind == "para":
            token = form = PARAGRAPH
            if not typed or typed[-1].token == PARAGRAPH:
                continue
        elif kind in ("ellipsis", "dash"):
            token = form = ELLIPSIS if kind == "ellipsis" else DASH
        else:
            form = match.group()
            token = form.lower() if config.lowercase and kind == "word" else form
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
        piece = self.detokenizer.push(token)
        if token == PARAGRAPH or (form is None and space is None):
            return piece
        body = piece.lstrip(" ")
        lead = piece[: len(piece) - len(body)]
        if space is not None:
            lead = " " if space else ""
        return lead + (body if form is None else form)
