"""The command line: what it prints, and one sentence with exit status 2 for every expected problem."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from storyteller import __version__
from storyteller.cli import main

from .conftest import TINY_MODEL

TINY = str(TINY_MODEL)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exit_:  # argparse's own exits (usage errors, --version)
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def _fails(capsys: pytest.CaptureFixture[str], fragment: str, *argv: str) -> None:
    code, out, err = _run(capsys, *argv)
    assert code == 2, (out, err)
    assert fragment in err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err


def test_generate_prints_the_prompt_and_a_reproducible_continuation(capsys) -> None:  # type: ignore[no-untyped-def]
    argv = ("generate", "the hedgehog", "--model", TINY, "--words", "12", "--seed", "7")
    code, first, _ = _run(capsys, *argv)
    assert code == 0
    assert first.startswith("The hedgehog")
    assert len(first.split()) > 5
    assert _run(capsys, *argv)[1] == first


def test_generate_greedy_and_windowed(capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = _run(
        capsys, "generate", "the cat", "--model", TINY, "--greedy", "--window", "3", "--words", "5"
    )
    assert code == 0 and out.startswith("The cat")


def test_candidates_lists_k_words_with_probabilities(capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = _run(capsys, "candidates", "the old hedgehog", "--k", "4", "--model", TINY)
    assert code == 0
    ranked = [line for line in out.splitlines() if line[:4].strip().rstrip(".").isdigit()]
    assert len(ranked) == 4 and all("%" in line for line in ranked)
    assert "bits" in out


def test_only_unknown_words_still_generate_and_are_named(capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, err = _run(
        capsys, "generate", "zyzzyva quokka", "--model", TINY, "--words", "3", "--seed", "1"
    )
    assert code == 0
    assert "zyzzyva" in err and "quokka" in err and "<unk>" in err
    assert out.startswith("Zyzzyva quokka")


def test_a_hundred_thousand_word_prompt(capsys) -> None:  # type: ignore[no-untyped-def]
    prompt = "the hedgehog saw the kettle . " * 16_667
    code, out, _ = _run(capsys, "candidates", prompt, "--model", TINY, "--k", "3")
    assert code == 0 and "1." in out


def test_models_lists_what_it_finds(capsys, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "tiny.onnx").write_bytes(TINY_MODEL.read_bytes())
    (tmp_path / "junk.onnx").write_bytes(b"junk")
    monkeypatch.setenv("STORYTELLER_MODEL_PATH", str(tmp_path))
    code, out, _ = _run(capsys, "models")
    assert code == 0
    assert "tiny" in out and "perplexity" in out and "bigram" in out
    assert "junk" in out and "unusable" in out


def test_a_model_can_be_named(capsys, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "mine.onnx").write_bytes(TINY_MODEL.read_bytes())
    monkeypatch.setenv("STORYTELLER_MODEL_PATH", str(tmp_path))
    code, out, _ = _run(capsys, "generate", "the", "--model", "mine", "--words", "2", "--seed", "1")
    assert code == 0 and out.startswith("The")


def test_version(capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = _run(capsys, "--version")
    assert code == 0 and __version__ in out


@pytest.mark.parametrize(
    ("fragment", "argv"),
    [
        ("--words must be at least 1", ("generate", "the", "--words", "0")),
        ("temperature must be above 0", ("generate", "the", "--temperature", "-1")),
        ("top-p must be above 0 and at most 1", ("generate", "the", "--top-p", "1.5")),
        ("top-k must be at least 1", ("generate", "the", "--top-k", "0")),
        ("--window must be at least 1", ("generate", "the", "--window", "0")),
        ("--k must be at least 1", ("candidates", "the", "--k", "0")),
        ("prompt is empty", ("generate", "   ")),
        ("prompt is empty", ("candidates", "")),
    ],
)
def test_bad_options_and_prompts(capsys, fragment: str, argv: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    _fails(capsys, fragment, *argv, "--model", TINY)


def test_bad_model_files(capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _fails(capsys, "does not exist", "generate", "the", "--model", str(tmp_path / "gone.onnx"))
    cut = tmp_path / "cut.onnx"
    cut.write_bytes(TINY_MODEL.read_bytes()[:5000])
    _fails(capsys, "not a readable ONNX model", "candidates", "the", "--model", str(cut))


def test_an_unknown_model_name_lists_the_available_ones(capsys) -> None:  # type: ignore[no-untyped-def]
    _fails(capsys, "No model named 'nonesuch'", "generate", "the", "--model", "nonesuch")


def test_usage_errors_are_one_sentence_too(capsys) -> None:  # type: ignore[no-untyped-def]
    code, _, err = _run(capsys, "generate", "the", "--words", "many")
    assert code == 2 and "invalid int value" in err and "Traceback" not in err


def test_the_installed_command_fails_without_a_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "storyteller", "generate", "hi", "--model", str(tmp_path / "x.onnx")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == f"storyteller: error: Model file '{tmp_path / 'x.onnx'}' does not exist."


def test_the_writer_with_a_missing_model_is_one_sentence(capsys) -> None:  # type: ignore[no-untyped-def]
    _fails(capsys, "does not exist", "--model", "/nowhere/model.onnx")


def test_the_writer_opens_on_the_chosen_model(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    opened = []

    def run(app) -> None:  # type: ignore[no-untyped-def]
        opened.append((app.model.name, app.settings.candidates))

    monkeypatch.setattr("storyteller.app.StorytellerApp.run", run)
    assert main(["--model", TINY, "--candidates", "15"]) == 0
    assert opened == [("tiny", 15)]


def test_the_writer_refuses_a_silly_number_of_candidates(capsys) -> None:  # type: ignore[no-untyped-def]
    _fails(capsys, "--candidates must be from 1 to 50", "--candidates", "0")


def test_candidates_with_their_likeliest_next_words(capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = _run(
        capsys, "candidates", "the hedgehog filled the", "--model", TINY, "--k", "4", "--lookahead", "3"
    )
    assert code == 0
    lines = [line for line in out.splitlines() if line.strip()[:2].rstrip(".").isdigit()]
    assert len(lines) == 4
    for line in lines:
        _, following = line.split("|")
        assert len(following.split()) >= 2, line  # three tokens: words, or a mark joined to one
    _fails(
        capsys, "--lookahead must be from 0 to 4", "candidates", "the", "--model", TINY, "--lookahead", "5"
    )


def test_bridge_prints_each_path_and_its_log_probability(capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = _run(
        capsys,
        "bridge",
        "the hedgehog filled the",
        "--to",
        "kettle",
        "--model",
        TINY,
        "--within",
        "4",
        "--paths",
        "2",
    )
    assert code == 0
    paths = out.splitlines()[1:]
    assert len(paths) == 2
    scores = [float(line.split("log-probability")[1].split()[0]) for line in paths]
    assert scores == sorted(scores, reverse=True) and all(s < 0 for s in scores)
    assert all(line.rstrip().endswith("kettle") for line in paths)


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (("--to", "kettel"), "the nearest words it knows: kettle"),
        (("--to", "the kettle"), "Give one word to reach"),
        (("--to", "kettle", "--within", "0"), "from 1 to 64 words"),
        (("--to", "kettle", "--paths", "0"), "1 to 10 paths"),
        (("--to", "kettle", "--beam", "9999"), "beam width"),
    ],
)
def test_bridge_refuses_bad_input_with_one_sentence(capsys, argv: tuple[str, ...], says: str) -> None:  # type: ignore[no-untyped-def]
    _fails(capsys, says, "bridge", "the hedgehog", "--model", TINY, *argv)


def test_generate_with_no_repeat(capsys) -> None:  # type: ignore[no-untyped-def]
    argv = (
        "generate",
        "the hedgehog",
        "--model",
        TINY,
        "--greedy",
        "--repetition-penalty",
        "1",
        "--words",
        "40",
    )
    _, looping, _ = _run(capsys, *argv)
    code, fixed, _ = _run(capsys, *argv, "--no-repeat", "3")
    assert code == 0 and fixed != looping
    words = fixed.lower().replace(",", " ,").replace(".", " .").split()
    grams = [tuple(words[i : i + 3]) for i in range(len(words) - 2)]
    assert len(set(grams)) == len(grams)
    _fails(capsys, "no-repeat must be from 0", *argv, "--no-repeat", "11")
