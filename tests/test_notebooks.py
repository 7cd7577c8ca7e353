"""Repo-level rules for the lessons and their solutions notebooks that strict nbval alone does not catch."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from IPython.core.inputtransformer2 import TransformerManager

from support.workbook import notebook_checks
from support.workbook.notebook_runner import KERNEL_DISPLAY_NAME

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SOLUTIONS = sorted((ROOT / "notebooks" / "solutions").glob("[0-9][0-9]_*.ipynb"))
# Material waiting for the lesson that will absorb it: checked like the lessons, but not numbered.
APPENDICES = sorted((ROOT / "notebooks").glob("appendix_*.ipynb"))
ALL = LESSONS + APPENDICES + SOLUTIONS
TAGS_NEEDING_A_REASON = {"nbval-ignore-output", "nbval-skip", "raises-exception"}
MAX_CELLS = 60
CHECK_CALL = re.compile(r"\b(check_\w+)\((.*?)\)")


def _notebook(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _cells(path: Path) -> list[dict]:
    return _notebook(path)["cells"]


def _source(cell: dict) -> str:
    return "".join(cell["source"])


def _text_output(cell: dict) -> str:
    return "".join(
        "".join(o.get("text", "")) for o in cell.get("outputs", []) if o["output_type"] == "stream"
    )


def _check_cells(path: Path) -> list[tuple[str, list[str], dict]]:
    """(checker name, argument names, cell) for each call of a checker in a code cell."""
    found = []
    for cell in _cells(path):
        if cell["cell_type"] != "code":
            continue
        for name, args in CHECK_CALL.findall(_source(cell)):
            found.append((name, [a.strip() for a in args.split(",") if a.strip()], cell))
    return found


def _python(cell: dict) -> str:
    return TransformerManager().transform_cell(_source(cell))


def _solution_for(lesson: Path) -> Path:
    return ROOT / "notebooks" / "solutions" / lesson.name


def _readme_links(folder: str) -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(rf"\]\(notebooks/{folder}(\d\d_[\w-]+\.ipynb)\)", text)


def test_there_are_lessons() -> None:
    assert LESSONS, "notebooks/ holds no lesson"


def test_readme_lists_exactly_the_lessons_and_solutions_in_order() -> None:
    assert _readme_links("") == [p.name for p in LESSONS]
    assert _readme_links("solutions/") == [p.name for p in SOLUTIONS]


def test_readme_lists_the_appendices() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.findall(r"\]\(notebooks/(appendix_[\w-]+\.ipynb)\)", text) == [p.name for p in APPENDICES]


def test_makefile_runs_and_validates_the_appendices() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "notebooks/appendix_*.ipynb" in makefile and "$(APPENDICES)" in makefile


@pytest.mark.parametrize("path", APPENDICES, ids=lambda p: p.name)
def test_appendix_shape(path: Path) -> None:
    cells = _cells(path)
    assert len(cells) <= MAX_CELLS, f"{len(cells)} cells; at most {MAX_CELLS}, as for a lesson"
    assert cells[0]["cell_type"] == "markdown" and "What you will learn" in _source(cells[0])
    assert re.search(r"[Ll]esson \d\d", _source(cells[0])), "say which lesson will absorb the appendix"
    assert any(_source(c).startswith("## Summary") or "\n## Summary" in _source(c) for c in cells)


def test_lesson_numbers_are_unique_and_consecutive() -> None:
    numbers = [int(p.name[:2]) for p in LESSONS]
    assert numbers == list(range(len(numbers)))


def test_every_solutions_notebook_belongs_to_a_lesson() -> None:
    assert {p.name for p in SOLUTIONS} <= {p.name for p in LESSONS}


@pytest.mark.parametrize("path", ALL, ids=lambda p: str(p.relative_to(ROOT / "notebooks")))
def test_kernel_is_the_workbooks(path: Path) -> None:
    kernel = _notebook(path)["metadata"]["kernelspec"]
    assert kernel["name"] == "python3"
    assert kernel["display_name"] == KERNEL_DISPLAY_NAME, "saving from `make lab` would change it"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_every_lesson_has_its_solutions_notebook(path: Path) -> None:
    assert _solution_for(path).exists(), f"the model answers of {path.name} belong in notebooks/solutions/"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_shape(path: Path) -> None:
    cells = _cells(path)
    assert cells[0]["cell_type"] == "markdown" and "What you will learn" in _source(cells[0])
    assert len(cells) <= MAX_CELLS, f"{len(cells)} cells; a lesson has at most {MAX_CELLS}"
    headings = [_source(c) for c in cells if c["cell_type"] == "markdown"]
    assert any(h.startswith("## Summary") for h in headings), "a lesson ends with a summary"
    assert any(f"(solutions/{path.name})" in h for h in headings), "point the exercises to the solutions"
    assert _check_cells(path), "every lesson ends with exercises checked by support/exercises/"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_checks_say_not_tried_and_solution_checks_pass(path: Path) -> None:
    lesson_checks = _check_cells(path)
    solution_checks = _check_cells(_solution_for(path))
    assert sorted(c for c, _, _ in lesson_checks) == sorted(c for c, _, _ in solution_checks), (
        "the solutions notebook runs exactly the lesson's checkers"
    )
    for checker, _, cell in lesson_checks:
        lines = _text_output(cell).splitlines()
        assert len(lines) == 1 and lines[0].startswith("○ ") and "not tried yet" in lines[0], (checker, lines)
    for checker, _, cell in solution_checks:
        lines = _text_output(cell).splitlines()
        assert len(lines) == 1 and lines[0].startswith("✔ "), (checker, lines)


@pytest.mark.parametrize("path", ALL, ids=lambda p: str(p.relative_to(ROOT / "notebooks")))
def test_code_cells_follow_the_conventions(path: Path) -> None:
    for index, cell in enumerate(_cells(path)):
        if cell["cell_type"] != "code":
            continue
        source = _source(cell)
        where = f"{path.name} cell {index}"
        lines = [line for line in source.rstrip().splitlines() if line.strip()]
        # nbval runs cells without history, where IPython ignores a trailing `;`: outputs would differ.
        assert not (lines and lines[-1].rstrip().endswith(";")), f"{where}: ends with ';' (assign instead)"
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & TAGS_NEEDING_A_REASON:
            why = cell["metadata"].get("workbook", {}).get("why", "")
            assert why.strip(), f"{where}: tagged {sorted(tags)}; give the reason in metadata workbook.why"
        # A line starting "!=" is Python (a comparison continued from the line above), not a shell command.
        for shell in re.findall(r"^\s*!(?!=)(.*)$", source, re.M):
            assert shell.lstrip().startswith("{sys.executable}"), (
                f"{where}: shell cell must use {{sys.executable}}"
            )


@pytest.mark.parametrize("path", ALL, ids=lambda p: str(p.relative_to(ROOT / "notebooks")))
def test_every_started_service_is_stopped(path: Path) -> None:
    sources = [_source(c) for c in _cells(path) if c["cell_type"] == "code"]
    starts = any(re.search(r"\b(services|\w+_server|blogdom|\w+_mojifinder)\.start\(", s) for s in sources)
    if starts:
        assert "stop_all()" in sources[-1] or "stop_all()" in sources[-2], (
            "stop the services in the last cells"
        )


# The conventions in support.workbook.notebook_checks (shared with `make lint` and the pre-commit hook), on every
# notebook under notebooks/: lessons, solutions and any appendix. tests/test_notebook_checks.py shows each bites.
EVERY_NOTEBOOK = notebook_checks.notebooks_under([ROOT / "notebooks"])


@pytest.mark.parametrize("path", EVERY_NOTEBOOK, ids=lambda p: str(p.relative_to(ROOT / "notebooks")))
def test_notebook_keeps_the_conventions(path: Path) -> None:
    problems = notebook_checks.check(path)
    assert not problems, "\n".join(problems)


def test_every_lesson_with_a_solutions_notebook_gets_the_lesson_rules() -> None:
    # Otherwise the model-answer rule would silently check nothing.
    assert [p for p in EVERY_NOTEBOOK if notebook_checks.is_lesson(p)] == LESSONS
    assert set(ALL) <= set(EVERY_NOTEBOOK)
