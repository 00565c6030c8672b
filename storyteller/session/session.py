"""One writing session: the story, the models, the settings, the model's work and the autosave.

Everything the writer's screen shows is read from a ``WritingSession``, and everything the
writer does is an intent sent to it (``add_text``, ``pick``, ``undo_turn``, ...). It imports
no Textual, so a whole session can be driven by a test. It never blocks on the model: slow
work is asked for as a request (``analysis_request``, ``start_turn``), done by the
``Reader`` in whatever thread the caller chooses, and its result applied back here
(``apply_analysis``, ``model_wrote``), dropped if the story moved on meanwhile.

After every change the session tells its listener what changed, and asks ``background``
to write the autosave: the app runs that in a worker, a test runs it at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..engine import PARAGRAPH, Candidate, Model, is_word
from ..engine.lookahead import Phrase
from ..engine.page import LOOKBACK, typed_forms, written
from ..engine.quotes import QUOTE_LOOKBACK, quote_open
from ..engine.story import Author, Story, Word
from ..engine.tokenizer import Typed, tokenize_typed
from .aids import Aids
from .autosave import Autosave, Claim, claim
from .config_file import CONFIG_FILE, persist
from .corpus_aids import CorpusAids
from .models import Models
from .reading import Reader, TurnRequest
from .settings import WriterSettings
from .shelf import Shelf
from .turns import ModelWork

PARAGRAPH_MARK = "¶"
"""Typed (or pasted) in the writer's text, a paragraph break."""

Job = Callable[[], "str | None"]
"""Disk work: returns one sentence for the writer if it failed."""


def first_unscored(story: Story) -> int | None:
    """The first of the writer's words that the model has not scored (a walk through the story)."""
    return next(
        (i for i, w in enumerate(story.words) if w.author is Author.WRITER and w.probability is None), None
    )


def run_now(job: Job) -> str | None:
    return job()


@dataclass(frozen=True)
class Change:
    """What changed, for the screens to draw again."""

    story: bool = False
    model: bool = False
    settings: bool = False
    notice: str | None = None
    """One sentence for the writer, if any."""


