"""Every key of the writer, once: the footer, the help screen, the command palette and the
README's key table are all made from ``ROWS``."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding

from ..session.settings import SPECS


@dataclass(frozen=True)
class Row:
    """One line of the key table: the keys as the writer reads them, what they do, and the
    bindings behind them (none for keys the input line or the app handles)."""

    keys: str
    help: str
    group: str
    bindings: tuple[Binding, ...] = ()
    footer: int | None = None
    """Where the first binding sits in the footer (None: not shown there)."""
    readme: bool = True
    """Whether the README's table lists it (the help screen lists every row)."""


def _b(key: str, action: str, description: str, priority: bool = False) -> Binding:
    return Binding(key, action, description, show=False, priority=priority)


def _setting(name: str, description: str) -> tuple[str, str]:
    return SPECS[name].keys, description


ROWS: tuple[Row, ...] = (
    Row("Enter", "add the typed words (at the word cursor: before the word there)", "Writing"),
    Row("Enter on an empty line", "the model writes a turn (length: F5)", "Writing"),
    Row(
        "Esc",
        "stop the model (its words stay); leave the word cursor",
        "Writing",
        (_b("escape", "stop", "Stop", True),),
        footer=1,
    ),
    Row(
        "Tab",
        "accept the top candidate, one word",
        "Writing",
        (_b("tab", "accept", "Accept word", True),),
        footer=0,
    ),
    Row(
        "Shift+Tab",
        "accept the top candidate and its likeliest next words, shown beside it (the lookahead setting)",
        "Writing",
        (_b("shift+tab", "accept_phrase", "Accept phrase", True),),
    ),
    Row(
        "Shift+F1 … Shift+F10",
        "pick candidate 1 … 10 (digits are text)",
        "Writing",
        tuple(_b(f"shift+f{n}", f"pick({n})", f"Pick candidate {n}") for n in range(1, 11)),
    ),
    Row(
        "Ctrl+L",
        "a paragraph break (or type ¶; in a paste, a blank line)",
        "Writing",
        (_b("ctrl+l", "paragraph", "New paragraph", True),),
    ),
    Row(
        "Ctrl+N",
        "replace the unknown word just typed by the nearest word the model knows",
        "Writing",
        (_b("ctrl+n", "replace_unknown", "Use nearest word", True),),
    ),
    Row(
        "Ctrl+E",
        "a bridge to a word: name it (and at most how many words: castle 6); the model's three "
        "likeliest ways there, one key writes one in",
        "Writing",
        (_b("ctrl+e", "bridge", "Bridge to a word", True),),
    ),
    Row(
        "Ctrl+K",
        "the model's turn went round in a loop (its repeated words underlined): forbid the phrase, "
        "write warmer, or take its next-best word where the loop began",
        "Writing",
        (_b("ctrl+k", "loops", "Fix a loop", True),),
    ),
    Row(
        "Ctrl+F",
        "where the top candidate comes from: a few lines of the corpus that have it after the "
        "story's last words (the panel counts each candidate there; the status bar's copy meter turns "
        "red when the story's last words are the corpus's, word for word)",
        "Writing",
        (_b("ctrl+f", "sources", "Sources", True),),
    ),
    Row(
        "Ctrl+Z / Ctrl+Y",
        "undo / redo one word, whoever wrote it",
        "History",
        (_b("ctrl+z", "undo", "Undo", True), _b("ctrl+y", "redo", "Redo", True)),
        footer=3,
    ),
    Row(
        "F12",
        "undo the whole last turn, yours or the model's (Ctrl+Y brings it back word by word)",
        "History",
        (_b("f12", "undo_turn", "Undo turn"),),
    ),
    Row(
        "Ctrl+R",
        "write the model's last turn again, with a fresh sample",
        "History",
        (_b("ctrl+r", "regenerate", "Regenerate", True),),
        footer=4,
    ),
    Row(
        "Alt+← / Alt+→",
        "move to an earlier / later word and see the candidates offered there; "
        "picking one rewrites the story from that word",
        "History",
        (_b("alt+left", "cursor(-1)", "Earlier word"), _b("alt+right", "cursor(1)", "Later word")),
    ),
    Row(
        "Ctrl+B",
        "return to a branch: anything replaced, undone-then-overwritten or regenerated "
        "is kept as one (in tmux, where Ctrl+B is the prefix: Ctrl+B twice)",
        "History",
        (_b("ctrl+b", "branches", "Branches"),),
    ),
    Row(
        *_setting("temperature", "temperature down / up"),
        "Settings",
        (_b("f2", "setting('temperature', -1)", "Colder"), _b("f3", "setting('temperature', 1)", "Warmer")),
    ),
    Row(
        *_setting("top_k", "top-k: 5, 10, 20, 40, 100, all"),
        "Settings",
        (_b("f4", "setting('top_k')", "Top-k"),),
    ),
    Row(*_setting("length", "words per model turn"), "Settings", (_b("f5", "setting('length')", "Length"),)),
    Row(*_setting("greedy", "greedy on / off"), "Settings", (_b("f6", "setting('greedy')", "Greedy"),)),
    Row(
        *_setting("window", "the model reads the whole story, or only its last 3, 5 or 8 words"),
        "Settings",
        (_b("f7", "setting('window')", "Window"),),
    ),
    Row(
        *_setting(
            "colour",
            "colour every word by the probability the model gave it; after a model switch, again: "
            "by the change (green: the new model expects it more, red: less)",
        ),
        "Settings",
        (_b("f8", "colour", "Colour"),),
    ),
    Row(
        *_setting("pace", "how fast the model's words appear"),
        "Settings",
        (_b("f9", "setting('pace')", "Pace"),),
    ),
    Row(
        "Ctrl+T",
        "the retrain panel: train a model on your own text, then write with it "
        "(a run goes on while you write; Ctrl+T comes back to it)",
        "Models",
        (_b("ctrl+t", "retrain", "Retrain", True),),
        footer=7,
    ),
    Row(
        "F10",
        "every model, with its figures: switch, rename or delete your own",
        "Models",
        (_b("f10", "models", "Models"),),
        footer=8,
    ),
    Row(
        "Ctrl+G",
        "back to the model used before the last switch",
        "Models",
        (_b("ctrl+g", "rollback", "Previous model", True),),
    ),
    Row(
        "Ctrl+S", "save (`.md`, `.txt` or `.json`)", "Files", (_b("ctrl+s", "save", "Save", True),), footer=5
    ),
    Row(
        "Ctrl+O",
        "the story list: open an earlier story, start a new one, give this one a title",
        "Files",
        (_b("ctrl+o", "open", "Open", True),),
        footer=6,
    ),
    Row(
        "PgUp / PgDn",
        "scroll the story (the view follows the end again once you are back there)",
        "Files",
        (_b("pageup", "scroll(-1)", "Scroll up"), _b("pagedown", "scroll(1)", "Scroll down")),
    ),
    Row("F1", "every key; Ctrl+P lists every action by name", "Help", (_b("f1", "help", "Help"),), footer=2),
    Row("Ctrl+Q", "quit (the story is kept in the story list)", "Help", readme=False),
)


def _footer_order() -> list[Binding]:
    """The footer shows the marked keys in this order and cuts what does not fit: the most used
    first, and few enough to fit 120 columns."""
    ranked = sorted((row.footer, row.bindings[0]) for row in ROWS if row.footer is not None)
    shown = [Binding(b.key, b.action, b.description, show=True, priority=b.priority) for _, b in ranked]
    hidden = [b for row in ROWS if row.footer is None for b in row.bindings]
    rest = [b for row in ROWS if row.footer is not None for b in row.bindings[1:]]
    return [*shown, *rest, *hidden]


KEYS: list[Binding] = _footer_order()
"""The writer's bindings."""

EXTRA_COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("Continue (Enter on an empty line)", "The model writes", "continue"),
    ("New story", "File this story in the story list and start an empty one", "new_story"),
    ("Title the story", "Give the story a title (the story list shows it)", "title"),
)
"""Palette entries for actions without a key of their own: (title, help, action)."""


def readme_table() -> str:
    """The README's key table, as ``ROWS`` make it."""
    lines = ["| key | what it does |", "|---|---|"]
    lines += [f"| {row.keys} | {row.help} |" for row in ROWS if row.readme]
    return "\n".join(lines)
