"""storyteller tests."""
