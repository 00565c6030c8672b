"""The network's output layers: the adaptive softmax is exact, trains, and exports like the full one."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")

from storyteller.engine import TokenizerConfig, Vocabulary  # noqa: E402
from storyteller.engine.model import ModelCard, load, open_session  # noqa: E402
from training.config import TrainConfig  # noqa: E402
from training.export import parity, to_onnx_bytes  # noqa: E402
from training.network import LanguageModel, Objective, adaptive_cutoffs, uses_adaptive_softmax  # noqa: E402

pytestmark = pytest.mark.torch

VOCAB = 2_600  # above the 2,000-word shortlist: one cluster of rare words


def adaptive_model(tie: bool = True) -> LanguageModel:
    torch.manual_seed(0)
    config = TrainConfig(layers=1, units=16, softmax="adaptive", tie_weights=tie, dropout=0.0)
    return LanguageModel(VOCAB, config).eval()


def test_cutoffs_grow_by_five_and_end_at_the_vocabulary() -> None:
    assert adaptive_cutoffs(2_600) == [2_000, 2_600]
    assert adaptive_cutoffs(33_000) == [2_000, 10_000, 33_000]
    assert adaptive_cutoffs(267_000) == [2_000, 10_000, 50_000, 250_000, 267_000]


def test_auto_picks_adaptive_for_large_vocabularies_only() -> None:
    auto = TrainConfig()
    assert not uses_adaptive_softmax(auto, 9_999)
    assert uses_adaptive_softmax(auto, 10_000)
    assert not uses_adaptive_softmax(TrainConfig(softmax="full"), 50_000)
    assert uses_adaptive_softmax(TrainConfig(softmax="adaptive"), 2_001)
    assert not uses_adaptive_softmax(TrainConfig(softmax="adaptive"), 2_000)  # nothing to cluster
    with pytest.raises(ValueError, match="softmax"):
        TrainConfig(softmax="sampled").check()


@pytest.mark.parametrize("tie", [True, False])
def test_adaptive_scores_are_a_distribution_and_its_loss_matches_them(tie: bool) -> None:
    model = adaptive_model(tie)
    generator = torch.Generator().manual_seed(1)
    ids = torch.randint(0, VOCAB, (3, 7), generator=generator)
    # Targets from the shortlist and from the cluster alike.
    targets = torch.cat([torch.randint(0, 2_000, (3, 4)), torch.randint(2_000, VOCAB, (3, 3))], 1)
    with torch.no_grad():
        scores, _ = model(ids)
        loss, _ = model.loss(ids, targets)
    assert scores.shape == (3, 7, VOCAB)
    assert torch.allclose(scores.logsumexp(-1), torch.zeros(3, 7), atol=1e-5)
    expected = torch.nn.functional.cross_entropy(scores.reshape(-1, VOCAB), targets.reshape(-1))
    assert float(loss) == pytest.approx(float(expected), abs=1e-5)
    shortlist_tied = model.adaptive is not None and model.adaptive.shortlist_weight is model.embed.weight
    assert shortlist_tied == tie


def test_adaptive_training_learns_a_rare_word() -> None:
    """Gradients reach the cluster: a word from the rare cluster becomes the likely successor."""
    model = adaptive_model().train()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    ids, targets = torch.tensor([[5, 6, 7]]), torch.tensor([[6, 7, 2_500]])
    for _ in range(150):
        loss, _ = model.loss(ids, targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        scores, _ = model.eval()(ids)
    assert int(scores[0, -1].argmax()) == 2_500


def test_an_adaptive_model_exports_with_dynamic_axes_and_parity(tmp_path) -> None:  # type: ignore[no-untyped-def]
    model = adaptive_model()
    words = [f"w{i}" for i in range(VOCAB - 2)]
    card = ModelCard(
        name="adaptive",
        vocabulary=Vocabulary(["<unk>", "<p>", *words]),
        tokenizer=TokenizerConfig(),
        layers=1,
        units=16,
        window=3,
    )
    data = to_onnx_bytes(model, card)
    assert parity(model, data) <= 1e-4  # batch 1 and 4, lengths 1, 3 and 50
    path = tmp_path / "adaptive.onnx"
    path.write_bytes(data)
    loaded = load(path)
    logits, _ = loaded.run(np.array([[3, 4, 5, 6]]))
    assert logits.shape == (1, 4, VOCAB)


def test_the_top_words_found_cluster_by_cluster_are_those_of_the_full_scores() -> None:
    model = adaptive_model()
    hidden = torch.randn(64, 16, generator=torch.Generator().manual_seed(2)) * 3
    with torch.no_grad():
        assert model.adaptive is not None
        model.adaptive.bias[2_000] += 6.0  # the rare cluster as likely as the frequent words
        expected = model.scores(hidden).topk(5, -1).indices
        assert torch.equal(model.top(hidden, 5), expected)
        assert (expected >= 2_000).any() and (expected < 2_000).any()  # both parts take part


def test_word_drop_drops_a_word_wherever_it_occurs_and_only_in_training() -> None:
    torch.manual_seed(0)
    model = LanguageModel(50, TrainConfig(units=8, word_drop=0.5, dropout=0.0))
    ids = torch.arange(20).repeat(5)[None]
    vectors = model._embed(ids)[0]
    dropped = vectors.abs().sum(-1) == 0
    assert 0 < int(dropped.sum()) < len(dropped)
    for word in range(20):  # one draw per word of the vocabulary: all its places or none
        places = dropped[ids[0] == word]
        assert bool(places.all()) or not bool(places.any())
    kept = ~dropped
    assert torch.allclose(vectors[kept], 2 * model.embed(ids)[0][kept])  # scaled to keep the mean
    model.eval()
    assert torch.equal(model._embed(ids), model.embed(ids))


def test_weight_drop_changes_the_recurrence_in_training_only_and_leaves_the_weights() -> None:
    torch.manual_seed(0)
    model = LanguageModel(50, TrainConfig(units=8, weight_drop=0.5, dropout=0.0))
    ids = torch.randint(0, 50, (2, 12))
    before = {name: param.clone() for name, param in model.lstm.named_parameters()}
    model.eval()
    with torch.no_grad():
        plain, _ = model.hidden(ids)
    model.train()
    with torch.no_grad():
        dropped, _ = model.hidden(ids)
    assert not torch.allclose(plain, dropped)
    assert all(torch.equal(param, before[name]) for name, param in model.lstm.named_parameters())
    model.eval()
    with torch.no_grad():
        assert torch.equal(model.hidden(ids)[0], plain)


def test_the_change_penalty_is_added_in_training_only_and_the_plain_loss_is_kept_apart() -> None:
    torch.manual_seed(0)
    ids, targets = torch.randint(0, 50, (2, 12)), torch.randint(0, 50, (2, 12))
    still = LanguageModel(50, TrainConfig(units=8, dropout=0.0, change_penalty=0.0))
    pushed = LanguageModel(50, TrainConfig(units=8, dropout=0.0, change_penalty=5.0))
    pushed.load_state_dict(still.state_dict())
    plain, nll, _ = still.penalised_loss(ids, targets)
    penalised, same_nll, _ = pushed.penalised_loss(ids, targets)
    out, _ = pushed.hidden(ids)
    change = (out[:, 1:] - out[:, :-1]).pow(2).mean()
    assert torch.allclose(plain, nll) and torch.allclose(same_nll, nll)
    assert torch.allclose(penalised, nll + 5.0 * change)
    pushed.eval()
    assert torch.allclose(pushed.penalised_loss(ids, targets)[0], nll)  # judging never sees it


def test_with_the_counts_the_loss_to_minimise_is_the_mixs_and_the_networks_own_is_kept_apart() -> None:
    torch.manual_seed(0)
    ids, targets = torch.randint(0, 50, (2, 12)), torch.randint(0, 50, (2, 12))
    counts = torch.rand(2, 12)  # the counts' probability of each target
    model = LanguageModel(50, TrainConfig(units=8, dropout=0.0, change_penalty=0.0, counts_share=0.25))
    out, _ = model.hidden(ids)
    own = model.nlls(out.reshape(-1, 8), targets.reshape(-1))
    loss, nll, _ = model.penalised_loss(ids, targets, counts=counts)
    assert torch.allclose(loss, -torch.log(0.75 * (-own).exp() + 0.25 * counts.reshape(-1)).mean())
    assert torch.allclose(nll, own.mean())
    assert torch.allclose(model.penalised_loss(ids, targets)[0], nll)  # no counts given: its own
    model.eval()
    assert torch.allclose(model.penalised_loss(ids, targets, counts=counts)[0], nll)  # judged alone


def test_a_stream_of_one_row_is_read_at_full_precision_under_bf16_autocast() -> None:
    torch.manual_seed(0)
    objective = Objective(LanguageModel(50, TrainConfig(units=64, dropout=0.0, change_penalty=0.0)))
    ids, targets = torch.randint(0, 50, (2, 24)), torch.randint(0, 50, (2, 24))
    windows = torch.randint(0, 50, (6, 3)), torch.randint(0, 50, (6, 3))

    def stream_loss(rows: int, autocast: bool) -> torch.Tensor:
        with torch.autocast("cpu", torch.bfloat16, enabled=autocast):
            return objective(ids[:rows], targets[:rows], None, windows)[1]

    assert torch.equal(stream_loss(1, autocast=True), stream_loss(1, autocast=False))
    assert not torch.equal(stream_loss(2, autocast=True), stream_loss(2, autocast=False))  # wide: bf16
    with torch.autocast("cpu", torch.bfloat16):  # the windows beside it are still read in bf16
        whole, own, _, _ = objective(ids[:1], targets[:1], None, windows)
        narrow = objective.model.loss(*windows)[0]
    assert torch.equal(whole, own + narrow)
    assert not torch.equal(whole, own + objective.model.loss(*windows)[0])


@pytest.mark.parametrize("adaptive", [False, True])
def test_a_scaled_unknown_multiplies_its_odds_and_the_export_keeps_it(adaptive: bool) -> None:
    model = adaptive_model() if adaptive else LanguageModel(40, TrainConfig(units=16, dropout=0.0)).eval()
    vocab = model.embed.num_embeddings
    ids = torch.randint(0, vocab, (1, 6), generator=torch.Generator().manual_seed(3))
    card = ModelCard(
        name="scaled",
        vocabulary=Vocabulary(["<unk>", "<p>", *[f"w{i}" for i in range(vocab - 2)]]),
        tokenizer=TokenizerConfig(),
        layers=1,
        units=16,
        window=3,
    )
    with torch.no_grad():
        before = torch.log_softmax(model(ids)[0], -1)
        with model.scaled_unknown(2.5):
            after = torch.log_softmax(model(ids)[0], -1)
            data = to_onnx_bytes(model, card)
            assert parity(model, data) <= 1e-4
        assert torch.equal(torch.log_softmax(model(ids)[0], -1), before)  # only within the block
    odds = (after[..., 0] - after[..., 2]) - (before[..., 0] - before[..., 2])  # <unk> against a word
    assert torch.allclose(odds, torch.full_like(odds, np.log(2.5)), atol=1e-5)
    state = np.zeros((1, 1, 16), np.float32)
    logits = open_session(data).run(["logits"], {"input_ids": ids.numpy(), "h0": state, "c0": state})[0]
    exported = torch.log_softmax(torch.from_numpy(logits), -1)
    assert torch.allclose(exported, after, atol=1e-4)
