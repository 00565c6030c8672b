"""``storyteller score``: how well a model knows a text, with and without the story's memory."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from storyteller.cli import main
from storyteller.engine import tokenize
from storyteller.engine.cache import Memory
from storyteller.engine.scoring import score_ids
from storyteller.engine.vocab import PARAGRAPH_ID, UNKNOWN_ID

from .conftest import FABLE, TINY_MODEL


def test_the_network_column_is_the_networks_own_perplexity(tiny_model) -> None:  # type: ignore[no-untyped-def]
    ids = list(tiny_model.vocabulary.encode(tokenize(FABLE.read_text())))
    logits, _ = tiny_model.run(np.array([[PARAGRAPH_ID, *ids[:-1]]], np.int64))
    log_probs = logits[0] - np.log(np.exp(logits[0].astype(np.float64)).sum(-1, keepdims=True))
    expected = math.exp(-log_probs[np.arange(len(ids)), ids].mean())
    tally = score_ids(tiny_model, ids, Memory(words=50, weight=0.3, scale=1.0))
    assert tally.positions == len(ids)
    assert tally.figures(remembered=False)["perplexity"] == pytest.approx(expected, rel=1e-4)
    remembered = tally.figures(remembered=True)
    assert remembered["perplexity"] != pytest.approx(expected, rel=1e-4) and remembered["windowed"] is None
    # Without a memory, its columns are the network's.
    plain = score_ids(tiny_model, ids, None)
    assert plain.figures(remembered=True)["perplexity"] == pytest.approx(expected, rel=1e-4)


def test_score_prints_one_table_with_and_without_the_memory(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["score", str(FABLE), "--model", str(TINY_MODEL)]) == 0
    out = capsys.readouterr().out
    assert "without memory" in out and "with memory" in out
    for label in ("perplexity", "top-1", "top-5", "windowed"):
        assert label in out
    assert "outside its vocabulary" in out and "defaults" in out
    assert main(["score", str(FABLE), "--model", str(TINY_MODEL), "--no-cache"]) == 0
    out = capsys.readouterr().out
    assert "without memory" in out and "with memory" not in out


@pytest.mark.parametrize(
    ("content", "model", "says"),
    [
        (None, None, "does not exist"),
        (b"", None, "no text"),
        (b"\x00\x01\x02\xff" * 100, None, "binary"),
        (b"the hedgehog", "missing.onnx", "does not exist"),
        (b"the hedgehog", "broken", "not a readable ONNX model"),
    ],
)
def test_bad_input_is_one_sentence_and_exit_2(tmp_path: Path, capsys, content, model, says) -> None:  # type: ignore[no-untyped-def]
    text = tmp_path / "text.txt"
    if content is not None:
        text.write_bytes(content)
    model_path = str(TINY_MODEL)
    if model == "broken":
        model_path = str(tmp_path / "broken.onnx")
        Path(model_path).write_bytes(TINY_MODEL.read_bytes()[:500])
    elif model:
        model_path = str(tmp_path / model)
    assert main(["score", str(text), "--model", model_path]) == 2
    captured = capsys.readouterr()
    assert says in captured.err and len(captured.err.strip().splitlines()) == 1 and not captured.out


def test_no_cache_switches_the_memory_off_on_the_commands_that_predict(capsys) -> None:  # type: ignore[no-untyped-def]
    prompt = [
        "candidates",
        "the hedgehog said to the kettle . the hedgehog said to",
        "--model",
        str(TINY_MODEL),
    ]
    assert main(prompt) == 0
    remembering = capsys.readouterr().out
    assert main([*prompt, "--no-cache"]) == 0
    plain = capsys.readouterr().out
    assert remembering != plain and "memory" not in plain
    generate = ["generate", "the hedgehog said", "--model", str(TINY_MODEL), "--seed", "1", "--words", "30"]
    assert main([*generate, "--no-cache"]) == 0 and main([*generate, "--no-cache"]) == 0
    first, second = capsys.readouterr().out.splitlines()
    assert first == second


def test_the_memory_is_a_setting_of_the_config_file_and_the_writers_flags(tmp_path: Path) -> None:
    from storyteller.cli import build_parser
    from storyteller.session.config_file import load_settings, to_toml
    from storyteller.session.setting_flags import from_flags
    from storyteller.session.settings import WriterSettings

    config = tmp_path / "config.toml"
    config.write_text("[writer]\ncache = false\ncache_words = 500\n")
    settings, problem = load_settings(config)
    assert problem is None and not settings.cache and settings.cache_words == 500 and settings.memory is None
    assert "cache = false" in to_toml(settings)
    config.write_text("[writer]\ncache_words = 5\n")
    settings, problem = load_settings(config)
    assert problem and "cache_words" in problem and settings.cache_words == WriterSettings().cache_words
    args = build_parser().parse_args(["--no-cache"])
    assert from_flags(args, WriterSettings()).memory is None
    assert WriterSettings().memory == WriterSettings().cache_words
    assert WriterSettings(window=3).memory is None  # a window leaves no memory


def test_known_word_perplexity_leaves_the_unknown_targets_out(tiny_model) -> None:  # type: ignore[no-untyped-def]
    ids = list(tiny_model.vocabulary.encode(tokenize("the hedgehog saw zyzzyva and the kettle sang")))
    assert ids.count(UNKNOWN_ID) == 2
    logits, _ = tiny_model.run(np.array([[PARAGRAPH_ID, *ids[:-1]]], np.int64))
    log_probs = logits[0] - np.log(np.exp(logits[0].astype(np.float64)).sum(-1, keepdims=True))
    known = [t for t, i in enumerate(ids) if i != UNKNOWN_ID]
    expected = math.exp(-log_probs[known, [ids[t] for t in known]].mean())
    tally = score_ids(tiny_model, ids, None)
    assert tally.unknown_share == pytest.approx(2 / len(ids))
    assert tally.figures(remembered=False)["known_perplexity"] == pytest.approx(expected, rel=1e-4)
