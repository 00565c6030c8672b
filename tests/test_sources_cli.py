"""The corpus aids on the command line: ``index``, ``candidates --sources``, ``score``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from storyteller.cli import main
from storyteller.engine import is_word, tokenize
from storyteller.engine.corpus_index import index_path

from .conftest import FABLE, TINY_MODEL
from .test_cli import _fails, _run


@pytest.fixture
def indexed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A copy of the tiny model with the index of the fable it learnt from."""
    model = tmp_path / "tiny.onnx"
    shutil.copy(TINY_MODEL, model)
    assert main(["index", str(FABLE), "--model", str(model)]) == 0
    out, _ = capsys.readouterr()
    assert "wrote" in out and index_path(model).is_file()
    return model


def test_candidates_with_sources_count_each_candidate_and_show_where(indexed: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = _run(
        capsys,
        "candidates",
        "a hedgehog named",
        "--model",
        str(indexed),
        "--k",
        "3",
        "--sources",
        "--no-cache",  # the network's own candidates: the story's memory would add its words
    )
    assert code == 0
    assert "corpus: after “a hedgehog named”:" in out
    counts = out.split("corpus: after")[1].splitlines()[1:4]
    assert [line.split()[1] for line in counts] == ["the", ".", ","]
    assert all(line.endswith(" 0×") for line in counts)  # "named" is followed by "bramble" only
    # The top candidate is not found after "named": it is shown alone, each place marked.
    times = tokenize(FABLE.read_text()).count("the")
    assert f"“the” is in the corpus {times} times; the first:" in out
    assert "fable.txt:1: [The] hedgehog and the kettle" in out


def test_score_copies_lists_the_run_taken_from_the_corpus(indexed: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    copied = " ".join(FABLE.read_text().splitlines()[2].split()[:20])
    words = sum(1 for token in copied.split() if is_word(token))
    story = tmp_path / "story.txt"
    story.write_text(f"zebra quagga {copied} quagga")
    code, out, _ = _run(capsys, "score", str(story), "--model", str(indexed), "--copies")
    assert code == 0
    assert "with model 'tiny'" in out and "perplexity" in out  # the score table, then the copies
    first_run = out.split("in the corpus (of")[1].splitlines()[1]
    assert f"{words} words at word 3:" in first_run and "(fable.txt:3)" in first_run


def test_score_against_gives_both_perplexities(indexed: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = _run(capsys, "score", str(FABLE), "--model", str(indexed), "--against", str(TINY_MODEL))
    assert code == 0
    line = next(line for line in out.splitlines() if line.startswith("over the"))
    before, after = line.split(": ")[1].split(" → ")
    assert before.split()[-1] == after.split()[-1]  # the same model twice: the same perplexity
    assert "more expected under 'tiny':" in out and "less expected under 'tiny':" in out


def test_without_an_index_the_aids_say_so_in_one_sentence(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    model = tmp_path / "bare.onnx"
    shutil.copy(TINY_MODEL, model)
    _fails(capsys, "has no corpus index", "candidates", "the", "--model", str(model), "--sources")
    _fails(capsys, "has no corpus index", "score", str(FABLE), "--model", str(model), "--copies")
    index_path(model).write_bytes(b"\x00" * 100)
    _fails(capsys, "not a storyteller corpus index", "score", str(FABLE), "--model", str(model), "--copies")
    _fails(capsys, "does not exist", "score", str(tmp_path / "gone.txt"), "--model", str(model))
    _fails(capsys, "does not exist", "index", str(tmp_path / "gone"), "--model", str(model))


@pytest.mark.torch
def test_training_leaves_an_index_beside_the_model_unless_told_not_to(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "fable.onnx"
    argv = ["train", str(FABLE), "--out", str(out), "--layers", "1", "--units", "8", "--epochs", "1"]
    assert main(argv) == 0
    assert f"wrote {index_path(out)}" in capsys.readouterr().err
    assert _run(capsys, "score", str(FABLE), "--model", str(out), "--copies")[0] == 0
    assert main([*argv, "--no-index"]) == 0
    assert not index_path(out).exists()  # the last run's index would not be this model's
