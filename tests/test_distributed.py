"""torchrun with two CPU processes (gloo) gives the model one process gives, up to float noise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from storyteller.engine import load

from .conftest import FABLE, farm_stories

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")
if not torch.distributed.is_available() or not torch.distributed.is_gloo_available():
    pytest.skip("this torch has no gloo backend", allow_module_level=True)

pytestmark = [pytest.mark.torch, pytest.mark.slow]

ROOT = Path(__file__).parents[1]
SMALL = ["--layers", "1", "--units", "16", "--dropout", "0", "--threads", "1", "--seed", "3"]
SMALL += ["--window-batch", "16", "--progress", "quiet"]
SMALL += ["--precision", "fp32"]  # fp32's noise: bf16 sums the two halves' gradients less exactly


def _train(out: Path, corpus: Path, processes: int, *options: str) -> subprocess.CompletedProcess[str]:
    launcher = ["-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={processes}"]
    command = [sys.executable, *(launcher if processes > 1 else []), "-m", "training", str(corpus)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [*command, *SMALL, *options, "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _log_probabilities(path: Path, ids: np.ndarray) -> np.ndarray:
    logits, _ = load(path).run(ids)
    return np.asarray(torch.log_softmax(torch.from_numpy(logits), -1))


@pytest.mark.parametrize(
    ("corpus", "options"),
    [
        (FABLE, ["--epochs", "3", "--batch-size", "4", "--seq-len", "8"]),
        (
            "farm stories",
            # Words seen twice are the rarest kept: half of them read as <unk>, alike in each process.
            [
                "--epochs",
                "1",
                "--batch-size",
                "8",
                "--seq-len",
                "16",
                "--softmax",
                "adaptive",
                "--min-count",
                "2",
            ],
        ),
    ],
    ids=["full softmax", "adaptive softmax"],
)
def test_two_processes_train_the_model_one_process_trains(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, corpus: Path | str, options: list[str]
) -> None:
    if corpus == "farm stories":
        corpus = farm_stories(tmp_path_factory.mktemp("corpus"))
    alone, together = tmp_path / "alone.onnx", tmp_path / "together.onnx"
    for out, processes in ((alone, 1), (together, 2)):
        done = _train(out, corpus, processes, *options)
        assert done.returncode == 0, done.stderr[-2000:]
    # Each run leaves its model and the model's corpus index, written once (by the first process).
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == ["alone.index", "alone.onnx", "together.index", "together.onnx"]
    cards = [load(path).card for path in (alone, together)]
    assert cards[0].vocabulary == cards[1].vocabulary
    assert cards[1].metrics["model"]["perplexity"] == pytest.approx(
        cards[0].metrics["model"]["perplexity"], rel=1e-4
    )
    ids = np.random.default_rng(0).integers(0, len(cards[0].vocabulary), (4, 30))
    difference = np.abs(_log_probabilities(alone, ids) - _log_probabilities(together, ids)).max()
    assert difference < 1e-4


def test_a_batch_that_does_not_divide_among_the_processes_is_refused(tmp_path: Path) -> None:
    done = _train(tmp_path / "m.onnx", FABLE, 2, "--epochs", "1", "--batch-size", "5", "--seq-len", "8")
    assert done.returncode != 0
    assert "does not divide among 2 processes" in done.stderr
    assert "training/train.py" not in done.stderr  # one sentence, not our traceback (torchrun adds its own)
    assert not (tmp_path / "m.onnx").exists()


def test_processes_under_a_time_budget_keep_the_same_weights(tmp_path: Path) -> None:
    # Each process has its own clock; the learning rate's schedule and the averaging's start follow
    # the time spent, so unless the processes agree on it their weights drift apart.
    launcher = ["-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    worker = Path(__file__).parent / "fixtures" / "budget_worker.py"
    done = subprocess.run(
        [sys.executable, *launcher, str(worker), str(FABLE), "4", str(tmp_path)],
        cwd=ROOT,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0", "1"]
    first, second = ((tmp_path / rank).read_text().split() for rank in ("0", "1"))
    assert first[0] == second[0]  # the same number of steps
    assert first[1] == second[1]  # and the very same weights
