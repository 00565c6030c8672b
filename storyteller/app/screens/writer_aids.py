"""The writer's aids beyond the model: each candidate's count in the corpus, the copy meter, where a
suggestion comes from (Ctrl+F), and the story coloured by what a new model thinks of it (F8).

Mixed into the writer's screen. The look-ups run in their own thread worker after every change
of the candidates; a newer look-up stops an older one, and the session drops a result the story
has outrun.
"""

from __future__ import annotations

from rich.text import Text
from textual import work

from ...session.corpus_aids import AidsResult
from ...text import visible
from ..widgets.candidates import CandidatesPanel
from .writer_dialogs import Dialogs


class Aided(Dialogs):
    """The aids' part of the writer's screen (see the module's docstring)."""

    def _show_status(self) -> None:
        """Draw the status bar (the writer's screen does)."""
        raise NotImplementedError

    def _show_story(self) -> None:
        """Draw the story (the writer's screen does, with what a new model thinks of it)."""
        raise NotImplementedError

    def _look_up(self) -> None:
        """Count the candidates shown in the corpus, measure the copy, rescore after a switch."""
        session = self.session
        tokens = session.story.tokens  # a copy
        context = tokens if session.cursor is None else tokens[: session.cursor]
        request = session.aids.request(
            tokens, context, [c.token for c in session.candidates], session.model, session.previous_model
        )
        self._aids(request)

    @work(thread=True, exclusive=True, group="aids", exit_on_error=False, description="aids")
    def _aids(self, request: object) -> None:
        result = self.session.aids.work(request)  # type: ignore[arg-type]
        self.app.call_from_thread(self._aided, result)

    def _aided(self, result: AidsResult) -> None:
        session = self.session
        had = session.aids.comparison
        if not session.aids.apply(result, session.story, session.model, session.previous_model):
            return
        if result.notice:
            self.notify(result.notice, severity="warning", markup=False)
        counts = result.counts
        if counts is not None and result.request.candidates == [c.token for c in session.candidates]:
            context = result.request.context[len(result.request.context) - counts.context :]
            self.query_one(CandidatesPanel).counts(counts.counts, context if counts.context else None)
        self._show_status()
        if session.aids.show_change and session.aids.comparison is not had:
            self._show_story()

    def aids_text(self) -> Text | None:
        """The status bar's part: the copy meter, and the story's perplexity under both models."""
        aids = self.session.aids
        text = Text()
        result = aids.result
        if result is not None and result.copied is not None:
            threshold = self.session.settings.copy_threshold
            style = "bold white on red" if result.copied > threshold else ""
            text.append(f" copy {result.copied} ", style=style)
        comparison = aids.comparison
        if comparison is not None and comparison.old_perplexity is not None:
            assert comparison.new_perplexity is not None
            text.append(f" ppl {comparison.old_perplexity:.1f}→{comparison.new_perplexity:.1f} ")
        return text or None

    def action_sources(self) -> None:
        """Ctrl+F: a few lines of the corpus that have the top candidate after the story's last words."""
        session = self.session
        if not session.candidates or session.candidates_at != (len(session.story.words), session.cursor):
            self.notify("The candidates are still being worked out; try again.", markup=False)
            return
        tokens = session.story.tokens
        context = tokens if session.cursor is None else tokens[: session.cursor]
        found = session.aids.sources(session.model, context, session.candidates[0].token)
        if isinstance(found, str):
            self.notify(visible(found), markup=False)
            return
        from .sources import SourcesScreen

        self.app.push_screen(SourcesScreen(found))

    def action_colour(self) -> None:
        """F8: colour by probability, then (after a model switch) by the change, then no colour."""
        session = self.session
        aids = session.aids
        if session.settings.colour and not aids.show_change and aids.comparison is not None:
            aids.show_change = True
            comparison = aids.comparison
            self.notify(
                visible(
                    f"Colour by the change from '{comparison.old}' to '{comparison.new}': "
                    "green, the new model expects the word more; red, less."
                ),
                markup=False,
                timeout=3,
            )
            self._show_story()
            self._show_status()
            return
        aids.show_change = False
        session.change_setting("colour")
