"""The least an asyncio HTTP server can do: the baseline the flag site's benchmark divides by.

``asyncio.start_server`` with one handler: read up to the blank line that ends the request's headers, sleep
``--delay`` seconds, answer a fixed ``200 OK`` with a small body, close. No parsing, no routing, no log: what is
left is the cost of accepting a connection, one read, one timer and one write in a Python event loop, which
any asyncio server pays. ``benchmarks/bench_flag_site.py`` runs it beside the flag site, with the same client,
so the site's own cost per connection shows as a ratio that the machine's speed and load mostly cancel out of.

Run: ``python -m benchmarks.bare_http_server --port 0 --delay 1.0`` (from the repository's root); it prints
``Serving the bare baseline on http://127.0.0.1:PORT`` once it listens, the line ``support.lab.services``
waits for, and stops on SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a plain checkout too

from support.lab import asgi_server  # noqa: E402
from support.open_files import raise_open_file_limit  # noqa: E402

__all__ = ["BODY", "RESPONSE", "main", "serve"]

BODY = b"GIF89a" + bytes(26)  # small, like the site's smallest answers; its content does not matter here
RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: image/gif\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
    % len(BODY)
    + BODY
)
_HEADERS_MAX = 16 * 1024  # as the site's limit; a request that breaks it is answered nothing


async def _answer(delay: float, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        await reader.readuntil(b"\r\n\r\n")
        await asyncio.sleep(delay)
        writer.write(RESPONSE)
        await writer.drain()
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        pass
    finally:
        writer.close()


async def serve(host: str, port: int, delay: float) -> None:
    """Listen (with the flag site's backlog, so both queue a burst alike) until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    server = await asyncio.start_server(
        lambda r, w: _answer(delay, r, w), host, port, backlog=asgi_server.BACKLOG, limit=_HEADERS_MAX
    )
    print(f"Serving the bare baseline on http://{host}:{server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await stop.wait()
        server.close()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(2.0):
                await server.wait_closed()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay", type=float, default=1.0, help="seconds before each answer (default 1.0)")
    args = parser.parse_args(argv)
    raise_open_file_limit(65536)  # as the site does: one descriptor per connection
    asyncio.run(serve(args.host, args.port, args.delay))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
