"""The notebook runner: executes from a fresh kernel and writes the notebook with its slide metadata."""

from __future__ import annotations

from pathlib import Path

import nbformat
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
