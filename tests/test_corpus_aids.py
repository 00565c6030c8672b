"""The session's aids without a terminal: look-ups, the story scored under two models, failures said once."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from storyteller.engine import Model, ModelError, load, read_corpus, tokenize
from storyteller.engine.corpus_index import index_path
from storyteller.engine.index_build import build_index
from storyteller.engine.rescore import Rescorer, compare
from storyteller.engine.story import Author, Story, Word
from storyteller.session.corpus_aids import CorpusAids as Aids

from .conftest import FABLE, TINY_MODEL

STORY = tokenize("a hedgehog named bramble lived under the baker's step, and the cat sang.")


def as_story(tokens: list[str]) -> Story:
    return Story(Word(t, Author.WRITER) for t in tokens)


@pytest.fixture
def indexed(tmp_path: Path) -> Model:
    path = tmp_path / "fable.onnx"
    shutil.copy(TINY_MODEL, path)
    model = load(path)
    build_index(read_corpus(FABLE), model.card.tokenizer).save(index_path(path))
    return model


def test_a_look_up_counts_measures_the_copy_and_compares_only_after_a_switch(indexed: Model) -> None:
    aids = Aids()
    result = aids.work(aids.request(STORY, STORY[:3], ["bramble", "zebra"], indexed, None))
    assert result.counts is not None and result.counts.counts[0] >= 1 and result.counts.counts[1] == 0
    assert result.copied == 0  # the story ends with "the cat sang .", which the fable never says
    assert result.comparison is None and result.notice is None
    assert aids.apply(result, as_story(STORY), indexed, None)
    assert not aids.apply(result, as_story(STORY[:-1]), indexed, None)  # the story has moved on


def test_the_comparison_follows_the_story_as_it_changes(indexed: Model, tiny_model: Model) -> None:
    aids = Aids()
    for story in (STORY, [*STORY, "the"], [*STORY[:5], "cat", "sang"]):  # grown, then edited mid-way
        result = aids.work(aids.request(story, story, [], indexed, tiny_model))
        assert result.comparison is not None and result.comparison.tokens == len(story)
        old, new = Rescorer(tiny_model), Rescorer(indexed)
        old.update(story)
        new.update(story)
        fresh = compare(old, new)
        known = [c for c in result.comparison.changes if c is not None]
        assert np.allclose(known, [c for c in fresh.changes if c is not None])
        assert result.comparison.new_perplexity == pytest.approx(fresh.new_perplexity)
    assert aids.apply(result, as_story(story), indexed, tiny_model) and aids.comparison is result.comparison
    # Another switch (Ctrl+G: the models swap) starts afresh; the old comparison is not shown meanwhile.
    assert not aids.apply(result, as_story(story), tiny_model, indexed)


def test_a_newer_request_stops_the_scoring_but_not_the_look_ups(indexed: Model, tiny_model: Model) -> None:
    aids = Aids()
    stale = aids.request(STORY * 40, STORY, ["the"], indexed, tiny_model)
    aids.request(STORY, STORY, ["the"], indexed, tiny_model)
    result = aids.work(stale)
    assert result.comparison is None and result.counts is not None


def test_a_model_that_fails_on_the_story_is_said_once(indexed: Model, tiny_model: Model, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def broken(*args: object, **kwargs: object) -> None:
        raise ModelError("Model 'fable' gave non-finite scores (NaN or infinity) for this text.")

    monkeypatch.setattr(indexed, "run", broken)
    aids = Aids()
    first = aids.work(aids.request(STORY, STORY, [], indexed, tiny_model))
    assert first.comparison is None and first.notice is not None and "non-finite" in first.notice
    again = aids.work(aids.request([*STORY, "the"], STORY, [], indexed, tiny_model))
    assert again.notice is None and again.counts is not None
