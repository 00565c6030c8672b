"""The story document: undo/redo word by word, branches that keep what was replaced, the file."""

from __future__ import annotations

import io
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storyteller.engine.story import (
    Author,
    Branch,
    Story,
    StoryError,
    Turn,
    Word,
    export_text,
    load_story,
    save_story,
)


def _words(text: str, author: Author = Author.WRITER) -> list[Word]:
    return [Word(t, author) for t in text.split()]


def test_turns_group_consecutive_words_by_side() -> None:
    story = Story()
    story.add(_words("once upon"))
    story.add([Word("a", Author.PICKED)])
    story.add(_words("time there", Author.MODEL))
    story.add(_words("lived"))
    assert [(t.side, t.start, len(t.words)) for t in story.turns()] == [
        ("writer", 0, 3),
        ("model", 3, 2),
        ("writer", 5, 1),
    ]


def test_undo_and_redo_word_by_word_whoever_wrote_it() -> None:
    story = Story()
    story.add(_words("the cat"))
    story.add(_words("sat down", Author.MODEL))
    assert story.undo() == Word("down", Author.MODEL)
    assert story.undo() == Word("sat", Author.MODEL)
    assert story.undo() == Word("cat", Author.WRITER)
    assert story.tokens == ["the"]
    assert story.redo() == Word("cat", Author.WRITER)
    assert story.tokens == ["the", "cat"] and story.can_redo


def test_writing_after_undo_keeps_the_undone_words_as_a_branch() -> None:
    story = Story()
    story.add(_words("the cat sat"))
    story.undo()
    story.undo()
    story.add(_words("dog ran"))
    assert story.tokens == ["the", "dog", "ran"]
    assert not story.can_redo
    assert story.branches == [Branch(1, tuple(_words("cat sat")))]


def test_cut_and_switch_never_lose_words() -> None:
    story = Story()
    story.add(_words("a b c d"))
    story.cut(2)
    story.add(_words("x"))
    assert story.tokens == ["a", "b", "x"]
    story.switch(0)
    assert story.tokens == ["a", "b", "c", "d"]
    assert story.branches == [Branch(2, tuple(_words("x")))]


def test_settings_are_shared_by_index() -> None:
    story = Story()
    first = story.remember_settings({"temperature": 0.8})
    assert story.remember_settings({"temperature": 0.8}) == first
    assert story.remember_settings({"temperature": 1.2}) == first + 1


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    story = Story(title="Kettle", model={"name": "tiny", "sha256": "ab"})
    settings = story.remember_settings({"temperature": 0.8, "seed": 4})
    story.add(_words("the cat"))
    story.add([Word("sat", Author.MODEL, 0.25, 3, settings), Word("<p>", Author.MODEL, 0.1, 7, settings)])
    story.add([Word("down", Author.PICKED, 0.05, 9)])
    story.undo()
    path = tmp_path / "story.json"
    save_story(story, path)
    again = load_story(path)
    assert again.words == story.words
    assert again.branches == [Branch(4, (Word("down", Author.PICKED, 0.05, 9),))]
    assert again.settings == story.settings and again.model == story.model and again.title == "Kettle"


def test_export_as_text_and_markdown(tmp_path: Path) -> None:
    story = Story(title="Kettle")
    story.add(_words("the cat sat . <p> it slept ."))
    export_text(story, tmp_path / "s.txt", story_tokenizer())
    export_text(story, tmp_path / "s.md", story_tokenizer(), markdown=True)
    assert (tmp_path / "s.txt").read_text() == "The cat sat.\n\nIt slept.\n"
    assert (tmp_path / "s.md").read_text() == "# Kettle\n\nThe cat sat.\n\nIt slept.\n"


