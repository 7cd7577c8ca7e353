"""Checks for the exercises of ``06_async_servers``: a web client, a TCP client, and a TCP server handler.

Each check runs the learner's code against real sockets on 127.0.0.1: the web service started by the lesson
(``web_mojifinder.start()`` returns the running one), and for the TCP exercises servers started inside the
check, on a free port, in the notebook's own event loop, and closed before the verdict.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import unicodedata
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from ..examples import tcp_mojifinder_hardened as tcp_mojifinder
from ..examples import web_mojifinder
from ..examples.charindex import InvertedIndex, shared_index
from .checking import checker, fail, own_work, require, waiting_for
from .learner_code import read_code

__all__ = ["LONG_LINE", "check_count_found_on", "check_search_names", "check_shout"]

LONG_LINE = 20  # exercise 3: characters allowed before the newline

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def _drop(value: object) -> None:
    """Close a coroutine or cancel a future the learner returned unawaited, so nothing is left running."""
    if inspect.iscoroutine(value):
        value.close()
    elif isinstance(value, asyncio.Future):
        value.cancel()


# --- exercise 1: the web service, with httpx -------------------------------------------------------------


@checker("Exercise 1", todo="fill in search_names above, then run this cell")
async def check_search_names(search_names: Callable[[httpx.AsyncClient, str], Awaitable[list[str]]]) -> str:
    """``search_names(client, query)`` must return the names ``GET /search`` gives, in the server's order."""
    require(
        inspect.iscoroutinefunction(search_names),
        "search_names must be defined with `async def`: it awaits the HTTP client's answer.",
    )
    with own_work():  # starting the service and building the index: the check's business, not the answer's
        service = web_mojifinder.start()
        index = shared_index()
    queries = ["cat face", "chess black", "zzzz", "cat & face"]
    sent: list[httpx.Request] = []

    async def note(request: httpx.Request) -> None:
        sent.append(request)

    code = read_code(search_names)
    async with httpx.AsyncClient(base_url=service.url, timeout=10, event_hooks={"request": [note]}) as client:
        for query in queries:
            chars = sorted(index.search(query))
            expected = [unicodedata.name(c) for c in chars]
            asked = len(sent)
            with waiting_for(f"search_names(client, {query!r}) to return"):
                result = await search_names(client, query)
            if inspect.isawaitable(result):
                _drop(result)
                fail(
                    "search_names returned something still to await: did you forget `await` before client.get?"
                )
            if len(sent) == asked:
                blocking = [name for name, _ in code.blocking_calls() if not name.startswith(".")]
                if blocking:
                    fail(
                        f"search_names asked the service with {blocking[0]}, a blocking call: the event loop "
                        "stood still until the answer came, and no other task could run. Ask through the "
                        "client you are given: `await client.get(...)`."
                    )
                if code.calls("httpx.AsyncClient"):
                    fail(
                        "search_names made an httpx.AsyncClient of its own: each call then opens a new "
                        "connection. Ask through `client`, the one it is given (its base_url is the service)."
                    )
                require(
                    result is None,
                    "search_names sent no request through `client`: ask the service with "
                    '`await client.get("/search", params={"q": query})`.',
                )
            require(result is not None, "search_names returned None: return the list of names.")
            if isinstance(result, httpx.Response):
                fail(
                    "search_names returned the response itself: read its JSON (response.json()) and keep the names."
                )
            require(isinstance(result, list), f"return a list of names, not {type(result).__name__}.")
            if result and all(isinstance(item, dict) for item in result):
                fail('return the names only (item["name"]), not whole {"char": ..., "name": ...} items.')
            if result == chars and chars:
                fail('those are the characters; return their names (the "name" field).')
            if query == "cat & face" and result != expected:
                fail(
                    "a query holding & went wrong: let httpx encode it, "
                    'client.get("/search", params={"q": query}), instead of pasting it into the URL.'
                )
            if sorted(result) == sorted(expected) and result != expected:
                fail("keep the server's order (sorted by character); don't sort the names yourself.")
            require(result == expected, f"for {query!r} expected {len(expected)} names, got {result!r:.200}.")
    return f"{len(queries)} queries answered with the service's names, in its order"


