"""Serve an ASGI app with uvicorn on a loopback socket, hardened against the clients a classroom produces.

uvicorn speaks HTTP/1.1 and runs the app; :func:`serve` adds what a teaching server needs and uvicorn's options
do not offer. The HTTP parser is httptools (llhttp, in C), not h11: a burst of thousands of connections is
the lessons' subject, and with h11's pure-Python parsing and framing the server spent about three times the
CPU per request of a bare ``asyncio.start_server`` (``benchmarks/bench_flag_site.py`` measures that ratio).

Header deadline
    A connection must deliver a complete request line and headers within :data:`HEADER_TIMEOUT` seconds of
    opening, and again after each response, or it is closed. uvicorn only times out a keep-alive connection
    that has been idle since a response, and any byte restarts that timer, so a client that connects and
    says nothing, stops halfway through the request line, or trickles its headers a byte at a time
    (slowloris) held a socket for ever. The deadline is a total, not an idle timer: trickling does not
    extend it. A request being answered (a delayed or stalled one) is never cut by it.
Running out of file descriptors
    Each connection is a descriptor. Once they run out, ``accept()`` fails with EMFILE; asyncio's accept
    loop then logs a traceback, pauses accepting for a second, and (a CPython bug, gh-151615, fixed only in
    later releases) keeps calling ``accept()`` up to ``backlog`` times anyway, logging and rescheduling each
    time: 2048 tracebacks a tick, a core spinning. The listening socket here (:class:`_Listener`) ends that
    loop at the first EMFILE, so asyncio's one-second pause is all that happens; the report is one line (at
    most one a second), and accepting resumes by itself once descriptors are free. At start-up the soft
    open-file limit is raised to the hard one.
Malformed requests
    A body that breaks HTTP (an invalid chunk, say) arrives while the app may already be answering the
    request: uvicorn answers 400 and closes. Here the app's answer is discarded quietly, and the log keeps
    uvicorn's one line, "Invalid HTTP request received."; when the answer has already gone out, the
    connection is simply closed. Request targets and headers over ``max_header_bytes`` in total get 431,
    whether they arrive in one read or trickle in (httptools buffers an unfinished header with no limit of
    its own, so the bytes are counted as they arrive). An HTTP/1.1 request without exactly one ``Host``
    header gets 400, as h11 would answer (httptools lets it through).
Dropping a connection on purpose
    ``scope["extensions"][ABORT]()`` closes the connection without an answer, for servers that teach what
    clients must survive.

Why extend uvicorn instead of putting a proxy in front or choosing another server: the flag site already
subclasses uvicorn's ``HttpToolsProtocol`` for the abort extension, and the header deadline is one timer in
that subclass. A proxy in front (nginx's ``client_header_timeout``) would be a second process to start and stop
and a second hop inside every timing the lessons plot; Hypercorn's ``read_timeout`` restarts on every read
(no help against trickling); Granian's header timeout is Rust, out of reach of the abort extension. The
price is a dependency on uvicorn's internals: ``pyproject.toml`` bounds its version, and a test checks that
every method overridden here still exists upstream.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import functools
import gc
import logging
import math
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

from support.lab import services
from support.open_files import raise_open_file_limit

__all__ = ["ABORT", "BACKLOG", "HEADER_TIMEOUT", "OVERRIDDEN", "serve"]

#: Seconds a connection gets to send a complete request line and headers (from opening, or from the last
#: response). Loopback clients send theirs in microseconds; only a stuck or hostile client needs more.
HEADER_TIMEOUT = 5.0
#: Scope extension: call it to close this connection without answering.
ABORT = "workbook.abort"
#: uvicorn HttpToolsProtocol methods the protocol here overrides (checked against each uvicorn upgrade by a test).
OVERRIDDEN = (
    "connection_made",
    "connection_lost",
    "data_received",
    "on_headers_complete",
    "on_message_complete",
    "on_response_complete",
    "send_400_response",
)

#: Listen backlog: a burst of thousands of connects must queue in the kernel, not be refused or retried. Linux
#: caps it at ``net.core.somaxconn`` (4096 on current kernels).
BACKLOG = 8192
_MAX_HEADER_BYTES = 16 * 1024
_TOO_LARGE_BODY = b"Request Header Fields Too Large\n"
_TOO_LARGE_HEADERS = [
    (b"content-type", b"text/plain; charset=utf-8"),
    (b"content-length", str(len(_TOO_LARGE_BODY)).encode()),
    (b"connection", b"close"),
]
# The same answer, written by the protocol itself when the headers outgrow the limit before they are complete.
_TOO_LARGE = b"HTTP/1.1 431 Request Header Fields Too Large\r\n%s\r\n%s" % (
    b"".join(b"%s: %s\r\n" % header for header in _TOO_LARGE_HEADERS),
    _TOO_LARGE_BODY,
)
_OUT_OF_DESCRIPTORS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
_ACCEPT_MESSAGE = "socket.accept() out of system resource"  # what asyncio's accept loop reports
_log = logging.getLogger("uvicorn.error")


# --- the listening socket ----------------------------------------------------------------------------------


class _Listener(socket.socket):
    """A listening socket whose ``accept()`` stops asyncio's accept loop at the first out-of-descriptors error.

    asyncio removes the socket's reader and retries a second later, but goes on calling ``accept()`` for the
    rest of its loop; those extra calls get ``BlockingIOError`` here, which ends the loop quietly.
    """

    resting = False

    def accept(self) -> tuple[socket.socket, Any]:
        if self.resting:
            raise BlockingIOError(errno.EAGAIN, "not accepting until descriptors free up")
        try:
            return super().accept()
        except OSError as exc:
            if exc.errno in _OUT_OF_DESCRIPTORS:
                self.resting = True
                # Runs after asyncio's accept loop, which this call is part of, has ended.
                asyncio.get_running_loop().call_soon(setattr, self, "resting", False)
            raise


def _listen(host: str, port: int) -> socket.socket:
    # Saying IPPROTO_TCP (not 0) matters: asyncio only turns Nagle off for sockets that say so, and with Nagle
    # every keep-alive response waits 40 ms for the client's delayed ACK.
    sock = _Listener(services.socket_family(host), socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except OSError:
        sock.close()
        raise
    return sock


class _AcceptReport:
    """The loop's exception handler: out-of-descriptors becomes one line, at most one a second."""

    def __init__(self) -> None:
        self.last = -math.inf  # the first report is always printed
        self.quiet = 0  # reports not printed since the last line

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if context.get("message") != _ACCEPT_MESSAGE or not isinstance(exc, OSError):
            loop.default_exception_handler(context)
            return
        now = time.monotonic()
        if now - self.last < 1.0:
            self.quiet += 1
            return
        try:
            import resource

            limit = f", limit {resource.getrlimit(resource.RLIMIT_NOFILE)[0]}"
        except ImportError:
            limit = ""
        more = f" ({self.quiet} more since the last line)" if self.quiet else ""
        _log.warning(
            "out of file descriptors (%s%s): new connections wait in the backlog; retrying every second%s",
            exc.strerror,
            limit,
            more,
        )
        self.last, self.quiet = now, 0


