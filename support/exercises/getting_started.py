"""Checks for the exercises of ``00_getting_started``."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from ..timing import Stopwatch
from .checking import checker, fail, require
from .learner_code import read_code

__all__ = ["check_sleep_all"]

SleepAll = Callable[[Sequence[float]], Coroutine[Any, Any, list[float]]]


@checker("Exercise 1", todo="fill in sleep_all above, then run this cell")
async def check_sleep_all(sleep_all: SleepAll) -> str:
    """``sleep_all(delays)`` must sleep all delays at once and return them in the order given.

    The time is compared with the longest delay and with the sum of the delays (ratios, not a fixed number
    of seconds), so a busy machine does not fail a right answer, and an answer that skips sleeping fails.
    """
    require(inspect.iscoroutinefunction(sleep_all), "sleep_all must be defined with `async def`.")
    delays = [0.15, 0.05, 0.1, 0.15, 0.05]
    with Stopwatch() as watch:
        result = await sleep_all(delays)
    require(
        result is not None, "sleep_all returned None: return the list of delays (what the sleeps gave back)."
    )
    if inspect.isawaitable(result):
        asyncio.ensure_future(result).cancel()  # don't leave the learner's sleeps running
        fail(f"sleep_all returned {type(result).__name__}, something still to await: did you forget `await`?")
    require(isinstance(result, list | tuple), f"return a list of the delays, not {type(result).__name__}.")
    require(list(result) == delays, f"expected {delays} back, in the order given; got {result!r}.")
    longest, sequential = max(delays), sum(delays)
    require(
        watch.elapsed >= 0.9 * longest,
        f"sleep_all came back before the longest sleep ({longest} s) could end: "
        "await the sleeps, don't just build the list.",
    )
    if watch.elapsed >= 0.6 * sequential and read_code(sleep_all).calls("time.sleep"):
        fail(
            "the sleeps ran one after another: time.sleep blocks the whole event loop, so nothing runs "
            "beside it. Use `asyncio.sleep(d, result=d)`, start them all, then wait for all (asyncio.gather)."
        )
    require(
        watch.elapsed < 0.6 * sequential,
        "the sleeps ran one after another: start them all, then wait for all (asyncio.gather).",
    )
    empty = await sleep_all([])
    require(empty is not None and list(empty) == [], f"sleep_all([]) should return [], got {empty!r}.")
    return f"{len(delays)} sleeps ran concurrently and came back in order"
