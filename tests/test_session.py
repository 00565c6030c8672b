"""A whole writing session without a terminal: intents in, the story and files out."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from storyteller.engine import Model, TokenizerConfig
from storyteller.engine.story import Author, load_story
from storyteller.session import (
    CONFIG_FILE,
    ModelWord,
    TurnRequest,
    WriterSettings,
    WritingSession,
    load_settings,
    reading,
)

README = Path(__file__).parent.parent / "README.md"


def session_in(folder: Path, model: Model, **settings: object) -> WritingSession:
    return WritingSession(model, folder, WriterSettings(pace=0, seed=3, length=6, **settings))  # type: ignore[arg-type]


def read(session: WritingSession) -> None:
    """What the writer's screen does in a worker, done here at once."""
    assert session.apply_analysis(session.reader.analyse(session.model, session.analysis_request()))


def model_turn(session: WritingSession, regenerate: bool = False) -> None:
    request = session.start_turn(regenerate=regenerate)
    assert isinstance(request, TurnRequest)
    words: list[ModelWord] = []
    session.reader.write(session.model, request, words.append)
    for word in words:
        session.model_wrote(word)
    session.turn_over(request.turn)


def test_a_whole_writing_session(tiny_model: Model, tmp_path: Path) -> None:
    session = session_in(tmp_path, tiny_model)
    session.add_text("The hedgehog filled the kettle.")
    read(session)
    assert all(w.probability is not None for w in session.story.words)
    assert session.pick(1) is None and session.story.words[-1].author is Author.PICKED
    model_turn(session)
    assert session.story.turns()[-1].side == "model" and not session.writing
    assert session.autosave.path.exists()
    before = len(session.story.words)
    session.files.close()
    assert len(list((tmp_path / "stories").glob("*.json"))) == 1
    assert before == len(session.story.words)


