"""The curriculum's limits on a lesson, as tests: every lesson keeps them, and each guard catches a small
notebook that breaks it (so a green run means the lessons pass, not that the guard checks nothing).

The guards live in support.workbook.notebook_checks (``make lint`` and tests/test_notebooks.py run them too):
at most 3,000 words of prose (``prose_words`` says what counts), a closing "Further reading" of documentation
links, and no pointer calling an existing lesson unwritten. A lesson that another branch is rewriting this
session is waived there (``WAIVERS``); here its waived guards are strict xfails, so the day it passes, the test
fails until the waiver is deleted.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from support.workbook import notebook_checks as nc
from support.workbook.notebook_runner import KERNEL_DISPLAY_NAME

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
LESSONS = [p for p in nc.notebooks_under([NOTEBOOKS]) if nc.is_lesson(p)]
GUARDS = nc.lesson_guards(NOTEBOOKS)
READING = (
    "## Further reading\n\n"
    "- [asyncio](https://docs.python.org/3/library/asyncio.html)\n"
    "- [PEP 492](https://peps.python.org/pep-0492/)\n"
    "- [Trio's tutorial](https://trio.readthedocs.io/en/stable/tutorial.html)\n"
)


def cases() -> list[object]:
    params = []
    for path in LESSONS:
        waived, reason = nc.waiver(path)
        for guard in GUARDS:
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if guard.__name__ in waived else []
            params.append(pytest.param(path, guard, marks=marks, id=f"{path.stem[:2]}-{guard.__name__}"))
    return params


def test_there_are_lessons_to_guard() -> None:
    assert len(LESSONS) >= 10 and len(GUARDS) == 4


@pytest.mark.parametrize(("path", "guard"), cases())
def test_every_lesson_keeps_the_guard(path: Path, guard: nc.Rule) -> None:
    problems = list(guard(json.loads(path.read_text(encoding="utf-8"))))
    assert not problems, "\n".join(f"{path.name}:cell {p.cell}: {p.message}" for p in problems)


def notebook(*markdown: str, code: Sequence[str] = ()) -> dict:
    cells = [new_markdown_cell(text) for text in markdown] + [new_code_cell(c) for c in code]
    nb = new_notebook(
        cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": KERNEL_DISPLAY_NAME}}
    )
    return json.loads(nbformat.writes(nb))


# -- a. at most 3,000 words of prose ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markdown", "words"),
    [
        ("Run **the** cell, then `await main()`.", 6),
        ("See [the asyncio docs](https://docs.python.org/3/library/asyncio.html) first.", 5),
        ("Served at <http://127.0.0.1:8000/> and https://example.org/x too", 4),
        ("## Table\n\n| kind | time |\n|---|---|\n| - | — |", 3),
        ("Before\n\n```python\nawait asyncio.sleep(1)\nprint('done')\n```\n\nafter", 2),
    ],
    ids=["code-span", "link-text", "bare-urls", "table-and-dashes", "fenced-code"],
)
def test_prose_words_counts_what_a_reader_reads(markdown: str, words: int) -> None:
    assert nc.prose_words(markdown) == words


def test_a_lesson_over_3000_words_is_caught() -> None:
    at_limit = notebook("word " * 2_000, "word " * 1_000, READING)
    reading_words = nc.prose_words(READING)
    assert nc.prose_word_count(at_limit) == 3_000 + reading_words
    assert list(nc.prose_within_limit(notebook("word " * (3_000 - reading_words), READING))) == []
    over = list(nc.prose_within_limit(at_limit))
    assert len(over) == 1 and over[0].cell is None and f"{3_000 + reading_words:,} words" in over[0].message


def test_a_lesson_of_60_cells_is_caught() -> None:
    assert list(nc.cells_within_limit(notebook(*["word"] * 58, READING))) == []
    over = list(nc.cells_within_limit(notebook(*["word"] * 59, READING)))
    assert len(over) == 1 and over[0].cell is None and "60 cells" in over[0].message


# -- b. ends with a Further reading of documentation links ------------------------------------------------


def test_a_closing_further_reading_passes() -> None:
    assert (
        list(nc.ends_with_further_reading(notebook("# Lesson", READING, code=["services.stop_all()"]))) == []
    )


@pytest.mark.parametrize(
    ("cells", "words"),
    [
        (["# Lesson", "## Clean-up\n\nStop the servers."], "not headed 'Further reading'"),
        (["# Lesson", READING, "## Clean-up"], "not headed 'Further reading'"),
        ([], "no markdown cell"),
        (
            ["## Further reading\n\n- [asyncio](https://docs.python.org/3/library/asyncio.html)"],
            "holds 1 links",
        ),
        ([READING + "- [a blog](https://example.com/asyncio-tips)"], "https://example.com/asyncio-tips"),
        ([READING.replace("https://peps", "http://peps")], "http://peps.python.org/pep-0492/"),
    ],
    ids=["missing", "not-last", "no-markdown", "too-few-links", "not-docs", "not-https"],
)
def test_a_missing_or_weak_further_reading_is_caught(cells: list[str], words: str) -> None:
    problems = list(nc.ends_with_further_reading(notebook(*cells)))
    assert len(problems) == 1 and words in problems[0].message, problems


# -- c. no pointer calls an existing lesson unwritten -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lessons"),
    [
        ("The loop stays free while a thread waits (lesson 04, not written yet, is about executors).", "04"),
        ("Task groups do it for you: lessons 03 and 07 are coming later.", "03, 07"),
        ("Next: **08 · typing async**, not yet written.", "08"),
        ("Lessons 02 to 04 are coming soon.", "03, 04"),
        ("See 09_how_async_works.ipynb, a later lesson will measure it.", "09"),
    ],
    ids=["lesson-number", "two-lessons", "title", "range", "file-name"],
)
def test_calling_an_existing_lesson_unwritten_is_caught(text: str, lessons: str) -> None:
    rule = nc.no_unwritten_pointers({3, 4, 7, 8, 9})
    problems = list(rule(notebook("# Lesson", text)))
    assert [p.cell for p in problems] == [1] and f"of lesson {lessons}, which exists" in problems[0].message
    assert list(rule(notebook("# Lesson", code=[f"# {text}"]))) != []  # a code comment says it too


@pytest.mark.parametrize(
    "text",
    [
        "The loop stays free while a thread waits (lesson 12, not written yet, is about executors).",
        "Lesson 04 is about executors. A coroutine object is a computation not yet started.",
        "Later lessons start local servers and stop them in their last cell.",
    ],
    ids=["missing-lesson", "other-sentence", "no-number"],
)
def test_pointers_that_are_true_pass(text: str) -> None:
    assert list(nc.no_unwritten_pointers({4, 7})(notebook(text))) == []


# -- the waivers -------------------------------------------------------------------------------------------


def test_a_waived_guard_is_reported_apart_and_does_not_fail_the_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    waived_topic = "being_rewritten"
    rules = frozenset({"prose_within_limit", "ends_with_further_reading"})
    monkeypatch.setitem(nc.WAIVERS, waived_topic, (rules, "another branch rewrites it"))
    for name in (f"05_{waived_topic}.ipynb", "06_other.ipynb"):
        for folder in (tmp_path, tmp_path / "solutions"):
            folder.mkdir(exist_ok=True)
            (folder / name).write_text(json.dumps(notebook("# Lesson", "word " * 3_001)), encoding="utf-8")
    excused, other = tmp_path / f"05_{waived_topic}.ipynb", tmp_path / "06_other.ipynb"
    assert nc.check(excused) == []
    assert len(nc.waived(excused)) == 2 and all("another branch rewrites it" in x for x in nc.waived(excused))
    assert [line.split(": ", 1)[1][:20] for line in nc.check(other)] == [
        "3,002 words of prose",  # "Lesson" and 3,001 times "word"
        "the last markdown ce",
    ]
    assert nc.waived(other) == []


def test_the_command_lists_waived_problems_without_failing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setitem(nc.WAIVERS, "long", (frozenset({"prose_within_limit"}), "being split"))
    for folder in (tmp_path, tmp_path / "solutions"):
        folder.mkdir(exist_ok=True)
        (folder / "03_long.ipynb").write_text(
            json.dumps(notebook("word " * 3_001, READING)), encoding="utf-8"
        )
    assert nc.main([str(tmp_path / "03_long.ipynb")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("[waived: being split]") and "words of prose" in lines[0]
    assert lines[-1] == "notebook_checks: 1 notebooks, 0 problems (1 waived, listed above)"
