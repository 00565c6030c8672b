"""The story view keeps its text up to date from the first changed word on: it must always
show exactly what the story's words say, however they changed."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any
from unittest import mock

from hypothesis import given, settings

from storyteller.app import StorytellerApp
from storyteller.app.widgets import story_view
from storyteller.app.widgets.story_view import TURNS_SHOWN, StoryView, TurnView
from storyteller.engine import Model, TokenizerConfig, detokenize
from storyteller.engine.page import LOOKBACK
from storyteller.engine.story import Author, Story, Word
from storyteller.session import WriterSettings

from .test_app import SIZE, settle, write
from .test_story import change, changes

TOKENIZER = TokenizerConfig(lowercase=True, names=("fox",))


@settings(max_examples=300, deadline=None)
@given(changes)
def test_the_text_of_every_word_follows_every_change(steps: list[tuple[str, Any]]) -> None:
    view = StoryView(TOKENIZER, lambda token: True)
    story = Story()
    with mock.patch.object(story_view, "CHECKPOINT_EVERY", 3):  # many saved states, in tests
        for kind, argument in steps:
            change(story, kind, argument)
            if kind == "look":
                continue  # the view looks now and then, as the screen does
            view._update_pieces(story)
            assert "".join(view._pieces) == detokenize(story.tokens, TOKENIZER)


def drawn_text(app: StorytellerApp) -> list[tuple[int, str, str]]:
    return [
        (view.start, view.border_title or "", str(view.render()).strip())
        for view in app.writer.query(TurnView)
    ]


def expected_text(story: Story, shown: int = TURNS_SHOWN) -> list[tuple[int, str, str]]:
    turns = story.turns()[-shown:]
    tokenizer = TokenizerConfig()
    whole = [detokenize(story.tokens[: t.start + len(t.words)], tokenizer) for t in turns]
    before = [detokenize(story.tokens[: t.start], tokenizer) for t in turns]
    return [
        (t.start, "you" if t.side == "writer" else "model", after[len(start) :].strip())
        for t, after, start in zip(turns, whole, before, strict=True)
    ]


async def test_the_drawn_turns_follow_the_story(tiny_model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app = StorytellerApp(tiny_model, tmp_path, WriterSettings(pace=0))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        writer = app.session  # the screen draws whatever the session says changed
        story = Story()
        for turn in range(TURNS_SHOWN + 30):
            author = Author.WRITER if turn % 2 else Author.MODEL
            story.add(Word(t, author) for t in ["the", "fox", str(turn), "."])
        writer.set_story(story)
        await settle(pilot)
        assert drawn_text(app) == expected_text(story)
        for step in [
            lambda: story.add([Word("ran", Author.MODEL)]),  # a new turn: the oldest drawn one goes
            lambda: story.add([Word("far", Author.MODEL)]),  # the last turn grows
            lambda: story.undo(),
            lambda: story.undo(),  # back to a writer's turn at the end
            lambda: story.cut(len(story.words) - 9),  # two turns and a half go
            lambda: story.replace(len(story.words) - 12, Word("hen", Author.WRITER)),
            lambda: story.switch(
                next(i for i, b in enumerate(story.branches) if b.start <= len(story.words))
            ),
        ]:
            step()
            writer.changed(autosave=False)
            await settle(pilot)
            assert drawn_text(app) == expected_text(story)
        # The word cursor on an early turn: the turns down to it are drawn above the others.
        writer.cursor = 5
        writer.changed(autosave=False)
        await settle(pilot)
        shown = len(story.turns()) - 1  # the cursor's turn is the second
        assert drawn_text(app) == expected_text(story, shown)
        writer.cursor = None
        story.add([Word("end", Author.MODEL)])  # the last turn grows; what was drawn stays drawn
        writer.changed(autosave=False)
        await settle(pilot)
        assert drawn_text(app) == expected_text(story, shown)


async def test_a_turn_of_many_thousand_words_is_drawn_from_its_end(tiny_model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # A pasted book, or a stranger's autosave of one turn of millions of words: drawing all of it
    # again at every key press took seconds. Its last words are drawn, PageUp at the top adds more.
    app = StorytellerApp(tiny_model, tmp_path, WriterSettings(pace=0))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        story = Story(Word(t, Author.WRITER) for t in ["the", "fox", "ran", "."] * 10_000)
        app.session.set_story(story)
        await settle(pilot)
        view = app.writer.query_one(StoryView)
        (turn,) = app.writer.query(TurnView)
        drawn = len(story.words) - turn.start
        assert story_view.WORDS_SHOWN <= drawn < story_view.WORDS_SHOWN + story_view.CUT_EVERY
        assert str(turn.render()).strip().endswith("The fox ran.")
        assert view.spelled <= drawn + LOOKBACK  # the words before: a paragraph's worth at most
        assert f"⋯ {story.word_count(before=turn.start):,} earlier words above" in str(
            view.query_one(story_view.EarlierTurns).render()
        )
        story.add([Word("far", Author.WRITER)])  # the turn grows: its drawn part keeps its start
        app.session.changed(autosave=False)
        await settle(pilot)
        assert app.writer.query_one(TurnView).start == turn.start
        assert str(app.writer.query_one(TurnView).render()).strip().lower().endswith("the fox ran. far")
        assert view.show_more()
        app.session.changed(autosave=False)
        await settle(pilot)
        more = len(story.words) - app.writer.query_one(TurnView).start
        assert more >= drawn + story_view.WORDS_SHOWN


async def test_another_model_never_changes_what_the_page_shows(tiny_model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    names = TokenizerConfig(names=("kettle", "tinker", "bramble", "cat", "the"))
    named = Model(tiny_model.session, replace(tiny_model.card, name="named", tokenizer=names), sha256="n")
    app = StorytellerApp(named, tmp_path, WriterSettings(pace=0, seed=3, length=30))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await write(pilot, "said Pearl to [i]the[/i] cat")
        await pilot.press("enter")
        await settle(pilot)
        shown = drawn_text(app)
        assert shown[0][2] == "Said Pearl to [i]the[/i] cat"
        assert "The" in shown[1][2] or "Kettle" in shown[1][2]  # the model's words, capitalised as names
        keep_case = Model(
            tiny_model.session,
            replace(tiny_model.card, name="keep-case", tokenizer=TokenizerConfig(lowercase=False)),
            sha256="k",
        )
        for other in (tiny_model, keep_case):
            app.session.switch_model(other)
            await settle(pilot)
            assert drawn_text(app) == shown


async def test_a_mark_that_opens_a_turn_is_shown_with_the_turn_before(tiny_model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app = StorytellerApp(tiny_model, tmp_path, WriterSettings(pace=0))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        story = Story()
        story.add(Word(t, Author.WRITER) for t in ["the", "fox", "ran"])
        story.add(Word(t, Author.MODEL) for t in [".", "it", "was", "fast"])
        app.session.set_story(story)
        await settle(pilot)
        assert drawn_text(app) == [(0, "you", "The fox ran."), (4, "model", "It was fast")]
        await write(pilot, ".")  # the writer's full stop ends the model's sentence, in its bubble
        assert drawn_text(app) == [(0, "you", "The fox ran."), (4, "model", "It was fast.")]


def _at_end(view: StoryView) -> bool:
    return view.max_scroll_y > 0 and view.scroll_y >= view.max_scroll_y - 1


async def test_the_end_stays_in_view_after_a_model_switch_unless_the_writer_scrolled_up(
    tiny_model: Model, tmp_path: Path
) -> None:
    other = Model(tiny_model.session, replace(tiny_model.card, name="other"), sha256="o")
    app = StorytellerApp(tiny_model, tmp_path, WriterSettings(pace=0, seed=3, length=30))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        story = Story()
        for turn in range(12):
            story.add(
                Word(t, Author.MODEL if turn % 2 else Author.WRITER) for t in ["the", "fox", "ran", "."] * 8
            )
        app.session.set_story(story)
        await settle(pilot)
        view = app.writer.query_one(StoryView)
        assert _at_end(view)
        app.session.switch_model(other)
        await settle(pilot)
        await write(pilot, "the hen sat")
        assert _at_end(view)
        app.session.rollback()
        await pilot.press("enter")  # the model writes a turn
        await settle(pilot)
        assert _at_end(view)
        await pilot.press("pageup")
        await settle(pilot)
        top = view.scroll_y
        await write(pilot, "the cat sat")
        assert view.scroll_y == top and not _at_end(view)  # the writer reads on where they were
        await pilot.press("pagedown", "pagedown", "pagedown")
        await settle(pilot)
        await write(pilot, "the dog sat")
        assert _at_end(view)
