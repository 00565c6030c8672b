"""The writer's screen and the app's dialogs, one per module."""