# --- the protocol ------------------------------------------------------------------------------------------


def _protocol_class(max_header_bytes: int = _MAX_HEADER_BYTES) -> type:
    """uvicorn's httptools protocol, hardened; ``max_header_bytes`` bounds a request's line and headers."""
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class Protocol(HttpToolsProtocol):
        """uvicorn's HTTP/1.1 protocol (httptools) with a header deadline and size limit, a strict Host, a quiet
        400, and the abort extension."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._header_deadline: asyncio.TimerHandle | None = None
            # Bytes of the next request's line and headers received so far; None once they are complete.
            self._header_bytes: int | None = 0
            self._headers_seen = 0  # requests whose headers were complete: tells whether a read finished some
            self._inner_app = self.app

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            # A partial on the transport, not a closure on self: a protocol that referred to itself would be a
            # reference cycle, and its connection's objects (socket, transport, buffers) garbage that only the
            # cycle collector frees, long after the connection closed. asyncio drops the transport's reference
            # to the protocol when the connection is lost, so nothing here outlives it.
            self.app = functools.partial(_with_extras, self._inner_app, transport.close, max_header_bytes)
            self._arm_header_deadline()

        def connection_lost(self, exc: Exception | None) -> None:
            if self._header_deadline is not None:
                self._header_deadline.cancel()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            waiting, seen = self._header_bytes, self._headers_seen
            super().data_received(data)
            # httptools keeps an unfinished header in a buffer of its own, with no limit: count what arrives
            # while the headers stay incomplete (before, during and after this read: no body byte is counted).
            if waiting is None or self._headers_seen != seen or self.transport.is_closing():
                return
            self._header_bytes = waiting + len(data)
            if self._header_bytes > max_header_bytes:
                self.logger.warning("Request header fields too large.")
                self.transport.write(_TOO_LARGE)
                self.transport.close()

        def on_headers_complete(self) -> None:
            self._header_bytes = None
            self._headers_seen += 1
            # HTTP/1.1 requires exactly one Host (RFC 9112, 3.2); h11 refuses others, httptools does not. Raising
            # here makes uvicorn log "Invalid HTTP request received." and answer 400.
            hosts = sum(name == b"host" for name, _ in self.headers)
            if hosts != 1 and self.parser.get_http_version() == "1.1":
                raise ValueError(f"{hosts} Host headers in an HTTP/1.1 request")
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            super().on_message_complete()
            self._header_bytes = 0  # whatever arrives next is the next request's line and headers

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm_header_deadline()  # the next request's headers get the same budget

        def _arm_header_deadline(self) -> None:
            if self._header_deadline is not None:
                self._header_deadline.cancel()
            self._header_deadline = self.loop.call_later(HEADER_TIMEOUT, self._header_deadline_passed)

        def _header_deadline_passed(self) -> None:
            self._header_deadline = None
            # No request being answered: none has arrived complete yet. An answer in progress (a delayed or
            # stalled one) is the app's business, not a timeout.
            cycle = self.cycle
            if (cycle is None or cycle.response_complete) and not self.transport.is_closing():
                self.transport.close()

        def send_400_response(self, msg: str) -> None:
            # uvicorn has logged its one line ("Invalid HTTP request received.") before calling this.
            cycle = self.cycle
            if cycle is None or (cycle.response_complete and not cycle.more_body):
                super().send_400_response(msg)  # a new request went wrong: answer 400 and close
                return
            # The body of the request being answered (or answered already) went wrong.
            if not cycle.response_complete:
                cycle.disconnected = True  # whatever the app still sends for this request goes nowhere
                cycle.message_event.set()
            if cycle.response_started:
                self.transport.close()  # the answer has begun: too late for a 400
            else:
                super().send_400_response(msg)

    return Protocol


async def _with_extras(
    app: Any, abort: Callable[[], None], max_header_bytes: int, scope: Any, receive: Any, send: Any
) -> None:
    """The app, with the abort extension in its scope and 431 for headers too large; one wrapper for both
    rather than a middleware each, because every layer is a coroutine per request."""
    scope["extensions"] = {**(scope.get("extensions") or {}), ABORT: abort}
    if _header_size(scope) > max_header_bytes:  # arrived complete in one read: not counted as they came
        await send({"type": "http.response.start", "status": 431, "headers": _TOO_LARGE_HEADERS})
        await send({"type": "http.response.body", "body": _TOO_LARGE_BODY})
        return
    await app(scope, receive, send)


def _header_size(scope: dict[str, Any]) -> int:
    """Bytes of a request's target and headers, as they came (each header line's ': ' and CRLF included)."""
    size = len(scope.get("raw_path", b"")) + len(scope.get("query_string", b""))
    return size + sum(len(name) + len(value) + 4 for name, value in scope["headers"])


# --- the server ----------------------------------------------------------------------------------------------


def _server_class() -> type:
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server, exiting 0 on SIGTERM, reporting EMFILE in one line, with a shutdown hook."""

        on_shutdown: Callable[[], None] = staticmethod(lambda: None)

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            # serve() installs the handlers before announcing the URL, so a SIGTERM sent at once is not lost;
            # uvicorn's own version would also re-raise the signal at the end: "killed by SIGTERM", not 0.
            yield

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            loop = asyncio.get_running_loop()
            loop.set_exception_handler(_AcceptReport())
            await super().startup(sockets)

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            self.on_shutdown()
            await super().shutdown(sockets)

    return Server


