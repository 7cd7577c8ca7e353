"""Student copies keep every lesson cell and check, and drop the model answers and the stored outputs."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from support.workbook.student_copy import SOLUTION_TAG, main, student_copy

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("source", NOTEBOOKS, ids=lambda p: p.name)
def test_copy_has_no_solutions_and_no_outputs(source: Path, tmp_path: Path) -> None:
    original = nbformat.read(source, as_version=4)
    copy = nbformat.read(student_copy(source, tmp_path), as_version=4)
    solutions = [c for c in original.cells if SOLUTION_TAG in c.metadata.get("tags", [])]
    assert solutions, "the lesson has exercises with solutions"
    assert len(copy.cells) == len(original.cells) - len(solutions)
    assert not any(SOLUTION_TAG in c.metadata.get("tags", []) for c in copy.cells)
    code = [c for c in copy.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    # Everything else survives, in order: the exercise cells and their checks included.
    kept = [c.source for c in original.cells if SOLUTION_TAG not in c.metadata.get("tags", [])]
    assert [c.source for c in copy.cells] == kept
    assert sum("check_" in c.source for c in code) >= len(solutions)


def test_cli_writes_one_copy_per_notebook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(p) for p in NOTEBOOKS] + ["--dest", str(tmp_path / "student")]) == 0
    assert sorted(p.name for p in (tmp_path / "student").iterdir()) == [p.name for p in NOTEBOOKS]
    assert capsys.readouterr().out.count("->") == len(NOTEBOOKS)
