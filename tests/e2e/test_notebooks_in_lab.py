"""Every lesson, solutions notebook and appendix, run in JupyterLab in a real browser from the menu.

For each: the kernel is the workbook's, *Restart Kernel and Run All Cells* finishes, no cell shows an error
except those tagged ``raises-exception``, every image rendered, and the check cells print what the notebook's
kind calls for (○ in a lesson that has a solutions notebook, ✔ in a solutions notebook). A screenshot of the
whole notebook goes to ``build/e2e/``; the Run-All time goes to the summary table.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page

from support.timing import format_duration
from support.workbook.notebook_runner import KERNEL_DISPLAY_NAME

from .expectations import checks_summary, kind_of, notebooks_to_run, problems
from .lab import Lab
from .notebook_ui import (
    cell_views,
    kernel_display_name,
    open_notebook,
    restart_and_run_all,
    save_screenshot,
    wait_for_images,
)
from .report import NOTEBOOKS, ROOT, RunRecord, record

pytestmark = pytest.mark.e2e

# Far above any lesson's budget (30 s): a notebook that hangs fails here instead of stalling CI.
RUN_ALL_TIMEOUT_S = 300


def _name(path: Path) -> str:
    return path.relative_to(NOTEBOOKS).as_posix()


def _screenshot_name(path: Path) -> str:
    return _name(path).removesuffix(".ipynb").replace("/", "-") + ".png"


@pytest.mark.parametrize("notebook", notebooks_to_run(NOTEBOOKS), ids=_name)
def test_notebook_runs_all_cells_in_the_browser(
    notebook: Path, page: Page, lab: Lab, artifacts: Path
) -> None:
    name, kind = _name(notebook), kind_of(notebook, NOTEBOOKS)
    row = {
        "notebook": name,
        "kind": kind.value,
        "run_all": "-",
        "checks": "-",
        "images": 0,
        "screenshot": "-",
    }
    try:
        open_notebook(page, lab.url(name, workspace="e2e"), name)
        shown_kernel = kernel_display_name(page)
        assert shown_kernel == KERNEL_DISPLAY_NAME, f"{name} opened with kernel {shown_kernel!r}"
        seconds = restart_and_run_all(page, name, timeout_s=RUN_ALL_TIMEOUT_S)
        row["run_all"] = format_duration(seconds)
        wait_for_images(page)
        cells = cell_views(page, name)
        row["checks"] = checks_summary(kind, cells)
        row["images"] = sum(len(c.image_widths) for c in cells)
        shot = save_screenshot(page, name, artifacts / _screenshot_name(notebook))
        row["screenshot"] = shot.relative_to(ROOT).as_posix()
        found = problems(kind, cells)
        assert not found, f"{name} ({kind.value}) after Run All:\n" + "\n".join(found)
    except BaseException as failure:
        lines = str(failure).splitlines()
        reason = lines[1].strip() if len(lines) > 1 and lines[0].endswith("after Run All:") else lines[0]
        record(RunRecord(**row, verdict=f"FAILED: {reason[:100]}"))
        raise
    record(RunRecord(**row, verdict="ok"))
