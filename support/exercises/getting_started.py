"""Checks for the exercises of ``00_getting_started``."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from ..timing import Stopwatch
from . import passed, require

__all__ = ["check_sleep_all"]

SleepAll = Callable[[Sequence[float]], Coroutine[Any, Any, list[float]]]


async def check_sleep_all(sleep_all: SleepAll) -> None:
    """``sleep_all(delays)`` must sleep all delays at once and return them in the order given.

    The check compares against the sum of the delays (a ratio, not a fixed number of seconds), so a busy
    machine does not fail a right answer.
    """
    require(inspect.iscoroutinefunction(sleep_all), "sleep_all must be defined with `async def`.")
    delays = [0.15, 0.05, 0.1, 0.15, 0.05]
    with Stopwatch() as watch:
        result = await sleep_all(delays)
    require(
        result is not None, "sleep_all returned None: return the list of delays (what the sleeps gave back)."
    )
    require(list(result) == delays, f"expected {delays} back, in the order given; got {result!r}.")
    sequential = sum(delays)
    require(
        watch.elapsed < 0.6 * sequential,
        "the sleeps ran one after another: start them all, then wait for all (asyncio.gather).",
    )
    empty = await sleep_all([])
    require(list(empty) == [], f"sleep_all([]) should return [], got {empty!r}.")
    passed("Exercise 1", f"{len(delays)} sleeps ran concurrently and came back in order")
