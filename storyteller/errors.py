"""The one exception type whose message is meant for the writer's eyes."""


class StorytellerError(Exception):
    """Expected trouble (bad input, bad file): its message is one clear sentence for the user."""
