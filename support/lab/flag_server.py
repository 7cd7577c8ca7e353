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

Every request under ``/flags`` is recorded (path, start, end, status, outcome; times from ``time.time()``) in a
bounded log served at ``GET /_log``: a notebook plots requests in flight from it. ``DELETE /_log`` clears it and
restarts the seeded choices, so a re-run cell sees the same errors again.
``GET /health`` says the server is up and how it is configured.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import signal
import socket
import sys
import time
import urllib.request
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from support.lab import services
from support.lab.services import Service
from support.workbook.open_files import raise_open_file_limit

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
_DEFAULT_DELAY = {"delay": "0.5", "errors": "0.5"}  # the chapter's slow server also delays its errors
_DEFAULT_ERROR_RATE = {"errors": 0.25, "drop": 1.0, "stall": 1.0}
_FAULTY = frozenset(_DEFAULT_ERROR_RATE)
_LOG_MAX = 20_000  # enough for a 1000-request burst several times over, small enough to serve in one response
_BACKLOG = 2048  # a burst of 1000 connects must queue in the kernel, not be refused
_MAX_HEADER_BYTES = 16 * 1024  # request target + headers; real clients send well under 1 KiB
_ABORT = "workbook.abort"  # scope extension: close this connection without answering


@dataclass(frozen=True, slots=True)
class _Options:
    mode: str
    delay: tuple[float, float]
    error_rate: float
    seed: int
    stall_max: float


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


class _FlagSite:
    """The ``/flags`` endpoint as a raw ASGI app, because dropping and stalling are not a Response."""

    def __init__(self, options: _Options, files: dict[str, tuple[bytes, str]]) -> None:
        self.options = options
        self.files = files
        self.log: deque[dict[str, Any]] = deque(maxlen=_LOG_MAX)
        self.closing = asyncio.Event()  # set at shutdown so delayed and stalled requests end now
        self._seen: dict[str, int] = {}

    def forget(self) -> None:
        """Clear the log and restart the seeded choices, so the next client run repeats the previous one."""
        self.log.clear()
        self._seen.clear()

    def _rng(self, path: str) -> random.Random:
        # Only real files get a counter, so junk paths cannot grow the dict without bound.
        n = self._seen.get(path, 0)
        if path in self.files:
            self._seen[path] = n + 1
        return random.Random(f"{self.options.seed}|{path}|{n}")

    async def __call__(
        self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]
    ) -> None:
        from starlette.responses import Response

        path, start = scope["path"], time.time()
        status: int | None = None
        outcome = "shutdown"
        try:
            rng = self._rng(path)
            faulty = self.options.mode in _FAULTY and rng.random() < self.options.error_rate
            pause = rng.uniform(*self.options.delay)
            if pause and await self._closing_within(pause):
                await self._abort(scope, receive)
                return
            if faulty and self.options.mode == "drop":
                outcome = "dropped"
                await self._abort(scope, receive)
                return
            if faulty and self.options.mode == "stall":
                outcome = await self._stall(scope, receive)
                return
            if faulty:
                status, outcome = 418, "error"
                response = Response(b"I'm a teapot\n", 418, media_type="text/plain")
            elif path in self.files:
                body, media_type = self.files[path]
                status, outcome = 200, "ok"
                response = Response(body, 200, media_type=media_type)
            else:
                status, outcome = 404, "not_found"
                response = Response(b"Not Found\n", 404, media_type="text/plain")
            await response(scope, receive, send)
        finally:
            self.log.append(
                {"path": path, "start": start, "end": time.time(), "status": status, "outcome": outcome}
            )

    async def _closing_within(self, seconds: float) -> bool:
        try:
            async with asyncio.timeout(seconds):
                await self.closing.wait()
        except TimeoutError:
            return False
        return True

    async def _stall(self, scope: dict[str, Any], receive: Callable[..., Any]) -> str:
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
            return "client_gave_up"
        await self._abort(scope, receive)
        return "stalled"

    async def _abort(self, scope: dict[str, Any], receive: Callable[..., Any]) -> None:
        abort = scope.get("extensions", {}).get(_ABORT)
        if abort is None:
            raise RuntimeError("dropping a connection needs the flag server's own uvicorn protocol")
        abort()
        # Returning before uvicorn notices the close would make it send a 500 on the closing socket.
        await _disconnected(receive)


