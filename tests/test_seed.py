"""The classic example's task, reproduced and beaten: its 2×512 network and 3-word window on a fable.

The example reported 95.2% "average accuracy"; here the same figure is measured fairly (the
final model, greedy, over every 3-word window of the text) and must reach at least 95%.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from storyteller.engine import Predictor, SamplingConfig, is_word, load, read_corpus, tokenize

from .conftest import FABLE

pytest.importorskip("torch")
from training.config import TrainConfig
from training.export import export
from training.train import train

pytestmark = [pytest.mark.torch, pytest.mark.slow]

SEED_NETWORK = TrainConfig(layers=2, units=512, window=3, epochs=40, seed=0)  # stops at the ceiling


@pytest.fixture(scope="module")
def seed_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    result = train(SEED_NETWORK, read_corpus(FABLE))
    assert result.metrics["windowed"] >= 0.95, result.metrics
    path = tmp_path_factory.mktemp("seed") / "fable.onnx"
    export(result, path)
    return path


def test_windowed_accuracy_reaches_the_examples_figure(seed_model: Path) -> None:
    figures = load(seed_model).card.metrics["model"]
    assert figures["windowed"] >= 0.95


@pytest.mark.parametrize("window", [3, None])
def test_greedy_generation_continues_the_fable_word_for_word(seed_model: Path, window: int | None) -> None:
    fable = tokenize(FABLE.read_text())
    start = fable.index("bramble") - 2  # "hedgehog named bramble": a context with one continuation
    predictor = Predictor(load(seed_model), window=window)
    predictor.feed(fable[start : start + 3])
    written = [g.token for g in predictor.generate(10, SamplingConfig(greedy=True, repetition_penalty=1))]
    expected = fable[start + 3 : start + 3 + len(written)]
    assert sum(map(is_word, written)) == 10
    assert written == expected
