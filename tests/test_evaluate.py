"""The figures each epoch is judged by, against a count made position by position."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from storyteller.engine.vocab import UNKNOWN_ID  # noqa: E402
from training.config import TrainConfig  # noqa: E402
from training.evaluate import evaluate_network  # noqa: E402
from training.network import LanguageModel  # noqa: E402

pytestmark = pytest.mark.torch


def _by_hand(model: LanguageModel, chunks: list[np.ndarray], window: int) -> dict[str, float]:
    """Each chunk read from a fresh state, one position at a time; each window on its own."""
    nlls, known, top1, top5, windowed = [], [], [], [], []
    with torch.no_grad():
        for chunk in chunks:
            state = None
            for position in range(len(chunk) - 1):
                scores, state = model(torch.tensor([[int(chunk[position])]]), state)
                log_probabilities = torch.log_softmax(scores[0, -1].double(), -1)
                target = int(chunk[position + 1])
                nlls.append(-float(log_probabilities[target]))
                known.append(target != UNKNOWN_ID)
                ranked = log_probabilities.topk(5).indices.tolist()
                top1.append(ranked[0] == target)
                top5.append(target in ranked)
            for start in range(len(chunk) - window):
                scores, _ = model(torch.from_numpy(chunk[start : start + window].astype(np.int64))[None])
                windowed.append(int(scores[0, -1].argmax()) == int(chunk[start + window]))
    nll, is_known = np.array(nlls), np.array(known)
    return {
        "perplexity": math.exp(nll.mean()),
        "known_perplexity": math.exp(nll[is_known].mean()),
        "unknown_share": 1 - is_known.mean(),
        "top1": float(np.mean(top1)),
        "top5": float(np.mean(top5)),
        "windowed": float(np.mean(windowed)),
    }


@pytest.mark.parametrize(("vocabulary", "softmax"), [(300, "full"), (2_600, "adaptive")])
def test_the_judged_figures_are_those_counted_position_by_position(vocabulary: int, softmax: str) -> None:
    torch.manual_seed(0)
    model = LanguageModel(vocabulary, TrainConfig(units=24, softmax=softmax)).eval()
    assert (model.adaptive is not None) == (softmax == "adaptive")
    with torch.no_grad():  # scores spread enough that the ranks are not near-ties
        model.embed.weight.normal_()
    rng = np.random.default_rng(0)
    # Chunks of two lengths (read side by side in batches), <unk> among the targets.
    chunks = [rng.integers(0, vocabulary, n) for n in (40, 40, 40, 23)]
    chunks[0][5] = chunks[3][7] = UNKNOWN_ID
    figures = evaluate_network(model, chunks, 3, torch.device("cpu"))
    expected = _by_hand(model, chunks, 3)
    assert figures.keys() == expected.keys()
    for name, value in expected.items():
        assert figures[name] == pytest.approx(value, rel=1e-4), name
