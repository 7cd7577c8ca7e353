"""A learner presses the toolbar's stop button on a cell stuck in ``await``: it ends at once, variables kept.

This is ipykernel's issue #881 as a learner meets it: without the workbook's kernel start-up
(support/workbook/kernel_interrupt.py) the button seems to do nothing and the cell runs out its full sleep.
tests/test_kernel_interrupt.py checks the same thing without a browser, for more kinds of stuck await.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from .lab import Lab
from .notebook_ui import open_notebook, run_cell_and_advance, save_screenshot, shown_output

pytestmark = pytest.mark.e2e

# From the click to the error shown in the page: the kernel's 1 s, plus the server and the page's own
# round trip (the page is polled every 50 ms).
INTERRUPT_WITHIN_S = 1.5
WAITING = "waiting now"
PATH = "interrupt/stuck_await.ipynb"

# The stuck cell has ended, for the page: its model left the running state with an error output. False, not
# an exception, while the page has no such panel (JupyterLab still starting up).
_PANEL = (
    "[...(window.jupyterapp?.shell.widgets('main') ?? [])].find(w => w.context && w.context.path === path)"
)
_STUCK_CELL_FAILED = f"""([path, index]) => {{
    const cell = ({_PANEL})?.content.widgets[index];
    return !!cell && cell.model.executionState === 'idle'
        && cell.model.outputs.toJSON().some(o => o.output_type === 'error');
}}"""
_ERROR_NAME = f"""([path, index]) => {{
    const cell = ({_PANEL})?.content.widgets[index];
    const error = cell?.model.outputs.toJSON().find(o => o.output_type === 'error');
    return error ? error.ename : null;
}}"""


def _write_notebook(root: Path, token: str) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [
        nbformat.v4.new_code_cell(f"kept = {token!r}"),
        nbformat.v4.new_code_cell(f"import asyncio\nprint({WAITING!r})\nawait asyncio.sleep(60)"),
        nbformat.v4.new_code_cell("print(kept)"),
    ]
    path = root / PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)


def test_stop_button_ends_a_stuck_await_within_a_second(page: Page, lab: Lab, artifacts: Path) -> None:
    token = secrets.token_hex(8)
    _write_notebook(lab.root, token)
    open_notebook(page, lab.url(PATH, workspace="e2e-interrupt"), PATH)
    cells = page.locator(".jp-Notebook .jp-Cell")

    cells.nth(0).locator(".cm-content").click()
    run_cell_and_advance(page)  # kept = ...
    run_cell_and_advance(page)  # the stuck cell
    cells.nth(1).locator(".jp-Cell-outputArea").filter(has_text=WAITING).wait_for(timeout=30_000)
    page.wait_for_timeout(300)  # the kernel's loop is asleep in select now

    started = time.monotonic()
    page.locator('.jp-NotebookPanel-toolbar [data-jp-item-name="interrupt"] button').click()
    try:
        page.wait_for_function(_STUCK_CELL_FAILED, arg=[PATH, 1], timeout=10_000, polling=50)
    except PlaywrightTimeoutError:
        save_screenshot(page, PATH, artifacts / "interrupt-stuck-await.png")
        pytest.fail("the stuck cell still runs 10 s after the stop button (ipykernel issue #881)")
    took = time.monotonic() - started
    print(f"stop button to the cell's error in the page: {took:.2f} s")
    save_screenshot(page, PATH, artifacts / "interrupt-stuck-await.png")

    assert took < INTERRUPT_WITHIN_S, f"the cell ended {took:.2f} s after the stop button"
    assert page.evaluate(_ERROR_NAME, [PATH, 1]) in {"CancelledError", "KeyboardInterrupt"}

    cells.nth(2).locator(".cm-content").click()
    run_cell_and_advance(page)  # print(kept): the kernel kept its state
    cells.nth(2).locator(".jp-Cell-outputArea").filter(has_text=token).wait_for(timeout=10_000)
    assert token in shown_output(page, 2)