# --- exercise 2: a TCP client on several connections at once --------------------------------------------


@functools.cache
def _small_index() -> InvertedIndex:
    return InvertedIndex(0x20, 0x3000)  # Latin, Greek, arrows, symbols: built in a blink


_QUERY_TIME = 0.1  # what the check's server takes per query


class _SlowReader:
    """The server side's reader: each line it hands the finder comes ``_QUERY_TIME`` late, like a slow search."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self._reader = reader

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reader, name)

    async def readuntil(self, separator: bytes = b"\n") -> bytes:
        line = await self._reader.readuntil(separator)
        await asyncio.sleep(_QUERY_TIME)
        return line


@dataclass
class _Connections:
    """What the check's server saw: connections opened, open now, and open at once at the most."""

    opened: int = 0
    open: int = 0
    most: int = 0


@contextlib.asynccontextmanager
async def _counting_finder() -> AsyncIterator[tuple[int, _Connections]]:
    """The real TCP finder on a free port, a little slow per query, counting the connections."""
    seen = _Connections()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.opened += 1
        seen.open += 1
        seen.most = max(seen.most, seen.open)
        try:
            await tcp_mojifinder.handle_client(
                _small_index(),
                _SlowReader(reader),  # type: ignore[arg-type]
                writer,
                idle_timeout=5.0,
            )
        finally:
            seen.open -= 1

    server = await asyncio.start_server(handle, "127.0.0.1", 0, limit=tcp_mojifinder.MAX_LINE)
    try:
        yield server.sockets[0].getsockname()[1], seen
    finally:
        server.close()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(1):
                await server.wait_closed()


def _reads_at_once(exc: BaseException) -> bool:
    """Whether ``exc`` (or one in its group) is a StreamReader's complaint about two readers at once."""
    if isinstance(exc, BaseExceptionGroup):
        return any(_reads_at_once(inner) for inner in exc.exceptions)
    return isinstance(exc, RuntimeError) and "already waiting" in str(exc)


CountFoundOn = Callable[[str, int, list[str], int], Awaitable[dict[str, int]]]
_COUNT_QUERIES = [
    "rightwards arrow",
    "zzzz",
    "greek small letter alpha",
    "latin capital letter a",
    "leftwards arrow",
    "greek capital letter omega",
    "black star",
    "white circle",
    "latin small letter z",
]
_CONNECTIONS = 3


@checker(
    "Exercise 2",
    todo="fill in count_found_on above, then run this cell",
    time_limit=3.0,
    hang="count_found_on to return: does it wait for a line the server never sends (a newline after the "
    "prompt `?> `, the end of a connection it keeps open)?",
)
async def check_count_found_on(count_found_on: CountFoundOn) -> str:
    """``count_found_on(host, port, queries, connections)``: that many connections at once, each asking its
    share of the queries in turn; ``{query: N found}``; every connection closed."""
    require(
        inspect.iscoroutinefunction(count_found_on),
        "count_found_on must be defined with `async def`: it awaits the stream readers.",
    )
    queries = list(_COUNT_QUERIES)
    expected = {q: len(_small_index().search(q)) for q in queries}
    async with _counting_finder() as (port, seen):
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            result = await count_found_on("127.0.0.1", port, list(queries), _CONNECTIONS)
        except Exception as exc:
            if not _reads_at_once(exc):
                raise
            fail(
                "two tasks read from one connection at the same time: its reader serves one reader at a time, "
                "and the answers would get mixed up anyway. Give each connection to one task, which sends "
                "that connection's queries one after another."
            )
        took = loop.time() - started
        if inspect.isawaitable(result):
            _drop(result)
            fail("count_found_on returned something still to await: did you forget an `await`?")
        require(result is not None, "count_found_on returned None: return a dict of query -> number found.")
        require(
            isinstance(result, dict), f"return a dict of query -> number found, not {type(result).__name__}."
        )
        require(
            set(result) == set(queries), f"expected one entry per query {queries}, got keys {list(result)}."
        )
        for query in queries:
            got, want = result[query], expected[query]
            require(isinstance(got, int), f"{query!r}: give the count as an int, not {got!r}.")
            if got == want + 1:
                fail(f"{query!r}: {got} is one too many: the status line is not a character.")
            require(
                got == want, f"{query!r}: the server found {want}, you said {got}: read the N in 'N found'."
            )
        require(
            seen.opened <= _CONNECTIONS,
            f"you opened {seen.opened} connections for connections={_CONNECTIONS}: open that many, and "
            "send each one several queries, in turn.",
        )
        require(
            seen.opened == _CONNECTIONS,
            f"you opened {seen.opened} connection(s) for connections={_CONNECTIONS}: open all of them, and "
            "share the queries among them.",
        )
        require(
            seen.most == _CONNECTIONS and took < 0.6 * len(queries) * _QUERY_TIME,
            f"the {_CONNECTIONS} connections took turns: the whole took as long as the queries one after "
            "another. Run one task per connection, all at once (a TaskGroup), each asking its share in turn.",
        )
        for _ in range(20):  # the server notices the close a moment later
            if seen.open == 0:
                break
            await asyncio.sleep(0.02)
        require(
            seen.open == 0,
            f"{seen.open} connection(s) still open: close each one when its queries are done "
            "(writer.close(); await writer.wait_closed()).",
        )
    return (
        f"{len(queries)} queries over {_CONNECTIONS} connections at once, every count right, every connection "
        "closed"
    )