class WritingSession(Models, ModelWork, Aids):
    """A writer, a model and a story, and everything they do together (see the module's docstring)."""

    def __init__(
        self,
        model: Model,
        data_dir: Path,
        settings: WriterSettings | None = None,
        background: Callable[[Job], object] = run_now,
        owned: Claim | None = None,
    ) -> None:
        self.model = model
        self.previous_model: Model | None = None
        """The model before the last switch: one key goes back to it."""
        self.settings = settings or WriterSettings()
        self.data_dir = data_dir
        self.reader = Reader()
        self.listener: Callable[[Change], None] = lambda change: None
        self._background = background
        self.claim = owned or claim(data_dir)
        """This instance's own autosave, locked for as long as it runs."""
        self.autosave = Autosave(self.claim.path)
        self.files = Shelf(self)
        """The story-file rules: the story list, saving, restoring."""
        self.story = Story()
        self.cursor: int | None = None
        """The word the writer went back to (None: the end of the story)."""
        self.writing = False
        self.turn = 0  # which model turn a word belongs to; bumped to drop a stopped turn's words
        self._attempt = 0  # regenerations of the current turn
        self._request: TurnRequest | None = None
        self.candidates: list[Candidate] = []
        self.phrases: list[Phrase] = []
        """Each candidate with its likeliest next words, where the lookahead is on."""
        self.candidates_at: tuple[int, int | None] | None = None
        """The story length and cursor the candidates were worked out for."""
        self.candidates_window: int | None = None
        self.candidates_memory: int | None = None
        self.entropy = 0.0
        self.unscored_from: int | None = None
        """The first of the writer's words the model has not scored yet."""
        self.unknown: list[str] = []
        """The writer's latest words that the model does not know."""
        self.aids = CorpusAids()
        """The corpus index's counts, copy meter and sources, and the story under two models."""

    # -- telling the screens -----------------------------------------------------------

    def changed(self, autosave: bool = True, **change: object) -> None:
        if autosave:
            self.save_autosave()
        self.listener(Change(story=True, **change))  # type: ignore[arg-type]

    def _tell_story(self) -> None:
        """The story's look changed (a turn begins) but not its words: nothing to autosave."""
        self.listener(Change(story=True))

    def say(self, notice: str) -> str:
        self.listener(Change(notice=notice))
        return notice

    def save_autosave(self) -> None:
        """Ask for the story to be autosaved (the newest request wins)."""
        number = self.autosave.request()
        file = self.stamped(self.story).file()
        self._background(lambda: self.autosave.write(file, number))

    def stamped(self, story: Story) -> Story:
        story.model = {"name": self.model.name, "sha256": self.model.sha256}
        return story

    # -- the story as a whole ----------------------------------------------------------

    def set_story(
        self, story: Story, path: Path | None = None, autosave: bool = False, unscored: int | None = -1
    ) -> None:
        """Write ``story`` from now on (a restored, opened or new one), filed at ``path``; ``unscored``:
        its ``first_unscored`` if already worked out (in another thread: a restored story is long)."""
        self.halt()
        self.story, self.files.story_file, self.cursor = story, path, None
        self.unscored_from = first_unscored(story) if unscored == -1 else unscored
        self.unknown = []
        self.changed(autosave=autosave)

    # -- the writer's words ------------------------------------------------------------

    def add_text(self, text: str) -> bool:
        """The writer's words join the story at the cursor, or at its end (a ¶ is a paragraph break)."""
        tokenizer = self.model.card.tokenizer
        at = len(self.story.words) if self.cursor is None else self.cursor
        # A straight quote typed first closes a quote the story left open there.
        open_quote = tokenizer.quotes and quote_open(self.story.last_tokens(QUOTE_LOOKBACK, before=at))
        typed = tokenize_typed(text.replace(PARAGRAPH_MARK, "\n\n"), tokenizer, open_quote)
        if text.lstrip().startswith(PARAGRAPH_MARK):
            typed.insert(0, Typed(PARAGRAPH, PARAGRAPH, None))  # the tokenizer drops a break before any text
        previous = self.story.words[at - 1].token if at else PARAGRAPH
        while typed and typed[0].token == PARAGRAPH and previous == PARAGRAPH:
            typed.pop(0)  # one break is enough, and a story does not start with one
        if not typed:
            return False
        self.halt()
        # Each word keeps the form it is typed in (and the page's capitals where typed in lower
        # case): another model never re-cases it, nor re-spaces "[bold]x".
        forms = typed_forms(self._before(at), typed, tokenizer)
        words = [
            Word(t.token, Author.WRITER, form=f, space=s) for t, (f, s) in zip(typed, forms, strict=True)
        ]
        tokens = [t.token for t in typed]
        if self.cursor is None:
            self.story.add(words)
        else:
            # Typed at the word cursor: the words go in before the word under it, which stays
            # under the cursor, and what follows stays after them.
            self.story.insert(self.cursor, words)
            self.cursor += len(words)
        self._unscored(at)
        self.unknown = self.model.vocabulary.unknown(tokens)
        self.changed()
        return True

    def _before(self, index: int) -> list[Word]:
        """The words just before ``index``, enough to spell a word there as the page does."""
        return list(self.story.words[max(0, index - LOOKBACK) : index])

    def _written(self, index: int, token: str) -> str | None:
        """The form ``token`` is shown in at ``index``, kept from then on (see ``engine.page``)."""
        return written(self._before(index), [token], self.model.card.tokenizer)[0]

    def _unscored(self, index: int) -> None:
        if self.unscored_from is None or self.unscored_from > index:
            self.unscored_from = index

    def fixable(self) -> str | None:
        """The latest unknown word (not punctuation) that has a known word near it."""
        vocabulary = self.model.vocabulary
        return next((w for w in reversed(self.unknown) if is_word(w) and vocabulary.nearest(w)), None)

    def replace_unknown(self) -> str | None:
        """Put the nearest known word in place of the latest unknown one; or say why not."""
        if not self.unknown:
            return self.say("No unknown word to replace.")
        word = self.fixable()
        index = max((i for i, w in enumerate(self.story.words) if w.token == word), default=None)
        if word is None or index is None:
            return self.say("No known word is near enough to replace it.")
        self.unknown.remove(word)
        self.halt()
        nearest = self.model.vocabulary.nearest(word)[0]
        form = self._written(index, nearest)
        if form and (self.story.words[index].form or "")[:1].isupper():
            form = form[:1].upper() + form[1:]  # a name typed with a capital keeps it
        self.story.replace(index, Word(nearest, Author.WRITER, form=form))
        self._unscored(index)
        self.changed()
        return None

    def pick(self, number: int, phrase: bool = False) -> str | None:
        """Candidate ``number`` (1: the top one) joins the story, with its likeliest next words if
        ``phrase``; at the word cursor it replaces the word there and what followed is kept as a
        branch."""
        if self.candidates_at != (len(self.story.words), self.cursor) or not self.candidates:
            return self.say("The candidates are still being worked out; try again.")
        if not 1 <= number <= len(self.candidates):
            return self.say(f"There is no candidate {number}.")
        if phrase and not self.settings.lookahead:
            return self.say("The lookahead is off (the lookahead setting is 0): Tab takes one word.")
        if phrase and len(self.phrases) < number:
            return self.say("The candidates' next words are still being worked out; try again.")
        candidate = self.candidates[number - 1]
        following = self.phrases[number - 1] if phrase else None
        self.halt()
        if self.cursor is not None:
            self.story.cut(self.cursor)
            self.cursor = None
        # The candidate's probability is the one shown (with the story's memory, if on); its next
        # words' are the network's own, as the lookahead reads them.
        chosen = [(candidate.token, candidate.probability, number, self.candidates_memory)]
        if following is not None:
            chosen += [
                (t, p, 1, None) for t, p in zip(following.following, following.probabilities, strict=True)
            ]
        for token, probability, rank, memory in chosen:
            form = self._unknown_forms().get(token) or self._written(len(self.story.words), token)
            word = Word(
                token,
                Author.PICKED,
                probability,
                rank,
                window=self.candidates_window,
                form=form,
                memory=memory,
            )
            self.story.add([word])
        self.unknown = []
        self.changed()
        return None

    # -- history -----------------------------------------------------------------------

    def undo(self) -> str | None:
        self.halt()
        self.cursor = None
        undone = self.story.undo()
        self.changed()
        return None if undone is not None else self.say("Nothing to undo.")

    def undo_turn(self) -> str | None:
        """Take back the whole last turn (the writer's or the model's); redo brings it back word by word."""
        self.halt()
        self.cursor = None
        last = self.story.last_turn()
        if last is None:
            return self.say("Nothing to undo.")
        for _ in range(len(self.story.words) - last.start):
            self.story.undo()
        self.changed()
        return None

    def redo(self) -> str | None:
        self.halt()
        redone = self.story.redo()
        self.changed()
        return None if redone is not None else self.say("Nothing to redo.")

    def move_cursor(self, step: int) -> None:
        """Go ``step`` words back (negative) or forward; past the last word is the end again."""
        if not self.story.words:
            return
        self.halt()
        last = len(self.story.words) - 1
        if self.cursor is None:
            self.cursor = last if step < 0 else None
        else:
            moved = self.cursor + step
            self.cursor = None if moved > last else max(0, moved)
        self.changed(autosave=False)

    def leave_cursor(self) -> bool:
        if self.cursor is None:
            return False
        self.cursor = None
        self.changed(autosave=False)
        return True

    def switch_branch(self, index: int) -> None:
        self.halt()
        self.story.switch(index)
        self.unscored_from = None
        self.changed()

    @property
    def quote_open(self) -> bool:
        """Whether the story ends inside a double quote (for a model that tells opening from
        closing quotes): the writer is shown it, so a turn never leaves one open unseen."""
        return self.model.card.tokenizer.quotes and quote_open(self.story.last_tokens(QUOTE_LOOKBACK))

    def cursor_label(self) -> str:
        """What the candidates panel's heading says."""
        if self.cursor is None:
            return "Next word"
        from ..text import visible

        token = self.story.words[self.cursor].token
        word = "¶" if token == PARAGRAPH else visible(token)
        # Counted as the status bar counts: words, not punctuation.
        number = self.story.word_count(before=self.cursor + 1)
        return f"Instead of “{word}” (word {max(number, 1)})"

    # -- models (switching, renames and deletions: see ``models.py``) ----------------------

    def model_changed(self) -> None:
        self.listener(Change(story=True, model=True))

    # -- settings ----------------------------------------------------------------------

    def change_setting(self, name: str, direction: int = 1) -> str:
        """Move setting ``name`` as its key does, keep it in the config file, and say what it is now."""
        self.settings = self.settings.changed(name, direction)
        value = getattr(self.settings, name)
        self._background(lambda: self._persist(name, value))
        self.listener(Change(settings=True, story=name in ("colour", "window")))
        return self.settings.announce(name)

    def _persist(self, name: str, value: object) -> str | None:
        return persist(self.data_dir / CONFIG_FILE, name, value)
