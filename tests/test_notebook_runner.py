"""The notebook runner: executes from a fresh kernel and writes the notebook with its slide metadata."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from support.workbook import notebook_runner


def test_a_run_stores_outputs_and_slide_metadata_but_keeps_a_hand_set_slide_type(tmp_path: Path) -> None:
    path = tmp_path / "07_tiny.ipynb"
    nb = new_notebook(
        cells=[
            new_markdown_cell("# 07 · Tiny"),
            new_code_cell("print(6 * 7)"),
            new_markdown_cell("## Aside", metadata={"slideshow": {"slide_type": "notes"}}),
        ]
    )
    nbformat.write(nb, path)
    total, slowest, _ = notebook_runner.run_notebook(path)
    assert total >= slowest >= 0
    written = nbformat.read(path, as_version=4)
    assert written.cells[1].outputs[0].text == "42\n"
    assert [c.metadata.slideshow.slide_type for c in written.cells] == ["slide", "-", "notes"]
    assert written.metadata.kernelspec.display_name == notebook_runner.KERNEL_DISPLAY_NAME
    assert "rise" in written.metadata


FLAKY = """
from pathlib import Path
runs = Path("runs.txt")
n = int(runs.read_text()) + 1 if runs.exists() else 1
runs.write_text(str(n))
print("✔ quiet enough" if n >= {good_from} else "⚠ busy machine; run again")
"""


def _flaky_notebook(tmp_path: Path, good_from: int) -> Path:
    path = tmp_path / "08_flaky.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell(FLAKY.format(good_from=good_from))]), path)
    return path


def test_a_failed_verdict_is_run_again_and_stored_once_it_holds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _flaky_notebook(tmp_path, good_from=2)
    assert notebook_runner.main([str(path), "--retries", "2"]) == 0
    assert "a verdict failed, cell #0: ⚠ busy machine; run again; running it again" in capsys.readouterr().out
    assert nbformat.read(path, as_version=4).cells[0].outputs[0].text == "✔ quiet enough\n"
    assert (tmp_path / "runs.txt").read_text() == "2"


def test_a_verdict_that_keeps_failing_is_never_stored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _flaky_notebook(tmp_path, good_from=99)
    before = path.read_bytes()
    assert notebook_runner.main([str(path), "--retries", "1"]) == 1
    assert capsys.readouterr().out.count("a verdict failed") == 2
    assert path.read_bytes() == before
    assert (tmp_path / "runs.txt").read_text() == "2"
