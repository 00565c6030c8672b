"""The writer's settings now live in ``storyteller.session.settings``; this name is kept for
``bench/app_latency.py``, which imports it from here."""

from ..session.settings import CONFIG_FILE, WriterSettings, load_settings

__all__ = ["CONFIG_FILE", "WriterSettings", "load_settings"]
