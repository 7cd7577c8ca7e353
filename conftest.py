"""How pytest runs this repository's tests and notebooks on pytest-xdist's workers, in a random order.

``make test`` runs the tests and nbval's notebook cells in one pytest, on several workers, in a random order
(pytest-randomly); ``make unit`` and ``make nbval`` run each half alone, also on workers. This file sits at the
top so that every one of them loads it (tests/conftest.py only loads when tests/ is collected). Two hooks:

- each notebook's cells stay together and in their order, where pytest-randomly shuffled them: they share
  one kernel, and a cell needs the ones above it (``--dist loadfile`` then gives a notebook to one worker);
- a test marked ``alone``, and a notebook cell that compares CPU offloading, runs while no other worker runs
  anything: it times the event loop next to worker processes, which need free CPUs.

And one setting: Ctrl-C works in every program a test starts, however pytest itself was started.
"""

from __future__ import annotations

import fcntl
import re
import signal
import sys
import tempfile
import time
from collections.abc import Generator
from pathlib import Path
from typing import TextIO

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # A run started in the background (`make test &` in a script, nohup, some CI runners) inherits an ignored
    # SIGINT, and so does every program a test starts: asyncio.run then installs no handler, Ctrl-C does
    # nothing, and the tests that press it on a command fail. Python's own handler, as in a terminal.
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _notebook(item: pytest.Item) -> str | None:
    """The notebook an nbval cell belongs to (its path, before ``::``), or None for any other test."""
    return item.nodeid.partition("::")[0] if hasattr(item, "cell_num") and ".ipynb" in item.nodeid else None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each notebook's cells together and in their own order, where pytest-randomly shuffled them.

    pytest-randomly shuffles items within a module, and nbval's cells have no module: without this, cells of
    different notebooks would interleave (a kernel started and stopped for each run of cells) and run out
    of order. Notebooks still come in the seed's order (each where its first cell landed); other tests are
    left where they are. pytest-randomly's hook is a wrapper: it has shuffled the items before this runs.
    Under ``--dist loadfile`` (make test) a worker then gets a whole notebook, its cells in this order.
    """
    cells: dict[str, list[pytest.Item]] = {}
    for item in items:
        notebook = _notebook(item)
        if notebook is not None:
            cells.setdefault(notebook, []).append(item)
    if not cells:
        return
    ordered: list[pytest.Item] = []
    for item in items:
        notebook = _notebook(item)
        if notebook is None:
            ordered.append(item)
        elif notebook in cells:
            ordered.extend(sorted(cells.pop(notebook), key=lambda cell: cell.cell_num))  # type: ignore[attr-defined]
    items[:] = ordered


# -- tests that need the CPUs to themselves ----------------------------------------------------------------

# Notebook cells that time the event loop next to a process pool or a Dask cluster, found by their source:
# notebooks carry no pytest marks.
_ALONE_CELLS = re.compile(r"\bcpu_offload\.compare\(")
_alone_files: tuple[TextIO, TextIO] | None = None


def _runs_alone(item: pytest.Item) -> bool:
    if item.get_closest_marker("alone"):
        return True
    cell = getattr(item, "cell", None)
    return _notebook(item) is not None and bool(_ALONE_CELLS.search(getattr(cell, "source", "") or ""))


def _lock_files(config: pytest.Config) -> tuple[TextIO, TextIO]:
    """A gate and a room, two files every worker of this run opens: ``flock`` on them is the lock."""
    global _alone_files
    if _alone_files is None:
        run = config.workerinput["testrunuid"]  # type: ignore[attr-defined]
        folder = Path(tempfile.gettempdir())
        _alone_files = (
            open(folder / f"workbook-tests-{run}.gate", "a"),
            open(folder / f"workbook-tests-{run}.room", "a"),
        )
    return _alone_files


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    """Under xdist, a test that runs ``alone`` has the room to itself; every other test shares it.

    A readers-writer lock across the workers: each test passes the gate, then holds the room shared for its
    setup, call and teardown; a test that runs alone keeps the gate shut (no test starts meanwhile) until
    the tests already in the room have left, then holds the room alone. Without workers it does nothing.
    """
    if not hasattr(item.config, "workerinput"):
        return (yield)
    gate, room = _lock_files(item.config)
    alone = _runs_alone(item)
    held = _flock_within(gate, fcntl.LOCK_EX, item)
    try:
        held += _flock_within(room, fcntl.LOCK_EX if alone else fcntl.LOCK_SH, item)
    finally:
        if not alone and gate in held:
            fcntl.flock(gate, fcntl.LOCK_UN)
            held.remove(gate)
    try:
        return (yield)
    finally:
        for file in held:
            fcntl.flock(file, fcntl.LOCK_UN)


# Longer than any one test runs (pytest-timeout ends those at 180 s): a wait this long means a stuck test.
_LOCK_WAIT_S = 240.0


def _flock_within(file: TextIO, how: int, item: pytest.Item) -> list[TextIO]:
    """``flock`` within ``_LOCK_WAIT_S``: ``[file]`` once held, or ``[]`` and a warning after that wait.

    pytest-timeout's clock starts inside this hook, so a wait here is not timed by it; without a limit, a
    worker stuck behind another would hold up the whole run until CI's own limit. Going ahead unlocked costs
    at most a timing check that fails under load, and the warning says why.
    """
    deadline = time.monotonic() + _LOCK_WAIT_S
    while True:
        try:
            fcntl.flock(file, how | fcntl.LOCK_NB)
            return [file]
        except BlockingIOError:
            if time.monotonic() > deadline:
                sys.stderr.write(
                    f"\nconftest: {item.nodeid} waited {_LOCK_WAIT_S:.0f} s for {file.name}; runs unlocked\n"
                )
                return []
            time.sleep(0.02)
