"""The Textual app: the writer's screen, its widgets and dialogs. Never imports torch."""

from .app import StorytellerApp

__all__ = ["StorytellerApp"]
