"""The app: built by ``make_app`` from a model, a data folder and settings; keeps stories safe.

Stories live in ``<data dir>/stories``. The story being written is autosaved to
``<data dir>/autosave.json`` after every change; a clean quit files it in the story list
and removes the autosave, so an autosave found at start means the last session was
killed, and the app offers to restore it.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from textual import work
from textual.app import App, SystemCommand
from textual.driver import Driver
from textual.screen import Screen

from ..engine import Model, ModelError, detokenize, load
from ..engine.files import write_atomically
from ..engine.story import Story, StoryError, StoryFile, export_text, load_story, save_story
from ..text import visible
from .screens.help import key_label
from .screens.writer import KEYS, WriterScreen
from .settings import WriterSettings
from .trainer import TRAINER

AUTOSAVE = "autosave.json"
STORIES = "stories"


class StorytellerApp(App[None]):
    """A story writer driven by a word-level language model."""

    CSS_PATH = "storyteller.tcss"
    TITLE = "storyteller"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (70, "-medium"), (100, "-wide")]
    """Classes every screen gets by terminal width; the stylesheet fits the panels to them."""

    def __init__(
        self,
        model: Model,
        data_dir: Path,
        settings: WriterSettings | None = None,
        trainer_command: Sequence[str] = TRAINER,
        notice: str | None = None,
    ) -> None:
        super().__init__()
        self._notice = notice
        self.model = model
        self.previous_model: Model | None = None
        """The model before the last switch: one key rolls back to it."""
        self.data_dir = data_dir
        self.settings = settings or WriterSettings()
        self.trainer_command = list(trainer_command)
        self.story_file: Path | None = None
        """Where the open story is filed in the story list (None until it is)."""
        self._autosave_lock = threading.Lock()
        self._autosave_requested = 0
        self._autosave_written = 0

    def get_driver_class(self) -> type[Driver]:
        """The platform's driver; on POSIX terminals one whose pastes never act as keys (see
        ``terminal_input.py``)."""
        driver = super().get_driver_class()
        try:
            from textual.drivers.linux_driver import LinuxDriver

            from .terminal_input import WriterDriver
        except ImportError:  # no termios: not a POSIX terminal
            return driver
        return WriterDriver if driver is LinuxDriver else driver

    def notify(self, message: str, *args: Any, **kwargs: Any) -> None:
        """Every notice is plain text (never markup) with control characters made visible."""
        kwargs["markup"] = False
        super().notify(visible(message), *args, **kwargs)

    @property
    def autosave_path(self) -> Path:
        return self.data_dir / AUTOSAVE

    @property
    def stories_dir(self) -> Path:
        return self.data_dir / STORIES

    @property
    def writer(self) -> WriterScreen:
        return self.get_screen("writer")  # type: ignore[return-value]

    def on_mount(self) -> None:
        self.install_screen(WriterScreen(), "writer")
        self.push_screen("writer")
        if self._notice:
            self.notify(self._notice, severity="warning", timeout=15)
        self._offer_restore()

    # -- autosave and restore ----------------------------------------------------------

    def _stamp(self, story: Story) -> Story:
        story.model = {"name": self.model.name, "sha256": self.model.sha256}
        return story

    def autosave(self, story: Story) -> None:
        """Write the story to the autosave file, in a worker; only the newest request is written."""
        self._autosave_requested += 1
        self._write_autosave(self._stamp(story).file(), self._autosave_requested)

    @work(thread=True, group="autosave", exit_on_error=False, description="autosave")
    def _write_autosave(self, story: StoryFile, number: int) -> None:
        # One writer at a time, and never an older story after a newer one: requests that
        # pile up while the model writes flat out collapse into the latest.
        with self._autosave_lock:
            if number < self._autosave_requested or number <= self._autosave_written:
                return
            data = story.encode()
            try:
                write_atomically(data, self.autosave_path)
            except OSError as error:
                self.call_from_thread(
                    self.notify, f"Autosave failed ({error.strerror}); save with Ctrl+S.", severity="error"
                )
                return
            self._autosave_written = number

    def _offer_restore(self) -> None:
        if not self.autosave_path.exists():
            return
        try:
            story = load_story(self.autosave_path)
        except StoryError as error:
            self.notify(f"{error} It was left where it is.", severity="warning", markup=False)
            return
        if not story.words:
            self.autosave_path.unlink(missing_ok=True)
            return
        from .screens.restore import RestoreScreen

        preview = detokenize(story.tokens[-40:], self.model.card.tokenizer).strip()

        def answer(restore: bool | None) -> None:
            if restore:
                self.writer.set_story(story)
            else:
                self.file_story(story)
                self.autosave_path.unlink(missing_ok=True)

        self.push_screen(RestoreScreen(story.word_count(), preview), answer)

    # -- the story list ----------------------------------------------------------------

    def file_story(self, story: Story, path: Path | None = None) -> Path | None:
        """Keep the story in the story list; returns its file (None if there was nothing to keep)."""
        if not story.words:
            return None
        path = path or self.story_file or self.stories_dir / f"{_name_for(story, self.model)}.json"
        try:
            save_story(self._stamp(story), path)
        except StoryError as error:
            self.notify(str(error), severity="error", markup=False)
            return None
        return path

    def ask_save(self, story: Story) -> None:
        from .screens.save import SaveScreen

        suggestion = self.stories_dir / f"{_name_for(story, self.model)}.md"

        def save(path: Path | None) -> None:
            if path is None:
                return
            try:
                if path.suffix.lower() == ".json":
                    save_story(self._stamp(story), path)
                else:
                    export_text(story, path, self.model.card.tokenizer, markdown=path.suffix.lower() == ".md")
            except StoryError as error:
                self.notify(str(error), severity="error", markup=False)
                return
            filed = self.file_story(story)
            if filed is not None:
                self.story_file = filed
            self.notify(f"Saved to {path}", markup=False)

        self.push_screen(SaveScreen(suggestion), save)

    def ask_open(self, current: Story) -> None:
        from .screens.stories import StoriesScreen

        files = sorted(self.stories_dir.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        if not files:
            self.notify("No stories yet: a story joins the list when you save it or quit.", markup=False)
            return

        def open_story(path: Path | None) -> None:
            if path is None:
                return
            try:
                story = load_story(path)
            except StoryError as error:
                self.notify(str(error), severity="error", markup=False)
                return
            filed = self.file_story(current)
            if filed is not None and filed == path:
                story = load_story(path)
            self.story_file = path
            self.writer.set_story(story)
            self.autosave(story)

        self.push_screen(StoriesScreen(files), open_story)

    async def action_quit(self) -> None:
        """Quit cleanly: the story is filed in the story list and the autosave removed."""
        writer = self.writer
        writer._halt()
        if self.file_story(writer.story) is not None or not writer.story.words:
            # Let pending autosaves finish (they are quick, or skip as outdated) before the file goes.
            pending = [w.wait() for w in self.workers if w.group == "autosave"]
            await asyncio.gather(*pending, return_exceptions=True)
            self.autosave_path.unlink(missing_ok=True)
        self.exit()

    # -- models ------------------------------------------------------------------------

    def use_model(self, path: Path) -> None:
        """Write with the model at ``path`` from now on, and compare it with the one it replaces."""
        try:
            model = load(path)
        except ModelError as error:
            self.notify(str(error), severity="error", markup=False)
            return
        old = self.model
        self.switch_model(model)
        from .screens.compare import CompareScreen

        def decided(keep: bool | None) -> None:
            if keep is False:
                self.action_rollback()

        self.push_screen(CompareScreen(old, model, list(self.writer.story.tokens)), decided)

    def switch_model(self, model: Model) -> None:
        self.previous_model, self.model = self.model, model
        self.writer.model_changed()
        self.notify(
            f"Writing with '{model.name}' now (Ctrl+G goes back to '{self.previous_model.name}').",
            markup=False,
        )

    def action_rollback(self) -> None:
        """Back to the model used before the last switch."""
        if self.previous_model is None:
            self.notify("There is no earlier model to go back to.", markup=False)
            return
        self.switch_model(self.previous_model)

    def action_retrain(self) -> None:
        from .screens.retrain import RetrainScreen

        self.push_screen(RetrainScreen())

    # -- the command palette -----------------------------------------------------------

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:  # type: ignore[type-arg]
        yield from super().get_system_commands(screen)
        if not isinstance(screen, WriterScreen):
            return
        for binding in KEYS:
            # Every key is here, picks too: the way in for a key a terminal keeps for itself.
            key = key_label(binding.key.split(",")[0])
            yield SystemCommand(
                f"{binding.description} ({key})",
                f"Key: {key}",
                lambda action=binding.action: self.run_action(action, screen),
            )
        yield SystemCommand("Continue (Enter on an empty line)", "The model writes", screen.action_continue)


def _name_for(story: Story, model: Model) -> str:
    words = [t for t in story.tokens if t[:1].isalnum()][:5]
    slug = re.sub(r"[^a-z0-9]+", "-", " ".join(words).lower()).strip("-") or "story"
    return f"{datetime.now():%Y-%m-%d-%H%M%S}-{slug[:40]}"


def make_app(
    model: Model,
    data_dir: Path,
    settings: WriterSettings | None = None,
    trainer_command: Sequence[str] = TRAINER,
    notice: str | None = None,
) -> StorytellerApp:
    """Build the app with its dependencies: tests pass a tiny model, a temporary folder and,
    for the retrain panel's edge cases, a scripted trainer. ``notice`` is shown at start."""
    return StorytellerApp(model, data_dir, settings, trainer_command, notice)