def serve(
    app: Any,
    host: str,
    port: int,
    *,
    what: str,
    on_shutdown: Callable[[], None] = lambda: None,
    max_header_bytes: int = _MAX_HEADER_BYTES,
) -> int:
    """Serve ``app`` on ``host:port`` until SIGINT or SIGTERM; return the exit status (0, or 1 if unbound).

    Prints ``Serving <what> on http://HOST:PORT`` once the socket listens (the line ``services`` waits for).
    ``on_shutdown`` runs when shutdown begins, to wake requests that would otherwise wait it out.
    """
    import uvicorn

    # One descriptor per connection: the soft limit goes up to the hard one (as far as 65536 is below it).
    raise_open_file_limit(65536)
    config = uvicorn.Config(
        app,
        http=_protocol_class(max_header_bytes),
        loop="asyncio",
        ws="none",
        lifespan="off",
        backlog=BACKLOG,
        limit_concurrency=None,
        timeout_keep_alive=5,
        timeout_graceful_shutdown=2,  # answers still in flight get this long at shutdown
        access_log=False,
        log_level="warning",
        proxy_headers=False,
        server_header=False,
    )
    server = _server_class()(config)
    server.on_shutdown = on_shutdown
    try:
        sock = _listen(host, port)
    except OSError as exc:
        print(f"cannot listen on {host}:{port}: {exc.strerror}", file=sys.stderr)
        return 1
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, server.handle_exit)
    # Everything built so far (modules, the app and its data) lives as long as the server: out of the garbage
    # collector's sight, a collection during a burst of connections scans only what the burst made. And a
    # burst's objects all live about as long as the burst: with the default thresholds, each time they had
    # grown by a quarter a full collection scanned them all again: a dozen full collections, about a second
    # in all, per three bursts of 5,000 (timed with gc.callbacks). A closed connection leaves little for the
    # collector (the protocol holds no cycle, see connection_made; asyncio's transport keeps one to itself,
    # about 1.4 KB), so memory grows by about 7 MiB per 5,000 connections until a full collection, which
    # these thresholds still make, every few tens of thousands of requests.
    gc.collect()
    gc.freeze()
    gc.set_threshold(2000, 10, 100)
    print(f"Serving {what} on http://{services.url_host(host)}:{sock.getsockname()[1]}", flush=True)
    server.run(sockets=[sock])
    return 0
