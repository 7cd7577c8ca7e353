"""The character finder as a web service: FastAPI with pydantic models, served by uvicorn.

Three pages:

- ``GET /search?q=cat+face``: JSON, ``[{"char": "🐱", "name": "CAT FACE"}, ...]``, sorted by character,
  exactly :meth:`support.examples.charindex.InvertedIndex.search`'s answer. ``q`` is required (422 without it)
  and at most :data:`MAX_QUERY` characters long (422 beyond); a query that matches nothing gets ``[]``.
- ``GET /``: a single-page form (``mojifinder_form.html`` beside this module) whose script calls ``/search``
  and draws the results in the page, without reloading it.
- ``GET /docs``: FastAPI's interactive documentation (Swagger UI), generated from the code. FastAPI's own
  page would load Swagger UI from a CDN; here the app is built with ``fastapi_offline.FastAPIOffline``, which
  serves the same files from the installed ``fastapi-offline`` package, so the page works with no network.
  ``/redoc`` likewise.

The endpoint is a coroutine, though it awaits nothing: FastAPI runs coroutine endpoints on the event loop
and plain functions in a thread pool. A real service would await a database or another server here.

Run it: ``python -m support.examples.web_mojifinder [--port 8080]`` and open the URL it prints. It stops
(status 0) on Ctrl-C or SIGTERM; status 1 when it cannot listen, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import socket
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Query
from fastapi.responses import HTMLResponse
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, Field

from support.examples.charindex import InvertedIndex, shared_index
from support.lab import services
from support.lab.services import Service

__all__ = ["DEFAULT_PORT", "FORM", "MAX_QUERY", "CharName", "create_app", "main", "start"]

DEFAULT_PORT = 8080  # the flag site has 8000-8004
MAX_QUERY = 200  # characters; the longest character name has under 100
FORM = Path(__file__).with_name("mojifinder_form.html")


class CharName(BaseModel):
    """One character found: the character and its Unicode name."""

    char: str = Field(description="the character itself", examples=["🐱"])
    name: str = Field(description="its name in the Unicode database", examples=["CAT FACE"])


def create_app(index: InvertedIndex | None = None) -> FastAPI:
    """The ASGI app, searching ``index`` (default: the full index, built once per process)."""
    index = index if index is not None else shared_index()
    form = FORM.read_text(encoding="utf-8")
    app = FastAPIOffline(
        title="Character finder",
        description="Find Unicode characters by the words of their names.",
        # No badge that would ask validator.swagger.io about our schema: nothing leaves the machine.
        swagger_ui_parameters={"validatorUrl": None},
    )

    @app.get("/search", response_model=list[CharName], summary="Characters whose names hold every word")
    async def search(
        q: Annotated[
            str,
            Query(max_length=MAX_QUERY, description="words of the name, any case", examples=["cat face"]),
        ],
    ) -> list[dict[str, str]]:
        return [{"char": char, "name": unicodedata.name(char)} for char in sorted(index.search(q))]

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page() -> str:
        return form

    return app


def _server_class() -> type:
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server, ending with status 0 on SIGTERM."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            # main() installs the handlers before printing the URL, so a SIGTERM sent at once is not lost;
            # uvicorn's own version would re-raise the signal at the end: "killed by SIGTERM", not 0.
            yield

    return Server


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, not {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0..65535, not {text}")
    return value


def main(argv: list[str] | None = None) -> int:
    """Serve until Ctrl-C or SIGTERM (status 0); 1 when the port cannot be bound."""
    parser = argparse.ArgumentParser(
        prog="python -m support.examples.web_mojifinder",
        description="Find Unicode characters by name: a web form at /, JSON at /search?q=, docs at /docs.",
        epilog="exit status: 0 after Ctrl-C or SIGTERM, 1 when it cannot listen, 2 on a usage error",
    )
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default: 127.0.0.1)")
    parser.add_argument(
        "--port", type=_port, default=DEFAULT_PORT, help="0 picks a free port (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    try:
        host = services.loopback_host(args.host)
    except ValueError as exc:
        parser.error(f"--host: {exc}")
    import uvicorn

    family = services.socket_family(host)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, args.port))
    except OSError as exc:
        sock.close()
        print(f"web_mojifinder: cannot listen on {host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 1
    try:
        app = create_app()  # about a second for the index: before the URL line, so "ready" means ready
    except KeyboardInterrupt:
        return 0
    config = uvicorn.Config(
        app,
        loop="asyncio",
        ws="none",
        lifespan="off",
        backlog=2048,
        timeout_graceful_shutdown=2,
        access_log=False,
        log_level="warning",
        server_header=False,
    )
    server: Any = _server_class()(config)
    sock.listen(2048)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, server.handle_exit)
    print(
        f"Serving the character finder on http://{services.url_host(host)}:{sock.getsockname()[1]}",
        flush=True,
    )
    server.run(sockets=[sock])
    return 0


def start() -> Service:
    """Run the service in the background on a free port (once per process) and return it."""
    return services.start("support.examples.web_mojifinder")


if __name__ == "__main__":
    raise SystemExit(main())