def story_tokenizer():  # type: ignore[no-untyped-def]
    from storyteller.engine.tokenizer import TokenizerConfig

    return TokenizerConfig()


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "not a story"),
        (b'{"format": "storyteller-story", "version": 1, "words": [{"t": "a"}', "not a story"),
        (b'{"format": "something else"}', "not a storyteller story"),
        (b'{"format": "storyteller-story", "version": 9, "words": []}', "newer storyteller"),
        (b'{"format": "storyteller-story", "version": 1, "words": [{"t": ""}]}', "no token"),
        (b'{"format": "storyteller-story", "version": 1, "words": [{"t": "a", "p": 7}]}', "probability"),
        (
            b'{"format": "storyteller-story", "version": 1, "words": [{"t": "a", "by": "ghost"}]}',
            "cannot be used",
        ),
        (b"\xff\xfe\x00binary", "not a story"),
    ],
)
def test_bad_story_files_are_one_sentence(tmp_path: Path, content: bytes, fragment: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(StoryError) as caught:
        load_story(path)
    assert fragment in str(caught.value) and "\n" not in str(caught.value)


def test_missing_story_file(tmp_path: Path) -> None:
    with pytest.raises(StoryError, match="does not exist"):
        load_story(tmp_path / "none.json")


def test_a_failed_save_leaves_the_old_file(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "story.json"
    story = Story()
    story.add(_words("first version"))
    save_story(story, path)
    before = path.read_bytes()

    def full_disk(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("storyteller.engine.files.os.replace", full_disk)
    story.add(_words("second"))
    with pytest.raises(StoryError, match="No space left on device"):
        save_story(story, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["story.json"]
    assert json.loads(before)["words"][0]["t"] == "first"


def test_a_killed_writers_old_temporary_file_is_cleared_by_the_next_write(tmp_path: Path) -> None:
    import os
    import time

    from storyteller.engine.files import STALE_AFTER, write_atomically

    target = tmp_path / "model.onnx"
    old = tmp_path / ".model.onnx.abc123.tmp"
    fresh = tmp_path / ".model.onnx.def456.tmp"  # perhaps another writer's, still at work
    other = tmp_path / ".other.onnx.abc123.tmp"
    for leftover in (old, fresh, other):
        leftover.write_bytes(b"half")
    long_ago = time.time() - STALE_AFTER - 60
    os.utime(old, (long_ago, long_ago))
    os.utime(other, (long_ago, long_ago))
    write_atomically(b"whole", target)
    assert target.read_bytes() == b"whole"
    assert not old.exists() and fresh.exists() and other.exists()


def test_word_count_leaves_out_punctuation_and_breaks() -> None:
    story = Story()
    story.add(_words("the cat , sat . <p> it 4 o'clock"))
    assert story.word_count() == 6


# -- what is worked out from the words follows every change -------------------------------

TOKENS = ["the", "fox", "ran", ",", ".", '"', "<p>", "it", "4"]
word_strategy = st.builds(Word, st.sampled_from(TOKENS), st.sampled_from(list(Author)))


def changes_of(words: st.SearchStrategy[Word]) -> st.SearchStrategy[list[tuple[str, Any]]]:
    return st.lists(
        st.one_of(
            st.tuples(st.just("add"), st.lists(words, min_size=1, max_size=6)),
            st.tuples(st.just("undo"), st.none()),
            st.tuples(st.just("redo"), st.none()),
            st.tuples(st.just("cut"), st.integers(0, 40)),
            st.tuples(st.just("switch"), st.integers(0, 5)),
            st.tuples(st.just("replace"), st.tuples(st.integers(0, 40), words)),
            st.tuples(st.just("look"), st.none()),  # read the figures between changes, or not
        ),
        max_size=40,
    )


changes = changes_of(word_strategy)


def change(story: Story, kind: str, argument: Any) -> None:
    if kind == "add":
        story.add(argument)
    elif kind == "undo":
        story.undo()
    elif kind == "redo":
        story.redo()
    elif kind == "cut" and argument <= len(story.words):
        story.cut(argument)
    elif kind == "switch" and argument < len(story.branches):
        if story.branches[argument].start <= len(story.words):
            story.switch(argument)
        else:
            with pytest.raises(ValueError, match="the branch follows word"):
                story.switch(argument)
    elif kind == "replace" and argument[0] < len(story.words):
        story.replace(*argument)
    elif kind == "look":
        story.turns()


@settings(max_examples=300, deadline=None)
@given(
    changes_of(
        st.builds(
            Word,
            st.sampled_from(TOKENS),
            st.sampled_from(list(Author)),
            form=st.sampled_from([None, "Fox", "FOX"]),
        )
    )
)
def test_tokens_turns_counts_and_file_follow_every_change(steps: list[tuple[str, Any]]) -> None:
    story = Story()
    seen: list[tuple[int, list[Word]]] = []  # (revision, the words then)
    for kind, argument in steps:
        change(story, kind, argument)
        words = list(story.words)
        assert story.tokens == [w.token for w in words]
        expected, start = [], 0
        for by_model, group in itertools.groupby(words, key=lambda w: w.author is Author.MODEL):
            grouped = tuple(group)
            expected.append(Turn("model" if by_model else "writer", start, grouped))
            start += len(grouped)
        assert story.turns() == expected
        counts = [sum(w.token[:1].isalnum() for w in words[:i]) for i in range(len(words) + 1)]
        assert [story.word_count(before=i) for i in range(len(words) + 1)] == counts
        assert story.word_count() == counts[-1]
        assert story.written_forms() == {w.token: w.form for w in words if w.form}
        again = Story.from_json(json.loads(story.file().encode()))
        assert again.words == words
        # What a view saw at an earlier revision is still true of the words it says are unchanged.
        for revision, then in seen:
            kept = story.unchanged_since(revision)
            assert then[:kept] == words[:kept]
        seen.append((story.revision, words))


def test_adding_words_leaves_the_earlier_ones_unchanged() -> None:
    story = Story()
    story.add(_words("the cat sat"))
    revision = story.revision
    story.add(_words("down", Author.MODEL))
    assert story.unchanged_since(revision) == 3
    story.undo()
    story.undo()
    assert story.unchanged_since(revision) == 2


def test_a_file_taken_before_a_change_keeps_the_story_as_it_was() -> None:
    story = Story()
    story.add(_words("the cat"))
    taken = story.file()
    story.add(_words("sat", Author.MODEL))
    story.replace(0, Word("a", Author.WRITER))
    assert [w["t"] for w in json.loads(taken.encode())["words"]] == ["the", "cat"]


words_to_write = st.builds(
    Word,
    st.text(min_size=1),
    st.sampled_from(list(Author)),
    st.one_of(st.none(), st.floats(0, 1), st.integers(0, 1)),
    st.one_of(st.none(), st.integers(0, 10**30)),
    st.one_of(st.none(), st.integers(0, 10**6)),
    st.one_of(st.none(), st.integers(1, 10**6)),
    st.one_of(st.none(), st.text(min_size=1)),
    st.one_of(st.none(), st.booleans()),
    st.one_of(st.none(), st.integers(1, 10**6)),
)


@settings(max_examples=500, deadline=None)
@given(words_to_write)
def test_a_word_is_written_as_json_writes_it(word: Word) -> None:
    text = word.to_json_text()
    assert text == json.dumps(word.to_json(), ensure_ascii=False)
    assert Word.from_json(json.loads(text)).to_json() == word.to_json()


def test_a_story_too_long_for_a_file_is_refused_before_and_after_it_is_put_together(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import errno

    from storyteller.engine import story as story_module

    monkeypatch.setattr(story_module, "MAX_STORY_BYTES", 2_000)
    short, long = Story(_words("the cat sat")), Story(_words("the cat sat " * 100))
    assert json.loads(short.file().encode())["words"][2]["t"] == "sat"
    written = io.BytesIO()
    with pytest.raises(OSError) as caught:
        long.file().write_to(written)  # counted in characters, not put together
    assert caught.value.errno == errno.EFBIG and "too long for a story file: over the" in str(caught.value)
    assert not written.getvalue()
    # Characters under the bound, bytes over it (each of these letters takes three bytes): refused
    # as it is written, with no more than the bound written.
    wide = Story(_words("ああああああああああ " * 40))
    assert sum(map(len, wide.file().words)) < 2_000
    with pytest.raises(OSError, match="too long for a story file"):
        wide.file().write_to(written)
    assert len(written.getvalue()) <= 2_000


@pytest.mark.parametrize("words", [1, 2, 3, 4, 5])
def test_a_story_written_in_pieces_is_the_story_written_whole(
    monkeypatch: pytest.MonkeyPatch, words: int
) -> None:
    from storyteller.engine import story as story_module

    story = Story(_words(" ".join(["the", "cat", "sat", ",", "and"][:words])))
    file = story.file()
    whole = file.encode()
    monkeypatch.setattr(story_module, "WORDS_PER_PIECE", 2)
    pieces = file.encode()
    assert pieces.split(b"\n")[1:] == whole.split(b"\n")[1:]  # the first line holds the time saved
    assert Story.from_json(json.loads(pieces)).words == story.words
