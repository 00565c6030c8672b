"""The app: a ``StorytellerApp`` built from a model, a data folder and settings, around one session.

The ``WritingSession`` (``storyteller.session``) owns the story, the models, the settings,
the autosave and its lock, and the story files; the app gives it a way to do disk work in
workers, shows the writer's screen on it, and closes it cleanly at quit. Screens never
import this module.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from textual import work
from textual.app import App, SystemCommand
from textual.driver import Driver
from textual.screen import Screen

from ..engine import Model
from ..session import WriterSettings, WritingSession
from ..session.session import Job
from ..text import visible
from .keys import EXTRA_COMMANDS, KEYS
from .screens.help import key_label
from .screens.writer import WriterScreen
from .trainer import TRAINER
from .training import Training


class StorytellerApp(App[None]):
    """A story writer driven by a word-level language model, built with its dependencies: tests pass
    a tiny model, a temporary folder and, for the retrain panel's edge cases, a scripted trainer.
    ``notice`` is shown at start."""

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
        self.trainer_command = list(trainer_command)
        self.session = WritingSession(model, data_dir, settings, background=self._in_background)
        self.training = Training()
        """The training run, if any: it goes on while the writer writes."""

    # The session is the one owner; these names stay for tests and the benchmarks.
    @property
    def model(self) -> Model:
        return self.session.model

    @property
    def previous_model(self) -> Model | None:
        return self.session.previous_model

    @property
    def settings(self) -> WriterSettings:
        return self.session.settings

    @settings.setter
    def settings(self, settings: WriterSettings) -> None:
        self.session.settings = settings

    @property
    def data_dir(self) -> Path:
        return self.session.data_dir

    @property
    def writer(self) -> WriterScreen:
        return self.get_screen("writer")  # type: ignore[return-value]

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

    def on_mount(self) -> None:
        writer = WriterScreen(self.session, self.trainer_command, self.training)
        self.install_screen(writer, "writer")
        self.push_screen("writer")
        if self._notice:
            self.notify(self._notice, severity="warning", timeout=15)

    def _in_background(self, job: Job) -> None:
        """The session's disk work (autosave, settings) runs in a worker; a failure is a notice."""
        self._run_job(job)

    @work(thread=True, group="autosave", exit_on_error=False, description="autosave")
    def _run_job(self, job: Job) -> None:
        problem = job()
        if problem:
            self.call_from_thread(self.notify, problem, severity="error")

    async def action_quit(self) -> None:
        """Quit cleanly: the story is filed in the story list and the autosave removed. While a
        model trains, ask first: quitting cancels the run."""
        if self.training.running:
            from .screens.confirm import ConfirmScreen

            async def answer(yes: bool | None) -> None:
                if yes:
                    await self.training.cancel()
                    await self._quit()

            question = f"A model ('{self.training.name}') is training. Quit and cancel it?"
            if not isinstance(self.screen, ConfirmScreen):
                self.push_screen(ConfirmScreen(question), answer)
            return
        await self._quit()

    async def _quit(self) -> None:
        """File the story and remove the autosave; when the disk took neither, ask where the
        story should go first."""
        files = self.session.files
        filed = files.close()
        # Let pending autosaves finish (they are quick, or skip as outdated) before deciding.
        pending = [w.wait() for w in self.workers if w.group == "autosave"]
        await asyncio.gather(*pending, return_exceptions=True)
        if filed:
            files.remove_autosave()
        elif (problem := files.at_risk()) is not None:
            self._ask_where(problem)
            return
        self.exit()

    def _ask_where(self, problem: str, copied: bool = False) -> None:
        """The story is on no disk: offer another folder, the clipboard, or quitting anyway."""
        from .screens.unsaved import Choice, UnsavedScreen

        def answer(choice: Choice | None) -> None:
            if choice == "quit":
                self.exit()
            elif choice == "copy":
                self.copy_to_clipboard(self.session.files.as_text())
                self._ask_where(problem, copied=True)
            elif choice == "save":
                from .screens.save import SaveScreen

                self.push_screen(
                    SaveScreen(self.session.files.suggestion(elsewhere=True)), self._save_and_quit
                )

        self.push_screen(UnsavedScreen(problem, copied), answer)

    def _save_and_quit(self, path: Path | None) -> None:
        if path is not None:
            self.session.files.save_as(path, create_folder=True)
        self.call_later(self.action_quit)  # asks again if that did not take either

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
        for title, help, action in EXTRA_COMMANDS:
            yield SystemCommand(title, help, lambda action=action: self.run_action(action, screen))
