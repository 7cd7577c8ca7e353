"""A flag site that misbehaves on purpose, for testing the clients: real HTTP/1.1 over real sockets.

:class:`HostileSite` listens on 127.0.0.1 (a free port) in a thread of its own, so synchronous clients,
asyncio clients and CLI subprocesses all talk to it alike. It serves the flag site's layout,
``/flags/<cc>/<cc>.gif`` and ``/flags/<cc>/metadata.json``, and answers each country code the way its
``plan`` says (``default`` for the codes it does not name):

================== =========================================================================================
``ok``             a real GIF, and ``{"country": "Country <CC>"}`` as metadata
``html``           200 with an HTML error page, for the image and the metadata alike
``gif_label``      200 labelled ``image/gif`` whose body is an HTML page: only the GIF signature gives it away
``garbage``        bytes that are not HTTP at all, then the connection is closed
``truncated``      a Content-Length of 1,000 and 100 bytes of body, then the connection is closed
``trickle``        headers at once, then the body one byte every ``trickle_interval`` seconds
``trickle_meta``   a real GIF at once; the metadata as ``trickle`` (a stall in flags3's second request)
``meta:<case>``    a real GIF, and one of :data:`BAD_METADATA` as metadata
================== =========================================================================================

Every answer waits ``delay`` seconds first (default 0), so that requests overlap as they would over a network.

Every answer is logged (:attr:`HostileSite.log`): path, behaviour, which connection it came on, bytes of
body sent, and whether the client hung up before the body was complete. Tests check the clients against that log, not against the
clients' own counts. Use it as a context manager, or ``start()``/``stop()``.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Self

__all__ = ["BAD_METADATA", "GIF", "HostileSite", "Served"]

# A real 1x1 GIF (43 bytes): what a well-behaved flag looks like.
GIF = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")
HTML_PAGE = b"<!doctype html><html><body><h1>Service unavailable</h1></body></html>\n"

#: Metadata a trusting client chokes on, by case name (``meta:<case>`` in a plan).
BAD_METADATA: dict[str, bytes] = {
    "list": b"[]",
    "string": b'"a string"',
    "null": b'{"country": null}',
    "number": b'{"country": 5}',
    "missing": b'{"name": "Brazil"}',
    "not_json": b"<html>not JSON</html>",
    "not_utf8": b'{"country": "\xff\xfe"}',
    "deep": b"[" * 100_000 + b"]" * 100_000,
    "long_name": json.dumps({"country": "A" * 10_000}).encode(),
    "traversal": json.dumps({"country": "../../../etc/passwd"}).encode(),
    "backslash": json.dumps({"country": "..\\..\\windows"}).encode(),
    "no_letters": json.dumps({"country": "!!!"}).encode(),
    "empty": json.dumps({"country": ""}).encode(),
}
BEHAVIOURS = ("ok", "html", "gif_label", "garbage", "truncated", "trickle", "trickle_meta") + tuple(
    f"meta:{case}" for case in BAD_METADATA
)


@dataclass
class Served:
    """One answer, as the site saw it."""

    path: str
    behaviour: str
    connection: int
    start: float
    end: float = 0.0
    body_sent: int = 0
    body_size: int = 0
    client_hung_up: bool = False

    @property
    def cc(self) -> str:
        return self.path.split("/")[2].upper()


@dataclass
class HostileSite:
    """A misbehaving flag site on 127.0.0.1; ``plan`` maps an upper-case country code to a behaviour."""

    plan: dict[str, str] = field(default_factory=dict)
    default: str = "ok"
    trickle_interval: float = 0.2
    delay: float = 0.0
    log: list[Served] = field(default_factory=list)
    port: int = 0

    def __post_init__(self) -> None:
        for behaviour in [self.default, *self.plan.values()]:
            if behaviour not in BEHAVIOURS:
                raise ValueError(f"unknown behaviour {behaviour!r}; one of {', '.join(BEHAVIOURS)}")
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="hostile-site", daemon=True)
        self._server: asyncio.Server | None = None
        self._connections = 0
        self.open_connections = 0  # connections the clients still hold open

    @property
    def url(self) -> str:
        """The base URL the clients take, e.g. ``http://127.0.0.1:40123/flags``."""
        return f"http://127.0.0.1:{self.port}/flags"

    def start(self) -> Self:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(5)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        if self._server is not None:
            asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def served(self, cc: str) -> list[Served]:
        """What the site answered for ``cc``'s requests, in order."""
        return [entry for entry in self.log if entry.cc == cc.upper()]

    def wait_until(self, condition: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Poll ``condition`` (about the log) until it holds or ``timeout`` passes; what it last said."""
        deadline = time.monotonic() + timeout
        while not (holds := condition()) and time.monotonic() < deadline:
            time.sleep(0.02)
        return holds

    # --- the server, in its own thread and loop ---------------------------------------------------------

    async def _listen(self) -> asyncio.Server:
        return await asyncio.start_server(self._connection, "127.0.0.1", 0)

    async def _close(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in asyncio.all_tasks() - {asyncio.current_task()}:
            task.cancel()  # connections still open, trickles still dripping
        await self._server.wait_closed()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._connections += 1
        self.open_connections += 1
        connection = self._connections
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                target = head.split(b"\r\n", 1)[0].split(b" ")[1].decode("latin-1")
                if not await self._answer(target, connection, reader, writer):
                    break
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, IndexError):
            pass  # the client went away, or sent something that is not a request
        finally:
            self.open_connections -= 1
            writer.close()

    async def _answer(
        self, path: str, connection: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        """Answer one request; False when the connection must be closed afterwards."""
        parts = path.split("/")  # "", "flags", cc, file
        if len(parts) != 4 or parts[1] != "flags":
            await _respond(writer, 404, "text/plain", b"no such path\n")
            return True
        cc, is_metadata = parts[2].upper(), parts[3] == "metadata.json"
        behaviour = self.plan.get(cc, self.default)
        entry = Served(path, behaviour, connection, time.time())
        self.log.append(entry)
        try:
            await asyncio.sleep(self.delay)
            return await self._misbehave(entry, cc, is_metadata, reader, writer)
        finally:
            entry.end = time.time()

    async def _misbehave(
        self,
        entry: Served,
        cc: str,
        is_metadata: bool,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> bool:
        behaviour = entry.behaviour
        good = (
            ("application/json", json.dumps({"country": f"Country {cc}"}).encode())
            if is_metadata
            else ("image/gif", GIF)
        )
        if behaviour == "garbage":
            writer.write(random.Random(cc).randbytes(512))
            await writer.drain()
            return False
        if behaviour == "html":
            content_type, body = "text/html", HTML_PAGE
        elif behaviour == "gif_label" and not is_metadata:
            content_type, body = "image/gif", HTML_PAGE
        elif behaviour.startswith("meta:") and is_metadata:
            content_type, body = "application/json", BAD_METADATA[behaviour.removeprefix("meta:")]
        else:
            content_type, body = good
        if behaviour == "truncated":
            body = (body * 100)[:1000]
            entry.body_size = len(body)
            await _respond(writer, 200, content_type, body[:100], length=len(body), close=True)
            entry.body_sent = 100
            return False
        entry.body_size = len(body)
        if behaviour == "trickle" or (behaviour == "trickle_meta" and is_metadata):
            await self._trickle(entry, content_type, body, reader, writer)
            return False
        await _respond(writer, 200, content_type, body)
        entry.body_sent = len(body)
        return True

    async def _trickle(
        self,
        entry: Served,
        content_type: str,
        body: bytes,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        await _respond(writer, 200, content_type, b"", length=len(body), close=True)
        hung_up = asyncio.ensure_future(reader.read(1))  # b"" when the client closes its end
        try:
            for byte in body:
                if hung_up.done():
                    entry.client_hung_up = True
                    return
                writer.write(bytes([byte]))
                await writer.drain()
                entry.body_sent += 1
                await asyncio.wait([hung_up], timeout=self.trickle_interval)
        except ConnectionError:
            entry.client_hung_up = True
        finally:
            hung_up.cancel()


async def _respond(
    writer: asyncio.StreamWriter,
    status: int,
    content_type: str,
    body: bytes,
    *,
    length: int | None = None,
    close: bool = False,
) -> None:
    reason = {200: "OK", 404: "Not Found"}[status]
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: {content_type}\r\n"
        f"content-length: {len(body) if length is None else length}\r\n"
        f"connection: {'close' if close else 'keep-alive'}\r\n\r\n"
    )
    writer.write(head.encode("latin-1") + body)
    await writer.drain()
