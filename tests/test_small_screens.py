"""Small terminals: the story keeps most of 80×24 and stays usable at 60×20; the footer fits 120."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from storyteller.app import StorytellerApp
from storyteller.app.widgets.candidates import BLOCKS, CandidatesPanel, candidate_lines, counts_fit
from storyteller.app.widgets.story_view import TurnView
from storyteller.engine import Candidate
from storyteller.session import WriterSettings

from .test_app import settle, write


@pytest.fixture
def app(tiny_model, tmp_path: Path) -> StorytellerApp:  # type: ignore[no-untyped-def]
    return StorytellerApp(tiny_model, tmp_path, WriterSettings(pace=0, seed=3, length=12))


@pytest.mark.parametrize(("size", "story_width"), [((80, 24), 40), ((60, 20), 28), ((110, 36), 40)])
async def test_the_story_keeps_most_of_a_small_terminal(
    app: StorytellerApp, size: tuple[int, int], story_width: int
) -> None:
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await write(pilot, "the hedgehog filled the kettle.")
        await pilot.press("enter")
        await settle(pilot)
        for turn in app.writer.query(TurnView):
            assert turn.content_size.width >= story_width, (size, turn.content_size)
        panel = app.writer.query_one(CandidatesPanel)
        lines = str(panel.render()).splitlines()
        assert len(lines) >= 11 and all(len(line) <= panel.content_size.width for line in lines[1:11])


def test_candidate_lines_fit_any_width() -> None:
    candidates = [Candidate("extraordinarily", 0.123, 1), Candidate("a", 0.001, 2)]
    for width in range(12, 60):
        for line in candidate_lines(candidates, width):
            assert line.cell_len <= width, (width, line.plain)
    assert any(block in candidate_lines(candidates, 25)[0].plain for block in BLOCKS[1:])  # room for a bar


def test_on_a_narrow_panel_the_corpus_counts_give_way_to_the_next_words() -> None:
    candidates = [Candidate("the", 0.3, 1), Candidate("there", 0.1, 2)]
    following = ["old man was", "was a small"]
    for width in range(12, 60):
        lines = candidate_lines(candidates, width, following, counts=[512, 7])
        assert all(line.cell_len <= width for line in lines), (width, [line.plain for line in lines])
        counted = lines[0].plain.rstrip().endswith("512")
        phrase = lines[0].plain.split("│")[1] if "│" in lines[0].plain else ""
        assert counted == counts_fit(candidates, width, following)
        if width >= 30:  # room for a whole phrase: the counts never cost it its words
            assert "old man" in phrase, (width, lines[0].plain)
    assert candidate_lines(candidates, 24, following, [512, 7])[0].plain.split("│")[1].startswith(" old man")
    assert not counts_fit(candidates, 24, following) and counts_fit(candidates, 24, None)
    assert counts_fit(candidates, 30, following)  # the panel's width at 80 columns


async def test_the_footer_fits_120_columns(app: StorytellerApp) -> None:
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        footer = app.writer.query_one(Footer)
        keys = [k for k in footer.query(FooterKey) if not k.has_class("-command-palette")]
        palette = footer.query_one(".-command-palette", FooterKey)
        assert keys and all(k.region.right <= palette.region.x for k in keys), [
            (k.key, k.region) for k in keys
        ]
