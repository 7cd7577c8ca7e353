"""The local flag site: the web server the chapter's ``flags*.py`` clients download from.

``python -m support.lab.flag_server`` serves every country in :mod:`support.lab.flag_data` with the chapter's layout,
``/flags/<cc>/<cc>.gif`` and ``/flags/<cc>/metadata.json`` (lower-case ``cc``), so the chapter's clients run
against it unchanged with ``BASE_URL = "http://localhost:8000/flags"``. It is a Starlette app served by uvicorn.

Modes, to show what concurrent clients must cope with (``--mode``, each with the chapter's port by default):

============ ===== =============================================================================================
``plain``    8000  answer at once
``delay``    8001  wait ``--delay`` seconds first (``0.5``, or a range ``0.1:0.5``)
``errors``   8002  wait, then answer a fraction ``--error-rate`` (default 0.25) with HTTP 418 I'm a teapot
``drop``     8003  close the connection without answering, for a fraction ``--error-rate`` (default all)
``stall``    8004  never answer a fraction ``--error-rate`` (default all) until the client gives up, or
                   ``--stall-max`` seconds pass: the case that needs client timeouts
============ ===== =============================================================================================

``--delay`` works in every mode (default 0 outside delay and errors). Random choices come from ``--seed`` and
the request's path and repeat count, not from arrival order, so the same client run gets the same errors and
delays every time however its requests interleave.

Every request under ``/flags`` is recorded (path, start, end, HTTP status, outcome, detail; times from
``time.time()``) in a bounded log served at ``GET /_log``: a notebook plots requests in flight from it. The
outcome is a :class:`support.timing.Status` word, what the client got: ``ok``, ``not found``, ``error`` (a 418,
a dropped connection, a server shutting down) or ``timeout`` (a stalled request); the detail says what the
server did (``HTTP 404 Not Found``, ``dropped``, ``stalled``, ``client gave up``, ...). ``DELETE /_log`` clears it and
restarts the seeded choices, so a re-run cell sees the same errors again.
``GET /health`` says the server is up and how it is configured.

The HTTP side (uvicorn, with a header deadline, one log line when descriptors run out, a quiet 400 for broken
bodies, and the drop extension) lives in :mod:`support.lab.asgi_server`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
import urllib.request
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from support import cli
from support.lab import asgi_server, services
from support.lab.services import Service
from support.timing import Status, in_flight_counts, spans_from_log

__all__ = [
    "BASE_PATH",
    "DEFAULT_PORTS",
    "MODES",
    "clear_log",
    "flags_url",
    "main",
    "parse_args",
    "peak_in_flight",
    "read_log",
    "start",
]

BASE_PATH = "/flags"
#: The chapter runs its plain, slow and faulty servers on 8000, 8001 and 8002; drop and stall come next.
DEFAULT_PORTS: dict[str, int] = {"plain": 8000, "delay": 8001, "errors": 8002, "drop": 8003, "stall": 8004}
MODES = tuple(DEFAULT_PORTS)
_DEFAULT_DELAY = {"delay": 0.5, "errors": 0.5}  # the chapter's slow server also delays its errors
_DEFAULT_ERROR_RATE = {"errors": 0.25, "drop": 1.0, "stall": 1.0}
_DEFAULT_STALL_MAX = 300.0
_MAX_DELAY = 3600.0  # an hour: long enough for any lesson, short enough to catch a unit mistake (ms for s)
_FAULTY = frozenset(_DEFAULT_ERROR_RATE)
_LOG_MAX = 20_000  # enough for a 1000-request burst several times over, small enough to serve in one response
_MAX_HEADER_BYTES = 16 * 1024  # request target + headers; real clients send well under 1 KiB


@dataclass(frozen=True, slots=True)
class _Options:
    """One configuration of the site, every default filled in: equal options, equal value."""

    mode: str
    delay: tuple[float, float]
    error_rate: float
    seed: int
    stall_max: float

    @classmethod
    def resolve(
        cls,
        mode: str,
        delay: str | float | tuple[float, float] | None,
        error_rate: str | float | None,
        seed: int | None,
        stall_max: str | float | None,
    ) -> _Options:
        """Fill in the mode's defaults and check every value; raises ValueError (a ``cli.BadValue``)."""
        if mode not in MODES:
            raise cli.BadValue(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        return cls(
            mode,
            cli.parse_delay(_DEFAULT_DELAY.get(mode, 0.0) if delay is None else delay, _MAX_DELAY),
            cli.fraction(_DEFAULT_ERROR_RATE.get(mode, 0.0) if error_rate is None else error_rate),
            0 if seed is None else int(seed),
            cli.positive_seconds(_DEFAULT_STALL_MAX if stall_max is None else stall_max),
        )

    def to_args(self) -> list[str]:
        """The command line for this configuration, every option spelt out one way."""
        return [
            *("--mode", self.mode),
            *("--delay", cli.format_delay(self.delay)),
            *("--error-rate", repr(self.error_rate)),
            *("--seed", str(self.seed)),
            *("--stall-max", repr(self.stall_max)),
        ]


# --- the application --------------------------------------------------------------------------------------


def _load_files() -> dict[str, tuple[bytes, str]]:
    """Every servable path mapped to its bytes, read once: requests never touch the file system."""
    from support.lab.flag_data import countries, flag_dir

    root = flag_dir()
    files = {}
    for country in countries():
        cc = country.cc.lower()  # from pycountry, never from a request
        folder = root / cc
        files[f"{BASE_PATH}/{cc}/{cc}.gif"] = ((folder / f"{cc}.gif").read_bytes(), "image/gif")
        files[f"{BASE_PATH}/{cc}/metadata.json"] = (
            (folder / "metadata.json").read_bytes(),
            "application/json",
        )
    return files


_Headers = list[tuple[bytes, bytes]]
_TEXT_PLAIN = b"text/plain; charset=utf-8"


def _answer(body: bytes, media_type: bytes) -> tuple[bytes, _Headers]:
    """A body and its response headers, built once (as Starlette's Response would, in the same order)."""
    return body, [(b"content-length", str(len(body)).encode()), (b"content-type", media_type)]


_TEAPOT = _answer(b"I'm a teapot\n", _TEXT_PLAIN)
_NOT_FOUND = _answer(b"Not Found\n", _TEXT_PLAIN)


def _wake(waiter: asyncio.Future[bool], closing: bool) -> None:
    if not waiter.done():
        waiter.set_result(closing)


class _FlagSite:
    """The ``/flags`` endpoint as a raw ASGI app, because dropping and stalling are not a Response.

    It answers most of the site's requests, a burst of thousands at a time, so each costs little: answers
    and their headers are built once, a delay is one timer, and nothing is drawn at random when the mode
    needs no chance (``benchmarks/bench_flag_site.py`` holds the site to a bare asyncio server's cost).
    """

    def __init__(self, options: _Options, files: dict[str, tuple[bytes, str]]) -> None:
        self.options = options
        self.files = files
        self.answers = {path: _answer(body, kind.encode()) for path, (body, kind) in files.items()}
        self.log: deque[dict[str, Any]] = deque(maxlen=_LOG_MAX)
        self.closing = asyncio.Event()  # set at shutdown so delayed and stalled requests end now
        self._sleepers: set[asyncio.Future[bool]] = set()
        self._seen: dict[str, int] = {}
        # Delay mode with a fixed delay draws nothing: each request would seed a generator for no purpose.
        self._random = options.mode in _FAULTY or options.delay[0] != options.delay[1]

    def forget(self) -> None:
        """Clear the log and restart the seeded choices, so the next client run repeats the previous one."""
        self.log.clear()
        self._seen.clear()

    def close(self) -> None:
        """Shutdown has begun: every delayed or stalled request ends now."""
        self.closing.set()
        for waiter in self._sleepers:
            _wake(waiter, True)

    def _rng(self, path: str) -> random.Random:
        # Only real files get a counter, so junk paths cannot grow the dict without bound.
        n = self._seen.get(path, 0)
        if path in self.files:
            self._seen[path] = n + 1
        return random.Random(f"{self.options.seed}|{path}|{n}")

    async def __call__(
        self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]
    ) -> None:
        path, start = scope["path"], time.time()
        status: int | None = None
        outcome, detail = Status.ERROR, "shut down"
        try:
            faulty, pause = False, self.options.delay[0]
            if self._random:
                rng = self._rng(path)
                faulty = self.options.mode in _FAULTY and rng.random() < self.options.error_rate
                pause = rng.uniform(*self.options.delay)
            if pause and await self._closing_within(pause):
                await self._abort(scope, receive)
                return
            if faulty and self.options.mode == "drop":
                detail = "dropped"
                await self._abort(scope, receive)
                return
            if faulty and self.options.mode == "stall":
                outcome, detail = await self._stall(scope, receive)
                return
            if faulty:
                status, outcome, detail = 418, Status.ERROR, "HTTP 418 I'm a teapot"
                body, headers = _TEAPOT
            elif (answer := self.answers.get(path)) is not None:
                status, outcome, detail = 200, Status.OK, "OK"
                body, headers = answer
            else:
                status, outcome, detail = 404, Status.NOT_FOUND, "HTTP 404 Not Found"
                body, headers = _NOT_FOUND
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
        finally:
            self.log.append(
                {
                    "path": path,
                    "start": start,
                    "end": time.time(),
                    "status": status,
                    "outcome": str(outcome),
                    "detail": detail,
                }
            )

    async def _closing_within(self, seconds: float) -> bool:
        """Wait ``seconds``; True when shutdown began first. One future and one timer: a timeout around
        ``closing.wait()`` would end each ordinary wait by cancelling the request's task, which costs more."""
        if self.closing.is_set():
            return True
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[bool] = loop.create_future()
        timer = loop.call_later(seconds, _wake, waiter, False)
        self._sleepers.add(waiter)
        try:
            return await waiter
        finally:
            timer.cancel()
            self._sleepers.discard(waiter)

    async def _stall(self, scope: dict[str, Any], receive: Callable[..., Any]) -> tuple[Status, str]:
        """Hold the request until the client leaves, the server closes or ``stall_max`` passes: a timeout."""
        gone = asyncio.ensure_future(_disconnected(receive))
        closing = asyncio.ensure_future(self.closing.wait())
        try:
            await asyncio.wait(
                {gone, closing}, timeout=self.options.stall_max, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            gone.cancel()
            closing.cancel()
        if gone.done() and not gone.cancelled():
            return Status.TIMEOUT, "client gave up"
        await self._abort(scope, receive)
        return Status.TIMEOUT, "stalled"

    async def _abort(self, scope: dict[str, Any], receive: Callable[..., Any]) -> None:
        abort = scope.get("extensions", {}).get(asgi_server.ABORT)
        if abort is None:
            raise RuntimeError("dropping a connection needs the protocol of support.lab.asgi_server")
        abort()
        # Returning before uvicorn notices the close would make it send a 500 on the closing socket.
        await _disconnected(receive)


async def _disconnected(receive: Callable[..., Any]) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def _make_app(options: _Options, files: dict[str, tuple[bytes, str]]) -> tuple[Any, _FlagSite]:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    site = _FlagSite(options, files)

    async def health(request: Request) -> JSONResponse:
        o = options
        config = {"mode": o.mode, "delay": list(o.delay), "error_rate": o.error_rate, "seed": o.seed}
        return JSONResponse({"status": "ok", **config, "files": len(files)})

    async def get_log(request: Request) -> JSONResponse:
        return JSONResponse(list(site.log))

    async def clear_log(request: Request) -> Response:
        site.forget()
        return Response(status_code=204)

    routes = [
        Route("/health", health),
        Route("/_log", get_log, methods=["GET"]),
        Route("/_log", clear_log, methods=["DELETE"]),
        Route(BASE_PATH + "/{rest:path}", site, methods=["GET"]),  # HEAD, and 405 for other methods
    ]
    router = Starlette(routes=routes)
    prefix = BASE_PATH + "/"

    async def app(scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        # A GET for a flag goes straight to the site: Starlette's router and middleware cost as much again
        # as the site itself, once per request of a thousand-request burst.
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"].startswith(prefix):
            await site(scope, receive, send)
        else:
            await router(scope, receive, send)

    return app, site


# --- the command line ------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line, with the defaults that depend on ``--mode`` filled in (port, delay, error rate)."""
    parser = argparse.ArgumentParser(
        prog="python -m support.lab.flag_server", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--mode", choices=MODES, default="plain", help="how to misbehave (default: plain)")
    parser.add_argument(
        "--host",
        type=cli.checked(services.loopback_host),
        default="127.0.0.1",
        help="loopback address to bind (default: 127.0.0.1)",
    )
    parser.add_argument("--port", type=cli.port, help="0 picks a free port (default: 8000 + mode's index)")
    parser.add_argument(
        "--delay",
        type=cli.delay(_MAX_DELAY),
        help="seconds, or low:high (default: 0.5 in delay/errors, else 0)",
    )
    parser.add_argument(
        "--error-rate", type=cli.fraction, help="fraction that fails in errors/drop/stall modes"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed for delays and failures (default: 0)")
    parser.add_argument(
        "--stall-max", type=cli.positive_seconds, help="seconds before a stall gives up (default: 300)"
    )
    args = parser.parse_args(argv)
    if args.port is None:
        args.port = DEFAULT_PORTS[args.mode]
    options = _Options.resolve(args.mode, args.delay, args.error_rate, args.seed, args.stall_max)
    args.delay, args.error_rate, args.stall_max = options.delay, options.error_rate, options.stall_max
    return args


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGINT or SIGTERM; exit status 0 then (1 when the port cannot be bound)."""
    args = parse_args(argv)
    options = _Options(args.mode, args.delay, args.error_rate, args.seed, args.stall_max)
    app, site = _make_app(options, _load_files())
    return asgi_server.serve(
        app,
        args.host,
        args.port,
        what=f"flag site ({args.mode})",
        on_shutdown=site.close,  # delayed and stalled requests end now, not after their wait
        max_header_bytes=_MAX_HEADER_BYTES,
    )


def start(
    mode: str = "plain",
    *,
    delay: str | float | tuple[float, float] | None = None,
    error_rate: float | None = None,
    seed: int | None = None,
    stall_max: float | None = None,
    private: bool = False,
) -> Service:
    """Run the flag site in the background on a free port (once per configuration) and return it.

    Options left as None take the mode's defaults (see the module docstring), and a default given explicitly
    is the same configuration: ``start("delay")`` and ``start("delay", delay=0.5)`` are one server. Bad
    values raise ValueError here, before any process starts. ``private=True`` starts a server of your own
    that no other ``start`` call returns. ``flags_url(service)`` gives the ``BASE_URL`` for the chapter's
    clients; ``support.lab.services.stop(service)`` ends it.
    """
    options = _Options.resolve(mode, delay, error_rate, seed, stall_max)
    return services.start("support.lab.flag_server", *options.to_args(), private=private)


def flags_url(service: Service) -> str:
    """The base URL the chapter's clients call ``BASE_URL``, e.g. ``http://127.0.0.1:40123/flags``."""
    return service.url.rstrip("/") + BASE_PATH


def read_log(service: Service, timeout: float = 30.0) -> list[dict[str, Any]]:
    """The site's request log (``GET /_log``): path, start, end, HTTP status, outcome and detail of each request.

    ``outcome`` is a :class:`support.timing.Status` word; :func:`support.timing.spans_from_log` draws the log.
    """
    with urllib.request.urlopen(service.url + "/_log", timeout=timeout) as response:
        log: list[dict[str, Any]] = json.load(response)  # the server's own JSON, one object per request
        return log


def clear_log(service: Service, timeout: float = 30.0) -> None:
    """Empty the site's request log (``DELETE /_log``) and restart its seeded choices."""
    request = urllib.request.Request(service.url + "/_log", method="DELETE")
    urllib.request.urlopen(request, timeout=timeout).close()


def peak_in_flight(service: Service, timeout: float = 30.0) -> int:
    """Most requests the site held at once since its log was last cleared, from its own log."""
    return max(in_flight_counts(spans_from_log(read_log(service, timeout)))[1])


if __name__ == "__main__":
    raise SystemExit(main())
