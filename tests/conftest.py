"""Test-wide guard: the workbook never reaches beyond this machine; the hostile flag site; the run's order.

Every connection a test makes from this process must go to a loopback address (the local services) or a
Unix socket. Anything else fails loudly here instead of hanging on a network that CI does not have.

``hostile_site(plan, ...)`` starts a :class:`hostile_site.HostileSite`, a flag site that misbehaves on purpose,
and stops it when the test ends.

``make test`` runs the tests and nbval's notebook cells in one pytest, on several workers (pytest-xdist), in
a random order (pytest-randomly). Hooks here make that work: each notebook's cells stay together and in order
(they share one kernel, and a cell needs the ones above it); a test marked ``alone`` (and a notebook cell that
compares CPU offloading) runs while no other worker runs anything, as it times the event loop next to worker
processes that need the CPUs; and the one line saying the browser tests were left out still appears when the
workers, not this process, did the deselecting.
"""

from __future__ import annotations

import fcntl
import ipaddress
import re
import socket
import tempfile
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any, TextIO

import pytest
from hostile_site import HostileSite

# The browser tests a `-m "not e2e"` run left out: counted here, or by each xdist worker and sent back.
_E2E_DESELECTED = "e2e_deselected"
_e2e_deselected = 0

_original_connect = socket.socket.connect
_original_connect_ex = socket.socket.connect_ex


def _is_local(address: object) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX path
        return True
    host = address[0] if isinstance(address, tuple) else address
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name other than localhost: it would need DNS, which we don't do


def _check(address: object) -> None:
    if not _is_local(address):
        raise ConnectionRefusedError(f"tests may only connect to loopback, not {address!r}")


def _guarded_connect(self: socket.socket, address: object) -> None:
    _check(address)
    return _original_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    _check(address)
    return _original_connect_ex(self, address)


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)
    yield


@pytest.fixture
def hostile_site() -> Iterator[Callable[..., HostileSite]]:
    """A factory: ``hostile_site({"BR": "html"})`` is a running site; every one is stopped after the test."""
    sites: list[HostileSite] = []

    def start(plan: dict[str, str] | None = None, default: str = "ok", **options: Any) -> HostileSite:
        site = HostileSite(dict(plan or {}), default, **options).start()
        sites.append(site)
        return site

    yield start
    for site in sites:
        site.stop()


# -- the order of the run ----------------------------------------------------------------------------------


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


# -- the browser tests left out ----------------------------------------------------------------------------


def pytest_deselected(items: list[pytest.Item]) -> None:
    global _e2e_deselected
    _e2e_deselected += sum(1 for item in items if item.get_closest_marker("e2e"))


def pytest_sessionfinish(session: pytest.Session) -> None:
    # An xdist worker: its count goes back to the controlling process, which prints the summary.
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output[_E2E_DESELECTED] = _e2e_deselected


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    # Every worker collects and deselects the same tests: one worker's count is the run's.
    global _e2e_deselected
    _e2e_deselected = max(_e2e_deselected, node.workeroutput.get(_E2E_DESELECTED, 0))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    # One line when `-m "not e2e"` (make unit, make test) left the browser tests out, not when -k picked a few.
    if _e2e_deselected and "not e2e" in (config.option.markexpr or ""):
        from e2e.browser import chromium_missing

        missing = chromium_missing()
        terminalreporter.write_line(
            f"{_e2e_deselected} browser tests not run: {missing}"
            if missing
            else f"{_e2e_deselected} browser tests not run here: `make e2e` runs them"
        )


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
    fcntl.flock(gate, fcntl.LOCK_EX)
    try:
        fcntl.flock(room, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
    finally:
        if not alone:
            fcntl.flock(gate, fcntl.LOCK_UN)
    try:
        return (yield)
    finally:
        fcntl.flock(room, fcntl.LOCK_UN)
        if alone:
            fcntl.flock(gate, fcntl.LOCK_UN)