# --- exercise 3: a handler that enforces a limit ---------------------------------------------------------


class _YieldingReader:
    """A StreamReader that gives the loop a turn on every read, and notes what the handler read.

    A handler that loops for ever at end of input would otherwise never yield and freeze the notebook.
    ``lines`` counts the lines handed to the handler; ``reads_after_eof`` the reads after the end of input.
    """

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self._reader = reader
        self.reads_after_eof = 0
        self.lines = 0

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._reader, name)
        if name not in {"read", "readline", "readuntil", "readexactly"}:
            return attribute

        async def read(*args: Any, **kwargs: Any) -> Any:
            await asyncio.sleep(0)
            if self._reader.at_eof():
                self.reads_after_eof += 1
                if self.reads_after_eof > 1000:
                    raise _Spinning
            data = await attribute(*args, **kwargs)
            if data:
                self.lines += 1
            return data

        return read


class _Spinning(Exception):
    """The handler kept reading after the end of input."""


@dataclass
class _Handled:
    """One connection's handler, seen from the server side."""

    reader: _YieldingReader | None = None
    port: int = 0  # the client's port, to tell the check's two connections apart
    ended: bool = False
    error: BaseException | None = None
    spinning: bool = False


async def _reply(
    reader: asyncio.StreamReader, seconds: float, *, to_the_end: bool = False
) -> tuple[bytes, str]:
    """What came back within ``seconds`` (a line, or all until the end), and how it ended: ``"line"``,
    ``"closed"`` or ``"silent"``."""
    got = b""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while to_the_end or b"\n" not in got:
        try:
            async with asyncio.timeout(max(0.0, deadline - loop.time())):
                chunk = await reader.read(1024)
        except TimeoutError:
            return got, "silent"
        if not chunk:
            return got, "closed"
        got += chunk
    return got, "line"


@checker(
    "Exercise 3",
    todo="fill in shout above, then run this cell",
    time_limit=5.0,
    hang="shout to answer, or to close the connection once the client was done",
)
async def check_shout(shout: Handler) -> str:
    """``shout(reader, writer)``: upper-case each line, ``too long`` past the limit, close at end of input."""
    require(
        inspect.iscoroutinefunction(shout),
        "shout must be defined with `async def`: start_server awaits it for each client.",
    )
    code = read_code(shout)
    handled: list[_Handled] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        this = _Handled(_YieldingReader(reader), writer.get_extra_info("peername")[1])
        handled.append(this)
        try:
            await shout(this.reader, writer)  # type: ignore[arg-type]
        except _Spinning:
            this.spinning = True
            writer.close()
        except Exception as exc:  # the learner's error: reported below with their line
            this.error = exc
            writer.close()
        finally:
            this.ended = True

    def learner_error() -> None:
        for this in handled:
            if this.error is not None:
                raise this.error

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        _, idle_writer = await asyncio.open_connection("127.0.0.1", port)  # says nothing at all
        try:
            await _converse(reader, writer, handled, learner_error, code)
            writer.write_eof()  # the client is done
            got, how = await _reply(reader, 2.0, to_the_end=True)
            learner_error()
            if any(this.spinning for this in handled):
                fail("at the end of input readline() returns b'' at once: stop the loop there, then close.")
            if how == "silent":
                fail(
                    "the client finished but the connection stayed open: close the writer when readline() "
                    "gives b''."
                )
            require(got == b"", f"after the client finished, nothing more should come; got {got!r:.80}.")
        finally:
            for w in (writer, idle_writer):
                w.close()
    finally:
        server.close()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(1):
                await server.wait_closed()
    return "lines upper-cased, long lines refused without hanging up, the connection closed at the end"


