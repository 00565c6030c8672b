"""The app under bad input and failing disks: a notice, nothing lost, still usable."""

from __future__ import annotations

import errno
import threading
from pathlib import Path

import pytest
from textual.widgets import Input

from storyteller.app import StorytellerApp
from storyteller.app.widgets.story_view import WORDS_SHOWN
from storyteller.engine.story import Author, Story, Word, save_story
from storyteller.session import WriterSettings

from .test_app import SIZE, settle, tokens, write


def notices(app: StorytellerApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


@pytest.fixture
def app(tiny_model, tmp_path: Path) -> StorytellerApp:  # type: ignore[no-untyped-def]
    return StorytellerApp(tiny_model, tmp_path, WriterSettings(pace=0, seed=1, length=4))


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
        await settle(pilot)  # the story list is read in a worker
        await pilot.press("enter")
        await settle(pilot)
        assert tokens(app) == ["the", "kettle"]
        assert any("not a story" in n for n in notices(app))
        await write(pilot, "sang")
        assert tokens(app) == ["the", "kettle", "sang"]


async def test_a_config_problem_is_shown_at_start(tiny_model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app = StorytellerApp(tiny_model, tmp_path, notice="In config.toml: 'temperature' must be a number.")
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
    read_in: list[threading.Thread] = []
    read_story = app.session.files.read_story

    def reading(path: Path) -> object:
        read_in.append(threading.current_thread())
        return read_story(path)

    app.session.files.read_story = reading  # type: ignore[method-assign,assignment]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+o")
        await settle(pilot)  # the story list is read in a worker
        await pilot.press("enter")
        await settle(pilot)
        assert len(app.writer.story.words) == len(text) * 8_334
        assert read_in and read_in[0] is not threading.main_thread()  # read away from the UI
        # The latest turns, as many as hold WORDS_SHOWN words (turns of 150 here); the rest waits above.
        assert len(app.writer.query("TurnView")) == -(-WORDS_SHOWN // 150)
        await pilot.press("pageup")
        app.writer.query_one("#story").scroll_home(animate=False)
        await pilot.pause()
        await pilot.press("pageup")  # at the top: more turns are drawn
        await settle(pilot)
        assert len(app.writer.query("TurnView")) == -(-2 * WORDS_SHOWN // 150)
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


# -- a story is never lost: refused autosaves are set aside, a full disk asks at quit ---------


@pytest.mark.parametrize(
    "content",
    [
        b'{"format": "storyteller-story", "version": 1, "words": [{"t": "once", "by"',  # cut short
        b'{"format": "storyteller-story", "version": 99, "words": []}',  # from a newer storyteller
        b"[" * 100_000 + b"]" * 100_000,  # nested past the stack
    ],
    ids=["truncated", "newer", "nested"],
)
async def test_a_refused_autosave_is_set_aside_before_anything_is_written(
    app: StorytellerApp, tmp_path: Path, content: bytes
) -> None:
    (tmp_path / "autosave.json").write_bytes(content)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        kept = [p for p in tmp_path.iterdir() if p.name.startswith("unreadable-autosave")]
        assert len(kept) == 1 and kept[0].read_bytes() == content
        assert any("kept, untouched" in n and "\n" not in n for n in notices(app))
        await write(pilot, "the kettle")
        assert kept[0].read_bytes() == content  # the new story autosaves beside it, never over it
        assert b'"kettle"' in (tmp_path / "autosave.json").read_bytes()
    assert kept[0].read_bytes() == content


async def test_a_folder_where_the_autosave_goes_is_set_aside_and_quitting_works(
    app: StorytellerApp, tmp_path: Path
) -> None:
    (tmp_path / "autosave.json").mkdir()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert any("is a folder" in n for n in notices(app))
        await write(pilot, "the kettle")
        (tmp_path / "autosave.json").unlink()
        (tmp_path / "autosave.json").mkdir()  # and again while it runs
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_code in (0, None)
    assert len(list((tmp_path / "stories").glob("*.json"))) == 1


def _full_disk(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every write under ``folder`` fails as a full disk does; other folders still take files."""
    from storyteller.engine import files

    real = files.write_atomically

    def write_atomically(data: bytes, path: Path) -> None:
        if folder in Path(path).parents:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(data, path)

    monkeypatch.setattr(files, "write_atomically", write_atomically)
    monkeypatch.setattr("storyteller.engine.story.write_atomically", write_atomically)
    monkeypatch.setattr("storyteller.session.autosave.write_atomically", write_atomically)


async def test_on_a_full_disk_quitting_asks_where_the_story_can_go(
    app: StorytellerApp,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from storyteller.app.screens.save import SaveScreen
    from storyteller.app.screens.unsaved import UnsavedScreen

    elsewhere = tmp_path_factory.mktemp("usb-stick") / "rescued.md"
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        _full_disk(tmp_path, monkeypatch)
        for text in ("the kettle", "sang", "and sang"):
            await write(pilot, text)
        assert sum("Autosave failed" in n for n in notices(app)) == 1  # said once, not at every key
        await pilot.press("ctrl+q")
        await settle_screen(pilot, UnsavedScreen)
        assert app.is_running
        shown = " ".join(str(label.render()) for label in app.screen.query("Label"))
        assert "No space left on device" in shown and "clipboard" in shown and "another folder" in shown
        await pilot.press("c")
        await settle_screen(pilot, UnsavedScreen)
        assert "kettle sang and sang" in app.clipboard.lower()
        await pilot.press("s")
        await settle_screen(pilot, SaveScreen)
        app.screen.query_one(Input).value = str(elsewhere)
        await pilot.press("enter")
        for _ in range(100):
            await pilot.pause(0.01)
            if not app.is_running:
                break
    assert not app.is_running
    assert "kettle sang and sang" in elsewhere.read_text().lower()


async def test_a_story_too_long_for_a_story_file_is_never_written_as_one(
    app: StorytellerApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the app writes, it can read back: a story over the size a story file may hold is
    refused at writing (autosave and Save as) in one sentence, not written and then refused at
    reading after a crash; quitting asks where the story can go, and text still saves."""
    from storyteller.app.screens.unsaved import UnsavedScreen
    from storyteller.engine import story as story_module

    monkeypatch.setattr(story_module, "MAX_STORY_BYTES", 4096)  # a few dozen words' worth
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await write(pilot, "the kettle sang")
        autosave = app.writer.session.autosave.path
        assert story_module.load_story(autosave).words  # small enough: written, and it reads back
        for _ in range(12):
            await write(pilot, "and the hedgehog filled the kettle by the stone")
        assert sum("too long for a story file" in n for n in notices(app)) == 1
        assert len(autosave.read_bytes()) <= 4096  # the last autosave that fits is kept whole
        story_module.load_story(autosave)
        shelf = app.writer.session.files
        said = shelf.save_as(tmp_path / "whole.json")
        assert said is not None and "too long for a story file" in said and ".txt" in said
        assert not (tmp_path / "whole.json").exists()
        await pilot.press("ctrl+q")
        await settle_screen(pilot, UnsavedScreen)
        shown = " ".join(str(label.render()) for label in app.screen.query("Label"))
        assert app.is_running and "too long for a story file" in shown and "clipboard" in shown
        await pilot.press("escape")
        await settle(pilot)
        assert shelf.save_as(tmp_path / "whole.txt") == f"Saved to {tmp_path / 'whole.txt'}."
        assert (tmp_path / "whole.txt").read_text().lower().count("hedgehog") == 12


async def settle_screen(pilot, kind: type) -> None:  # type: ignore[no-untyped-def]
    for _ in range(200):
        await pilot.pause(0.01)
        if isinstance(pilot.app.screen, kind):
            return
    raise AssertionError(f"{kind.__name__} did not open; {pilot.app.screen!r} is on top")


async def test_a_fifo_corpus_in_the_retrain_panel_is_refused_and_quitting_works(
    app: StorytellerApp, tmp_path: Path
) -> None:
    import os

    from storyteller.app.screens.retrain import RetrainScreen

    pipe = tmp_path / "corpus.txt"
    os.mkfifo(pipe)
    async with app.run_test(size=(130, 50)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+t")
        await settle_screen(pilot, RetrainScreen)
        app.screen.query_one("#corpus", Input).value = str(pipe)
        await pilot.press("enter")
        for _ in range(200):
            await pilot.pause(0.01)
            if "named pipe" in str(app.screen.query_one("#report").render()):
                break
        assert "named pipe" in str(app.screen.query_one("#report").render())
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert not app.is_running
