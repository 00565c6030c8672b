"""The writer's settings, each defined once: default, range or choices, key and help.

``WriterSettings`` is the one definition. Each field's metadata (``Spec``) holds what the
rest of the program needs to know about it, so the keys that change a setting, the
config file's checks, the command line's flags and the help screen are all built from it
and cannot disagree. The config file is read and written in ``config_file``, the flags are
``setting_flags``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from ..engine import SamplingConfig
from ..engine.bridge import MAX_BEAM
from ..engine.cache import DEFAULT_WORDS, MAX_WORDS
from ..engine.lookahead import MAX_LOOKAHEAD
from ..engine.loops import MAX_NO_REPEAT


@dataclass(frozen=True)
class Spec:
    """What is known about one setting besides its default."""

    help: str
    """What it does, in the writer's words (the help screen and ``--help``)."""
    kind: type = float
    """float, int or bool."""
    low: float = 0
    high: float = 0
    """The range a config file or a flag may give (numbers only)."""
    none_is_zero: bool = False
    """None (all words, the whole story) is written 0 in the config file and on the command line."""
    choices: tuple[Any, ...] = ()
    """What its key cycles through (empty: the key toggles a bool or steps a number)."""
    step: float = 0
    """How far one press moves a number (its key pair moves it down and up)."""
    keys: str = ""
    """The key (or keys) that change it, as the writer reads them."""
    shown: str = ""
    """How a value is announced, a ``str.format`` pattern over ``value`` (bools: 'on text|off text')."""


def setting(default: Any, spec: Spec) -> Any:
    return field(default=default, metadata={"spec": spec})


