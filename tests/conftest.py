"""Shared fixtures: the tiny committed model, the test fable, an isolated data directory."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

from storyteller.engine import Model, cache, load

# Property tests check behaviour, never wall-clock time: on busy shared cores one example can
# take a second, which Hypothesis's default 200 ms deadline reports as a failure.
settings.register_profile("storyteller", deadline=None)
settings.load_profile("storyteller")

TESTS = Path(__file__).parent
TINY_MODEL = TESTS / "fixtures" / "tiny.onnx"
FABLE = TESTS / "data" / "fable.txt"
PROJECT_CORPUS = TESTS.parent / "training" / "corpus"


def farm_stories(folder: Path) -> Path:
    """The project corpus's farm stories (about 7,000 words) copied into ``folder``: real prose
    with held-out figures, small enough to train on in a test however the corpus grows."""
    folder.mkdir(parents=True, exist_ok=True)
    for story in PROJECT_CORPUS.glob("a*.txt"):
        (folder / story.name).write_bytes(story.read_bytes())
    return folder


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test reads or writes the real user's data folder or model path."""
    data = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("STORYTELLER_DATA_DIR", str(data))
    monkeypatch.delenv("STORYTELLER_MODEL_PATH", raising=False)
    return data


@pytest.fixture
def full_share(monkeypatch: pytest.MonkeyPatch) -> None:
    """The story's memory at its whole weight from its first position (no ramp): what a short
    story's memory offers then shows in the tiny model's candidates (tests/test_cache.py tests the ramp)."""
    monkeypatch.setattr(cache, "RAMP", 0)


@pytest.fixture(scope="session")
def tiny_model() -> Model:
    return load(TINY_MODEL)


@pytest.fixture
def tiny_model_bytes() -> bytes:
    return TINY_MODEL.read_bytes()
