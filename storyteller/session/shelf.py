"""The story-file rules of a session: filing, saving, opening, a new story, its title, restoring.

A story is filed in the story list (``<data dir>/stories``) when it is saved, replaced by
another, or the session ends cleanly; the autosave then goes. An autosave left by an
instance that ended without closing is offered back once; one that another running
instance holds is never touched; one that cannot be read is set aside under a new name before
anything is written, never overwritten.

Reading that autosave can take long (a story of millions of words): ``begin_restore`` holds
autosave writes, ``crashed`` may then run in any thread while the writer goes on writing, and
``restore`` ends the hold with the writer's answer; nothing the writer wrote meanwhile is lost.

When the disk refuses everything (the autosave and the story list), ``at_risk`` says so, and
the app asks at quit where the story should go instead.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..engine.page import spell
from ..engine.story import Story, StoryError, export_text, load_story, save_story
from . import library
from .autosave import orphan, orphans, set_aside

if TYPE_CHECKING:
    from .session import WritingSession


@dataclass(frozen=True)
class Opened:
    """A story read from the story list, to open."""

    story: Story
    unscored: int | None
    """Its first word the model has not scored (``first_unscored``)."""


@dataclass(frozen=True)
class Crashed:
    """A story an earlier session left in its autosave, to offer back."""

    story: Story
    words: int
    preview: str
    unscored: int | None = -1
    """The first of its writer's words not scored yet (``session.first_unscored``); -1: not known."""


