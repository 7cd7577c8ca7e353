"""Re-execute notebooks from a fresh kernel and store their outputs (``make notebooks``).

Stored outputs are what strict nbval compares against and what readers see on a code host, so they must
come from a clean top-to-bottom run, never from hand edits. This runner gives every notebook a new kernel
(the current environment's Python), runs it in its own folder, lets only cells tagged ``raises-exception``
fail, drops per-run noise (execution timestamps), and writes the notebook back only when the run succeeded.
Every notebook it writes also gets slide metadata where a cell has none (:mod:`support.workbook.slides`), so
each lesson presents as slides (RISE, ``make slides``) without anyone setting it cell by cell.
It reports each notebook's time and its slowest cell, the numbers the "no cell over 5 s" rule is about.

A lesson whose own measured verdicts failed (a ``⚠`` line, :mod:`support.verdict`: say a speed-up that a busy
machine did not show) is not stored: the runner says so and runs it again, up to ``--retries`` times, then gives
up on it with status 1. Stored outputs come from a quiet machine, or not at all.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from support.verdict import failed_verdicts
from support.workbook import slides

__all__ = ["VerdictFailed", "run_notebook", "main"]

KERNEL_NAME = "python3"
# What `make lab` registers (Makefile: KERNEL_DISPLAY_NAME): stored as is, saving from the lab leaves no diff.
KERNEL_DISPLAY_NAME = "Python 3 (async workbook)"
SLOW_CELL = 5.0  # seconds: the workbook's limit for one cell in class


def _kernel_manager() -> KernelManager:
    # The kernel is this interpreter, whatever kernelspecs the user has installed elsewhere.
    manager = KernelManager(kernel_name=KERNEL_NAME)
    spec = manager.kernel_spec  # looked up once and kept: the command set here is the one launched
    if spec is not None:
        spec.argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    return manager


class VerdictFailed(Exception):
    """A cell printed a failed verdict (``⚠ ...``): the run is not stored."""

    def __init__(self, cell: int, lines: list[str]) -> None:
        super().__init__(f"cell #{cell}: {lines[0]}")
        self.cell, self.lines = cell, lines


def _failed_verdicts(nb: nbformat.NotebookNode) -> tuple[int, list[str]] | None:
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        text = "".join(out.get("text", "") for out in cell.outputs if out.get("output_type") == "stream")
        if lines := failed_verdicts(text):
            return index, lines
    return None


def run_notebook(path: Path, timeout: int = 120) -> tuple[float, float, int]:
    """Execute ``path`` and store it in place; return (total seconds, slowest cell seconds, index of that cell).

    Raises :class:`VerdictFailed`, storing nothing, when a cell printed a failed verdict.
    """
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cell.metadata.pop("execution", None)
    nb.metadata["kernelspec"] = {
        "name": KERNEL_NAME,
        "display_name": KERNEL_DISPLAY_NAME,
        "language": "python",
    }
    client = NotebookClient(
        nb,
        km=_kernel_manager(),
        timeout=timeout,
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=True,
    )
    started = time.perf_counter()
    client.execute()
    total = time.perf_counter() - started
    if failed := _failed_verdicts(nb):
        raise VerdictFailed(*failed)
    slowest, slowest_index = 0.0, -1
    for index, cell in enumerate(nb.cells):
        timing = cell.metadata.pop("execution", None)
        if timing and "shell.execute_reply" in timing and "iopub.execute_input" in timing:
            seconds = _seconds_between(timing["iopub.execute_input"], timing["shell.execute_reply"])
            if seconds > slowest:
                slowest, slowest_index = seconds, index
    nb.metadata.get("language_info", {}).pop("version", None)  # differs per interpreter, says nothing
    slides.annotate(nb)  # after the run: whether a cell draws a picture decides if it is a fragment
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return total, slowest, slowest_index


def _seconds_between(start: str, end: str) -> float:
    from datetime import datetime

    return (
        datetime.fromisoformat(end.replace("Z", "+00:00"))
        - datetime.fromisoformat(start.replace("Z", "+00:00"))
    ).total_seconds()


def _run_until_verdicts_hold(path: Path, timeout: int, retries: int) -> tuple[float, float, int] | None:
    """Run ``path`` until no verdict fails, at most ``retries`` more times; None when it never got there."""
    for attempt in range(retries + 1):
        try:
            return run_notebook(path, timeout)
        except VerdictFailed as exc:
            again = attempt < retries
            print(f"{path}: a verdict failed, {exc}; " + ("running it again" if again else "not written"))
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path, help="notebooks to execute, in order")
    parser.add_argument("--timeout", type=int, default=120, help="seconds allowed for one cell (default 120)")
    parser.add_argument(
        "--retries", type=int, default=2, help="runs again after a failed verdict (default 2)"
    )
    args = parser.parse_args(argv)
    failed = 0
    for path in args.notebooks:
        try:
            outcome = _run_until_verdicts_hold(path, args.timeout, args.retries)
        except CellExecutionError as exc:
            failed += 1
            print(f"{path}: FAILED (not written)")
            print(str(exc)[-3000:], file=sys.stderr)
            continue
        if outcome is None:
            failed += 1
            continue
        total, slowest, index = outcome
        flag = "  <- over the 5 s limit" if slowest > SLOW_CELL else ""
        print(f"{path}: {total:.1f} s, slowest cell #{index} {slowest:.1f} s{flag}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
