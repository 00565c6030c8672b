"""The app under bad input and failing disks: a notice, nothing lost, still usable."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
from textual.widgets import Input

from storyteller.app import StorytellerApp, make_app
from storyteller.app.settings import WriterSettings
from storyteller.engine.story import Author, Story, Word, save_story

from .test_app import SIZE, settle, tokens, write


def notices(app: StorytellerApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


@pytest.fixture
def app(tiny_model, tmp_path: Path) -> StorytellerApp:  # type: ignore[no-untyped-def]
    return make_app(tiny_model, tmp_path, WriterSettings(pace=0, seed=1, length=4))


async def test_a_truncated_story_in_the_list_is_refused_and_the_open_story_kept(
    app: StorytellerApp, tmp_path: Path
) -> None:
    (tmp_path / "stories").mkdir()
    (tmp_path / "stories" / "cut.json").write_text(
        '{"format": "storyteller-story", "version": 1, "words": [{"t"'
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await write(pilot, "the kettle")
        await pilot.press("ctrl+o")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert tokens(app) == ["the", "kettle"]
        assert any("not a story" in n for n in notices(app))
        await write(pilot, "sang")
        assert tokens(app) == ["the", "kettle", "sang"]


async def test_a_config_problem_is_shown_at_start(tiny_model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app = make_app(tiny_model, tmp_path, notice="In config.toml: 'temperature' must be a number.")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert any("'temperature' must be a number" in n for n in notices(app))


async def test_a_failing_autosave_says_so_and_keeps_the_last_good_one(
    app: StorytellerApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await write(pilot, "the kettle")
        good = (tmp_path / "autosave.json").read_bytes()

        def disk_full(*args, **kwargs):  # type: ignore[no-untyped-def]
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr("storyteller.engine.files.os.replace", disk_full)
        await write(pilot, "sang")
        assert any("Autosave failed (No space left on device)" in n for n in notices(app))
        assert (tmp_path / "autosave.json").read_bytes() == good
        assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
        assert tokens(app) == ["the", "kettle", "sang"]  # the story itself is intact


async def test_a_failing_save_says_why_and_leaves_the_old_file(
    app: StorytellerApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "kept.md"
    target.write_text("the old version\n")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await write(pilot, "the kettle")

        def denied(*args, **kwargs):  # type: ignore[no-untyped-def]
            raise PermissionError(errno.EACCES, "Permission denied")

        monkeypatch.setattr("storyteller.engine.files.os.replace", denied)
        await pilot.press("ctrl+s")
        await pilot.pause()
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await settle(pilot)
        assert any("could not be saved" in n and "Permission denied" in n for n in notices(app))
        assert target.read_text() == "the old version\n"


async def test_saving_under_a_file_instead_of_a_folder(app: StorytellerApp, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await write(pilot, "the kettle")
        await pilot.press("ctrl+s")
        await pilot.pause()
        app.screen.query_one(Input).value = str(blocker / "story.md")
        await pilot.press("enter")
        await settle(pilot)
        assert any("could not be saved" in n for n in notices(app))
        assert blocker.read_text() == "x"


async def test_a_story_of_a_hundred_thousand_words_opens_and_scrolls(
    app: StorytellerApp, tmp_path: Path
) -> None:
    big = Story()
    text = ["the", "hedgehog", "filled", "the", "kettle", ",", "and", "the", "kettle", "sang", ".", "<p>"]
    big.add(Word(t, Author.WRITER if i % 300 < 150 else Author.MODEL) for i, t in enumerate(text * 8_334))
    save_story(big, tmp_path / "stories" / "big.json")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+o")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert len(app.writer.story.words) == len(text) * 8_334
        drawn = len(app.writer.query("TurnView"))
        assert drawn == 100  # the latest turns; the rest waits above
        await pilot.press("pageup")
        app.writer.query_one("#story").scroll_home(animate=False)
        await pilot.pause()
        await pilot.press("pageup")  # at the top: the next 100 turns are drawn
        await settle(pilot)
        assert len(app.writer.query("TurnView")) == 200
        await pilot.press("pagedown")
        await settle(pilot)
        await write(pilot, "the end")
        assert tokens(app)[-2:] == ["the", "end"]


async def test_notices_show_escapes_literally(app: StorytellerApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.notify("file \x1b[31mred[/] \u202eevil")
        await pilot.pause()
        assert notices(app)[-1] == "file \\x1b[31mred[/] \\u202eevil"


async def test_a_model_name_that_would_leave_its_folder_is_refused(
    app: StorytellerApp, tmp_path: Path
) -> None:
    from storyteller.app.screens.retrain import RetrainScreen

    async with app.run_test(size=(130, 50)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+t")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RetrainScreen)
        screen.query_one("#corpus", Input).value = str(Path(__file__).parent / "data" / "fable.txt")
        await pilot.press("enter")
        for _ in range(200):
            await pilot.pause(0.01)
            if screen.corpus is not None:
                break
        screen.query_one("#name", Input).value = "../../escaped"
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert screen.run is None
        assert any("A model's name is letters" in n for n in notices(app))
        assert not (tmp_path.parent / "escaped.onnx").exists()