def test_unscored_words_are_scored_only_as_far_back_as_the_model_reads(
    tiny_model: Model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A restored or pasted story of millions of unscored words would keep the candidates waiting
    # for minutes: only its last MAX_CONTEXT tokens are scored, the words before keep none.
    monkeypatch.setattr(reading, "MAX_CONTEXT", 30)
    session = session_in(tmp_path, tiny_model)
    session.add_text(" ".join(["The hedgehog filled the kettle."] * 20))
    read(session)
    words = session.story.words
    assert len(words) > 60 and session.candidates
    assert all(w.probability is None for w in words[:-30])
    assert all(w.probability is not None for w in words[-30:])
    assert session.analysis_request().unscored_from is None  # nothing left to score: no rereading


def test_undo_of_a_whole_turn_beside_word_undo(tiny_model: Model, tmp_path: Path) -> None:
    session = session_in(tmp_path, tiny_model)
    session.add_text("the hedgehog")
    read(session)
    model_turn(session)
    assert len(session.story.turns()) == 2
    session.undo_turn()
    assert session.story.tokens == ["the", "hedgehog"]
    session.undo()
    assert session.story.tokens == ["the"]
    assert session.undo_turn() is None and session.story.tokens == []
    assert session.undo_turn() == "Nothing to undo."


def test_words_typed_at_the_word_cursor_go_in_at_the_cursor(tiny_model: Model, tmp_path: Path) -> None:
    session = session_in(tmp_path, tiny_model)
    session.add_text("the old hedgehog sang .")
    session.move_cursor(-1)
    session.move_cursor(-1)  # on "sang"
    assert session.cursor == 3
    assert session.cursor_label() == "Instead of “sang” (word 4)"
    session.add_text("softly")
    assert session.story.tokens == ["the", "old", "hedgehog", "softly", "sang", "."]
    assert session.cursor == 4 and session.story.words[4].token == "sang"
    assert session.story.word_count() == 5


def model_spelling(model: Model, name: str, tokenizer: TokenizerConfig) -> Model:
    """The same network under another name and other tokenizer settings."""
    return Model(model.session, replace(model.card, name=name, tokenizer=tokenizer), sha256=name)


def test_a_model_switch_never_changes_the_words_already_written(tiny_model: Model, tmp_path: Path) -> None:
    names = model_spelling(tiny_model, "names", TokenizerConfig(names=("pearl", "henry", "kettle")))
    session = session_in(tmp_path, names)
    session.add_text("said Pearl to henry and")
    read(session)
    session.pick(1)
    model_turn(session)
    written = session.story.text(names.card.tokenizer)
    assert written.startswith("Said Pearl to henry and ")  # a name typed in lower case stays so
    keep_case = model_spelling(tiny_model, "keep-case", TokenizerConfig(lowercase=False))
    for other in (tiny_model, keep_case, names):
        session.switch_model(other)
        assert session.story.text(other.card.tokenizer) == written
    # Filed and opened again under another model: still as written.
    session.switch_model(tiny_model)
    path = session.files.file_story(session.story)
    assert path is not None
    assert load_story(path, keep_case.card.tokenizer).text(keep_case.card.tokenizer) == written


def test_markup_like_text_reads_as_typed(tiny_model: Model, tmp_path: Path) -> None:
    session = session_in(tmp_path, tiny_model)
    session.add_text("[bold]x[/bold] said the [i]fox[/i]")
    assert session.story.text() == "[bold]x[/bold] said the [i]fox[/i]"


def test_settings_changed_by_keys_are_kept_in_the_config_file(tiny_model: Model, tmp_path: Path) -> None:
    (tmp_path / CONFIG_FILE).write_text("[writer]\ncandidates = 7\n")
    session = session_in(tmp_path, tiny_model)
    assert session.change_setting("temperature", 1) == "Temperature 0.9"
    assert session.change_setting("top_k") == "Top-k 100"
    kept, problem = load_settings(tmp_path / CONFIG_FILE)
    assert problem is None
    assert (kept.temperature, kept.top_k, kept.candidates) == (0.9, 100, 7)
    assert kept.length == 30  # the session's own start-up values are not written: only what a key changed


def test_saving_to_a_folder_that_does_not_exist_asks_first(tiny_model: Model, tmp_path: Path) -> None:
    session = session_in(tmp_path, tiny_model)
    session.add_text("the kettle")
    target = tmp_path / "new" / "folder" / "kettle.md"
    assert session.files.save_as(target) is None  # the screen asks the writer
    assert not target.parent.exists()
    assert session.files.save_as(target, create_folder=True) == f"Saved to {target}."
    assert target.read_text().endswith("The kettle\n")


def test_saving_a_story_file_into_the_list_lists_it_once(tiny_model: Model, tmp_path: Path) -> None:
    session = session_in(tmp_path, tiny_model)
    session.add_text("the kettle sang")
    session.files.set_title("The Kettle")
    session.files.save_as(tmp_path / "stories" / "kettle.json")
    session.files.close()
    entries, problems = session.files.entries()
    assert problems == [] and [e.title for e in entries] == ["The Kettle"]
    assert entries[0].words == 3 and entries[0].first_line == "The kettle sang"


def test_the_story_list_newest_first_and_a_new_story(tiny_model: Model, tmp_path: Path) -> None:
    session = session_in(tmp_path, tiny_model)
    session.add_text("the first story")
    session.files.new_story()
    assert session.story.tokens == []
    session.add_text("the second story")
    session.files.new_story()
    entries, _ = session.files.entries()
    assert [e.first_line for e in entries] == ["The second story", "The first story"]


def test_two_sessions_on_one_folder_never_share_an_autosave(tiny_model: Model, tmp_path: Path) -> None:
    first = session_in(tmp_path, tiny_model)
    first.add_text("the first writer")
    second = session_in(tmp_path, tiny_model)
    assert first.files.greeting() is None
    greeting = second.files.greeting()
    assert greeting is not None and greeting.endswith(".") and ". " not in greeting  # one sentence
    assert second.autosave.path != first.autosave.path
    assert second.files.crashed() == (None, [])  # the first one's live story is not a crash
    second.add_text("the second writer")
    first.claim.lock.release()  # as when the first is killed: the system drops its lock
    third = session_in(tmp_path, tiny_model)
    crashed, notices = third.files.crashed()
    assert crashed is not None and crashed.story.tokens == ["the", "first", "writer"]
    assert notices == []
    assert second.autosave.path.exists()  # the second one's autosave is untouched


def test_the_readmes_key_table_is_the_key_list() -> None:
    from storyteller.app.keys import readme_table

    text = README.read_text()
    table = re.search(r"^\| key \| what it does \|\n(?:\|.*\n)+", text, re.MULTILINE)
    assert table is not None
    assert table.group().strip() == readme_table()


@pytest.mark.parametrize(
    "content",
    [b"[writer\ncandidates = 7\n", b"\xff\xfe not utf-8", b"writer = 3\n"],
    ids=["toml", "utf8", "shape"],
)
def test_an_unreadable_config_file_is_set_aside_never_written_over(
    tiny_model: Model, tmp_path: Path, content: bytes
) -> None:
    (tmp_path / CONFIG_FILE).write_bytes(content)
    notices: list[str | None] = []
    session = WritingSession(
        tiny_model, tmp_path, WriterSettings(pace=0), background=lambda job: notices.append(job())
    )
    session.change_setting("temperature", 1)
    (aside,) = tmp_path.glob("unreadable-config-*.toml")
    assert aside.read_bytes() == content  # kept, untouched
    kept, problem = load_settings(tmp_path / CONFIG_FILE)
    assert problem is None and kept.temperature == 0.9
    (notice,) = notices
    assert notice is not None and f"it is kept, untouched, as '{aside.name}'" in notice
    assert notice.endswith(".") and "\n" not in notice


def test_a_config_file_that_cannot_be_set_aside_is_left_alone(
    tiny_model: Model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storyteller.session import config_file as config_file_module

    def refuse(path: Path) -> Path:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(config_file_module, "set_aside", refuse)
    (tmp_path / CONFIG_FILE).write_bytes(b"[writer\n")
    notices: list[str | None] = []
    session = WritingSession(
        tiny_model, tmp_path, WriterSettings(pace=0), background=lambda job: notices.append(job())
    )
    session.change_setting("temperature", 1)
    assert (tmp_path / CONFIG_FILE).read_bytes() == b"[writer\n"
    assert notices[0] is not None and "could not be moved aside (Permission denied)" in notices[0]
    assert session.settings.temperature == 0.9  # the session still uses it
