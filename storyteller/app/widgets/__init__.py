"""Widgets of the writer's screen."""
