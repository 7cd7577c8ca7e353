"""Checks for the exercises of ``05_async_servers``: a web client, a TCP client, and a TCP server handler.

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
from typing import Any

import httpx

from ..examples import tcp_mojifinder_hardened as tcp_mojifinder
from ..examples import web_mojifinder
from ..examples.charindex import InvertedIndex, shared_index
from .checking import checker, fail, require

__all__ = ["LONG_LINE", "check_count_found", "check_search_names", "check_shout"]

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
    service = web_mojifinder.start()
    index = shared_index()
    queries = ["cat face", "chess black", "zzzz", "cat & face"]
    async with httpx.AsyncClient(base_url=service.url, timeout=10) as client:
        for query in queries:
            chars = sorted(index.search(query))
            expected = [unicodedata.name(c) for c in chars]
            result = await search_names(client, query)
            require(result is not None, "search_names returned None: return the list of names.")
            if inspect.isawaitable(result):
                _drop(result)
                fail(
                    "search_names returned something still to await: did you forget `await` before client.get?"
                )
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


# --- exercise 2: a StreamReader client for the TCP protocol ---------------------------------------------


@functools.cache
def _small_index() -> InvertedIndex:
    return InvertedIndex(0x20, 0x3000)  # Latin, Greek, arrows, symbols: built in a blink


@contextlib.asynccontextmanager
async def _counting_finder() -> AsyncIterator[tuple[int, dict[str, int]]]:
    """The real TCP finder on a free port, counting connections opened and those still open."""
    counts = {"opened": 0, "open": 0}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        counts["opened"] += 1
        counts["open"] += 1
        try:
            await tcp_mojifinder.handle_client(_small_index(), reader, writer, idle_timeout=5.0)
        finally:
            counts["open"] -= 1

    server = await asyncio.start_server(handle, "127.0.0.1", 0, limit=tcp_mojifinder.MAX_LINE)
    try:
        yield server.sockets[0].getsockname()[1], counts
    finally:
        server.close()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(1):
                await server.wait_closed()


@checker("Exercise 2", todo="fill in count_found above, then run this cell", time_limit=8.0)
async def check_count_found(count_found: Callable[[str, int, list[str]], Awaitable[dict[str, int]]]) -> str:
    """``count_found(host, port, queries)``: one connection, every query in turn, ``{query: N found}``."""
    require(
        inspect.iscoroutinefunction(count_found),
        "count_found must be defined with `async def`: it awaits the stream reader.",
    )
    queries = ["rightwards arrow", "zzzz", "greek small letter alpha", "latin capital letter a"]
    expected = {q: len(_small_index().search(q)) for q in queries}
    async with _counting_finder() as (port, counts):
        result = await count_found("127.0.0.1", port, list(queries))
        if inspect.isawaitable(result):
            _drop(result)
            fail("count_found returned something still to await: did you forget an `await`?")
        require(result is not None, "count_found returned None: return a dict of query -> number found.")
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
            counts["opened"] == 1,
            f"you opened {counts['opened']} connections: open one, before the loop, and send every query on it.",
        )
        for _ in range(20):  # the server notices the close a moment later
            if counts["open"] == 0:
                break
            await asyncio.sleep(0.02)
        require(
            counts["open"] == 0,
            "the connection is still open: close it when you are done (writer.close(); await writer.wait_closed()).",
        )
    return f"{len(queries)} queries over one connection, every count right, the connection closed"


# --- exercise 3: a handler that enforces a limit ---------------------------------------------------------


class _YieldingReader:
    """A StreamReader that gives the loop a turn on every read and counts reads after the end of input.

    A handler that loops for ever at end of input would otherwise never yield and freeze the notebook.
    """

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self._reader = reader
        self.reads_after_eof = 0

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
            return await attribute(*args, **kwargs)

        return read


class _Spinning(Exception):
    """The handler kept reading after the end of input."""


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, line: bytes) -> bytes:
    writer.write(line)
    await writer.drain()
    async with asyncio.timeout(2):
        return await reader.readline()


@checker("Exercise 3", todo="fill in shout above, then run this cell", time_limit=8.0)
async def check_shout(shout: Handler) -> str:
    """``shout(reader, writer)``: upper-case each line, ``too long`` past the limit, close at end of input."""
    require(
        inspect.iscoroutinefunction(shout),
        "shout must be defined with `async def`: start_server awaits it for each client.",
    )
    errors: list[BaseException] = []
    spinning: list[_YieldingReader] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        watched = _YieldingReader(reader)
        try:
            await shout(watched, writer)  # type: ignore[arg-type]
        except _Spinning:
            spinning.append(watched)
            writer.close()
        except Exception as exc:  # the learner's error: reported below with their line
            errors.append(exc)
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        idle_reader, idle_writer = await asyncio.open_connection("127.0.0.1", port)  # says nothing at all
        try:
            exact = "a" * LONG_LINE
            for line, want in [
                ("hello, server", "HELLO, SERVER"),
                ("x" * (LONG_LINE + 10), "too long"),
                (exact, exact.upper()),
                ("b" * (LONG_LINE + 1), "too long"),
                ("still there?", "STILL THERE?"),
            ]:
                try:
                    reply = await _exchange(reader, writer, line.encode() + b"\n")
                except TimeoutError:
                    if errors:
                        raise errors[0] from None
                    fail(f"no reply to {line!r} within 2 s: write the answer and `await writer.drain()`.")
                if errors:
                    raise errors[0]
                text = reply.decode(errors="replace").rstrip("\r\n")
                if not reply:
                    if want == "too long":
                        fail(
                            "a long line closed the connection: answer `too long` and keep the session going."
                        )
                    fail(f"the connection closed after {line!r}: keep serving until the client is done.")
                if want == "too long" and len(line) == LONG_LINE + 1 and text == line.upper():
                    fail(f"a line of {LONG_LINE + 1} characters is over the limit of {LONG_LINE}.")
                if line == exact and text == "too long":
                    fail(
                        f"a line of exactly {LONG_LINE} characters is allowed: don't count the newline "
                        "(strip it first)."
                    )
                if want != "too long" and text == line:
                    fail("the reply should be the line in upper case (line.upper()).")
                require(text == want, f"sent {line!r}, expected the reply {want!r}, got {text!r}.")
            writer.write_eof()  # the client is done
            try:
                async with asyncio.timeout(2):
                    rest = await reader.read()
            except TimeoutError:
                if spinning:
                    fail(
                        "at the end of input readline() returns b'' at once: stop the loop there, then close."
                    )
                fail(
                    "the client finished but the connection stayed open: close the writer when readline() gives b''."
                )
            if spinning:
                fail("at the end of input readline() returns b'' at once: stop the loop there, then close.")
            require(rest == b"", f"after the client finished, nothing more should come; got {rest!r:.80}.")
            if errors:
                raise errors[0]
        finally:
            for w in (writer, idle_writer):
                w.close()
            del idle_reader
    finally:
        server.close()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(1):
                await server.wait_closed()
    return "lines upper-cased, long lines refused without hanging up, the connection closed at the end"