async def _disconnected(receive: Callable[..., Any]) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


class _HeaderLimit:
    """Answer 431 to requests whose target and headers exceed a limit.

    uvicorn's limit covers only headers still arriving; a large block that arrives in one read would pass.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(
        self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]
    ) -> None:
        if scope["type"] == "http":
            size = len(scope.get("raw_path", b"")) + len(scope.get("query_string", b""))
            size += sum(len(name) + len(value) + 4 for name, value in scope["headers"])
            if size > _MAX_HEADER_BYTES:
                headers = [(b"content-type", b"text/plain"), (b"connection", b"close")]
                await send({"type": "http.response.start", "status": 431, "headers": headers})
                await send({"type": "http.response.body", "body": b"Request Header Fields Too Large\n"})
                return
        await self.app(scope, receive, send)


def _make_app(options: _Options, files: dict[str, tuple[bytes, str]]) -> tuple[Any, _FlagSite]:
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
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
        Route(BASE_PATH + "/{rest:path}", site, methods=["GET"]),
    ]
    return Starlette(routes=routes, middleware=[Middleware(_HeaderLimit)]), site


# --- the server -------------------------------------------------------------------------------------------


def _protocol_class() -> type:
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class AbortableH11Protocol(H11Protocol):
        """uvicorn's HTTP/1.1 protocol, plus a scope extension that closes the connection with no answer."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            app = self.app

            async def app_with_abort(scope: Any, receive: Any, send: Any) -> None:
                scope["extensions"] = {**(scope.get("extensions") or {}), _ABORT: self.transport.close}
                await app(scope, receive, send)

            self.app = app_with_abort

    return AbortableH11Protocol


