"""The story-file rules of a session: filing, saving, opening, a new story, its title, restoring.

A story is filed in the story list (``<data dir>/stories``) when it is saved, replaced by
another, or the session ends cleanly; the autosave then goes. An autosave left by an
instance that ended without closing is offered back once; one that another running
instance holds is never touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..engine.page import spell
from ..engine.story import Story, StoryError, export_text, load_story, save_story
from . import library
from .autosave import orphan, orphans

if TYPE_CHECKING:
    from .session import WritingSession


@dataclass(frozen=True)
class Crashed:
    """A story an earlier session left in its autosave, to offer back."""

    story: Story
    words: int
    preview: str


class Shelf:
    """A session's files (``session.files``): the story list, saving, restoring."""

    def __init__(self, session: WritingSession) -> None:
        self.session = session
        self.stories_dir = session.data_dir / library.STORIES
        self.story_file: Path | None = None
        """Where the open story is filed in the story list (None until it is)."""

    # -- at start ----------------------------------------------------------------------

    def greeting(self) -> str | None:
        """One sentence when another instance writes in the same data folder."""
        if not self.session.claim.shared:
            return None
        return (
            "Another storyteller is open on this data folder: this one writes its own story "
            f"(autosaved to {self.session.autosave.path.name}), and neither touches the other's."
        )

    def crashed(self) -> tuple[Crashed | None, list[str]]:
        """The story this instance's autosave holds from a session that did not close, if any; and a
        sentence for each other problem (an unreadable autosave, autosaves of other ended instances
        filed in the story list)."""
        notices: list[str] = []
        for path in orphans(self.session.data_dir, self.session.autosave.path):
            with orphan(path) as free:  # taken again: an instance starting now must not claim it meanwhile
                if not free:
                    continue
                try:
                    story = load_story(path, self.session.model.card.tokenizer)
                except StoryError as error:
                    notices.append(f"{error} It was left where it is.")
                    continue
                if story.words and self.file_story(story, library.new_path(self.stories_dir, story)):
                    words = story.word_count()
                    notices.append(
                        f"A story left by an earlier session ({words:,} words) is in the story list."
                    )
                path.unlink(missing_ok=True)
        path = self.session.autosave.path
        if not path.exists():
            return None, notices
        try:
            story = load_story(path, self.session.model.card.tokenizer)
        except StoryError as error:
            return None, [f"{error} It was left where it is.", *notices]
        if not story.words:
            path.unlink(missing_ok=True)
            return None, notices
        preview = spell(story.words[-40:], self.session.model.card.tokenizer).strip()
        return Crashed(story, story.word_count(), preview), notices

    def restore(self, crashed: Crashed, accept: bool) -> None:
        if accept:
            self.session.set_story(crashed.story, autosave=True)
        else:
            self.file_story(crashed.story, library.new_path(self.stories_dir, crashed.story))
            self.session.autosave.remove()

    # -- the story list ----------------------------------------------------------------

    def file_story(self, story: Story, path: Path | None = None) -> Path | None:
        """Keep ``story`` in the story list; its file, or None if there was nothing to keep (or the
        disk refused, which the writer is told)."""
        if not story.words:
            return None
        try:
            path = path or self.story_file or library.new_path(self.stories_dir, story)
            save_story(self.session.stamped(story), path)
        except OSError as error:
            self.session.say(f"The story could not be filed ({error.strerror or error}).")
            return None
        except StoryError as error:
            self.session.say(str(error))
            return None
        return path

    def entries(self) -> tuple[list[library.Entry], list[str]]:
        """The story list, newest first (slow on many long stories: call it from a worker)."""
        if not self.stories_dir.is_dir():
            return [], []
        return library.entries(self.stories_dir, self.session.model.card.tokenizer)

    def open_story(self, path: Path) -> str | None:
        """Write the story filed at ``path``; the open one is filed first. Or say why not."""
        try:
            story = load_story(path, self.session.model.card.tokenizer)
        except StoryError as error:
            return self.session.say(str(error))
        filed = self.file_story(self.session.story)
        if filed is not None and filed == path:
            # The open story was this one: read what was just filed.
            story = load_story(path, self.session.model.card.tokenizer)
        self.session.set_story(story, path, autosave=True)
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

    def suggestion(self) -> Path:
        return library.suggestion(self.stories_dir, self.session.story)

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

    def remove_autosave(self) -> None:
        self.session.autosave.remove()
        self.session.claim.lock.release()
