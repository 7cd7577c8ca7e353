"""How late the event loop is: a heartbeat that asks to wake every few milliseconds and notes how late it woke.

A free loop wakes a sleeping task within about a millisecond of when it asked. A loop busy running one task's
code for 0.3 s wakes nobody for 0.3 s: every other task, every network answer, every timer waits. The
heartbeat's *lag* (how much later than asked a tick came) is that wait, measured from the inside:

    async with loop_lag.Heartbeat() as beat:
        await some_work()
    print(beat.max_lag)

The heartbeat is a task of its own, so it measures only what it shares the loop with: work in another thread
or process delays it only as far as that work holds the GIL or the CPU it needs.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from types import TracebackType

__all__ = ["Heartbeat"]


class Heartbeat:
    """Tick every ``every`` seconds on the running loop while the ``async with`` block runs.

    ``lags`` holds, for each tick, how many seconds later than asked it came; ``max_lag`` is the largest, the
    longest the loop kept everybody waiting. ``ticks`` counts them. Entering the block lets the heartbeat take
    its first step, so a block that starts with blocking code is still measured; leaving it counts the tick
    that is overdue by then, so a block that ends with blocking code is measured too.
    """

    def __init__(self, every: float = 0.005) -> None:
        if every <= 0:
            raise ValueError(f"every must be a positive number of seconds, not {every!r}")
        self.every = every
        self.lags: list[float] = []
        self._task: asyncio.Task[None] | None = None
        self._asked = 0.0  # when the tick now pending asked to wake

    async def _beat(self) -> None:
        while True:
            self._asked = time.perf_counter() + self.every
            await asyncio.sleep(self.every)
            self.lags.append(max(0.0, time.perf_counter() - self._asked))

    @property
    def max_lag(self) -> float:
        """Seconds: the latest tick (0.0 before the first one)."""
        return max(self.lags, default=0.0)

    @property
    def ticks(self) -> int:
        return len(self.lags)

    async def __aenter__(self) -> Heartbeat:
        self._task = asyncio.create_task(self._beat(), name="heartbeat")
        await asyncio.sleep(0)  # the heartbeat's first step: its first sleep is asked for before the work
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._task is None:
            return
        # A block that ends with blocking code leaves the pending tick overdue: count how late it is by now,
        # or the longest stall of all would never be recorded.
        overdue = time.perf_counter() - self._asked
        if overdue > 0:
            self.lags.append(overdue)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task  # nothing is left ticking once the block is over
        self._task = None
