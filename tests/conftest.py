"""Test-wide guard: the workbook never reaches beyond this machine; and the hostile flag site.

Every connection a test makes from this process must go to a loopback address (the local services) or a
Unix socket. Anything else fails loudly here instead of hanging on a network that CI does not have.

``hostile_site(plan, ...)`` starts a :class:`hostile_site.HostileSite`, a flag site that misbehaves on purpose,
and stops it when the test ends.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hostile_site import HostileSite

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
