"""Repo-level rules for the lessons that strict nbval alone does not catch."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
TAGS_NEEDING_A_REASON = {"nbval-ignore-output", "nbval-skip", "raises-exception"}


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _source(cell: dict) -> str:
    return "".join(cell["source"])


def _readme_notebooks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"\[`?(\d\d_[\w-]+\.ipynb)`?\]\(notebooks/\1\)", text)


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS, "notebooks/ holds no lesson"


def test_readme_lists_exactly_the_notebooks_in_order() -> None:
    assert _readme_notebooks() == [p.name for p in NOTEBOOKS]


def test_notebook_numbers_are_unique_and_consecutive() -> None:
    numbers = [int(p.name[:2]) for p in NOTEBOOKS]
    assert numbers == list(range(len(numbers)))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_lesson_shape(path: Path) -> None:
    cells = _cells(path)
    meta = json.loads(path.read_text(encoding="utf-8"))["metadata"]
    assert meta["kernelspec"]["name"] == "python3"
    assert cells[0]["cell_type"] == "markdown" and "What you will learn" in _source(cells[0])
    solutions = [c for c in cells if "solution" in c.get("metadata", {}).get("tags", [])]
    assert solutions, "every lesson ends with exercises whose solutions are tagged `solution`"
    for cell in solutions:
        assert cell["metadata"].get("jupyter", {}).get("source_hidden"), "solution cells start collapsed"
    checks = [c for c in cells if c["cell_type"] == "code" and re.search(r"\bcheck_\w+\(", _source(c))]
    assert len(checks) >= len(solutions), "each exercise has a check cell calling a support checker"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
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
            assert re.search(r"^\s*#\s*\S", source, re.M), f"{where}: tagged {tags}, say why in a comment"
        for shell in re.findall(r"^\s*!(.*)$", source, re.M):
            assert shell.lstrip().startswith("{sys.executable}"), (
                f"{where}: shell cell must use {{sys.executable}}"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_started_service_is_stopped(path: Path) -> None:
    sources = [_source(c) for c in _cells(path) if c["cell_type"] == "code"]
    starts = any(re.search(r"\b(services|\w+_server|blogdom)\.start\(", s) for s in sources)
    if starts:
        assert "stop_all()" in sources[-1] or "stop_all()" in sources[-2], (
            "stop the services in the last cells"
        )
