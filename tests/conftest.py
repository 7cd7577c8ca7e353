"""Test-wide guard: the workbook never reaches beyond this machine; the hostile flag site; the e2e line.

Every connection a test makes from this process must go to a loopback address (the local services) or a
Unix socket. Anything else fails loudly here instead of hanging on a network that CI does not have.

``hostile_site(plan, ...)`` starts a :class:`hostile_site.HostileSite`, a flag site that misbehaves on purpose,
and stops it when the test ends.

``make unit`` and ``make test`` say in one line that they left the browser tests out, also when pytest-xdist's
workers, not this process, did the deselecting. How the run is ordered and shared among the workers is in the
repository's top conftest.py, which ``make nbval`` loads too.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterator
from typing import Any

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
    # Every worker collects and deselects the same tests: one worker's count is the run's. A worker that
    # crashed (or that pytest-timeout ended) sends no output: xdist then reports the crash itself.
    global _e2e_deselected
    output = getattr(node, "workeroutput", {})
    _e2e_deselected = max(_e2e_deselected, output.get(_E2E_DESELECTED, 0))


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
