"""The loopback-only guard in conftest.py really refuses the outside world."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest


def test_guard_refuses_a_public_address() -> None:
    with socket.socket() as sock, pytest.raises(ConnectionRefusedError, match="loopback"):
        sock.connect(("192.0.2.1", 80))


async def test_guard_refuses_asyncio_connections_too() -> None:
    with pytest.raises(OSError, match="loopback"):
        await asyncio.wait_for(asyncio.open_connection("192.0.2.1", 80), 2)


def test_guard_lets_loopback_through() -> None:
    with (
        socket.create_server(("127.0.0.1", 0)) as server,
        socket.create_connection(server.getsockname(), timeout=2),
    ):
        pass


def test_http_clients_cannot_leave_the_machine() -> None:
    with pytest.raises(httpx.ConnectError, match="loopback"):
        httpx.get("http://192.0.2.1/", timeout=2)
