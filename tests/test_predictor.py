"""The predictor: stateful and windowed distributions, candidates, going back, streaming generation."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from storyteller.engine import Predictor, SamplingConfig, tokenize
from storyteller.engine.predictor import CHECKPOINT_EVERY, is_word
from storyteller.engine.vocab import PARAGRAPH_ID, UNKNOWN_ID

from .conftest import FABLE


def _fable_tokens(count: int) -> list[str]:
    return tokenize(FABLE.read_text())[:count]


def _direct_logits(model, ids: list[int]) -> np.ndarray:  # type: ignore[no-untyped-def]
    logits, _ = model.run(np.array([ids], np.int64))
    return logits[0, -1]


def _reading_in_pieces(
    model, monkeypatch: pytest.MonkeyPatch, near: int, far: int, end: int, context: int | None = None
) -> list[int]:  # type: ignore[no-untyped-def]
    """Smaller reading constants, and the length of every piece the model is then given."""
    from storyteller.engine import predictor as module

    monkeypatch.setattr(module, "CHECKPOINT_EVERY", near)
    monkeypatch.setattr(module, "FAR_CHECKPOINT_EVERY", far)
    monkeypatch.setattr(module, "NEAR_END", end)
    if context is not None:
        monkeypatch.setattr(module, "MAX_CONTEXT", context)
    lengths: list[int] = []
    run = model.run

    def counted(ids, state=None):  # type: ignore[no-untyped-def]
        lengths.append(ids.shape[1])
        return run(ids, state)

    monkeypatch.setattr(model, "run", counted)
    return lengths


def test_stateful_prediction_equals_reading_the_whole_story_at_once(tiny_model) -> None:  # type: ignore[no-untyped-def]
    tokens = _fable_tokens(150)
    predictor = Predictor(tiny_model)
    for start in range(0, 150, 37):  # fed in uneven pieces, across checkpoints
        predictor.feed(tokens[start : start + 37])
        predictor.logits()
    expected = _direct_logits(tiny_model, [PARAGRAPH_ID, *tiny_model.vocabulary.encode(tokens)])
    np.testing.assert_allclose(predictor.logits(), expected, atol=1e-5)


def test_windowed_prediction_reads_only_the_last_n_tokens(tiny_model) -> None:  # type: ignore[no-untyped-def]
    tokens = _fable_tokens(20)
    predictor = Predictor(tiny_model, window=3)
    predictor.feed(tokens)
    expected = _direct_logits(tiny_model, list(tiny_model.vocabulary.encode(tokens[-3:])))
    np.testing.assert_allclose(predictor.logits(), expected, atol=1e-6)


def test_truncate_gives_the_same_distribution_as_a_fresh_read(tiny_model) -> None:  # type: ignore[no-untyped-def]
    tokens = _fable_tokens(CHECKPOINT_EVERY * 2 + 10)
    predictor = Predictor(tiny_model)
    predictor.feed(tokens)
    predictor.logits()
    for length in (CHECKPOINT_EVERY * 2, CHECKPOINT_EVERY + 1, 5, 0):
        predictor.truncate(length)
        fresh = Predictor(tiny_model)
        fresh.feed(tokens[:length])
        np.testing.assert_allclose(predictor.logits(), fresh.logits(), atol=1e-5)
        assert predictor.tokens == tokens[:length]


def test_candidates_are_sorted_never_unk_and_honour_k(tiny_model) -> None:  # type: ignore[no-untyped-def]
    predictor = Predictor(tiny_model)
    predictor.feed(["the"])
    candidates = predictor.candidates(10)
    assert len(candidates) == 10
    probabilities = [c.probability for c in candidates]
    assert probabilities == sorted(probabilities, reverse=True)
    assert all(c.id != UNKNOWN_ID for c in candidates)
    probs = predictor.probabilities()
    assert probs.sum() == pytest.approx(1.0)
    assert candidates[0].probability == pytest.approx(np.delete(probs, UNKNOWN_ID).max())


def test_unknown_words_are_reported_and_still_read(tiny_model) -> None:  # type: ignore[no-untyped-def]
    predictor = Predictor(tiny_model)
    assert predictor.feed(["the", "zebra", "hedgehog", "zebra", "quux"]) == ["zebra", "quux"]
    assert predictor.tokens[1] == "zebra"
    assert np.isfinite(predictor.logits()).all()


def test_generation_is_reproducible_with_a_seed(tiny_model) -> None:  # type: ignore[no-untyped-def]
    def run() -> list[str]:
        predictor = Predictor(tiny_model)
        predictor.feed(["the", "cat"])
        return [g.token for g in predictor.generate(12, SamplingConfig(seed=5))]

    assert run() == run()


def test_generation_counts_words_not_punctuation(tiny_model) -> None:  # type: ignore[no-untyped-def]
    predictor = Predictor(tiny_model)
    out = [g.token for g in predictor.generate(8, SamplingConfig(seed=1, temperature=1.5))]
    assert sum(map(is_word, out)) == 8 or len(out) == 8 * 4
    assert "<unk>" not in out
    assert predictor.tokens == out


def test_generation_stops_when_asked(tiny_model) -> None:  # type: ignore[no-untyped-def]
    stop = threading.Event()
    predictor = Predictor(tiny_model)
    written = []
    for generated in predictor.generate(50, SamplingConfig(seed=2), stop):
        written.append(generated.token)
        if len(written) == 3:
            stop.set()
    assert len(written) == 3


def test_greedy_generation_follows_the_argmax(tiny_model) -> None:  # type: ignore[no-untyped-def]
    predictor = Predictor(tiny_model)
    predictor.feed(["the"])
    best = predictor.candidates(1)[0]
    generated = next(predictor.generate(1, SamplingConfig(greedy=True, repetition_penalty=1)))
    assert (generated.token, generated.rank) == (best.token, 1)
    assert generated.probability == pytest.approx(best.probability)


def test_a_window_below_one_is_refused(tiny_model) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="window"):
        Predictor(tiny_model, window=0)


@pytest.mark.parametrize("window", [None, 3])
def test_score_gives_each_words_probability_and_rank_where_it_was_added(tiny_model, window) -> None:  # type: ignore[no-untyped-def]
    tokens = [*_fable_tokens(12), "zebra"]
    scored_predictor = Predictor(tiny_model, window)
    scored_predictor.feed(tokens[:2])
    scored = scored_predictor.score(tokens[2:])
    step_by_step = Predictor(tiny_model, window)
    step_by_step.feed(tokens[:2])
    for token, (probability, rank) in zip(tokens[2:], scored, strict=True):
        if token == "zebra":
            assert (probability, rank) == (None, None)
            step_by_step.feed([token])
            continue
        candidates = step_by_step.candidates(len(tiny_model.vocabulary))
        position = next(i for i, c in enumerate(candidates) if c.token == token)
        assert probability == pytest.approx(candidates[position].probability, abs=1e-5)
        assert rank == position + 1
        step_by_step.feed([token])
    assert scored_predictor.tokens == tokens
    np.testing.assert_allclose(scored_predictor.logits(), step_by_step.logits(), atol=1e-5)


def test_sync_rereads_only_from_the_first_difference(tiny_model) -> None:  # type: ignore[no-untyped-def]
    tokens = _fable_tokens(30)
    predictor = Predictor(tiny_model)
    predictor.feed(tokens)
    changed = [*tokens[:20], "the", "cat"]
    assert predictor.sync(changed) == []
    fresh = Predictor(tiny_model)
    fresh.feed(changed)
    assert predictor.tokens == changed
    np.testing.assert_allclose(predictor.logits(), fresh.logits(), atol=1e-5)


def test_a_long_story_is_read_in_pieces_that_keep_fewer_states_far_from_its_end(
    tiny_model, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    tokens = (_fable_tokens(150) * 3)[:420]
    expected = _direct_logits(tiny_model, [PARAGRAPH_ID, *tiny_model.vocabulary.encode(tokens)])
    lengths = _reading_in_pieces(tiny_model, monkeypatch, near=8, far=32, end=40)
    predictor = Predictor(tiny_model)
    predictor.feed(tokens)
    np.testing.assert_allclose(predictor.logits(), expected, atol=1e-5)
    # 421 ids: far pieces of 32 up to 352 (the last multiple of 32 at least 40 before the end),
    # then pieces of 8 to 416, then the last 5.
    assert lengths == [32] * 11 + [8] * 8 + [5]
    assert sorted(predictor._checkpoints) == [*range(32, 353, 32), *range(360, 417, 8)]
    # Going back into the far part re-reads from the state kept before it.
    lengths.clear()
    predictor.truncate(100)
    fresh = Predictor(tiny_model)
    fresh.feed(tokens[:100])
    np.testing.assert_allclose(predictor.logits(), fresh.logits(), atol=1e-5)
    assert lengths[0] == 100 + 1 - 96  # from the state kept after 96 ids


def test_sync_re_reads_only_from_the_first_difference(tiny_model) -> None:  # type: ignore[no-untyped-def]
    from storyteller.engine.predictor import common_prefix

    tokens = _fable_tokens(150)
    for changed in (0, 1, 63, 64, 149):
        other = [*tokens[:changed], "zebra", *tokens[changed + 1 :]]
        assert common_prefix(tokens, other) == changed
    assert common_prefix(tokens, tokens[:40]) == common_prefix(tokens[:40], tokens) == 40
    assert common_prefix([], tokens) == 0
    predictor = Predictor(tiny_model)
    predictor.feed(tokens)
    predictor.sync([*tokens[:70], "fox"])
    assert predictor.tokens == [*tokens[:70], "fox"]


def test_a_story_longer_than_the_network_remembers_is_begun_again_before_its_end(
    tiny_model, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    tokens = (_fable_tokens(150) * 2)[:250]
    lengths = _reading_in_pieces(tiny_model, monkeypatch, near=4, far=16, end=16, context=60)
    predictor = Predictor(tiny_model)
    predictor.feed(tokens)
    logits = predictor.logits()
    # 251 ids: begun again at a paragraph break at id 176 (the multiple of 16 at or before 251 - 60),
    # so 75 ids are read, not 251.
    assert lengths[0] == 1 and sum(lengths[1:]) == 251 - 176
    begun = Predictor(tiny_model)
    begun.feed(tokens[175:])
    np.testing.assert_allclose(logits, begun.logits(), atol=1e-5)
    # Written on word by word, it reads on from its state: nothing is begun again.
    lengths.clear()
    for token in tokens[:30]:
        predictor.feed([token])
        predictor.logits()
    assert lengths == [1] * 30
