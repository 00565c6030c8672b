"""The bad-input matrix: every kind of bad input, one suite.

Each refused case must give one clear sentence on stderr, exit status 2, no traceback, and
leave every file it touched exactly as it was; each accepted oddity must simply work.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from storyteller.cli import main
from storyteller.engine.model import FORMAT_VERSION, METADATA_KEY
from storyteller.session import WriterSettings, load_settings

from .conftest import FABLE, TINY_MODEL

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8

Make = Callable[[Path], list[str]]


def _file(folder: Path, name: str, content: bytes) -> Path:
    path = folder / name
    path.write_bytes(content)
    return path


def _card_edit(folder: Path, edit: Callable[[dict], None], name: str = "edited.onnx") -> Path:  # type: ignore[type-arg]
    """The tiny model with its card edited; a field set to "DEEP" becomes a list nested 100,000 deep."""
    onnx = pytest.importorskip("onnx")
    proto = onnx.load(TINY_MODEL)
    for entry in proto.metadata_props:
        if entry.key == METADATA_KEY:
            card = json.loads(entry.value)
            edit(card)
            entry.value = json.dumps(card).replace('"DEEP"', "[" * 100_000 + "]" * 100_000)
    path = folder / name
    onnx.save(proto, path)
    return path


def _external(folder: Path) -> Path:
    onnx = pytest.importorskip("onnx")
    path = folder / "external.onnx"
    onnx.save_model(
        onnx.load(TINY_MODEL), path, save_as_external_data=True, location="w.bin", size_threshold=0
    )
    return path


def _story(folder: Path, content: str) -> Path:
    return _file(folder, "story.json", content.encode())


GOOD_STORY = {"format": "storyteller-story", "version": 1, "words": [{"t": "the", "by": "writer"}]}

# (id, what the sentence says, argv builder)
REFUSED: list[tuple[str, str, Make]] = [
    # -- corpus --
    ("corpus missing", "does not exist", lambda d: ["train", str(d / "none.txt")]),
    ("corpus folder without .txt", "no .txt files", lambda d: ["train", str(d)]),
    ("corpus empty", "holds no text", lambda d: ["train", str(_file(d, "e.txt", b""))]),
    ("corpus whitespace", "holds no text", lambda d: ["train", str(_file(d, "w.txt", b" \n\t\n "))]),
    ("corpus binary", "binary", lambda d: ["train", str(_file(d, "p.txt", PNG))]),
    (
        "corpus shorter than window",
        "fewer than the window",
        lambda d: ["train", str(_file(d, "s.txt", b"a b"))],
    ),
    (
        "corpus checkpoint junk",
        "not a readable",
        lambda d: ["train", str(FABLE), "--resume", str(_file(d, "c", b"x"))],
    ),
    # -- settings --
    ("train units 0", "units must be at least 1", lambda d: ["train", str(FABLE), "--units", "0"]),
    (
        "train unknown preset",
        "There is no preset 'huge': choose fast, balanced, seed or larger.",
        lambda d: ["train", str(FABLE), "--preset", "huge"],
    ),
    ("train holdout 0.9", "held-out share", lambda d: ["train", str(FABLE), "--holdout", "0.9"]),
    ("train out not onnx", "must end in .onnx", lambda d: ["train", str(FABLE), "--out", str(d / "m.txt")]),
    ("words 0", "--words must be at least 1", lambda d: ["generate", "the", "--words", "0"]),
    (
        "temperature negative",
        "temperature must be above 0",
        lambda d: ["generate", "the", "--temperature", "-1"],
    ),
    ("top-p above 1", "top-p must be above 0", lambda d: ["generate", "the", "--top-p", "1.5"]),
    ("top-k 0", "top-k must be at least 1", lambda d: ["generate", "the", "--top-k", "0"]),
    ("window 0", "--window must be at least 1", lambda d: ["candidates", "the", "--window", "0"]),
    ("k 0", "--k must be at least 1", lambda d: ["candidates", "the", "--k", "0"]),
    ("candidates 0", "--candidates must be from 1 to 50", lambda d: ["--candidates", "0"]),
    ("lookahead 9", "--lookahead must be from 0 to 4", lambda d: ["candidates", "the", "--lookahead", "9"]),
    ("no-repeat 99", "no-repeat must be from 0", lambda d: ["generate", "the", "--no-repeat", "99"]),
    ("bridge unknown word", "nearest words it knows", lambda d: ["bridge", "the", "--to", "kettel"]),
    ("bridge within 0", "from 1 to 64 words", lambda d: ["bridge", "the", "--to", "kettle", "--within", "0"]),
    ("bridge two words", "Give one word to reach", lambda d: ["bridge", "the", "--to", "a cat"]),
    ("words not a number", "invalid int value", lambda d: ["generate", "the", "--words", "many"]),
    # -- prompt --
    ("prompt empty", "prompt is empty", lambda d: ["generate", ""]),
    ("prompt only punctuation-free space", "prompt is empty", lambda d: ["candidates", " \n\t "]),
    # -- model file --
    ("model missing", "does not exist", lambda d: ["generate", "the", "--model", str(d / "gone.onnx")]),
    ("model empty", "is empty", lambda d: ["generate", "the", "--model", str(_file(d, "e.onnx", b""))]),
    (
        "model truncated",
        "not a readable ONNX",
        lambda d: ["generate", "the", "--model", str(_file(d, "t.onnx", TINY_MODEL.read_bytes()[:9000]))],
    ),
    (
        "model is a PNG",
        "not a readable ONNX",
        lambda d: ["generate", "the", "--model", str(_file(d, "p.onnx", PNG))],
    ),
    ("model is a folder", "folder", lambda d: ["generate", "the", "--model", str(d) + "/"]),
    (
        "model not storyteller",
        "describe a storyteller model",
        lambda d: ["generate", "the", "--model", str(_card_edit(d, lambda c: c.clear()))],
    ),
    (
        "model vocabulary lies",
        "scores",
        lambda d: [
            "generate",
            "the",
            "--model",
            str(_card_edit(d, lambda c: c.update(vocabulary=c["vocabulary"][:-3]))),
        ],
    ),
    (
        "model network lies",
        "fails to run",
        lambda d: ["generate", "the", "--model", str(_card_edit(d, lambda c: c["network"].update(layers=3)))],
    ),
    (
        "model from the future",
        "newer storyteller",
        lambda d: [
            "generate",
            "the",
            "--model",
            str(_card_edit(d, lambda c: c.update(format_version=FORMAT_VERSION + 1))),
        ],
    ),
    (
        "model huge vocabulary claim",
        "vocabulary size",
        lambda d: [
            "generate",
            "the",
            "--model",
            str(_card_edit(d, lambda c: c.update(vocabulary=["<unk>", "<p>", *map(str, range(1_000_001))]))),
        ],
    ),
    ("model external weights", "external files", lambda d: ["generate", "the", "--model", str(_external(d))]),
    ("model name unknown", "No model named", lambda d: ["generate", "the", "--model", "nonesuch"]),
    # -- story file --
    (
        "story truncated",
        "not a story",
        lambda d: ["replay", str(_story(d, json.dumps(GOOD_STORY)[:-10])), "--model", str(TINY_MODEL)],
    ),
    (
        "story from the future",
        "newer storyteller",
        lambda d: [
            "replay",
            str(_story(d, json.dumps({**GOOD_STORY, "version": 7}))),
            "--model",
            str(TINY_MODEL),
        ],
    ),
    (
        "story wrong types",
        "cannot be used",
        lambda d: [
            "replay",
            str(_story(d, json.dumps({**GOOD_STORY, "words": [{"t": 5}]}))),
            "--model",
            str(TINY_MODEL),
        ],
    ),
    (
        "story for a missing model",
        "No model named 'ghost'",
        lambda d: ["replay", str(_story(d, json.dumps({**GOOD_STORY, "model": {"name": "ghost"}})))],
    ),
    (
        "story missing",
        "does not exist",
        lambda d: ["replay", str(d / "none.json"), "--model", str(TINY_MODEL)],
    ),
    # -- special files: refused at once, never waited on or read without end --
    ("model is a FIFO", "named pipe", lambda d: ["generate", "the", "--model", str(_fifo(d, "m.onnx"))]),
    (
        "model links to /dev/zero",
        "a device",
        lambda d: ["candidates", "the", "--model", str(_zero(d, "z.onnx"))],
    ),
    (
        "story is a FIFO",
        "named pipe",
        lambda d: ["replay", str(_fifo(d, "s.json")), "--model", str(TINY_MODEL)],
    ),
    ("story links to /dev/zero", "a device", lambda d: ["replay", str(_zero(d, "s.json"))]),
    (
        "story names /dev/zero as its model",
        "not a model's name",
        lambda d: ["replay", str(_story(d, json.dumps({**GOOD_STORY, "model": {"name": "/dev/zero"}})))],
    ),
    ("story nested 100,000 deep", "nested too deeply", lambda d: ["replay", str(_story(d, "[" * 100_000))]),
    (
        "model card nested 100,000 deep",
        "nested too deeply",
        lambda d: ["generate", "the", "--model", str(_card_edit(d, lambda c: c.update(metrics="DEEP")))],
    ),
    ("corpus is a FIFO", "named pipe", lambda d: ["train", str(_fifo(d, "c.txt"))]),
    ("corpus links to /dev/zero", "a device", lambda d: ["train", str(_zero(d, "c.txt"))]),
    (
        "corpus in terminal colours",
        "terminal colour codes",
        lambda d: [
            "train",
            str(_file(d, "ansi.txt", b"\x1b[1;31mthe\x1b[0m \x1b[32mfox\x1b[0m ran . " * 500)),
        ],
    ),
    ("resume a FIFO", "named pipe", lambda d: ["train", str(FABLE), "--resume", str(_fifo(d, "c.pt"))]),
    # -- flags checked against the limits the loader holds a model to, before any training --
    ("train seed -1", "--seed must be from 0", lambda d: ["train", str(FABLE), "--seed", "-1"]),
    ("train seed 2**70", "--seed must be from 0", lambda d: ["train", str(FABLE), "--seed", str(2**70)]),
    ("train threads -1", "--threads must be from 1", lambda d: ["train", str(FABLE), "--threads", "-1"]),
    (
        "train units 10,000,000",
        "--units must be from 1",
        lambda d: ["train", str(FABLE), "--units", "10000000"],
    ),
    ("train lr inf", "--lr must be a finite number", lambda d: ["train", str(FABLE), "--lr", "inf"]),
    ("train layers 17", "--layers must be from 1 to 16", lambda d: ["train", str(FABLE), "--layers", "17"]),
    (
        "train window 10001",
        "--window must be from 1 to 10,000",
        lambda d: ["train", str(FABLE), "--window", "10001"],
    ),
    (
        "train min count huge",
        "--min-count must be from 1",
        lambda d: ["train", str(FABLE), "--min-count", str(10**15)],
    ),
    (
        "train max vocab huge",
        "--max-vocab must be from 3",
        lambda d: ["train", str(FABLE), "--max-vocab", str(10**7)],
    ),
    (
        "train checkpoint in a missing folder",
        "does not exist",
        lambda d: ["train", str(FABLE), "--checkpoint", str(d / "gone" / "c.pt")],
    ),
    (
        "train checkpoint onto a folder",
        "is a folder",
        lambda d: ["train", str(FABLE), "--checkpoint", str(d)],
    ),
    ("generate seed -1", "seed must be from 0", lambda d: ["generate", "the", "--seed", "-1"]),
    ("generate seed 2**70", "seed must be from 0", lambda d: ["generate", "the", "--seed", str(2**70)]),
]


def _fifo(folder: Path, name: str) -> Path:
    os.mkfifo(folder / name)
    return folder / name


def _zero(folder: Path, name: str) -> Path:
    (folder / name).symlink_to("/dev/zero")
    return folder / name


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(("what", "says", "make"), REFUSED, ids=[case[0] for case in REFUSED])
def test_refused_with_one_sentence_and_nothing_lost(
    what: str, says: str, make: Make, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if what.startswith(("corpus", "train", "resume")):
        pytest.importorskip("torch")
    argv = make(tmp_path)
    if argv[0] == "train" and "--out" not in argv:
        previous = tmp_path / "previous.onnx"
        shutil.copyfile(TINY_MODEL, previous)
        argv += ["--out", str(previous), "--progress", "quiet"]
    if argv[0] in ("generate", "candidates", "bridge") and "--model" not in argv:
        argv += ["--model", str(TINY_MODEL)]
    before = _snapshot(tmp_path)
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse's own usage errors
        code = int(exit_.code or 0)
    err = capsys.readouterr().err
    assert code == 2, err
    assert says in err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    assert _snapshot(tmp_path) == before  # nothing written, nothing changed


# -- odd but acceptable: it must just work ------------------------------------------------


@pytest.mark.torch
def test_a_corpus_of_one_repeated_word_trains(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    corpus = _file(tmp_path, "echo.txt", b"echo " * 2_000)
    out = tmp_path / "echo.onnx"
    assert (
        main(["train", str(corpus), "--out", str(out), "--layers", "1", "--units", "8", "--epochs", "1"]) == 0
    )
    assert main(["generate", "echo", "--model", str(out), "--words", "3", "--greedy"]) == 0
    assert capsys.readouterr().out.strip() == "Echo echo echo echo"


@pytest.mark.torch
def test_paths_with_unusual_characters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    folder = tmp_path / "my stories — «été» 'quoted' $HOME"
    folder.mkdir()
    shutil.copyfile(FABLE, folder / "la fable d'été.txt")
    out = folder / "modèle 1.onnx"
    assert (
        main(["train", str(folder), "--out", str(out), "--layers", "1", "--units", "8", "--epochs", "1"]) == 0
    )
    assert main(["candidates", "the", "--model", str(out), "--k", "2"]) == 0
    assert "1." in capsys.readouterr().out


def test_a_models_folder_full_of_junk_lists_every_file_and_says_what_is_wrong(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    junk = tmp_path / "junk"
    junk.mkdir()
    _file(junk, "empty.onnx", b"")
    _file(junk, "picture.onnx", PNG)
    (junk / "folder.onnx").mkdir()
    shutil.copyfile(TINY_MODEL, junk / "good.onnx")
    not_a_folder = _file(tmp_path, "not-a-folder", b"x")
    monkeypatch.setenv("STORYTELLER_MODEL_PATH", f"{junk}:{not_a_folder}:{tmp_path / 'missing'}")
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "good" in out and "perplexity" in out
    assert out.count("unusable:") == 2  # empty and picture; a folder named .onnx is no model file


def test_a_config_file_with_wrong_types_names_them_and_keeps_the_rest(tmp_path: Path) -> None:
    config = _file(
        tmp_path,
        "config.toml",
        b'[writer]\ntemperature = "hot"\ntop_k = 20\ngreedy = 1\nlength = -5\ncolour = true\nwho = 3\n',
    )
    settings, problem = load_settings(config)
    assert settings.top_k == 20 and settings.colour is True
    assert settings.temperature == WriterSettings().temperature and settings.length == WriterSettings().length
    assert problem is not None and "\n" not in problem
    for name in ("'temperature'", "'greedy'", "'length'", "'who' is not a setting"):
        assert name in problem


@pytest.mark.parametrize("content", [b"[writer\ntemperature=", b"writer = 3", b"\xff\xfe"])
def test_a_broken_config_file_gives_defaults_and_one_sentence(tmp_path: Path, content: bytes) -> None:
    settings, problem = load_settings(_file(tmp_path, "config.toml", content))
    assert settings == WriterSettings()
    assert problem is not None and "default settings are used" in problem


def test_zero_means_all_words_and_the_whole_story_in_the_config(tmp_path: Path) -> None:
    settings, problem = load_settings(
        _file(tmp_path, "config.toml", b"[writer]\ntop_k = 0\nwindow = 0\nseed = 9\n")
    )
    assert problem is None
    assert (settings.top_k, settings.window, settings.seed) == (None, None, 9)


@pytest.mark.slow
def test_a_fifty_megabyte_corpus_on_one_line_is_read_and_reported(tmp_path: Path) -> None:
    from storyteller.engine import read_corpus, report

    sentence = b"the old fox walked to the river , and the river sang to him . "
    path = _file(tmp_path, "one-line.txt", sentence * (50_000_000 // len(sentence)))
    assert b"\n" not in path.read_bytes()
    figures = report(read_corpus(path).text)
    assert figures.tokens == 15 * (50_000_000 // len(sentence))  # 15 tokens a sentence
    assert figures.distinct == 11 and figures.paragraphs == 0


def test_an_implausibly_large_card_is_refused_before_it_is_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("storyteller.engine.model.MAX_METADATA_CHARS", 1_000)
    monkeypatch.setattr("storyteller.engine.model.json.loads", lambda text: pytest.fail("parsed anyway"))
    assert main(["generate", "the", "--model", str(TINY_MODEL)]) == 2
    assert "implausibly large" in capsys.readouterr().err


def test_hostile_names_in_the_model_list_are_shown_literally(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "models"
    folder.mkdir()
    shutil.copyfile(TINY_MODEL, folder / "\x1b[31mred.onnx")
    _card_edit(folder, lambda c: c.update(name="\x1b]0;pwned\x07", created="\x1b[2J"), name="named.onnx")
    monkeypatch.setenv("STORYTELLER_MODEL_PATH", str(folder))
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b[31mred" in out and "\\x1b[2J" in out


def test_an_unreadable_models_folder_hides_nothing_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    real_glob = Path.glob

    def glob(self: Path, pattern: str):  # type: ignore[no-untyped-def]
        if self == locked:
            raise PermissionError(13, "Permission denied")  # root reads everything: pretend
        return real_glob(self, pattern)

    monkeypatch.setattr(Path, "glob", glob)
    monkeypatch.setenv("STORYTELLER_MODEL_PATH", str(locked))
    assert main(["models"]) == 0
    assert "default  [shipped]" in capsys.readouterr().out


# -- checkpoints: edited ones refused in one sentence, a full disk costs the checkpoint only --

TINY_RUN = ["--layers", "1", "--units", "8", "--epochs", "1", "--progress", "quiet"]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("torch")
    folder = tmp_path_factory.mktemp("checkpoint")
    path = folder / "run.pt"
    assert (
        main(["train", str(FABLE), "--out", str(folder / "m.onnx"), "--checkpoint", str(path), *TINY_RUN])
        == 0
    )
    return path


class Smuggled:
    """Not a tensor or plain data: unpickling it must be refused."""


def _edits() -> dict[str, Callable[[dict], object]]:  # type: ignore[type-arg]
    import torch

    def shape(payload: dict) -> None:  # type: ignore[type-arg]
        name = next(iter(payload["model"]))
        payload["model"][name] = torch.zeros(3, 3)

    return {
        "wrong types": lambda p: p.update(epoch="3"),
        "a missing key": lambda p: p.pop("optimizer"),
        "wrong shapes": shape,
        "a huge size": lambda p: p["config"].update(units=10_000_000),
        "wrong config types": lambda p: p["config"].update(layers="two"),
        "a vocabulary that is no list": lambda p: p.update(vocabulary={"a": 1}),
        "a smuggled object": lambda p: p.update(extra=Smuggled()),
    }


@pytest.mark.torch
@pytest.mark.parametrize(
    "edit",
    [
        "wrong types",
        "a missing key",
        "wrong shapes",
        "a huge size",
        "wrong config types",
        "a vocabulary that is no list",
        "a smuggled object",
    ],
)
def test_resuming_an_edited_checkpoint_is_one_sentence(
    checkpoint: Path, edit: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import torch

    payload = torch.load(checkpoint, weights_only=True)
    _edits()[edit](payload)
    edited = tmp_path / "edited.pt"
    torch.save(payload, edited)
    out = tmp_path / "m.onnx"
    code = main(["train", str(FABLE), "--out", str(out), "--resume", str(edited), *TINY_RUN])
    err = capsys.readouterr().err
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err and "warn" not in err.lower(), err
    assert "Checkpoint" in err and not out.exists()


@pytest.mark.torch
def test_a_full_disk_while_checkpointing_is_one_sentence_and_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("torch")
    import errno

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("training.train.torch.save", full)
    out = tmp_path / "m.onnx"
    assert (
        main(["train", str(FABLE), "--out", str(out), "--checkpoint", str(tmp_path / "c.pt"), *TINY_RUN]) == 0
    )
    err = capsys.readouterr().err
    assert "could not be saved" in err and "No space left on device" in err and "Traceback" not in err
    assert out.exists() and not (tmp_path / "c.pt").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


# -- the quieter ones ---------------------------------------------------------------------------


def test_an_unreadable_subfolder_is_named_not_skipped_silently(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storyteller.engine import read_corpus

    (tmp_path / "open").mkdir()
    (tmp_path / "open" / "a.txt").write_text("the fox ran . " * 50)
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "b.txt").write_text("the owl sang . " * 50)
    real = os.scandir

    def scandir(path):  # type: ignore[no-untyped-def]
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied")  # root reads everything: pretend
        return real(path)

    monkeypatch.setattr("storyteller.engine.corpus.os.scandir", scandir)
    corpus = read_corpus(tmp_path)
    assert [p.name for p, _ in corpus.sources] == ["a.txt"]
    assert any("locked" in note and "Permission denied" in note for note in corpus.notes)


def test_a_corpus_removed_between_the_check_and_the_read_is_one_sentence(tmp_path: Path) -> None:
    from storyteller.engine import CorpusError, read_corpus

    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.txt").write_text("the fox ran . " * 50)
    corpus = read_corpus(folder)
    shutil.rmtree(folder)
    with pytest.raises(CorpusError) as gone:
        list(corpus.blocks())
    assert "was removed" in str(gone.value) and "\n" not in str(gone.value)


def test_replay_runs_the_model_only_as_far_as_it_must(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from storyteller.engine import Model

    fed: list[int] = []
    real = Model.run

    def run(self, ids, state=None):  # type: ignore[no-untyped-def]
        fed.append(ids.size)
        return real(self, ids, state)

    monkeypatch.setattr(Model, "run", run)
    words = [{"t": "the", "by": "writer"}] * 5_000
    story = _story(tmp_path, json.dumps({**GOOD_STORY, "words": words}))
    assert main(["replay", str(story), "--model", str(TINY_MODEL)]) == 0
    assert "records no probabilities" in capsys.readouterr().out
    assert fed == []


def test_a_huge_repetition_penalty_lets_no_numpy_warning_through(capsys: pytest.CaptureFixture[str]) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for extra in ([], ["--temperature", "1e-300"], ["--greedy"]):
            argv = [
                "generate",
                "the the the",
                "--repetition-penalty",
                "1e308",
                "--seed",
                "1",
                "--words",
                "40",
            ]
            assert main([*argv, *extra, "--model", str(TINY_MODEL)]) == 0, capsys.readouterr().err
    assert "Warning" not in capsys.readouterr().err


def test_a_long_story_is_scored_in_bounded_pieces(tiny_model, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from storyteller.engine import Model, Predictor
    from storyteller.engine.predictor import SCORE_PIECE

    fed: list[int] = []
    real = Model.run

    def run(self, ids, state=None):  # type: ignore[no-untyped-def]
        fed.append(ids.size)
        return real(self, ids, state)

    monkeypatch.setattr(Model, "run", run)
    scores = Predictor(tiny_model).score(["the", "kettle", "sang", "."] * 1_000)
    assert len(scores) == 4_000 and max(fed) <= SCORE_PIECE
