"""The character finder over plain TCP, with nothing but asyncio streams: type words, get characters.

The protocol is line-based, for ``nc`` or ``telnet``. The server sends the prompt ``?> ``; the client sends
words and a newline; the server answers one line per character (``U+1F431<TAB>🐱<TAB>CAT FACE``), in code
point order, then a status line ending in ``N found``, then the prompt again. A line that starts with a
control character ends the session (an arrow key typed in ``nc`` does that, as in the chapter).

``asyncio.start_server`` runs :func:`finder` once per connection, each in a task of its own; the
:func:`supervisor` listens and, when it stops, closes its clients. Lesson 06 defines these functions in its
cells and runs them; :mod:`support.examples.tcp_mojifinder_hardened` is the next step, a server that copes with
clients that misbehave.

Run it: ``python -m support.examples.tcp_mojifinder [--port 2323]``, then ``nc 127.0.0.1 2323`` in another
terminal. Ctrl-C (or SIGTERM) stops it with status 0; status 1 when it cannot listen, 2 on a usage error.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import cast

from support import cli
from support.examples.charindex import InvertedIndex, format_results
from support.lab import services
from support.open_files import raise_open_file_limit

__all__ = ["CRLF", "PROMPT", "finder", "main", "search", "start", "status_line", "supervisor"]

CRLF = b"\r\n"
PROMPT = b"?> "
DEFAULT_PORT = 2323  # the chapter's: telnet's 23, twice, and above 1023 so no privilege is needed
BACKLOG = 2048  # connections the kernel queues before we accept them: a burst of 1,000 waits, not refused


def status_line(count: int) -> bytes:
    return f"{'─' * 12} {count} found".encode() + CRLF


async def finder(index: InvertedIndex, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while True:
        writer.write(PROMPT)  # <1>
        await writer.drain()  # <2>
        data = await reader.readline()  # <3>
        if not data:  # <4>
            break
        try:
            query = data.decode().strip()
        except UnicodeDecodeError:  # <5>
            query = "\x00"
        if query:
            if ord(query[:1]) < 32:  # <6>
                break
            await search(query, index, writer)  # <7>
    writer.close()  # <8>
    await writer.wait_closed()


async def search(query: str, index: InvertedIndex, writer: asyncio.StreamWriter) -> int:
    chars = index.search(query)
    lines = [line.encode() + CRLF for line in format_results(chars)]
    writer.write(b"".join(lines))  # <1>
    await writer.drain()  # <2>
    writer.write(status_line(len(chars)))
    await writer.drain()
    return len(chars)


async def supervisor(index: InvertedIndex, host: str, port: int) -> None:
    clients: dict[asyncio.StreamWriter, asyncio.Task[None]] = {}

    async def client_connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        clients[writer] = cast(asyncio.Task[None], asyncio.current_task())  # <1>
        try:
            await finder(index, reader, writer)
        finally:
            del clients[writer]

    server = await asyncio.start_server(client_connected, host, port, backlog=BACKLOG)  # <2>
    host, port = server.sockets[0].getsockname()[:2]  # the port the system chose, when asked for 0
    print(f"Serving the character finder on tcp://{services.url_host(host)}:{port}", flush=True)  # <3>
    serving = asyncio.ensure_future(server.serve_forever())  # <4>
    try:
        await asyncio.shield(serving)  # <5>
    finally:
        for writer in clients:  # <6>
            writer.transport.abort()
        serving.cancel()  # <7>
        await asyncio.wait([serving, *clients.values()])


def main(argv: list[str] | None = None) -> int:
    """Serve until Ctrl-C or SIGTERM (status 0); 1 when the address cannot be listened on."""
    parser = cli.Parser(
        prog="python -m support.examples.tcp_mojifinder",
        description="Find Unicode characters by name over plain TCP (try: nc 127.0.0.1 2323).",
        failed="cannot listen on that address and port",
    )
    parser.add_argument("--host", type=cli.checked(services.loopback_host), default="127.0.0.1")
    parser.add_argument("--port", type=cli.port, default=DEFAULT_PORT, help="0: a free port (default 2323)")
    args = parser.parse_args(argv)
    raise_open_file_limit(4096)  # a descriptor per client: room for a thousand at once
    index = InvertedIndex()  # about a second: before the line that says the server listens
    signal.signal(signal.SIGTERM, lambda *_: signal.raise_signal(signal.SIGINT))  # a kill is a Ctrl-C
    try:
        asyncio.run(supervisor(index, args.host, args.port))
    except OSError as exc:  # the port is taken
        print(f"tcp_mojifinder: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return cli.FAILED
    except KeyboardInterrupt:
        print("Server shut down.")
    return cli.OK


def start(*, private: bool = False) -> services.Service:
    """The server in a process of its own, on a free port (one per process unless ``private``)."""
    return services.start("support.examples.tcp_mojifinder", private=private)


if __name__ == "__main__":
    try:
        status = main()
    except KeyboardInterrupt:  # a Ctrl-C outside the work, e.g. while the index is built
        status = cli.INTERRUPTED
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a late Ctrl-C, as Python exits, changes nothing
    sys.exit(status)
