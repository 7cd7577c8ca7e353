"""The TCP character finder, hardened: the second step after :mod:`support.examples.tcp_mojifinder`.

Same protocol, same answers: the prompt ``?> ``, one line per character found (``U+1F431<TAB>🐱<TAB>CAT
FACE``) in code point order, a status line ending in ``N found``, the prompt again. What this version adds is
what a server owes its other clients when one misbehaves. Lesson 06 shows each symptom on the taught version
first, live:

- a control character (an arrow key in ``nc``) or bytes that are not UTF-8: the taught version ends the
  session; this one answers ``error: ...`` and the session goes on;
- a line longer than the stream's limit: the taught version's ``readline()`` raises, its task dies and asyncio
  logs the error; this one takes at most ``--max-line`` bytes per line, answers ``error: ...``, reads and drops
  the rest of the line without storing it, and the session goes on;
- a client that stays silent, or stops reading its answer: the taught version waits for it for ever, holding a
  task and a file descriptor; this one says ``bye: ...`` after ``--idle-timeout`` seconds and closes;
- a client that vanishes mid-answer (a reset): the taught version's task dies with an error in the log; this
  one closes that connection, quietly, with a line in the ``--verbose`` log;
- a very large answer: written in batches, each drained, so one client's answer never fills memory.

Every error of one client's connection ends that connection only; when the server stops it closes every client.

Run it: ``python -m support.examples.tcp_mojifinder_hardened [--port 2323] [--idle-timeout S] [--max-line B]``,
then ``nc 127.0.0.1 2323``. It stops (status 0) on Ctrl-C or SIGTERM; status 1 when it cannot listen, 2 on a
usage error.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import unicodedata
from collections.abc import Callable

from support import cli
from support.examples.charindex import InvertedIndex, format_results, shared_index
from support.examples.tcp_mojifinder import BACKLOG, CRLF, PROMPT, status_line
from support.lab import services
from support.lab.services import Service
from support.open_files import raise_open_file_limit

__all__ = [
    "DEFAULT_PORT",
    "IDLE_TIMEOUT",
    "MAX_LINE",
    "PROMPT",
    "ask",
    "handle_client",
    "main",
    "serve",
    "start",
    "status_line",
]

DEFAULT_PORT = 2323  # the chapter's: telnet's 23, twice, and above 1023 so no privilege is needed
MAX_LINE = 1024  # bytes in a query line; the longest character name has under 100
IDLE_TIMEOUT = 60.0  # seconds a client may stay silent, or leave its answer unread
_BATCH = 256  # result lines written between two drains: one client's answer never fills memory

Log = Callable[[str], None]


class _LineTooLong(Exception):
    """A query line went past the limit; its bytes were dropped up to the newline."""


async def _read_line(reader: asyncio.StreamReader) -> bytes:
    """The next line, newline included; ``b""`` at end of input; a last line without newline as it is.

    A line longer than the reader's limit raises :class:`_LineTooLong` after the rest of it was read and
    dropped, so the next call starts at the next line. Memory stays within the limit throughout.
    """
    try:
        return await reader.readuntil(b"\n")
    except asyncio.IncompleteReadError as exc:  # end of input: the partial last line, or b""
        return exc.partial
    except asyncio.LimitOverrunError as exc:
        consumed = exc.consumed
    while True:  # drop what the buffer holds, then look for the newline again
        await reader.readexactly(consumed)
        try:
            await reader.readuntil(b"\n")
        except asyncio.IncompleteReadError:
            pass  # the client closed inside the long line
        except asyncio.LimitOverrunError as exc:
            consumed = exc.consumed
            continue
        raise _LineTooLong


def _problem(line: bytes) -> tuple[str, str]:
    """The query in ``line``, or an error message for a line that is not a query: (query, error)."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return "", "error: the query is not UTF-8 text"
    query = text.strip()
    if any(unicodedata.category(c) == "Cc" for c in query):
        return "", "error: control characters are not part of any name; type words, e.g. cat face"
    return query, ""


