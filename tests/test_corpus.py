"""Reading a corpus from a stranger: what is refused (one sentence) and what is fixed (and said)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from storyteller.engine import CorpusError, read_corpus, report

from .conftest import PROJECT_CORPUS

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + bytes(range(256)) * 4


def _refused(path: Path, fragment: str) -> None:
    with pytest.raises(CorpusError) as caught:
        read_corpus(path)
    message = str(caught.value)
    assert fragment in message and "\n" not in message and message.endswith(".")


def test_missing_path(tmp_path: Path) -> None:
    _refused(tmp_path / "nowhere.txt", "does not exist")


def test_folder_without_text_files(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("hello")
    _refused(tmp_path, "no .txt files")


@pytest.mark.parametrize("content", [b"", b"  \n\n\t \r\n"])
def test_empty_or_whitespace_only(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "blank.txt"
    path.write_bytes(content)
    _refused(path, "holds no text")


def test_a_folder_of_empty_files_is_named_in_good_grammar(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(" ")
    _refused(tmp_path, f"The .txt file in '{tmp_path}' holds no text")
    (tmp_path / "b.txt").write_text("")
    _refused(tmp_path, f"The .txt files in '{tmp_path}' hold no text")


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "picture.txt"
    path.write_bytes(PNG)
    _refused(path, "binary")


def test_cp1252_is_read_with_a_stated_fallback(tmp_path: Path) -> None:
    path = tmp_path / "old.txt"
    path.write_bytes("The café’s crème brûlée — “quite” good.".encode("cp1252"))
    corpus = read_corpus(path)
    assert "café’s crème brûlée — “quite”" in corpus.text
    assert len(corpus.notes) == 1 and "cp1252" in corpus.notes[0] and "not UTF-8" in corpus.notes[0]


def test_utf8_bom_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes("\ufeffHello".encode())
    assert read_corpus(path).text == "Hello"


def test_a_folder_is_read_in_path_order_with_paragraph_breaks_between_files(tmp_path: Path) -> None:
    (tmp_path / "b.txt").write_text("second")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.txt").write_text("third")
    (tmp_path / "a.txt").write_text("first")
    (tmp_path / "empty.txt").write_text("")
    corpus = read_corpus(tmp_path)
    assert corpus.text == "first\n\nsecond\n\nthird"
    assert [p.name for p in corpus.files] == ["a.txt", "b.txt", "empty.txt", "c.txt"]
    assert any("empty.txt" in note for note in corpus.notes)
    assert len(corpus.sha256) == 64


def test_report_counts_words_distinct_and_once_share() -> None:
    figures = report("The cat, the dog.\n\nThe end.")
    assert figures.words == 6
    assert figures.tokens == 10
    assert figures.paragraphs == 1
    assert figures.distinct == 7  # the cat , dog . <p> end
    assert figures.once_share == pytest.approx(5 / 7)  # cat , dog <p> end


def test_the_reported_vocabulary_counts_the_special_tokens_once() -> None:
    from .conftest import FABLE

    data_report = report(read_corpus(FABLE).text)
    # The fable is too small to hold text out, so the run's vocabulary is the whole text's.
    from storyteller.engine import TokenizerConfig, tokenize
    from storyteller.engine.vocab import SPECIALS

    run = TokenizerConfig(quotes=True)  # a run tokenises opening and closing quotes apart
    distinct = set(tokenize(FABLE.read_text(), run)) - set(SPECIALS)
    assert data_report.vocabulary_size(None, 30_000) == len(distinct) + len(SPECIALS)


def _project_stories() -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(PROJECT_CORPUS.glob("*.txt"))}


def test_the_project_corpus_is_large_and_repeats_no_paragraph() -> None:
    stories = _project_stories()
    assert sum(len(text.split()) for text in stories.values()) >= 150_000
    seen: dict[str, str] = {}
    for name, text in stories.items():
        assert text.isascii(), f"{name} is not plain ASCII"
        for paragraph in text.split("\n\n")[1:]:
            key = " ".join(paragraph.lower().split())
            if len(key.split()) > 4:
                assert key not in seen, f"{name} repeats a paragraph of {seen[key]}: {key[:60]!r}"
                seen[key] = name


def test_no_run_of_twelve_words_appears_in_two_stories() -> None:
    owner: dict[tuple[str, ...], str] = {}
    for name, text in _project_stories().items():
        words = re.findall(r"[a-z']+", text.lower())
        for run in {tuple(words[i : i + 12]) for i in range(len(words) - 11)}:
            assert owner.setdefault(run, name) == name, f"{name} and {owner[run]} share {' '.join(run)!r}"
