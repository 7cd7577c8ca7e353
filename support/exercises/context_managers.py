"""Checks for the exercises of ``05_async_context_managers``.

The first check runs blocks of code inside the learner's ``LoopWatch``: one that blocks the loop, one that
only awaits, one that raises; a heartbeat must measure the first, not blame the second, and stop every time.
The second runs blocks inside the learner's ``transaction(path)`` on a real SQLite file: one that ends
normally, one that raises, one that a timeout cancels; a second connection then reads what was committed,
and the check looks whether the learner's connection was closed. No timing reaches a verdict line.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiosqlite

from .checking import (
    checker,
    fail,
    require,
    stop_leftovers,
    stop_tasks,
    tasks_started_since,
    waiting_for,
)
from .learner_code import read_code
from .watching import watching

__all__ = ["check_loop_watch", "check_transaction"]


def _cancelled_by_us() -> bool:
    """True when the check itself is being cancelled (its time limit, an interrupt), not the learner's code."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


# --- Exercise 1: LoopWatch ----------------------------------------------------------------------------------

_BLOCK = 0.15  # seconds the check blocks the loop inside the watched block
_TICK = 0.01  # the heartbeat's period the prompt asks for


async def _watched(
    loop_watch: Callable[[], Any], body: Callable[[], Awaitable[None]]
) -> tuple[Any, list[bool], BaseException | None]:
    """Run ``body`` inside ``async with loop_watch() as watch``.

    Returns ``watch``, one item per task left running right after the block (True if it had been asked to
    stop, cancelled but not awaited), and the ``LookupError`` that came out of it, if any (the check's own
    error, raised in ``body``). A ``CancelledError`` out of the learner's ``__aexit__`` (awaiting their
    cancelled heartbeat without catching it) becomes a hint, unless the check itself is being cancelled.
    """
    manager = loop_watch()
    kind = type(manager)
    require(
        hasattr(kind, "__aenter__") and hasattr(kind, "__aexit__"),
        "LoopWatch() must work with `async with`: give the class `async def __aenter__(self)` and "
        "`async def __aexit__(self, *exc_info)`.",
    )
    require(
        inspect.iscoroutinefunction(kind.__aenter__) and inspect.iscoroutinefunction(kind.__aexit__),
        "__aenter__ and __aexit__ must both be defined with `async def`: `async with` awaits them.",
    )
    before = asyncio.all_tasks()
    watch, raised = None, None
    try:
        with waiting_for(
            "the `async with LoopWatch()` block to end: does __aexit__ wait for a task that never ends?"
        ):
            async with manager as watch:
                await body()
    except asyncio.CancelledError:
        await stop_leftovers(before)  # either way: a hung answer's tasks must not outlive the check
        if _cancelled_by_us():
            raise
        fail(
            "CancelledError came out of __aexit__: awaiting the task you cancelled raises it there. Catch it "
            "around that await, or wait with asyncio.gather(task, return_exceptions=True)."
        )
    except LookupError as exc:
        raised = exc
    leftovers = tasks_started_since(
        before
    )  # right away: a cancelled task that nobody awaited is not done yet
    asked_to_stop = [task.cancelling() > 0 for task in leftovers]
    await stop_tasks(leftovers)
    return watch, asked_to_stop, raised


def _require_no_heartbeat_left(leftovers: list[bool], when: str) -> None:
    if not leftovers:
        return
    if all(leftovers):
        fail(
            f"{when}, the heartbeat task was cancelled but still running: cancel() only asks. Await the task "
            "in __aexit__, so it has stopped before the block ends."
        )
    fail(f"{when}, the heartbeat task was still running: cancel it in __aexit__, then await it.")


def _require_gap(watch: object) -> float:
    require(
        watch is not None,
        "`async with LoopWatch() as watch` gave watch = None: __aenter__ must return self.",
    )
    gap = getattr(watch, "longest_gap", None)
    require(
        isinstance(gap, int | float) and not isinstance(gap, bool),
        f"after the block, watch.longest_gap must be a number of seconds, not {gap!r:.60}.",
    )
    return float(gap)  # type: ignore[arg-type]