async def _send(writer: asyncio.StreamWriter, data: list[bytes], within: float) -> None:
    """Write ``data`` and wait until the client took it in (``drain``), for at most ``within`` seconds.

    One ``write`` of the joined lines, not ``writelines``: on Python 3.12.1 and 3.13.0 ``writelines`` trips an
    assertion when handed an empty generator (the chapter's crash on an empty result), and on both it
    does not count toward the buffer limit, so ``drain`` would never wait for a client that does not read.
    """
    if data:
        writer.write(b"".join(data))
    async with asyncio.timeout(within):
        await writer.drain()  # a client that does not read makes this wait: that is the back-pressure


async def _answer(writer: asyncio.StreamWriter, chars: set[str], within: float) -> None:
    lines = [line.encode() + CRLF for line in format_results(chars)]
    for i in range(0, len(lines), _BATCH):
        await _send(writer, lines[i : i + _BATCH], within)
    await _send(writer, [status_line(len(chars))], within)


async def handle_client(
    index: InvertedIndex,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    *,
    idle_timeout: float = IDLE_TIMEOUT,
    max_line: int = MAX_LINE,
    log: Log | None = None,
) -> None:
    """Serve one client until it closes, goes silent or vanishes; never raises for the client's doing.

    The reader's limit must be ``max_line`` (``start_server(..., limit=max_line)``): it bounds the bytes
    buffered for one line.
    """
    peer = writer.get_extra_info("peername")
    client = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
    say = log or (lambda text: None)
    try:
        while True:
            await _send(writer, [PROMPT], idle_timeout)
            try:
                async with asyncio.timeout(idle_timeout):
                    line = await _read_line(reader)
            except _LineTooLong:
                say(f"{client}: line over {max_line} bytes")
                await _send(
                    writer, [f"error: a query is at most {max_line} bytes".encode(), CRLF], idle_timeout
                )
                continue
            except TimeoutError:
                say(f"{client}: idle for {idle_timeout:g} s")
                await _send(writer, [f"bye: nothing received for {idle_timeout:g} s".encode(), CRLF], 1.0)
                break
            if not line:
                break  # the client closed its side
            query, error = _problem(line)
            if error:
                say(f"{client}: {error}")
                await _send(writer, [error.encode(), CRLF], idle_timeout)
                continue
            if not query:
                continue
            chars = index.search(query)
            await _answer(writer, chars, idle_timeout)
            say(f"{client}: {query!r}: {len(chars)} found")
    except TimeoutError:
        say(f"{client}: stopped reading its answer")
    except (ConnectionError, OSError):  # reset, broken pipe: which one depends on timing
        say(f"{client}: gone, its connection broke")
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError, OSError, TimeoutError):
            async with asyncio.timeout(1.0):
                await writer.wait_closed()


