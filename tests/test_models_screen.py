"""Renaming and deleting models while writing: the model in use takes its new name everywhere,
keeps its mark, is deleted only after a warning, and Ctrl+G never goes back to a deleted model."""

from __future__ import annotations

import shutil
from pathlib import Path

from textual.widgets import Input, OptionList

from storyteller.app import StorytellerApp
from storyteller.app.screens.confirm import ConfirmScreen
from storyteller.app.screens.models import ModelsScreen
from storyteller.app.widgets.status_bar import StatusBar
from storyteller.engine import Model, load
from storyteller.session import WriterSettings

from .conftest import TINY_MODEL
from .test_app import settle
from .test_app_faults import notices
from .test_retrain import BIG


def own_model(folder: Path, name: str = "mine") -> Model:
    models = folder / "models"
    models.mkdir(exist_ok=True)
    shutil.copyfile(TINY_MODEL, models / f"{name}.onnx")
    return load(models / f"{name}.onnx")


async def open_models(pilot) -> ModelsScreen:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await pilot.press("f10")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, ModelsScreen)
    return screen


def listed(screen: ModelsScreen) -> list[str]:
    options = screen.query_one("#list", OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


def status(app: StorytellerApp) -> str:
    return str(app.writer.query_one(StatusBar).render())


async def test_renaming_the_model_in_use_renames_it_everywhere(tmp_path: Path) -> None:
    app = StorytellerApp(own_model(tmp_path), tmp_path, WriterSettings(pace=0))
    async with app.run_test(size=BIG) as pilot:
        screen = await open_models(pilot)
        assert " mine " in status(app) and listed(screen)[0].startswith("● mine")
        await pilot.press("n")
        screen.query_one("#rename", Input).value = "renamed"
        await pilot.press("enter")
        await pilot.pause()
        assert (tmp_path / "models" / "renamed.onnx").exists()
        assert listed(screen)[0].startswith("● renamed")  # the mark stays on the model in use
        assert "'mine' is now called 'renamed'." in notices(app)
        await pilot.press("escape")
        await pilot.pause()
        assert app.model.name == "renamed" and " renamed " in status(app)
        await pilot.press("f10")
        await pilot.pause()
        assert listed(app.screen)[0].startswith("● renamed")  # type: ignore[arg-type]


async def test_the_model_in_use_is_deleted_only_after_a_warning(tmp_path: Path) -> None:
    app = StorytellerApp(own_model(tmp_path), tmp_path, WriterSettings(pace=0))
    async with app.run_test(size=BIG) as pilot:
        await open_models(pilot)
        await pilot.press("d")
        await pilot.pause()
        question = app.screen
        assert isinstance(question, ConfirmScreen) and "you are writing with" in question._question
        await pilot.press("n")
        await pilot.pause()
        assert (tmp_path / "models" / "mine.onnx").exists()
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert not (tmp_path / "models" / "mine.onnx").exists()
        assert any("'mine' is deleted" in n for n in notices(app))


async def test_ctrl_g_never_goes_back_to_a_deleted_model(tiny_model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app = StorytellerApp(own_model(tmp_path), tmp_path, WriterSettings(pace=0))
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        app.session.switch_model(tiny_model)
        screen = await open_models(pilot)
        assert listed(screen)[0].startswith("  mine")
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert app.model is tiny_model and app.previous_model is None
        assert notices(app)[-1] == "There is no earlier model to go back to."
