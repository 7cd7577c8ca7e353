"""Answers to the exercise of lesson 00: ``sleep_all``."""

from __future__ import annotations

import asyncio
import time

from support.exercises.getting_started import check_sleep_all

from . import Cases, Wrong


async def model(delays: list[float]) -> list[float]:
    return await asyncio.gather(*(asyncio.sleep(d, result=d) for d in delays))


async def stub(delays: list[float]) -> list[float]:
    # Your code here: start every sleep, then wait for all of them.
    ...


async def one_after_another(delays: list[float]) -> list[float]:
    return [await asyncio.sleep(d, result=d) for d in delays]


async def no_sleep(delays: list[float]) -> list[float]:
    return list(delays)


async def forgets_to_return(delays: list[float]) -> None:
    await asyncio.gather(*(asyncio.sleep(d, result=d) for d in delays))


async def sorted_by_delay(delays: list[float]) -> list[float]:
    return sorted(await model(delays))


async def gathers_a_list(delays: list[float]) -> list[float]:
    return await asyncio.gather([asyncio.sleep(d, result=d) for d in delays])


async def time_sleeps(delays: list[float]) -> list[float]:
    async def one(d: float) -> float:
        time.sleep(d)  # noqa: ASYNC251 (the mistake: the loop stands still, so nothing overlaps)
        return d

    return await asyncio.gather(*(one(d) for d in delays))


def not_async(delays: list[float]) -> list[float]:
    return delays


async def forgets_await(delays: list[float]) -> list[float]:
    return asyncio.gather(*(asyncio.sleep(d, result=d) for d in delays))  # type: ignore[return-value]


CASES = [
    Cases(
        check_sleep_all,
        right=model,
        stub=stub,
        wrong=[
            Wrong(one_after_another, "awaits each sleep in turn", "one after another"),
            Wrong(no_sleep, "returns the list without sleeping", "before the longest sleep"),
            Wrong(forgets_await, "returns gather's future without awaiting it", "forget `await`"),
            Wrong(forgets_to_return, "gathers but returns nothing", "returned None"),
            Wrong(sorted_by_delay, "returns the delays in the order they finished", "in the order given"),
            Wrong(
                gathers_a_list,
                "passes a list to gather instead of unpacking it",
                "your code raised TypeError",
            ),
            Wrong(not_async, "writes a plain def", "async def"),
            Wrong(
                time_sleeps,
                "gathers coroutines that call time.sleep",
                "time.sleep blocks the whole event loop",
            ),
        ],
    ),
]
