"""The one exception type whose message is meant for the writer's eyes, and the one install hint."""


class StorytellerError(Exception):
    """Expected trouble (bad input, bad file): its message is one clear sentence for the user."""


INSTALL_HINT = "pip install 'storyteller[train]'"
"""How to get what training needs (torch and onnx); said wherever training is asked for without it."""
