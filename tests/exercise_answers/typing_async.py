"""Answers to the exercises of lesson 09: ``with_timeout``, ``paginate`` and ``leased``.

The checks read each answer's source and run mypy on it, so every answer here is written as a learner would
write it in a cell: its own annotations, nothing borrowed from the rest of this module but the names that the
check's preamble imports too (asyncio, collections.abc, contextlib, typing.Any) and ``Connection``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, TypeVar

from support.exercises.typing_async import Connection, check_leased, check_paginate, check_with_timeout

from . import Cases, Wrong

T = TypeVar("T")

# --- Exercise 1: with_timeout -----------------------------------------------------------------------------


async def with_timeout(job: Awaitable[int], seconds: float) -> int:
    async with asyncio.timeout(seconds):
        return await job


async def with_timeout_generic(job: Awaitable[T], seconds: float) -> T:
    """Another right answer: any result type, kept from the job to the caller."""
    async with asyncio.timeout(seconds):
        return await job


async def with_timeout_wait_for(job: Awaitable[int], seconds: float) -> int:
    """Another right answer, with asyncio.wait_for."""
    return await asyncio.wait_for(job, seconds)


async def with_timeout_stub(job, seconds):
    # Your annotations and code here.
    ...


async def with_timeout_coroutine(job: Coroutine[Any, Any, int], seconds: float) -> int:
    async with asyncio.timeout(seconds):
        return await job


async def with_timeout_returns_awaitable(job: Awaitable[int], seconds: float) -> Awaitable[int]:
    async with asyncio.timeout(seconds):
        return await job


async def with_timeout_any_job(job: Awaitable[Any], seconds: float) -> Any:
    async with asyncio.timeout(seconds):
        return await job


async def with_timeout_int_seconds(job: Awaitable[int], seconds: int) -> int:
    async with asyncio.timeout(seconds):
        return await job


async def with_timeout_forgets_await(job: Awaitable[int], seconds: float) -> int:
    async with asyncio.timeout(seconds):  # noqa: ASYNC100 (the mistake being tested)
        return job


async def with_timeout_never_awaits_the_job(job: Awaitable[int], seconds: float) -> int:
    return 7  # what the quick job gives, without running it: mypy cannot tell


async def with_timeout_unannotated(job, seconds):
    async with asyncio.timeout(seconds):
        return await job


async def with_timeout_ignores_the_limit(job: Awaitable[int], seconds: float) -> int:
    return await job


# --- Exercise 2: paginate ---------------------------------------------------------------------------------


async def paginate(fetch_page: Callable[[int], Awaitable[list[str]]]) -> AsyncGenerator[str, None]:
    page = 1
    while names := await fetch_page(page):
        for name in names:
            yield name
        page += 1


async def paginate_stub(fetch_page):
    # Your annotations and code here.
    ...


async def paginate_returns_list(fetch_page: Callable[[int], Awaitable[list[str]]]) -> list[str]:
    page = 1
    while names := await fetch_page(page):
        for name in names:
            yield name
        page += 1


async def paginate_iterator(fetch_page: Callable[[int], Awaitable[list[str]]]) -> Iterator[str]:
    page = 1
    while names := await fetch_page(page):
        for name in names:
            yield name
        page += 1


async def paginate_yields_bytes(
    fetch_page: Callable[[int], Awaitable[list[str]]],
) -> AsyncGenerator[bytes, None]:
    page = 1
    while names := await fetch_page(page):
        for name in names:
            yield name.encode()  # bytes have .upper() too: only the list[str] use tells
        page += 1


async def paginate_async_iterator(fetch_page: Callable[[int], Awaitable[list[str]]]) -> AsyncIterator[str]:
    page = 1
    while names := await fetch_page(page):
        for name in names:
            yield name
        page += 1


async def paginate_any_fetch(fetch_page: Callable[[int], Any]) -> AsyncGenerator[str, None]:
    page = 1
    while names := await fetch_page(page):
        for name in names:
            yield name
        page += 1


async def paginate_yields_any(fetch_page: Callable[[int], Awaitable[list[str]]]) -> AsyncGenerator[Any, None]:
    page = 1
    while names := await fetch_page(page):
        for name in names:
            yield name
        page += 1


async def paginate_yields_pages(
    fetch_page: Callable[[int], Awaitable[list[str]]],
) -> AsyncGenerator[list[str], None]:
    page = 1
    while names := await fetch_page(page):
        yield names
        page += 1


async def paginate_eager(fetch_page: Callable[[int], Awaitable[list[str]]]) -> AsyncGenerator[str, None]:
    every: list[str] = []
    page = 1
    while names := await fetch_page(page):
        every += names
        page += 1
    for name in every:
        yield name


async def paginate_forgets_await(
    fetch_page: Callable[[int], Awaitable[list[str]]],
) -> AsyncGenerator[str, None]:
    page = 1
    while names := fetch_page(page):
        for name in names:
            yield name
        page += 1


async def paginate_never_stops(
    fetch_page: Callable[[int], Awaitable[list[str]]],
) -> AsyncGenerator[str, None]:
    page = 1
    while True:  # an empty page is skipped, and the next one asked for, for ever
        for name in await fetch_page(page):
            yield name
        page += 1


async def paginate_returns_a_list(fetch_page: Callable[[int], Awaitable[list[str]]]) -> list[str]:
    every: list[str] = []
    page = 1
    while names := await fetch_page(page):
        every += names
        page += 1
    return every


# --- Exercise 3: leased -----------------------------------------------------------------------------------


@asynccontextmanager
async def leased(pool: asyncio.Queue[Connection]) -> AsyncIterator[Connection]:
    connection = await pool.get()
    try:
        yield connection
    finally:
        pool.put_nowait(connection)


@asynccontextmanager
async def leased_async_generator(pool: asyncio.Queue[Connection]) -> AsyncGenerator[Connection, None]:
    """Another right answer: AsyncGenerator[Connection, None] is as good a return type."""
    connection = await pool.get()
    try:
        yield connection
    finally:
        pool.put_nowait(connection)


async def leased_stub(pool):
    # Your annotations and code here.
    ...


@asynccontextmanager
async def leased_without_finally(pool: asyncio.Queue[Connection]) -> AsyncIterator[Connection]:
    connection = await pool.get()
    yield connection
    pool.put_nowait(connection)


async def leased_without_decorator(pool: asyncio.Queue[Connection]) -> AsyncIterator[Connection]:
    connection = await pool.get()
    try:
        yield connection
    finally:
        pool.put_nowait(connection)


@asynccontextmanager
async def leased_annotated_as_manager(
    pool: asyncio.Queue[Connection],
) -> AbstractAsyncContextManager[Connection]:
    connection = await pool.get()
    try:
        yield connection
    finally:
        pool.put_nowait(connection)


@asynccontextmanager
async def leased_annotated_as_connection(pool: asyncio.Queue[Connection]) -> Connection:
    connection = await pool.get()
    try:
        yield connection
    finally:
        pool.put_nowait(connection)


@asynccontextmanager
async def leased_yields_any(pool: asyncio.Queue[Connection]) -> AsyncIterator[Any]:
    connection = await pool.get()
    try:
        yield connection
    finally:
        pool.put_nowait(connection)


@asynccontextmanager
async def leased_any_pool(pool: Any) -> AsyncIterator[Connection]:
    connection = await pool.get()
    try:
        yield connection
    finally:
        pool.put_nowait(connection)


@asynccontextmanager
async def leased_swallows_errors(pool: asyncio.Queue[Connection]) -> AsyncIterator[Connection]:
    connection = await pool.get()
    try:
        yield connection
    except Exception:
        pass  # "handled"
    finally:
        pool.put_nowait(connection)


@asynccontextmanager
async def leased_get_nowait(pool: asyncio.Queue[Connection]) -> AsyncIterator[Connection]:
    connection = pool.get_nowait()
    try:
        yield connection
    finally:
        pool.put_nowait(connection)


@asynccontextmanager
async def leased_puts_back_twice(pool: asyncio.Queue[Connection]) -> AsyncIterator[Connection]:
    connection = await pool.get()
    try:
        yield connection
        pool.put_nowait(connection)
    finally:
        pool.put_nowait(connection)  # and once more here


@asynccontextmanager
async def leased_except_exception(pool: asyncio.Queue[Connection]) -> AsyncIterator[Connection]:
    connection = await pool.get()
    try:
        yield connection
    except Exception:
        pool.put_nowait(connection)  # a cancelled block skips this: CancelledError is a BaseException
        raise
    pool.put_nowait(connection)


@asynccontextmanager
async def leased_gets_inside_the_try(pool: asyncio.Queue[Connection]) -> AsyncIterator[Connection]:
    try:
        connection = await pool.get()  # cancelled here, the finally has no connection to put back
        yield connection
    finally:
        pool.put_nowait(connection)


CASES = [
    Cases(
        check_with_timeout,
        right=with_timeout,
        stub=with_timeout_stub,
        wrong=[
            Wrong(
                with_timeout_coroutine,
                "asks for a Coroutine: tasks and futures are refused",
                "not a coroutine",
            ),
            Wrong(
                with_timeout_returns_awaitable,
                "annotates the async def as returning Awaitable[int]",
                "what `await` gives back",
            ),
            Wrong(with_timeout_any_job, "Awaitable[Any]: a job of str gets through", "that job gives a str"),
            Wrong(with_timeout_int_seconds, "seconds: int", "seconds may have a fraction"),
            Wrong(with_timeout_forgets_await, "returns the job without awaiting it", 'forgot to use "await"'),
            Wrong(
                with_timeout_never_awaits_the_job,
                "returns a value, never awaits the job",
                "should raise TimeoutError",
            ),
            Wrong(with_timeout_unannotated, "leaves the parameters unannotated", "missing a type annotation"),
            Wrong(
                with_timeout_ignores_the_limit, "never applies the time limit", "should raise TimeoutError"
            ),
        ],
    ),
    Cases(
        check_paginate,
        right=paginate,
        stub=paginate_stub,
        wrong=[
            Wrong(
                paginate_returns_list,
                "-> list[str] on an async generator",
                "it never builds a list. Annotate it AsyncIterator[...] or AsyncGenerator[..., None].",
            ),
            Wrong(
                paginate_iterator,
                "-> Iterator[str] on an async generator",
                "Iterator is the type of a plain generator, read with `for`. A function with `async def` and "
                "`yield` makes an async generator, read with `async for`: AsyncIterator[...] or "
                "AsyncGenerator[..., None].",
            ),
            Wrong(
                paginate_yields_bytes, "yields bytes, not str", "a use that should pass: List comprehension"
            ),
            Wrong(paginate_async_iterator, "-> AsyncIterator[str]: aclosing() refuses it", "aclose()"),
            Wrong(paginate_any_fetch, "fetch_page returns Any", "fetch_names_now gives a list at once"),
            Wrong(paginate_yields_any, "yields Any", "the names are str"),
            Wrong(paginate_yields_pages, "yields whole pages", "not whole pages"),
            Wrong(paginate_eager, "fetches every page before yielding", "fetch the next page only once"),
            Wrong(paginate_forgets_await, "calls fetch_page without await", "mypy rejects your code at line"),
            Wrong(paginate_returns_a_list, "a coroutine that returns the list", "must be an async generator"),
            Wrong(paginate_never_stops, "never stops at the empty page", "stop at the first empty page"),
        ],
    ),
    Cases(
        check_leased,
        right=leased,
        stub=leased_stub,
        wrong=[
            Wrong(leased_without_finally, "puts the connection back without finally", "in a `finally`"),
            Wrong(
                leased_without_decorator,
                "forgets @asynccontextmanager",
                "Decorate leased with @asynccontextmanager",
            ),
            Wrong(
                leased_annotated_as_manager,
                "annotates the generator with the manager's type",
                "annotate the generator itself",
            ),
            Wrong(
                leased_annotated_as_connection,
                "annotates the generator with the Connection it yields",
                "its return type says what it yields",
            ),
            Wrong(leased_yields_any, "-> AsyncIterator[Any]", "the block gets a Connection"),
            Wrong(leased_any_pool, "pool: Any", "a list is not a pool"),
            Wrong(leased_swallows_errors, "an except that swallows the block's error", "disappeared"),
            Wrong(leased_get_nowait, "get_nowait(): fails on an empty pool", "QueueEmpty"),
            Wrong(leased_puts_back_twice, "puts the connection back twice", "was in the pool twice"),
            Wrong(
                leased_except_exception,
                "puts it back in except Exception",
                "your `except Exception` misses it",
            ),
            Wrong(leased_gets_inside_the_try, "await pool.get() inside the try", "before the `try`"),
        ],
    ),
]

# The right answers that are not the model answer: each must pass too (tests/test_exercises_typing_async.py).
OTHER_RIGHT = [
    (check_with_timeout, with_timeout_generic),
    (check_with_timeout, with_timeout_wait_for),
    (check_leased, leased_async_generator),
]