def _server_class() -> type:
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server, ending with status 0 on SIGTERM and waking stalled requests at shutdown."""

        site: _FlagSite

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            # main() installs the handlers before announcing the URL, so a SIGTERM sent at once is not lost;
            # uvicorn's own version would also re-raise the signal at the end: "killed by SIGTERM", not 0.
            yield

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            self.site.closing.set()
            await super().shutdown(sockets)

    return Server


def _delay(text: str) -> tuple[float, float]:
    low, sep, high = text.partition(":")
    try:
        bounds = (float(low), float(high if sep else low))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected seconds like 0.5 or a range like 0.1:0.5, not {text!r}"
        ) from None
    if not 0 <= bounds[0] <= bounds[1] < 3600:
        raise argparse.ArgumentTypeError(f"delay must be 0 <= low <= high < 3600 seconds, not {text!r}")
    return bounds


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0..65535, not {text}")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, not {text}")
    return value


def _fraction(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"error rate must be between 0 and 1, not {text}")
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line, with the defaults that depend on ``--mode`` filled in (port, delay, error rate)."""
    parser = argparse.ArgumentParser(
        prog="python -m support.lab.flag_server", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--mode", choices=MODES, default="plain", help="how to misbehave (default: plain)")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=_port, help="0 picks a free port (default: 8000 + mode's index)")
    parser.add_argument(
        "--delay", type=_delay, help="seconds, or low:high (default: 0.5 in delay/errors, else 0)"
    )
    parser.add_argument("--error-rate", type=_fraction, help="fraction that fails in errors/drop/stall modes")
    parser.add_argument("--seed", type=int, default=0, help="seed for delays and failures (default: 0)")
    parser.add_argument("--stall-max", type=_seconds, default=300.0, help="seconds before a stall gives up")
    args = parser.parse_args(argv)
    try:
        args.host = services.loopback_host(args.host)
    except ValueError as exc:
        parser.error(f"--host: {exc}")
    if args.port is None:
        args.port = DEFAULT_PORTS[args.mode]
    if args.delay is None:
        args.delay = _delay(_DEFAULT_DELAY.get(args.mode, "0"))
    if args.error_rate is None:
        args.error_rate = _DEFAULT_ERROR_RATE.get(args.mode, 0.0)
    return args


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGINT or SIGTERM; exit status 0 then."""
    args = parse_args(argv)
    import uvicorn

    raise_open_file_limit(65536)  # one descriptor per connection: room for the 1000-connection lessons
    options = _Options(args.mode, args.delay, args.error_rate, args.seed, args.stall_max)
    app, site = _make_app(options, _load_files())
    config = uvicorn.Config(
        app,
        http=_protocol_class(),
        loop="asyncio",
        ws="none",
        lifespan="off",
        backlog=_BACKLOG,
        limit_concurrency=None,
        timeout_keep_alive=5,
        timeout_graceful_shutdown=2,  # delayed answers still in flight get this long at shutdown
        h11_max_incomplete_event_size=_MAX_HEADER_BYTES,  # still arriving and already this big: 400
        access_log=False,
        log_level="warning",
        proxy_headers=False,
        server_header=False,
    )
    server = _server_class()(config)
    server.site = site
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    # Saying IPPROTO_TCP (not 0) matters: asyncio only turns Nagle off for sockets that say so, and with Nagle
    # every keep-alive response waits 40 ms for the client's delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, args.port))
    except OSError as exc:
        print(f"cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 1
    sock.listen(_BACKLOG)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, server.handle_exit)
    host = f"[{args.host}]" if family == socket.AF_INET6 else args.host
    print(f"Serving flag site ({args.mode}) on http://{host}:{sock.getsockname()[1]}", flush=True)
    server.run(sockets=[sock])
    return 0


def start(
    mode: str = "plain",
    *,
    delay: float | tuple[float, float] | None = None,
    error_rate: float | None = None,
    seed: int | None = None,
    stall_max: float | None = None,
) -> Service:
    """Run the flag site in the background on a free port (once per set of options) and return it.

    Options left as None take the mode's defaults (see the module docstring). ``flags_url(service)`` gives the
    ``BASE_URL`` for the chapter's clients; ``support.lab.services.stop(service)`` ends it.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    args = ["--mode", mode]
    if delay is not None:
        low, high = delay if isinstance(delay, tuple) else (delay, delay)
        args += ["--delay", f"{low}:{high}"]
    if error_rate is not None:
        args += ["--error-rate", str(error_rate)]
    if seed is not None:
        args += ["--seed", str(seed)]
    if stall_max is not None:
        args += ["--stall-max", str(stall_max)]
    return services.start("support.lab.flag_server", *args)


def flags_url(service: Service) -> str:
    """The base URL the chapter's clients call ``BASE_URL``, e.g. ``http://127.0.0.1:40123/flags``."""
    return service.url.rstrip("/") + BASE_PATH


def read_log(service: Service, timeout: float = 30.0) -> list[dict[str, Any]]:
    """The site's request log (``GET /_log``): path, start, end, status and outcome of each request."""
    with urllib.request.urlopen(service.url + "/_log", timeout=timeout) as response:
        return json.load(response)


def clear_log(service: Service, timeout: float = 30.0) -> None:
    """Empty the site's request log (``DELETE /_log``) and restart its seeded choices."""
    request = urllib.request.Request(service.url + "/_log", method="DELETE")
    urllib.request.urlopen(request, timeout=timeout).close()


def peak_in_flight(service: Service, timeout: float = 30.0) -> int:
    """Most requests the site held at once since its log was last cleared, from its own log."""
    from support.plots import in_flight_counts  # imported late: matplotlib is for clients, not the server
    from support.timing import Span

    spans = [Span(e["path"], e["start"], e["end"]) for e in read_log(service, timeout)]
    return max(in_flight_counts(spans)[1])


if __name__ == "__main__":
    raise SystemExit(main())
