"""The writing aids in a session without a terminal: phrases, bridges and loop fixes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from storyteller.engine import Model
from storyteller.engine.bridge import BridgeError
from storyteller.engine.replay import replay
from storyteller.engine.story import Author
from storyteller.session import ModelWord, TurnRequest, WritingSession

from .test_session import model_turn, read, session_in

LOOPING = {"greedy": True, "repetition_penalty": 1.0}
"""Greedy writing without a penalty: the tiny model goes round in a loop."""


def test_a_phrase_is_the_candidate_and_its_next_words(tiny_model: Model, tmp_path: Path) -> None:
    session = session_in(tmp_path, tiny_model, lookahead=3)
    session.add_text("the hedgehog filled the")
    read(session)
    phrase = session.phrases[0]
    texts = session.following_texts()
    assert texts is not None and len(texts) == len(session.candidates)
    before = len(session.story.words)
    assert session.pick(1, phrase=True) is None
    added = session.story.words[before:]
    assert [w.token for w in added] == phrase.tokens
    assert all(w.author is Author.PICKED and w.probability for w in added)
    assert [w.rank for w in added] == [1, 1, 1, 1]


def test_no_phrase_without_the_lookahead(tiny_model: Model, tmp_path: Path) -> None:
    session = session_in(tmp_path, tiny_model, lookahead=0)
    notices: list[str] = []
    session.listener = lambda change: notices.append(change.notice) if change.notice else None
    session.add_text("the hedgehog filled the")
    read(session)
    before = list(session.story.words)
    assert session.following_texts() is None
    assert session.pick(1, phrase=True) is not None
    assert session.story.words == before and "lookahead is off" in notices[-1]


def test_a_bridge_is_written_in_as_the_writers_choice(tiny_model: Model, tmp_path: Path) -> None:
    session = session_in(tmp_path, tiny_model)
    session.add_text("the hedgehog filled the")
    paths = session.bridge_job("kettle 4")()
    assert paths and all(p.tokens[-1] == "kettle" for p in paths)
    before = len(session.story.words)
    session.write_path(paths[1])
    added = session.story.words[before:]
    assert tuple(w.token for w in added) == paths[1].tokens
    assert all(w.author is Author.PICKED for w in added)
    with pytest.raises(BridgeError, match="Name a word"):
        session.bridge_job("  ")
    with pytest.raises(BridgeError, match="nearest words it knows: kettle"):
        session.bridge_job("kettel")()


def _looping_session(model: Model, folder: Path) -> WritingSession:
    session = session_in(folder, model, **LOOPING)
    session.settings = replace(session.settings, length=20)
    session.add_text("the hedgehog")
    read(session)
    model_turn(session)
    return session


def test_a_loop_is_found_after_the_turn_and_forgotten_once_the_story_changes(
    tiny_model: Model, tmp_path: Path
) -> None:
    session = _looping_session(tiny_model, tmp_path)
    loop = session.current_loop()
    assert loop is not None and session.loop_span() == range(loop.start, loop.end)
    assert (
        session.story.tokens[loop.start : loop.start + 3]
        == session.story.tokens[loop.earlier : loop.earlier + 3]
    )
    session.add_text("and then")
    assert session.current_loop() is None and session.loop_span() is None
    assert isinstance(session.fix_loop("forbid"), str)


def test_a_loop_is_found_when_the_writer_stops_the_turn(tiny_model: Model, tmp_path: Path) -> None:
    session = session_in(tmp_path, tiny_model, **LOOPING)
    session.settings = replace(session.settings, length=40)
    session.add_text("the hedgehog")
    read(session)
    notices: list[str] = []
    session.listener = lambda change: notices.append(change.notice) if change.notice else None
    request = session.start_turn()
    assert isinstance(request, TurnRequest)
    written: list[ModelWord] = []
    session.reader.write(session.model, request, written.append)
    for word in written[:20]:  # Esc comes while the model is still writing
        session.model_wrote(word)
    session.stop()
    loop = session.current_loop()
    assert not session.writing and loop is not None and loop.start >= len(request.tokens)
    assert notices and "Ctrl+K" in notices[-1]
    session.stop()  # a second Esc (nothing is being written) finds nothing more
    assert len(notices) == 1


@pytest.mark.parametrize("fix", ["forbid", "warmer", "second"])
def test_each_fix_writes_the_turn_again_from_where_the_loop_began(
    tiny_model: Model, tmp_path: Path, fix: str
) -> None:
    session = _looping_session(tiny_model, tmp_path)
    loop = session.current_loop()
    assert loop is not None
    looping = session.story.tokens
    request = session.fix_loop(fix)
    assert isinstance(request, TurnRequest)
    assert session.story.tokens == looping[: loop.start]
    assert session.story.branches, "the looping words are kept as a branch"
    config = request.config
    if fix == "forbid":
        assert config.no_repeat == 3
    elif fix == "warmer":
        assert config.temperature == pytest.approx(session.settings.temperature + 0.5) and not config.greedy
    else:
        assert request.opening_rank in (1, 2)
    written = []
    session.reader.write(session.model, request, written.append)
    for word in written:
        session.model_wrote(word)
    session.turn_over(request.turn)
    new = session.story.words[loop.start :]
    assert new and [w.token for w in new] != looping[loop.start : loop.start + len(new)]
    if fix == "second":
        assert new[0].author is Author.PICKED and new[0].rank == request.opening_rank
    if fix == "forbid":
        assert session.current_loop() is None or session.current_loop().kind == "ping-pong"  # type: ignore[union-attr]


@pytest.mark.parametrize("window", [None, 3])
def test_words_taken_from_a_phrase_or_a_bridge_replay_as_recorded(
    tiny_model: Model, tmp_path: Path, window: int | None
) -> None:
    session = session_in(tmp_path, tiny_model, window=window)
    session.add_text("the hedgehog filled the")
    read(session)
    session.pick(2, phrase=True)
    session.write_path(session.bridge_job("cat 5")()[0])
    assert replay(session.story, tiny_model).holds
