"""What a learner does with a notebook in JupyterLab, done in the page: open, run from the menu, type.

Actions go through the UI a learner uses (the menu bar, the dialog, the code editor, Shift+Enter). What the
page then shows is read from the DOM, with JupyterLab's own notebook model (exposed by the test lab) to tell
an error output from a warning on stderr, which look alike on screen.
"""

from __future__ import annotations

import time
from pathlib import Path

from playwright.sync_api import Page

from .expectations import CellView

__all__ = [
    "cell_views",
    "kernel_display_name",
    "open_notebook",
    "replace_cell_source",
    "restart_and_run_all",
    "run_cell_and_advance",
    "save_screenshot",
    "shown_output",
    "wait_for_images",
]

RUN_ALL_ITEM = "Restart Kernel and Run All Cells…"
OPEN_TIMEOUT_MS = 90_000

# The notebook panel showing `path` (JupyterLab's widget), found among the main area's tabs; undefined, not an
# error, while the page has not exposed the app yet (a slow start: Playwright gives up on a predicate that throws).
_PANEL = """(path) => [...(window.jupyterapp?.shell.widgets('main') ?? [])]
    .find(w => w.context && w.context.path === path)"""


def _panel_js(body: str) -> str:
    return f"(path) => {{ const panel = ({_PANEL})(path); {body} }}"


def open_notebook(page: Page, url: str, path: str) -> None:
    """Load JupyterLab on ``url`` and wait until ``path`` shows its cells with its kernel idle."""
    page.goto(url)
    page.wait_for_function(
        _panel_js("return !!panel && panel.content.widgets.length > 0 && panel.context.isReady;"),
        arg=path,
        timeout=OPEN_TIMEOUT_MS,
    )
    page.wait_for_function(
        _panel_js("const k = panel.sessionContext; return !!k.session && k.kernelDisplayStatus === 'idle';"),
        arg=path,
        timeout=OPEN_TIMEOUT_MS,
    )


def kernel_display_name(page: Page) -> str:
    """The kernel's name as the notebook's toolbar shows it."""
    return page.locator(".jp-NotebookPanel-toolbar .jp-Toolbar-kernelName").first.inner_text().strip()


# Follows Run All in JupyterLab's notebook model: a code cell is queued when its model enters the "running"
# state, and has run when a new execution count arrives for it. Not the [*] prompts: a cell whose source is
# hidden shows no prompt, and after a raises-exception cell the model reports the rest idle while the kernel
# is still running them; their execution counts still arrive one by one.
_WATCH_RUN = _panel_js("""
    for (const [model, listener] of window.__e2eListeners || []) { model.stateChanged.disconnect(listener); }
    window.__e2eListeners = [];
    window.__e2eQueued = 0;
    for (const cell of panel.content.widgets) {
        delete cell.node.dataset.e2eQueued;
        delete cell.node.dataset.e2eRan;
        if (cell.model.type !== 'code') { continue; }
        const listener = (model, change) => {
            const data = cell.node.dataset;
            if (change.name === 'executionState' && change.newValue === 'running' && !data.e2eQueued) {
                data.e2eQueued = '1';
                window.__e2eQueued++;
            }
            if (change.name === 'executionCount' && change.newValue && data.e2eQueued) { data.e2eRan = '1'; }
        };
        cell.model.stateChanged.connect(listener);
        window.__e2eListeners.push([cell.model, listener]);
    }
""")

# Finished: the kernel is idle and every queued cell has run, up to the first cell that failed without being
# tagged raises-exception (Run All stops there).
_RUN_FINISHED = _panel_js("""
    if (!window.__e2eQueued || panel.sessionContext.kernelDisplayStatus !== 'idle') { return false; }
    for (const cell of panel.content.widgets) {
        if (!cell.node.dataset.e2eQueued) { continue; }
        if (!cell.node.dataset.e2eRan) { return false; }
        const tags = cell.model.getMetadata('tags') || [];
        const failed = cell.model.outputs.toJSON().some(o => o.output_type === 'error');
        if (failed && !tags.includes('raises-exception')) { return true; }
    }
    return true;
""")


