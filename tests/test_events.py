"""The trainer's progress events: one definition, one JSON line each, one parse that refuses in a sentence."""

from __future__ import annotations

import json

import pytest

from storyteller.engine import events

FIGURES = {"perplexity": 20.0, "top1": 0.2, "top5": 0.5, "windowed": 0.25}
EVERY_KIND = [
    events.Start(100, 90, 10, 50, 1000, "cpu", 2, 4, {"unigram": FIGURES}, ("a note",)),
    events.Step(1, 3, 8, 3.5, 1234.5, 1.5, 2.5),
    events.Epoch(1.0, 3.1, FIGURES, True, 0.01, 0.2),
    events.Sample(1, "the hedgehog sang\nand “danced”"),
    events.Log("The checkpoint could not be saved."),
    events.Done("converged", 2.0, 3.5, FIGURES, {"unigram": FIGURES, "bigram": FIGURES}, False),
    events.Exported("/tmp/m.onnx", 1e-6, 12_345, 0.4),
    events.Error("'x.txt' looks like a binary file, not text."),
]


@pytest.mark.parametrize("event", EVERY_KIND, ids=lambda e: e.kind)
def test_every_event_goes_through_one_json_line_unchanged(event: events.Event) -> None:
    line = events.to_json(event)
    assert "\n" not in line
    data = json.loads(line)
    assert data["event"] == event.kind and data["schema"] == events.SCHEMA
    assert events.parse_event(line) == event


def test_every_kind_is_listed_once() -> None:
    assert sorted(events.KINDS) == sorted(e.kind for e in EVERY_KIND)


def test_whole_numbers_stand_for_figures_and_lists_for_tuples() -> None:
    line = json.dumps({"event": "step", "schema": 1, "epoch": 1, "step": 2, "total_steps": 4, "loss": 3,
                       "tokens_per_s": 10, "elapsed": 1, "eta": 0})  # fmt: skip
    step = events.parse_event(line)
    assert isinstance(step, events.Step) and isinstance(step.loss, float) and step.loss == 3.0
    start = json.loads(events.to_json(EVERY_KIND[0]))
    del start["notes"]  # an optional field keeps its default
    parsed = events.parse_event(json.dumps(start))
    assert isinstance(parsed, events.Start) and parsed.notes == ()


def _with(kind: int, **changes: object) -> str:
    data = {**json.loads(events.to_json(EVERY_KIND[kind])), **changes}
    return json.dumps({k: v for k, v in data.items() if v is not None})


@pytest.mark.parametrize(
    ("line", "says"),
    [
        (_with(1, schema=2), "The trainer speaks a newer event schema (2) than this storyteller reads (1)."),
        (_with(1, schema=0), "The trainer speaks an unknown event schema (0); this storyteller reads 1."),
        (_with(1, schema=None), "A trainer event has no schema version."),
        (_with(1, schema="1"), "A trainer event has no schema version."),
        (_with(1, event="rewind"), "A trainer event has an unknown kind: 'rewind'."),
        (_with(1, event=None), "A trainer event has an unknown kind: 'None'."),
        (_with(1, loss=None), "A trainer 'step' event lacks its 'loss'."),
        (_with(1, loss="low"), "A trainer 'step' event's 'loss' is not what it should be."),
        (_with(1, step=True), "A trainer 'step' event's 'step' is not what it should be."),
        (_with(1, step=2.5), "A trainer 'step' event's 'step' is not what it should be."),
        (
            _with(2, metrics={"perplexity": "high"}),
            "A trainer 'epoch' event's 'metrics' is not what it should be.",
        ),
        (_with(2, metrics=[1, 2]), "A trainer 'epoch' event's 'metrics' is not what it should be."),
        (_with(0, notes=[1]), "A trainer 'start' event's 'notes' is not what it should be."),
        ("epoch 3 of 40", "A trainer line is not JSON: 'epoch 3 of 40'."),
        ("[1, 2]", "A trainer line is not an event: '[1, 2]'."),
        ('{"event": "step", ' * 3, "A trainer line is not JSON"),
        ("[" * 100_000 + "]" * 100_000, "A trainer line is not"),
    ],
)
def test_a_line_that_is_no_event_this_version_reads_is_one_sentence(line: str, says: str) -> None:
    with pytest.raises(events.EventError) as refused:
        events.parse_event(line)
    message = str(refused.value)
    assert message.startswith(says)
    assert message.endswith(".") and "\n" not in message and len(message) < 200


def test_a_field_this_version_does_not_know_is_passed_over() -> None:
    # A field this version does not know is not a schema change: the event still reads.
    line = _with(4, colour="red")
    assert events.parse_event(line) == EVERY_KIND[4]