class Shelf:
    """A session's files (``session.files``): the story list, saving, restoring."""

    def __init__(self, session: WritingSession) -> None:
        self.session = session
        self.stories_dir = session.data_dir / library.STORIES
        self.story_file: Path | None = None
        """Where the open story is filed in the story list (None until it is)."""
        self.saved: tuple[object, int] | None = None
        """The story and its revision when it was last saved somewhere the writer chose."""
        self.restoring = False
        """True from ``begin_restore`` to ``restore``: the autosave left here is being read or offered."""

    # -- at start ----------------------------------------------------------------------

    def greeting(self) -> str | None:
        """One sentence when another instance writes in the same data folder."""
        if not self.session.claim.shared:
            return None
        return (
            "Another storyteller is open on this data folder: this one writes its own story "
            f"(autosaved to {self.session.autosave.path.name}), and neither touches the other's."
        )

    def begin_restore(self) -> bool:
        """Whether an earlier session left anything to read (this instance's autosave, or another
        ended instance's); if so, autosave writes are held until ``restore``."""
        own = os.path.lexists(self.session.autosave.path)
        if own or orphans(self.session.data_dir, self.session.autosave.path):
            self.restoring = self.session.autosave.held = True
        return self.restoring

    def crashed(self) -> tuple[Crashed | None, list[str]]:
        """The story this instance's autosave holds from a session that did not close, if any; and a
        sentence for each other problem (an unreadable autosave, autosaves of other ended instances
        filed in the story list). It tells the session nothing, so it may run in any thread."""
        notices: list[str] = []
        for path in orphans(self.session.data_dir, self.session.autosave.path):
            with orphan(path) as free:  # taken again: an instance starting now must not claim it meanwhile
                if not free:
                    continue
                try:
                    story = load_story(path, self.session.model.card.tokenizer)
                except StoryError as error:
                    notices.append(self._set_aside(path, error))
                    continue
                kept = self.file_story(story, library.new_path(self.stories_dir, story), notices.append)
                if story.words and kept:
                    words = story.word_count()
                    notices.append(
                        f"A story left by an earlier session ({words:,} words) is in the story list."
                    )
                path.unlink(missing_ok=True)
        path = self.session.autosave.path
        if not os.path.lexists(path):
            return None, notices
        try:
            story = load_story(path, self.session.model.card.tokenizer)
        except StoryError as error:
            return None, [self._set_aside(path, error, own=True), *notices]
        if not story.words:
            path.unlink(missing_ok=True)
            return None, notices
        preview = spell(story.words[-40:], self.session.model.card.tokenizer).strip()
        from .session import first_unscored

        return Crashed(story, story.word_count(), preview, first_unscored(story)), notices

    def _set_aside(self, path: Path, error: StoryError, own: bool = False) -> str:
        """Move an autosave that cannot be read out of the way, so nothing writes over it."""
        try:
            kept = set_aside(path)
        except OSError as problem:
            if own:
                self.session.autosave.blocked = f"'{path.name}' could not be set aside"
            return (
                f"{error} It could not be moved aside ({problem.strerror or problem}), so it is left "
                "as it is and this session does not autosave over it."
            )
        return f"{error} It is kept, untouched, as '{kept}'."

    def restore(self, crashed: Crashed | None, accept: bool = False) -> None:
        """The writer's answer about ``crashed`` (None: there was nothing to offer); the hold on
        autosave writes ends. Restored, it replaces the open story, which is filed first if words
        were written while it was read; declined, it is filed in the story list."""
        session = self.session
        self.restoring = session.autosave.held = False
        if crashed is not None and accept:
            if session.story.words and self.file_story(session.story):
                session.say("What you wrote while the story was restored is in the story list (Ctrl+O).")
            session.set_story(crashed.story, autosave=True, unscored=crashed.unscored)
            return
        if crashed is not None:
            self.file_story(crashed.story, library.new_path(self.stories_dir, crashed.story))
            session.autosave.remove()
        if session.story.words:
            session.save_autosave()  # what was written meanwhile: held until now

    # -- the story list ----------------------------------------------------------------

    def file_story(
        self, story: Story, path: Path | None = None, tell: Callable[[str], object] | None = None
    ) -> Path | None:
        """Keep ``story`` in the story list; its file, or None if there was nothing to keep (or the
        disk refused, which ``tell`` is told: by default the writer)."""
        if not story.words:
            return None
        tell = tell or self.session.say
        try:
            path = path or self.story_file or library.new_path(self.stories_dir, story)
            save_story(self.session.stamped(story), path)
        except OSError as error:
            tell(f"The story could not be filed ({error.strerror or error}).")
            return None
        except StoryError as error:
            tell(str(error))
            return None
        return path

    def entries(self) -> tuple[list[library.Entry], list[str]]:
        """The story list, newest first (slow on many long stories: call it from a worker)."""
        if not self.stories_dir.is_dir():
            return [], []
        return library.entries(self.stories_dir, self.session.model.card.tokenizer)

    def read_story(self, path: Path) -> Opened | str:
        """The story filed at ``path``, read with what is worked out from its words (it may run in
        any thread: a long story takes seconds); or why it cannot be opened, in one sentence."""
        from .session import first_unscored

        try:
            story = load_story(path, self.session.model.card.tokenizer)
        except StoryError as error:
            return str(error)
        story.file()  # its word count, turns and each word's JSON, worked out here
        return Opened(story, first_unscored(story))

    def open_story(self, path: Path, read: Opened | str | None = None) -> str | None:
        """Write the story filed at ``path`` (``read``: what ``read_story`` gave, in another thread);
        the open one is filed first. Or say why not."""
        read = self.read_story(path) if read is None else read
        if isinstance(read, str):
            return self.session.say(read)
        filed = self.file_story(self.session.story)
        if filed is not None and filed == path:
            # The open story was this one: it was just filed, and is newer than what was read.
            read = Opened(self.session.story, self.session.unscored_from)
        self.session.set_story(read.story, path, autosave=True, unscored=read.unscored)
        return None

    def new_story(self) -> str:
        """File the open story and start an empty one."""
        filed = self.file_story(self.session.story)
        self.session.set_story(Story(), autosave=True)
        return self.session.say(
            "A new story." + (" The last one is in the story list (Ctrl+O)." if filed else "")
        )

    def set_title(self, title: str) -> str:
        self.session.story.title = " ".join(title.split())
        self.session.changed()
        return self.session.say(
            f"The story is called “{self.session.story.title}”."
            if self.session.story.title
            else "The story has no title."
        )

    # -- saving ------------------------------------------------------------------------

    def suggestion(self, elsewhere: bool = False) -> Path:
        """Where the save dialog first offers to save; ``elsewhere``: outside the data folder (whose
        disk has just refused the story), in the writer's home folder."""
        folder = Path.home() if elsewhere else self.stories_dir
        return library.suggestion(folder, self.session.story)

    def as_text(self) -> str:
        """The story as prose, for the clipboard."""
        return self.session.story.text(self.session.model.card.tokenizer).strip() + "\n"

    def save_as(self, path: Path, create_folder: bool = False) -> str | None:
        """Save to ``path`` (.json: a story file; .md or .txt: prose) and file it in the story list.

        Returns None when ``path``'s folder does not exist and ``create_folder`` is False: the
        caller asks the writer first. Otherwise one sentence saying what happened.
        """
        if not path.parent.exists() and not create_folder:
            return None
        story = self.session.stamped(self.session.story)
        try:
            if path.suffix.lower() == ".json":
                save_story(story, path)
            else:
                export_text(
                    story, path, self.session.model.card.tokenizer, markdown=path.suffix.lower() == ".md"
                )
        except StoryError as error:
            return self.session.say(str(error))
        self.saved = (self.session.story, self.session.story.revision)
        if path.suffix.lower() == ".json" and path.parent.resolve() == self.stories_dir.resolve():
            self.story_file = path  # saved into the list itself: that file is the story's, once
        filed = self.file_story(story)
        if filed is not None:
            self.story_file = filed
        return self.session.say(f"Saved to {path}.")

    def close(self) -> bool:
        """At a clean quit: file the story; True when the autosave may go (call ``remove_autosave``)."""
        self.session.halt()
        return self.file_story(self.session.story) is not None or not self.session.story.words

    def at_risk(self) -> str | None:
        """After ``close`` failed: one sentence when the story as it is now is on no disk at all (not
        filed, not autosaved, not saved since it last changed), else None."""
        session = self.session
        story = session.story
        if not story.words or session.autosave.holds_latest:
            return None
        if self.saved is not None and self.saved[0] is story and self.saved[1] == story.revision:
            return None
        why = session.autosave.problem or session.autosave.blocked or "the disk refused it"
        return (
            f"The story ({story.word_count():,} words) could not be saved: neither the story list "
            f"nor the autosave took it ({why})."
        )

    def remove_autosave(self) -> str | None:
        """At a clean quit, after ``close``. While a restore is under way the autosave stays as the
        earlier session left it, to be offered at the next start."""
        problem = None if self.restoring else self.session.autosave.remove()
        self.session.claim.lock.release()
        return problem
