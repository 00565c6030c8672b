"""A writing session outside Textual: the story, the models, the settings, the model's work,
the autosave and its lock, and the story-file rules. Imports neither textual nor torch."""

from .config_file import CONFIG_FILE, load_settings
from .reading import Analysis, AnalysisRequest, ModelWord, Reader, TurnRequest
from .session import PARAGRAPH_MARK, Change, WritingSession
from .settings import SPECS, WriterSettings
from .shelf import Crashed

__all__ = [
    "CONFIG_FILE",
    "PARAGRAPH_MARK",
    "SPECS",
    "Analysis",
    "AnalysisRequest",
    "Change",
    "Crashed",
    "ModelWord",
    "Reader",
    "TurnRequest",
    "WriterSettings",
    "WritingSession",
    "load_settings",
]
