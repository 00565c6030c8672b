"""The writer's dialogs: each one opened with what it needs, its answer sent to the session.

No dialog reaches into the app or the session: each is a typed ``ModalScreen[T]`` that
returns its answer, and the writer's screen turns the answer into an intent.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work
from textual.screen import Screen

from ...engine import ModelError, load
from ...session import Crashed

if TYPE_CHECKING:
    from ...session import TurnRequest, WritingSession
    from ...session.library import Entry
    from ..training import Training


class Dialogs(Screen[None]):
    """Mixed into the writer's screen: the keys that open a dialog, and what comes of each."""

    session: WritingSession
    trainer_command: list[str]
    """The command that trains a model (tests give a scripted one)."""
    training: Training
    """The app's training run, which goes on while the writer writes."""
    _show_status: Callable[[], None]
    """Draws the status bar (the writer's screen)."""
    _start: Callable[[TurnRequest | str], None]
    """Has the model write a turn (the writer's screen)."""

    # -- at start ----------------------------------------------------------------------

    def offer_restore(self) -> None:
        """At start: say what another instance or an earlier crash left, and offer its story.

        The autosave is read away from the UI (a story of millions of words takes a while): the
        writer can write at once, the status bar says a restore is under way, and the session
        holds autosave writes until the writer has answered."""
        session = self.session
        greeting = session.files.greeting()
        if greeting:
            # On the line above the input, where it stays until the writer's first change.
            from rich.text import Text

            from ..widgets.notice_bar import NoticeBar

            self.query_one(NoticeBar).say(Text(greeting, style="bold"))
        if session.files.begin_restore():
            self._show_status()
            self._read_crashed()

    @work(exclusive=True, group="restore", exit_on_error=False, description="restore")
    async def _read_crashed(self) -> None:
        # A daemon thread, not the worker pool: quitting meanwhile must not wait for the read.
        loop = asyncio.get_running_loop()
        read: asyncio.Future[tuple[Crashed | None, list[str]]] = loop.create_future()

        def reading() -> None:
            outcome, error = None, None
            try:
                outcome = self.session.files.crashed()
            except Exception as problem:  # handed to the UI, which says it
                error = problem
            with contextlib.suppress(RuntimeError):  # the app has closed meanwhile
                loop.call_soon_threadsafe(_settle, read, outcome, error)

        threading.Thread(target=reading, name="restore", daemon=True).start()
        try:
            crashed, notices = await read
        except Exception as error:
            crashed, notices = None, [f"The story an earlier session left could not be read ({error})."]
        self._offer(crashed, notices)

    def _offer(self, crashed: Crashed | None, notices: list[str]) -> None:
        session = self.session
        for notice in notices:
            self.notify(notice, severity="warning", markup=False, timeout=15)
        if crashed is None:
            session.files.restore(None)
            self._show_status()
            return
        from .restore import RestoreScreen

        def answer(restore: bool | None, crashed: Crashed = crashed) -> None:
            session.files.restore(crashed, bool(restore))
            self._show_status()

        self.app.push_screen(RestoreScreen(crashed.words, crashed.preview), answer)

    # -- files -------------------------------------------------------------------------

    def action_save(self) -> None:
        from .save import SaveScreen

        self.app.push_screen(SaveScreen(self.session.files.suggestion()), self._save_to)

    def _save_to(self, path: Path | None) -> None:
        if path is None:
            return
        if self.session.files.save_as(path) is not None:
            return
        from .confirm import ConfirmScreen

        def create(yes: bool | None) -> None:
            if yes:
                self.session.files.save_as(path, create_folder=True)

        self.app.push_screen(ConfirmScreen(f"The folder '{path.parent}' does not exist. Create it?"), create)

    def action_open(self) -> None:
        self.session.halt()
        self._list_stories()

    @work(thread=True, group="stories", exclusive=True, exit_on_error=False, description="story list")
    def _list_stories(self) -> None:
        """Ctrl+O reads the story list away from the UI: each entry reads its story's file."""
        entries, _ = self.session.files.entries()
        self.app.call_from_thread(self._choose_story, entries)

    def _choose_story(self, entries: list[Entry]) -> None:
        from .stories import StoriesAnswer, StoriesScreen

        def chosen(answer: StoriesAnswer | None) -> None:
            if answer is None:
                return
            if answer.new:
                self.session.files.new_story()
            elif answer.retitle:
                self.action_title()
            elif answer.path is not None:
                self._open_story(answer.path)

        self.app.push_screen(StoriesScreen(entries, self.session.story.title), chosen)

    @work(thread=True, group="stories", exclusive=True, exit_on_error=False, description="open a story")
    def _open_story(self, path: Path) -> None:
        """The chosen story is read away from the UI (a long one takes seconds), then opened."""
        read = self.session.files.read_story(path)
        self.app.call_from_thread(self.session.files.open_story, path, read)

    def action_new_story(self) -> None:
        self.session.files.new_story()

    def action_title(self) -> None:
        from .title import TitleScreen

        def titled(title: str | None) -> None:
            if title is not None:
                self.session.files.set_title(title)

        self.app.push_screen(TitleScreen(self.session.story.title), titled)

    # -- the story's branches ----------------------------------------------------------

    def action_branches(self) -> None:
        from .branches import BranchesScreen

        session = self.session
        session.halt()
        available = [b for b in session.story.branches if b.start <= len(session.story.words)]
        if not available:
            self.notify("No branches: nothing has been replaced yet.", markup=False)
            return

        def switch(choice: int | None) -> None:
            if choice is not None:
                session.switch_branch(session.story.branches.index(available[choice]))

        self.app.push_screen(BranchesScreen(session.story, available, session.model.card.tokenizer), switch)

    # -- models ------------------------------------------------------------------------

    def action_models(self) -> None:
        from .models import ModelsScreen

        self.app.push_screen(ModelsScreen(self.session), self.use_model)

    def action_retrain(self) -> None:
        """The retrain panel: one for the whole session, so a run and its figures outlive a visit."""
        from .retrain import RetrainScreen

        if not self.app.is_screen_installed("retrain"):
            panel = RetrainScreen(self.session.data_dir, self.trainer_command, self.training)
            self.app.install_screen(panel, "retrain")
        self.app.push_screen("retrain", self.use_model)

    def use_model(self, path: Path | None) -> None:
        """Write with the model at ``path`` from now on, and compare it with the one it replaces."""
        if path is None:
            return
        try:
            model = load(path)
        except ModelError as error:
            self.notify(str(error), severity="error", markup=False)
            return
        old = self.session.model
        self.session.switch_model(model)
        from .compare import CompareScreen

        def decided(keep: bool | None) -> None:
            if keep is False:
                self.session.rollback()

        self.app.push_screen(CompareScreen(old, model, list(self.session.story.tokens)), decided)

    # -- the writing aids --------------------------------------------------------------

    def action_bridge(self) -> None:
        """Ctrl+E: name a word; the model's best ways to it; one is written in."""
        from ...engine.lookahead import continuation_text
        from .bridge import BridgeScreen

        session = self.session
        session.halt()  # the model's turn holds the predictor; the bridge needs it
        before = session.story.tokens if session.cursor is None else session.story.tokens[: session.cursor]
        tokenizer = session.model.card.tokenizer

        def taken(path: object) -> None:
            if path is not None:
                session.write_path(path)  # type: ignore[arg-type]

        screen = BridgeScreen(
            session.bridge_job, lambda path: continuation_text(before, path.tokens, tokenizer)
        )
        self.app.push_screen(screen, taken)

    def action_loops(self) -> None:
        """Ctrl+K: the fixes for the loop the model's last turn fell into."""
        from .loops import LoopScreen

        session = self.session
        loop = session.current_loop()
        if loop is None:
            self.notify("No loop to fix: the model's last turn did not repeat itself.", markup=False)
            return

        def fixed(fix: str | None) -> None:
            if fix is not None:
                self._start(session.fix_loop(fix))

        self.app.push_screen(LoopScreen(loop.describe(session.story.tokens)), fixed)

    def action_help(self) -> None:
        from .help import HelpScreen

        self.app.push_screen(HelpScreen())


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    """Hand a thread's outcome to the future the UI awaits (unless the wait was given up)."""
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
