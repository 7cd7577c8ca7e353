"""Answers to the exercises of lesson 05: ``LoopWatch`` and ``transaction``."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiosqlite

from support.exercises.context_managers import check_loop_watch, check_transaction

from . import Cases, Wrong

# --- Exercise 1: LoopWatch ----------------------------------------------------------------------------------


class LoopWatch:
    async def __aenter__(self) -> LoopWatch:
        self.ticks = [time.perf_counter()]
        self.heartbeat = asyncio.create_task(self.beat())
        return self

    async def beat(self) -> None:
        while True:
            await asyncio.sleep(0.01)
            self.ticks.append(time.perf_counter())

    async def __aexit__(self, *exc_info: object) -> None:
        self.heartbeat.cancel()
        await asyncio.gather(self.heartbeat, return_exceptions=True)  # wait until it has stopped
        self.ticks.append(time.perf_counter())
        self.longest_gap = max(later - earlier for earlier, later in itertools.pairwise(self.ticks))


@contextlib.asynccontextmanager
async def loop_watch_from_a_generator() -> AsyncIterator[SimpleNamespace]:
    """Another right answer: @asynccontextmanager instead of a class, the clean-up in `finally`."""
    watch, ticks = SimpleNamespace(longest_gap=0.0), [time.perf_counter()]

    async def beat() -> None:
        while True:
            await asyncio.sleep(0.01)
            ticks.append(time.perf_counter())

    heartbeat = asyncio.create_task(beat())
    try:
        yield watch
    finally:
        heartbeat.cancel()
        await asyncio.gather(heartbeat, return_exceptions=True)
        ticks.append(time.perf_counter())
        watch.longest_gap = max(b - a for a, b in itertools.pairwise(ticks))


class LoopWatchStub:
    async def __aenter__(self) -> LoopWatchStub:
        # Your code here.
        ...

    async def __aexit__(self, *exc_info: object) -> None:
        # Your code here.
        ...


class LoopWatchNeverStops(LoopWatch):
    async def __aexit__(self, *exc_info: object) -> None:
        self.ticks.append(time.perf_counter())  # the heartbeat goes on ticking after the block
        self.longest_gap = max(b - a for a, b in itertools.pairwise(self.ticks))


class LoopWatchCancelsWithoutWaiting(LoopWatch):
    async def __aexit__(self, *exc_info: object) -> None:
        self.heartbeat.cancel()  # asks, and leaves before the task has stopped
        self.ticks.append(time.perf_counter())
        self.longest_gap = max(b - a for a, b in itertools.pairwise(self.ticks))


class LoopWatchAwaitsTheCancelledError(LoopWatch):
    async def __aexit__(self, *exc_info: object) -> None:
        self.heartbeat.cancel()
        await self.heartbeat  # raises CancelledError here, out of the async with
        self.ticks.append(time.perf_counter())
        self.longest_gap = max(b - a for a, b in itertools.pairwise(self.ticks))


class LoopWatchSwallows(LoopWatch):
    async def __aexit__(self, *exc_info: object) -> bool:  # type: ignore[override]
        await super().__aexit__(*exc_info)
        return True  # "handled": every exception in the block vanishes


class LoopWatchTimesTheBlock:
    async def __aenter__(self) -> LoopWatchTimesTheBlock:
        self.start = time.perf_counter()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.longest_gap = time.perf_counter() - self.start  # the whole block, blocked or not


class LoopWatchForgetsSelf(LoopWatch):
    async def __aenter__(self) -> None:  # type: ignore[override]
        await super().__aenter__()  # no `return self`: `as watch` gets None


class LoopWatchWithPlainWith:
    """Written for `with`, not `async with`: __enter__ and __exit__ cannot await the heartbeat."""

    def __enter__(self) -> LoopWatchWithPlainWith:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.longest_gap = time.perf_counter() - self.start


class LoopWatchWithSyncExit(LoopWatch):
    def __aexit__(self, *exc_info: object) -> None:  # type: ignore[override]  (no `async`)
        self.heartbeat.cancel()


class LoopWatchSaysWhetherItStalled(LoopWatch):
    async def __aexit__(self, *exc_info: object) -> None:
        await super().__aexit__(*exc_info)
        self.longest_gap = self.longest_gap > 0.1  # type: ignore[assignment]  (a yes or no, not seconds)


class LoopWatchTicksOnlyInTheTask(LoopWatch):
    async def __aexit__(self, *exc_info: object) -> None:
        self.heartbeat.cancel()
        await asyncio.gather(self.heartbeat, return_exceptions=True)
        gaps = [b - a for a, b in itertools.pairwise(self.ticks)]
        self.longest_gap = sum(gaps) / len(gaps)  # the average gap, not the longest


class LoopWatchWithASleepyHeartbeat(LoopWatch):
    async def beat(self) -> None:
        while True:
            time.sleep(0.01)  # noqa: ASYNC251 (the mistake: the heartbeat blocks the loop it measures)
            self.ticks.append(time.perf_counter())
            await asyncio.sleep(0)


class LoopWatchWithABlockingHeartbeat(LoopWatch):
    async def beat(self) -> None:
        while True:  # never awaits: once it starts, nothing else ever runs
            time.sleep(0.01)  # noqa: ASYNC251 (the mistake on show)
            self.ticks.append(time.perf_counter())


class LoopWatchWhoseHeartbeatIgnoresCancel(LoopWatch):
    async def beat(self) -> None:
        while True:
            try:
                await asyncio.sleep(0.01)
            except asyncio.CancelledError:
                pass  # swallowed: __aexit__ waits for it for ever
            self.ticks.append(time.perf_counter())


@contextlib.asynccontextmanager
async def loop_watch_without_finally() -> AsyncIterator[SimpleNamespace]:
    watch, ticks = SimpleNamespace(longest_gap=0.0), [time.perf_counter()]

    async def beat() -> None:
        while True:
            await asyncio.sleep(0.01)
            ticks.append(time.perf_counter())

    heartbeat = asyncio.create_task(beat())
    yield watch  # when the block raises, the exception comes out here, and the lines below never run
    heartbeat.cancel()
    await asyncio.gather(heartbeat, return_exceptions=True)
    ticks.append(time.perf_counter())
    watch.longest_gap = max(b - a for a, b in itertools.pairwise(ticks))


# --- Exercise 2: transaction --------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def transaction(path: Path) -> AsyncIterator[aiosqlite.Connection]:
    db = await aiosqlite.connect(path, isolation_level=None)
    try:
        await db.execute("BEGIN")
        try:
            yield db
        except BaseException:  # an error in the block, or a cancellation
            await db.rollback()
            raise
        else:
            await db.commit()
    finally:
        await db.close()


class Transaction:
    """Another right answer: a class, holding the connection between __aenter__ and __aexit__."""

    def __init__(self, path: Path) -> None:
        self.path = path

    async def __aenter__(self) -> aiosqlite.Connection:
        self.db = await aiosqlite.connect(self.path)  # sqlite3 begins the transaction before the INSERT
        return self.db

    async def __aexit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        try:
            if exc_type is None:
                await self.db.commit()
            else:
                await self.db.rollback()
        finally:
            await self.db.close()


@contextlib.asynccontextmanager
async def transaction_stub(path: Path) -> AsyncIterator[aiosqlite.Connection]:
    # Your code here: connect, BEGIN, yield the connection; commit or roll back; close it whatever happens.
    ...


@contextlib.asynccontextmanager
async def transaction_commits_in_finally(path: Path) -> AsyncIterator[aiosqlite.Connection]:
    db = await aiosqlite.connect(path, isolation_level=None)
    await db.execute("BEGIN")
    try:
        yield db
    finally:
        await db.commit()  # also when the block raised: half of its changes stay
        await db.close()


@contextlib.asynccontextmanager
async def transaction_never_closes(path: Path) -> AsyncIterator[aiosqlite.Connection]:
    db = await aiosqlite.connect(path, isolation_level=None)
    await db.execute("BEGIN")
    try:
        yield db
    except BaseException:
        await db.rollback()
        raise
    else:
        await db.commit()  # and the connection stays open, with its thread


@contextlib.asynccontextmanager
async def transaction_swallows(path: Path) -> AsyncIterator[aiosqlite.Connection]:
    db = await aiosqlite.connect(path, isolation_level=None)
    await db.execute("BEGIN")
    try:
        yield db
    except Exception:
        await db.rollback()  # no raise: the caller never hears of the error
    else:
        await db.commit()
    finally:
        await db.close()


@contextlib.asynccontextmanager
async def transaction_without_begin(path: Path) -> AsyncIterator[aiosqlite.Connection]:
    db = await aiosqlite.connect(path, isolation_level=None)  # autocommit, and no BEGIN: no transaction
    try:
        yield db
    except BaseException:
        await db.rollback()
        raise
    else:
        await db.commit()
    finally:
        await db.close()


@contextlib.asynccontextmanager
async def transaction_without_try(path: Path) -> AsyncIterator[aiosqlite.Connection]:
    db = await aiosqlite.connect(path, isolation_level=None)
    await db.execute("BEGIN")
    yield db  # when the block raises, the exception comes out here, and the lines below never run
    await db.commit()
    await db.close()


async def transaction_without_the_decorator(path: Path) -> AsyncIterator[aiosqlite.Connection]:
    db = await aiosqlite.connect(path, isolation_level=None)  # an async generator: not for `async with`
    try:
        yield db
    finally:
        await db.close()


@contextlib.asynccontextmanager
async def transaction_yields_a_cursor(path: Path) -> AsyncIterator[Any]:
    db = await aiosqlite.connect(path, isolation_level=None)
    try:
        await db.execute("BEGIN")
        yield await db.cursor()  # the block gets a cursor, not the connection
        await db.commit()
    finally:
        await db.close()


CASES = [
    Cases(
        check=check_loop_watch,
        right=LoopWatch,
        stub=LoopWatchStub,
        wrong=[
            Wrong(LoopWatchNeverStops, "never stops the heartbeat", "cancel it in __aexit__"),
            Wrong(
                LoopWatchCancelsWithoutWaiting,
                "cancels the heartbeat without awaiting it",
                "cancel() only asks",
            ),
            Wrong(
                LoopWatchAwaitsTheCancelledError, "awaits the cancelled task bare", "CancelledError came out"
            ),
            Wrong(LoopWatchSwallows, "__aexit__ returns True", "swallows it"),
            Wrong(LoopWatchTimesTheBlock, "times the whole block", "not the length of the block"),
            Wrong(LoopWatchForgetsSelf, "__aenter__ returns None", "must return self"),
            Wrong(
                LoopWatchTicksOnlyInTheTask, "the average gap instead of the longest", "longest time between"
            ),
            Wrong(loop_watch_without_finally, "@asynccontextmanager without finally", "`finally`"),
            Wrong(
                LoopWatchWithPlainWith, "__enter__ and __exit__, for `with`", "must work with `async with`"
            ),
            Wrong(
                LoopWatchWithSyncExit, "__aexit__ without `async`", "must both be defined with `async def`"
            ),
            Wrong(
                LoopWatchSaysWhetherItStalled, "longest_gap is True or False", "must be a number of seconds"
            ),
            Wrong(
                LoopWatchWithASleepyHeartbeat,
                "the heartbeat calls time.sleep between ticks",
                "blocks the very loop it measures with time.sleep",
            ),
            Wrong(
                LoopWatchWithABlockingHeartbeat,
                "the heartbeat calls time.sleep and never awaits",
                "kept the event loop's thread busy",
            ),
            Wrong(
                LoopWatchWhoseHeartbeatIgnoresCancel,
                "the heartbeat catches CancelledError and goes on",
                "the `except asyncio.CancelledError:` at line",
            ),
        ],
    ),
    Cases(
        check=check_transaction,
        right=transaction,
        stub=transaction_stub,
        wrong=[
            Wrong(transaction_commits_in_finally, "commits in finally, also after an error", "roll back"),
            Wrong(transaction_never_closes, "never closes the connection", "still open"),
            Wrong(transaction_swallows, "rolls back and does not re-raise", "re-raise it"),
            Wrong(transaction_without_begin, "autocommit and no BEGIN", "no transaction was open"),
            Wrong(transaction_without_try, "a bare yield", "the lines after a bare yield never run"),
            Wrong(
                transaction_without_the_decorator, "no @asynccontextmanager", "decorate the async generator"
            ),
            Wrong(transaction_yields_a_cursor, "yields a cursor", "yield the aiosqlite connection"),
        ],
    ),
]

# The other right answers must pass too: tests/test_exercises_context_managers.py runs them.
OTHER_RIGHT = [
    (check_loop_watch, loop_watch_from_a_generator),
    (check_transaction, Transaction),
]