def restart_and_run_all(page: Page, path: str, timeout_s: float) -> float:
    """Kernel → Restart Kernel and Run All Cells…, confirm, wait until every cell is done; the seconds taken
    from the confirming click to idle."""
    page.evaluate(_WATCH_RUN, path)
    page.locator(".lm-MenuBar-itemLabel", has_text="Kernel").click()
    page.get_by_role("menuitem", name=RUN_ALL_ITEM).click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for()
    started = time.monotonic()
    dialog.locator(".jp-mod-accept").click()
    page.wait_for_function(_RUN_FINISHED, arg=path, timeout=timeout_s * 1000, polling=100)
    return time.monotonic() - started


_CELLS = _panel_js("""
    return panel.content.widgets.map((cell, index) => {
        const json = cell.model.toJSON();
        const outputs = json.outputs || [];
        const area = cell.node.querySelector('.jp-Cell-outputArea');
        const source = Array.isArray(json.source) ? json.source.join('') : json.source;
        return {
            index,
            cell_type: json.cell_type,
            source,
            tags: (json.metadata && json.metadata.tags) || [],
            ran: cell.node.dataset.e2eRan === '1',
            errors: outputs.filter(o => o.output_type === 'error').map(o => `${o.ename}: ${o.evalue}`),
            image_outputs: outputs.filter(
                o => o.data && Object.keys(o.data).some(k => k.startsWith('image/'))).length,
            shown_text: area ? area.innerText : '',
            image_widths: [...cell.node.querySelectorAll('img')].map(i => i.complete ? i.naturalWidth : 0),
        };
    });
""")


def wait_for_images(page: Page, timeout_s: float = 30) -> None:
    """Give every <img> in the notebook the time to load or fail (a failed one stays at width 0)."""
    page.wait_for_function(
        "() => [...document.querySelectorAll('.jp-Notebook img')].every(i => i.complete)",
        timeout=timeout_s * 1000,
    )


def cell_views(page: Page, path: str) -> list[CellView]:
    """Every cell of the open notebook, as the page shows it now."""
    raw = page.evaluate(_CELLS, path)
    return [
        CellView(
            **{
                **cell,
                "tags": tuple(cell["tags"]),
                "errors": tuple(cell["errors"]),
                "image_widths": tuple(cell["image_widths"]),
            }
        )
        for cell in raw
    ]


def save_screenshot(page: Page, path: str, target: Path, max_height: int = 32_000) -> Path:
    """The whole notebook in one picture: the window is made as tall as the notebook, then shot.

    JupyterLab scrolls the notebook inside its own panel, so a "full page" screenshot would show one
    screenful; a window as tall as the cells shows them all (up to ``max_height`` pixels).
    """
    height = page.evaluate(
        _panel_js("""
            const cells = panel.content.node.querySelector('.jp-WindowedPanel-inner') || panel.content.node;
            return cells.scrollHeight + panel.content.node.getBoundingClientRect().top + 120;
        """),
        path,
    )
    viewport = page.viewport_size or {"width": 1280, "height": 900}
    page.set_viewport_size({"width": viewport["width"], "height": min(int(height), max_height)})
    page.evaluate(
        _panel_js(
            "panel.content.node.querySelectorAll('.jp-WindowedPanel-outer').forEach(e => e.scrollTop = 0);"
        ),
        path,
    )
    page.wait_for_timeout(500)  # a layout pass at the new size
    target.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target))
    page.set_viewport_size(viewport)
    return target


def replace_cell_source(page: Page, path: str, index: int, code: str) -> str:
    """Click into cell ``index``'s editor, select all, and type ``code`` as a learner would.

    The editor indents new lines by itself; each line's own indentation replaces what it inserted
    (Shift+Home selects it), so the cell ends up with exactly ``code``. Returns the cell's source after.
    """
    cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
    editor = cell.locator(".cm-content")
    editor.scroll_into_view_if_needed()
    editor.click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.press("Delete")
    for number, line in enumerate(code.rstrip("\n").split("\n")):
        if number:
            page.keyboard.press("Enter")
            page.keyboard.press("Shift+Home")  # the indentation the editor added, if any
        page.keyboard.type(line if line.strip() else "")
    return page.evaluate(
        _panel_js(f"return panel.content.widgets[{index}].model.sharedModel.getSource();"),
        path,
    )


def run_cell_and_advance(page: Page) -> None:
    """Shift+Enter: run the selected cell and select the next one."""
    page.keyboard.press("Shift+Enter")


def shown_output(page: Page, index: int) -> str:
    """The text cell ``index``'s output area shows."""
    return page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".jp-Cell-outputArea").inner_text()
