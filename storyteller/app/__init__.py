"""The Textual app: the writer's screen, its widgets and dialogs. Never imports torch."""

from .app import StorytellerApp, make_app

__all__ = ["StorytellerApp", "make_app"]