@checker("Exercise 1", todo="fill in LoopWatch above, then run this cell", time_limit=3.0)
async def check_loop_watch(loop_watch: Callable[[], Any]) -> str:
    """``async with LoopWatch() as watch: ...``, then ``watch.longest_gap``: the loop's longest pause."""
    require(callable(loop_watch), "LoopWatch must be a class, used as `async with LoopWatch() as watch:`.")

    async def blocking() -> None:
        await asyncio.sleep(0.05)
        time.sleep(_BLOCK)  # noqa: ASYNC251 (the block blocks the loop on purpose)
        await asyncio.sleep(0.05)

    async def free() -> None:
        await asyncio.sleep(0.25)

    async def raising() -> None:
        await asyncio.sleep(0.03)
        raise LookupError("raised inside the block by the check")

    watch, leftovers, _ = await _watched(loop_watch, blocking)
    _require_no_heartbeat_left(leftovers, "after the block")
    blocked_gap = _require_gap(watch)
    require(
        blocked_gap >= 0.8 * _BLOCK,
        f"the block held the loop for {_BLOCK:g} s (time.sleep), but longest_gap was shorter: keep the time "
        "of each tick, and take the longest time between two of them.",
    )
    async with watching() as seen:
        watch, leftovers, _ = await _watched(loop_watch, free)
    _require_no_heartbeat_left(leftovers, "after the block")
    if seen.busy > 0.4:
        fail(
            "while the block only awaited, the loop was busy most of the time: your heartbeat blocks the "
            "very loop it measures"
            + (
                " with time.sleep. Wait between ticks with `await asyncio.sleep(0.01)`."
                if read_code(loop_watch).calls("time.sleep")
                else ". Wait between ticks with `await asyncio.sleep(0.01)`, and do nothing slow in a tick."
            )
        )
    free_gap = _require_gap(watch)
    # A crowded machine can hold even a free loop past the bound once (a CI run on 3.12 did): the free block
    # gets three tries. An answer that measures the whole block never gets under the bound.
    for _ in range(2):
        if free_gap < 6 * _TICK:
            break
        watch, leftovers, _ = await _watched(loop_watch, free)
        _require_no_heartbeat_left(leftovers, "after the block")
        free_gap = _require_gap(watch)
    require(
        free_gap < 6 * _TICK,
        "with the loop free (await asyncio.sleep inside the block), longest_gap should be about one tick of "
        f"{_TICK:g} s, not the length of the block: measure between the heartbeat's ticks.",
    )
    _, leftovers, raised = await _watched(loop_watch, raising)
    require(
        raised is not None,
        "an exception raised inside the block disappeared: __aexit__ returned something true, which "
        "swallows it. Return None (or False) so that it propagates.",
    )
    require(
        not leftovers,
        "when the block raised, the heartbeat was left running: stop it whatever happens (__aexit__ always "
        "runs; in an @asynccontextmanager, put the clean-up in a `finally` around the yield).",
    )
    return (
        "a blocked loop measured, a free one not blamed, the heartbeat stopped every time, errors passed on"
    )


# --- Exercise 2: transaction --------------------------------------------------------------------------------


async def _rows(path: Path) -> list[int]:
    """What a second connection reads from the check's table: committed rows only."""
    async with aiosqlite.connect(path) as reader:
        cursor = await reader.execute("SELECT n FROM numbers ORDER BY n")
        return [n for (n,) in await cursor.fetchall()]


async def _still_open(db: object) -> bool:
    """True if ``db``, the connection the block received, still works; then the check closes it itself."""
    if not isinstance(db, aiosqlite.Connection):
        return False
    try:
        await db.execute("SELECT 1")
    except ValueError:  # aiosqlite's answer on a closed connection
        return False
    await db.close()  # the answer's leftover: its thread and its file must not outlive the check
    return True


def _enter(transaction: Callable[[Path], Any], path: Path) -> Any:
    """``transaction(path)``, stopped with a hint unless it can be used with ``async with``."""
    manager = transaction(path)
    if inspect.iscoroutine(manager) or inspect.isasyncgen(manager):
        if inspect.iscoroutine(manager):
            manager.close()
        fail(
            "transaction(path) must work with `async with`: decorate the async generator function with "
            "@asynccontextmanager (from contextlib), so that its yield marks where the block runs."
        )
    require(
        hasattr(type(manager), "__aenter__") and hasattr(type(manager), "__aexit__"),
        "transaction(path) must work with `async with`: write it as an async generator function with one "
        "yield, decorated with @asynccontextmanager.",
    )
    return manager


