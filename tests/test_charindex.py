"""The character-name index: every answer checked against a plain scan of the names, odd queries included."""

from __future__ import annotations

import re
import unicodedata

import pytest

from support.examples import charindex
from support.examples.charindex import InvertedIndex, format_line, format_results, tokenize

# Animals, faces and food: a small range with many shared words, built in milliseconds.
START, STOP = 0x1F400, 0x1F650


@pytest.fixture(scope="module")
def small() -> InvertedIndex:
    return InvertedIndex(START, STOP)


def _scan(query: str, start: int = START, stop: int = STOP) -> set[str]:
    """The answer the slow way: read every name in the range and keep those holding every word."""
    words = {w.upper() for w in re.findall(r"\w+", query)}
    if not words:
        return set()
    found = set()
    for code in range(start, stop):
        name_words = set(re.findall(r"\w+", unicodedata.name(chr(code), "")))
        if words <= name_words:
            found.add(chr(code))
    return found


@pytest.mark.parametrize(
    "query",
    ["cat", "cat face", "CAT FACE", "Face cat", "face with", "  cat\tface  ", "cat-face", "smiling cat face"],
)
def test_search_matches_a_plain_scan(small: InvertedIndex, query: str) -> None:
    assert small.search(query) == _scan(query)
    assert small.search(query), "these queries all find something in the range"


def test_several_words_narrow_the_answer(small: InvertedIndex) -> None:
    cat, face = small.search("cat"), small.search("face")
    both = small.search("cat face")
    assert both == cat & face
    assert both < cat and both < face


@pytest.mark.parametrize("query", ["", "   ", "?!", "\x00\x07", "cat zzzzunknown", "ca", "cats"])
def test_queries_that_match_nothing_give_an_empty_set(small: InvertedIndex, query: str) -> None:
    assert small.search(query) == set()


def test_unknown_words_do_not_grow_the_index(small: InvertedIndex) -> None:
    words = len(small)
    for i in range(100):
        small.search(f"nosuchword{i} cat")
    assert len(small) == words


def test_search_returns_a_copy(small: InvertedIndex) -> None:
    first = small.search("cat")
    first.clear()
    assert small.search("cat") == _scan("cat")


def test_repeated_words_count_once(small: InvertedIndex) -> None:
    assert small.search("cat cat cat") == small.search("cat")


def test_full_index_covers_every_named_character_from_space_on() -> None:
    index = charindex.shared_index()
    assert index is charindex.shared_index(), "built once per process"
    assert chr(0x1F431) in index.search("cat face")
    assert " " in index.search("space")
    assert not any(ord(c) < charindex.FIRST for c in index.search("null"))
    named = sum(1 for code in range(0x2600, 0x2700) if unicodedata.name(chr(code), ""))
    in_index = {c for chars in index.entries.values() for c in chars if 0x2600 <= ord(c) < 0x2700}
    assert len(in_index) == named


def test_bad_ranges_are_refused() -> None:
    with pytest.raises(ValueError):
        InvertedIndex(10, 5)
    with pytest.raises(ValueError):
        InvertedIndex(0, charindex.STOP + 1)


def test_tokenize_splits_on_anything_but_word_characters() -> None:
    assert list(tokenize("hyphen-minus, Latin small")) == ["HYPHEN", "MINUS", "LATIN", "SMALL"]
    assert list(tokenize("")) == []


def test_format_line_and_results() -> None:
    cat = chr(0x1F431)
    assert format_line(cat) == f"U+1F431\t{cat}\t{unicodedata.name(cat)}"
    assert format_line("A").startswith("U+0041\t")
    assert list(format_results({"b", "a"})) == [format_line("a"), format_line("b")]
    assert format_line("\U000e0fff").endswith("(no name)")


def test_cli_prints_results_and_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert charindex.main(["cat", "face"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == f"{len(out) - 1} found"
    assert out[:-1] == list(format_results(charindex.shared_index().search("cat face")))
    assert charindex.main(["zzzznotaword"]) == 1
    assert capsys.readouterr().out.strip() == "0 found"


@pytest.mark.parametrize("argv", [[], ["?!"]])
def test_cli_usage_errors_exit_2_with_one_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        charindex.main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err


def test_index_words_are_the_words_tokenize_finds() -> None:
    # The index splits names on spaces and hyphens; a query is split by tokenize(): they must agree.
    index = charindex.shared_index()
    assert all(list(tokenize(word)) == [word] for word in index.entries)