async def _converse(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    handled: list[_Handled],
    learner_error: Callable[[], None],
    code: Any,
) -> None:
    """Send the check's lines one by one and judge each reply."""
    exact = "a" * LONG_LINE
    accents = "é" * LONG_LINE  # 20 characters, 40 bytes in UTF-8
    lines = [
        ("hello, server", "HELLO, SERVER"),
        ("x" * (LONG_LINE + 10), "too long"),
        (exact, exact.upper()),
        ("b" * (LONG_LINE + 1), "too long"),
        ("un café crème", "UN CAFÉ CRÈME"),
        (accents, accents.upper()),
        ("still there?", "STILL THERE?"),
    ]
    for number, (line, want) in enumerate(lines):
        writer.write(line.encode() + b"\n")
        await writer.drain()
        with waiting_for(f"the reply to {line!r}"):
            got, how = await _reply(reader, 1.0)
        learner_error()
        text = got.decode(errors="replace").rstrip("\r\n")
        if how == "silent":
            if got:
                fail(
                    f"the reply to {line!r} came without its newline ({got!r:.40}): the client reads "
                    "a line at a time, so end each answer with b'\\n'."
                )
            if not code.calls(".write", ".writelines"):
                fail(f"no reply to {line!r}: answer each line with writer.write(...).")
            if code.calls(".read") and not code.calls(".readline", ".readuntil"):
                fail(
                    f"no reply to {line!r}: reader.read() waits for more bytes, or for the end of input; "
                    "read one line at a time with `await reader.readline()`."
                )
            fail(f"no reply to {line!r} within 1 s: answer each line as soon as you have read it.")
        if how == "closed" and not got:
            port = writer.get_extra_info("sockname")[1]
            ended = next((this for this in handled if this.port == port), None)
            read = ended.reader.lines if ended and ended.reader else 0
            if ended is not None and ended.ended and read < number + 1:
                fail(
                    f"your handler returned after {read} line{'s' if read != 1 else ''}: keep reading and "
                    "answering in a loop until readline() gives b''."
                )
            if want == "too long":
                fail("a long line closed the connection: answer `too long` and keep the session going.")
            fail(f"the connection closed after {line!r}: keep serving until the client is done.")
        if want == "too long" and len(line) == LONG_LINE + 1 and text == line.upper():
            fail(f"a line of {LONG_LINE + 1} characters is over the limit of {LONG_LINE}.")
        if line == exact and text == "too long":
            fail(
                f"a line of exactly {LONG_LINE} characters is allowed: don't count the newline (strip it "
                "first)."
            )
        if line == accents and text == "too long":
            fail(
                f"a line of {LONG_LINE} characters with accents (é is 2 bytes in UTF-8) is allowed: count "
                "the characters of the decoded line, not its bytes."
            )
        if line.isascii() is False and text != want and got.rstrip(b"\r\n") == line.encode().upper():
            fail(
                f"{line!r} came back as {text!r}: upper() on bytes changes only the ASCII letters. Decode "
                "the line (line.decode()), upper-case the text, encode the answer."
            )
        if want != "too long" and text == line:
            fail("the reply should be the line in upper case (line.upper()).")
        require(text == want, f"sent {line!r}, expected the reply {want!r}, got {text!r}.")