@checker("Exercise 2", todo="fill in transaction above, then run this cell")
async def check_transaction(transaction: Callable[[Path], Any]) -> str:
    """``async with transaction(path) as db:``: committed if the block ends, rolled back if not, always closed."""
    require(callable(transaction), "transaction must be a function: `async with transaction(path) as db:`.")
    with tempfile.TemporaryDirectory(prefix="ex05-") as tmp:
        path = Path(os.path.realpath(tmp)) / "numbers.db"  # noqa: ASYNC240 (a local temp dir)
        async with aiosqlite.connect(path) as setup:
            await setup.execute("CREATE TABLE numbers (n INTEGER PRIMARY KEY)")
            await setup.commit()
        before = asyncio.all_tasks()

        # 1. A block that ends normally: its rows are committed, and nobody sees them before.
        seen_during = None
        async with _enter(transaction, path) as db:
            require(
                isinstance(db, aiosqlite.Connection),
                f"the block received {db!r:.60} after `as`: yield the aiosqlite connection.",
            )
            await db.execute("INSERT INTO numbers VALUES (1)")
            seen_during = await _rows(path)
        await stop_leftovers(before)
        left_open = await _still_open(db)
        require(
            seen_during == [],
            "another connection saw the block's row before the block ended: each statement was committed on "
            "its own, so no transaction was open. Begin one before the yield: `await db.execute('BEGIN')`.",
        )
        rows = await _rows(path)
        require(
            rows == [1],
            "after a block that ended normally, its row was not in the database: commit "
            "(`await db.commit()`) when the block ends without an exception, before closing.",
        )
        require(
            not left_open,
            "after the block, the connection was still open: it keeps a thread and the file. Close it "
            "(`await db.close()`) in a `finally` around the yield.",
        )

        # 2. A block that raises: nothing of it stays, the error reaches the caller, the connection is closed.
        db, raised = None, None
        try:
            with waiting_for("the block that raised to end: does the rollback or the close wait for ever?"):
                async with _enter(transaction, path) as db:
                    await db.execute("INSERT INTO numbers VALUES (2)")
                    raise LookupError("raised inside the block by the check")
        except LookupError as exc:
            raised = exc
        await stop_leftovers(before)
        left_open = await _still_open(db)
        require(
            raised is not None,
            "an exception raised inside the block disappeared: after the rollback, re-raise it (`raise`), "
            "so that the caller knows the transaction failed.",
        )
        require(
            await _rows(path) == [1],
            "the block raised, yet its row stayed in the database: roll back (`await db.rollback()`) when "
            "the block raises, in an `except BaseException:` around the yield, and commit only in `else`.",
        )
        require(
            not left_open,
            "when the block raised, the connection was left open: the lines after a bare yield never run "
            "then. Close it in a `finally` around the yield.",
        )

        # 3. A block that a timeout cancels: the same, for a CancelledError instead of an error.
        db, timed_out = None, False
        try:
            async with asyncio.timeout(0.05):
                async with _enter(transaction, path) as db:
                    await db.execute("INSERT INTO numbers VALUES (3)")
                    await asyncio.sleep(1)  # the timeout cancels the block here
        except TimeoutError:
            timed_out = True
        await stop_leftovers(before)
        left_open = await _still_open(db)
        require(
            timed_out,
            "a block cancelled by asyncio.timeout did not end in TimeoutError: the CancelledError must go on "
            "out of the `async with` (re-raise it after the rollback; never swallow it).",
        )
        require(
            await _rows(path) == [1],
            "a block cancelled by a timeout left its row in the database: a cancellation is a BaseException, "
            "not an Exception; roll back in `except BaseException:`.",
        )
        require(
            not left_open,
            "when a timeout cancelled the block, the connection was left open: close it in `finally`.",
        )
        leftovers = tasks_started_since(before)
        await stop_tasks(leftovers)
        require(not leftovers, "transaction left a task running: whatever it starts, it must finish.")
    return (
        "committed after a block that ended, rolled back after an error and after a timeout, the error passed "
        "on, and the connection closed every time"
    )