@dataclass(frozen=True)
class WriterSettings:
    """Everything the writer can change from the keyboard or the config file."""

    temperature: float = setting(
        0.8,
        Spec(
            "below 1 the model plays safe; above 1 it takes chances",
            float,
            0.05,
            5.0,
            step=0.1,
            keys="F2 / F3",
            shown="Temperature {value:.1f}",
        ),
    )
    top_k: int | None = setting(
        40,
        Spec(
            "the model samples among this many most probable words (0: all)",
            int,
            0,
            100_000,
            none_is_zero=True,
            choices=(5, 10, 20, 40, 100, None),
            keys="F4",
            shown="Top-k {value}",
        ),
    )
    top_p: float = setting(
        0.95, Spec("... and among those whose probabilities add up to this", float, 0.01, 1.0)
    )
    repetition_penalty: float = setting(
        1.2, Spec("how much recently used words are held back (1: not at all)", float, 1.0, 10.0)
    )
    greedy: bool = setting(
        False,
        Spec(
            "always the most probable word, after the repetition penalty",
            bool,
            keys="F6",
            shown="Greedy: always the most probable word|Sampling",
        ),
    )
    length: int = setting(
        30,
        Spec(
            "words per model turn",
            int,
            1,
            10_000,
            choices=(5, 10, 20, 30, 50, 100),
            keys="F5",
            shown="The model writes {value} words a turn",
        ),
    )
    window: int | None = setting(
        None,
        Spec(
            "the model reads the whole story (0) or only its last N words",
            int,
            0,
            10_000,
            none_is_zero=True,
            choices=(None, 3, 5, 8),
            keys="F7",
            shown="The model reads {value}",
        ),
    )
    cache: bool = setting(
        True,
        Spec(
            "the model also draws on the story's own words (its memory), so a name in it can come "
            "back, and on what followed the last words earlier in the story and in its corpus",
            bool,
        ),
    )
    cache_words: int = setting(
        DEFAULT_WORDS, Spec("how many of the story's last words its memory holds", int, 10, MAX_WORDS)
    )
    candidates: int = setting(10, Spec("how many candidates the panel lists", int, 1, 50))
    pace: float = setting(
        0.03,
        Spec(
            "seconds between two of the model's words (0: at once)",
            float,
            0.0,
            5.0,
            choices=(0.08, 0.03, 0.0),
            keys="F9",
            shown="The model writes {value}",
        ),
    )
    colour: bool = setting(
        False,
        Spec(
            "colour each word by the probability the model gave it",
            bool,
            keys="F8",
            shown="Colour by probability on|Colour by probability off",
        ),
    )
    lookahead: int = setting(
        3,
        Spec("words shown after each candidate: its likeliest continuation (0: none)", int, 0, MAX_LOOKAHEAD),
    )
    no_repeat: int = setting(
        0,
        Spec(
            "the model never repeats a phrase of this many tokens from the last few hundred (0: off)",
            int,
            0,
            MAX_NO_REPEAT,
        ),
    )
    bridge_beam: int = setting(
        16, Spec("paths a bridge to a word (Ctrl+E) follows side by side (the beam width)", int, 1, MAX_BEAM)
    )
    copy_threshold: int = setting(
        12,
        Spec(
            "the copy meter turns red when more of the story's last words than this are the corpus's, "
            "word for word",
            int,
            1,
            10_000,
        ),
    )
    seed: int | None = setting(
        None,
        Spec("fixes the model's choices: the same story and seed give the same words", int, 0, 2**31 - 1),
    )

    def sampling(self, seed: int) -> SamplingConfig:
        return SamplingConfig(
            greedy=self.greedy,
            temperature=self.temperature,
            top_k=self.top_k,
            top_p=self.top_p,
            repetition_penalty=self.repetition_penalty,
            seed=seed,
            no_repeat=self.no_repeat,
        )

    @property
    def memory(self) -> int | None:
        """How many words the story's memory holds (None: off, or a window reads no further back)."""
        return self.cache_words if self.cache and self.window is None else None

    def recorded(self, seed: int) -> dict[str, Any]:
        """What a story records about how the model wrote a turn."""
        return {**asdict(self.sampling(seed)), "window": self.window, "memory": self.memory}

    def changed(self, name: str, direction: int = 1) -> WriterSettings:
        """The setting ``name`` moved by its key: a step down or up, the next choice, or toggled."""
        spec = SPECS[name]
        current = getattr(self, name)
        if spec.kind is bool:
            return replace(self, **{name: not current})
        if spec.step:
            # The keys keep a stepped number where it is useful (0.1 to 3 for the temperature);
            # the config file may go further.
            low, high = max(spec.low, spec.step), min(spec.high, 3.0)
            return replace(self, **{name: round(min(high, max(low, current + direction * spec.step)), 2)})
        index = spec.choices.index(current) if current in spec.choices else -1
        return replace(self, **{name: spec.choices[(index + 1) % len(spec.choices)]})

    def announce(self, name: str) -> str:
        """One line saying what the setting ``name`` is now."""
        spec, value = SPECS[name], getattr(self, name)
        if spec.kind is bool:
            on, off = spec.shown.split("|")
            return on if value else off
        return spec.shown.format(value=_words(name, value))

    def describe(self) -> str:
        if self.greedy:
            sampling = "greedy"
        else:
            k = "all" if self.top_k is None else self.top_k
            sampling = f"temp {self.temperature:.1f} · top-k {k} · top-p {self.top_p:.2f}"
        window = "whole story" if self.window is None else f"last {self.window} words"
        seed = "random" if self.seed is None else str(self.seed)
        return f"{sampling} · {self.length} words/turn · reads {window} · seed {seed}"


def _words(name: str, value: Any) -> Any:
    if name == "top_k":
        return "all" if value is None else value
    if name == "window":
        return "the whole story" if value is None else f"the last {value} words"
    if name == "pace":
        return "at once" if value == 0 else f"a word every {value * 1000:.0f} ms"
    return value


SPECS: dict[str, Spec] = {f.name: f.metadata["spec"] for f in fields(WriterSettings)}
"""Every setting's spec, by name, in the order the dataclass defines them."""
DEFAULTS = WriterSettings()


def check(name: str, value: Any) -> tuple[Any, str | None]:
    """A config-file or command-line value made a setting's value, or why it cannot be."""
    spec = SPECS.get(name)
    if spec is None:
        return None, f"'{name}' is not a setting"
    if spec.kind is bool:
        return (value, None) if isinstance(value, bool) else (None, f"'{name}' must be true or false")
    number_ok = isinstance(value, int | float) and not isinstance(value, bool)
    if (
        not number_ok
        or (spec.kind is int and not isinstance(value, int))
        or not spec.low <= value <= spec.high
    ):
        what = "a whole number" if spec.kind is int else "a number"
        return None, f"'{name}' must be {what} from {spec.low:g} to {spec.high:g}"
    if spec.none_is_zero and value == 0:
        return None, None
    return spec.kind(value), None
