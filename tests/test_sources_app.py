"""The writer's corpus aids from the keyboard: counts, the copy meter, Ctrl+F, and a new model's view (F8)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rich.text import Text
from textual.content import Content

from storyteller.app import StorytellerApp
from storyteller.app.screens.sources import SourcesScreen
from storyteller.app.widgets.candidates import CandidatesPanel
from storyteller.app.widgets.status_bar import StatusBar
from storyteller.app.widgets.story_view import TurnView, change_style
from storyteller.engine import load, read_corpus
from storyteller.engine.corpus_index import index_path
from storyteller.engine.index_build import build_index
from storyteller.engine.index_file import load_index
from storyteller.session import WriterSettings

from .conftest import FABLE, TINY_MODEL
from .test_app import SIZE, settle, write

COPIED = "a hedgehog named bramble lived under the"  # the fable's own words


@pytest.fixture
def indexed(tmp_path: Path) -> Path:
    model = tmp_path / "models" / "fable.onnx"
    model.parent.mkdir()
    shutil.copy(TINY_MODEL, model)
    build_index(read_corpus(FABLE), load(model).card.tokenizer).save(index_path(model))
    return model


def _app(model: Path, tmp_path: Path, **settings: object) -> StorytellerApp:
    settings_ = WriterSettings(pace=0, seed=3, length=6, **settings)  # type: ignore[arg-type]
    return StorytellerApp(load(model), tmp_path / "data", settings_)


def _status(app: StorytellerApp) -> str:
    return app.writer.query_one(StatusBar).render().plain  # type: ignore[union-attr]


def _meter_style(app: StorytellerApp) -> str:
    aids = app.writer.aids_text()
    assert aids is not None and aids.plain.startswith(" copy ")
    return " ".join(str(span.style) for span in aids.spans if span.start == 0)


def _as_drawn(style: str) -> str:
    """A rich style as the app draws it (Textual's own style names)."""
    text = Text()
    text.append("x", style=style)
    return str(Content.from_rich_text(text).spans[0].style)


@pytest.mark.parametrize("size", [SIZE, (80, 24)])
async def test_the_panel_counts_each_candidate_and_the_meter_turns_red(
    indexed: Path, tmp_path: Path, size: tuple[int, int]
) -> None:
    app = _app(indexed, tmp_path, copy_threshold=6)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await write(pilot, "zebra " + COPIED)
        await settle(pilot)
        session = app.writer.session
        index = load_index(index_path(indexed))
        expected = index.following(session.story.tokens, [c.token for c in session.candidates])
        panel = app.writer.query_one(CandidatesPanel)
        lines = str(panel.render()).splitlines()
        shown = lines[1 : 1 + len(expected.counts)]
        assert all(len(line) <= panel.content_size.width for line in shown), lines
        assert "times in the corpus after" in str(panel.render())
        counted = [line.split()[-1] for line in shown]
        assert counted == [str(n) for n in expected.counts]
        assert " copy 7 " in _status(app)  # the 7 words after "zebra", which is not in the fable
        assert "red" in _meter_style(app)
        await write(pilot, "zebra")
        assert " copy 0 " in _status(app) and "red" not in _meter_style(app)


async def test_ctrl_f_shows_where_the_top_candidate_comes_from(indexed: Path, tmp_path: Path) -> None:
    app = _app(indexed, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await write(pilot, COPIED)
        top = app.writer.session.candidates[0].token
        await pilot.press("ctrl+f")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SourcesScreen)
        assert screen.sources.words[-1] == top and screen.sources.places
        assert all(
            place.file == "fable.txt" and place.match.lower().endswith(top) for place in screen.sources.places
        )
        await pilot.press("escape")
        assert not isinstance(app.screen, SourcesScreen)


async def test_without_an_index_the_aids_are_absent_and_ctrl_f_says_why(tmp_path: Path) -> None:
    model = tmp_path / "bare.onnx"
    shutil.copy(TINY_MODEL, model)
    app = _app(model, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await write(pilot, COPIED)
        assert " copy " not in _status(app)
        assert "in the corpus" not in str(app.writer.query_one(CandidatesPanel).render())
        await pilot.press("ctrl+f")
        await pilot.pause()
        assert any("has no corpus index" in n.message for n in app._notifications)
        assert not isinstance(app.screen, SourcesScreen)


async def test_a_refused_index_is_said_once_and_the_writer_goes_on(
    indexed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index_path(indexed).write_bytes(b"storyteller corpus index\n\xff\xff")
    app = _app(indexed, tmp_path)
    notices: list[str] = []
    notify = app.notify
    monkeypatch.setattr(app, "notify", lambda message, **kw: notices.append(message) or notify(message, **kw))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await write(pilot, "the hedgehog")
        await write(pilot, "sang")
        said = [n for n in notices if "cannot be used" in n]
        assert len(said) == 1 and "\n" not in said[0]
        assert len(app.writer.story.words) == 3


@pytest.mark.parametrize("size", [SIZE, (80, 24)])
async def test_after_a_switch_the_story_is_scored_under_both_models_and_f8_shows_the_change(
    indexed: Path, tmp_path: Path, size: tuple[int, int]
) -> None:
    app = _app(indexed, tmp_path)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await write(pilot, COPIED + " step, and every morning")
        session = app.writer.session
        session.switch_model(load(Path("models/default.onnx")))
        await settle(pilot)
        comparison = session.aids.comparison
        assert comparison is not None and comparison.tokens == len(session.story.words)
        assert (comparison.old, comparison.new) == ("fable", "default")
        assert comparison.old_perplexity is not None and comparison.new_perplexity is not None
        shown = f" ppl {comparison.old_perplexity:.1f}→{comparison.new_perplexity:.1f} "
        assert shown in _status(app)
        await pilot.press("f8")  # colour by probability
        await settle(pilot)
        assert session.settings.colour and not session.aids.show_change
        await pilot.press("f8")  # colour by the change
        await settle(pilot)
        assert session.aids.show_change
        views = app.writer.query(TurnView)
        styles = {str(span.style) for view in views for span in view.render().spans}  # type: ignore[union-attr]
        wanted = {_as_drawn(change_style(c)) for c in comparison.changes if change_style(c)}
        assert wanted and wanted <= styles
        await pilot.press("f8")  # no colour
        await settle(pilot)
        assert not session.settings.colour and not session.aids.show_change