async def serve(
    host: str,
    port: int,
    *,
    index: InvertedIndex | None = None,
    idle_timeout: float = IDLE_TIMEOUT,
    max_line: int = MAX_LINE,
    log: Log | None = None,
    ready: Callable[[str], None] | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Listen on ``host:port`` (0: a free port) until ``stop`` is set (or for ever); then close every client.

    ``ready(url)`` is called once the socket listens, with ``tcp://host:port``.
    """
    index = index if index is not None else shared_index()
    clients: dict[asyncio.Task[None], asyncio.StreamWriter] = {}

    async def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        clients[task] = writer
        try:
            await handle_client(index, reader, writer, idle_timeout=idle_timeout, max_line=max_line, log=log)
        finally:
            clients.pop(task, None)

    server = await asyncio.start_server(connected, host, port, limit=max_line, backlog=BACKLOG)
    try:
        bound_host, bound_port = server.sockets[0].getsockname()[:2]
        if ready is not None:
            ready(f"tcp://{services.url_host(bound_host)}:{bound_port}")
        await (stop or asyncio.Event()).wait()
    finally:
        server.close()
        # Python 3.11 and 3.12 leave open connections to us. Closing each one ends its handler the ordinary
        # way (its read sees the end, its drain the lost connection), rather than by cancelling it.
        for writer in list(clients.values()):
            writer.close()
        if clients:
            _, stuck = await asyncio.wait(set(clients), timeout=2.0)
            for task in stuck:
                task.cancel()
            await asyncio.gather(*stuck, return_exceptions=True)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(2.0):
                await server.wait_closed()


async def ask(host: str, port: int, query: str) -> list[str]:
    """Connect, send one query, and return the answer's lines up to and including the status line.

    The lesson's client, and the one the benchmark runs a thousand times at once. A reply the server sends
    instead of an answer (``error: ...``, ``bye: ...``) raises ``ValueError`` with that line.
    """
    if not query.strip() or "\n" in query:
        raise ValueError(f"a query is one line with words in it, not {query!r}")
    reader, writer = await asyncio.open_connection(host, port)
    try:
        await reader.readuntil(PROMPT)
        writer.write(query.encode() + b"\n")
        await writer.drain()
        lines: list[str] = []
        while True:
            raw = await reader.readline()
            if not raw:
                raise ConnectionError(f"the server closed the connection after {len(lines)} lines")
            line = raw.decode().rstrip("\r\n")
            if line.startswith(("error: ", "bye: ")):
                raise ValueError(line)
            lines.append(line)
            if line.endswith(" found"):
                return lines
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m support.examples.tcp_mojifinder_hardened",
        description="The TCP character finder, hardened against clients that misbehave (try: nc 127.0.0.1 2323).",
        epilog="exit status: 0 after Ctrl-C or SIGTERM, 1 when it cannot listen, 2 on a usage error",
    )
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default: 127.0.0.1)")
    parser.add_argument(
        "--port", type=cli.port, default=DEFAULT_PORT, help="0 picks a free port (default: %(default)s)"
    )
    parser.add_argument(
        "--idle-timeout",
        type=cli.positive_seconds,
        default=IDLE_TIMEOUT,
        metavar="SECONDS",
        help="close clients silent (or not reading) this long (default: %(default)g)",
    )
    parser.add_argument(
        "--max-line",
        type=cli.positive_int,
        default=MAX_LINE,
        metavar="BYTES",
        help="longest query line accepted (default: %(default)s)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="print a line per query and per problem")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Serve until Ctrl-C or SIGTERM (status 0); 1 when the port cannot be bound."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        host = services.loopback_host(args.host)
    except ValueError as exc:
        parser.error(f"--host: {exc}")
    raise_open_file_limit(4096)  # one descriptor per client: room for a thousand at once
    try:
        index = shared_index()  # about a second: before the URL line, so "ready" means ready
    except KeyboardInterrupt:
        return 0

    def log(text: str) -> None:
        print(text, flush=True)

    def ready(url: str) -> None:
        print(f"Serving the character finder on {url}", flush=True)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve(
            host,
            args.port,
            index=index,
            idle_timeout=args.idle_timeout,
            max_line=args.max_line,
            log=log if args.verbose else None,
            ready=ready,
            stop=stop,
        )

    try:
        asyncio.run(run())
    except OSError as exc:  # the port is taken, or the address is not ours
        print(
            f"tcp_mojifinder_hardened: cannot listen on {host}:{args.port}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 1
    return 0


def start(
    *,
    idle_timeout: float | None = None,
    max_line: int | None = None,
    verbose: bool = False,
    private: bool = False,
) -> Service:
    """Run the server in the background on a free port (once per set of options) and return it."""
    args: list[str] = []
    if idle_timeout is not None:  # refused here, in the caller, rather than in the server's process
        args += ["--idle-timeout", repr(cli.positive_seconds(idle_timeout))]
    if max_line is not None:
        args += ["--max-line", str(cli.positive_int(max_line))]
    if verbose:
        args.append("--verbose")
    return services.start("support.examples.tcp_mojifinder_hardened", *args, private=private)


if __name__ == "__main__":
    try:
        status = main()
    except KeyboardInterrupt:  # a Ctrl-C outside the work, e.g. while the server stops
        status = cli.INTERRUPTED
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a late Ctrl-C, as Python exits, changes nothing
    sys.exit(status)
