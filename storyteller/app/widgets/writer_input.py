"""The writer's input line: digits pick candidates while it is empty; a multi-line paste is a passage."""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.message import Message
from textual.widgets import Input


class WriterInput(Input):
    """An input line that turns some keys into requests while it is empty."""

    @dataclass
    class Pick(Message):
        """Pick candidate ``number`` (1 = the first)."""

        number: int

    @dataclass
    class Passage(Message):
        """Several lines were pasted: add them to the story as they are."""

        text: str

    class Help(Message):
        """'?' on an empty line: show every key."""

    async def _on_key(self, event: events.Key) -> None:
        if not self.value and event.character is not None:
            if event.character.isdigit():
                event.stop()
                event.prevent_default()
                self.post_message(self.Pick(int(event.character) or 10))
                return
            if event.character == "?":
                event.stop()
                event.prevent_default()
                self.post_message(self.Help())
                return
        await super()._on_key(event)

    def _on_paste(self, event: events.Paste) -> None:
        if "\n" in event.text.strip("\n"):
            event.stop()
            self.post_message(self.Passage(event.text))
            return
        super()._on_paste(event)
