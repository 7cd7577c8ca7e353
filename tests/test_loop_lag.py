"""The heartbeat sees a blocked loop, and does not see a free one."""

from __future__ import annotations

import asyncio
import time

import pytest

from support.loop_lag import Heartbeat


async def test_a_blocking_call_shows_as_a_lag_about_its_length() -> None:
    async with Heartbeat(every=0.005) as beat:
        await asyncio.sleep(0.03)
        time.sleep(0.2)  # noqa: ASYNC251 (the stall under test)
        await asyncio.sleep(0.03)
    assert 0.15 <= beat.max_lag <= 0.5
    assert beat.ticks >= 2


async def test_a_stall_at_the_very_end_of_the_block_is_still_counted() -> None:
    async with Heartbeat(every=0.005) as beat:
        time.sleep(0.15)  # noqa: ASYNC251 (nothing runs after it inside the block)
    assert beat.max_lag >= 0.1


async def test_waiting_on_the_loop_keeps_the_lag_small_next_to_the_same_stall() -> None:
    async with Heartbeat(every=0.005) as blocked:
        time.sleep(0.2)  # noqa: ASYNC251
    # A free loop shows a small lag whenever the machine gives it a CPU; a crowded CI machine can hold the
    # process off one for 80 ms once, so the free loop gets three tries. A blocked loop never gets a small one.
    for _ in range(3):
        async with Heartbeat(every=0.005) as free:
            await asyncio.sleep(0.2)
        if free.max_lag < blocked.max_lag / 4:
            break
    assert free.max_lag < blocked.max_lag / 4
    assert free.ticks > 10


async def test_nothing_keeps_ticking_after_the_block() -> None:
    before = asyncio.all_tasks()
    async with Heartbeat() as beat:
        await asyncio.sleep(0.02)
    ticks = beat.ticks
    await asyncio.sleep(0.05)
    assert beat.ticks == ticks
    assert asyncio.all_tasks() == before


def test_the_interval_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        Heartbeat(every=0)
