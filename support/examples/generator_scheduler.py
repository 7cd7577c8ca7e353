"""A round-robin scheduler made only of generators: the event-loop idea, before asyncio.

Lesson 01 builds this same code cell by cell: ``RoundRobin`` (tasks take turns), the ``sleep`` request, a
heap of sleepers, then ``Scheduler`` (a fake clock). This module is that code once more, with type hints,
docstrings and two guards the lesson leaves out (a task name used twice; a task that yields something other
than a sleep request), so that the exercise checks and the tests can run tasks on it. The lesson runs the
same tasks on both and shows that they agree.

A *task* is a generator (or a native coroutine) that yields ``sleep(seconds)`` requests and is sent back the
clock time it woke up at. The clock is *fake*: when every task is asleep it jumps to the earliest wake-up,
so a run takes no real time and prints the same every time.

>>> def nap(seconds):
...     woke_at = yield sleep(seconds)
...     return woke_at
>>> scheduler = Scheduler()
>>> scheduler.spawn("short", nap(1.0))
>>> scheduler.spawn("long", nap(2.5))
>>> scheduler.run()
{'short': 1.0, 'long': 2.5}
"""

from __future__ import annotations

import argparse
import heapq
import itertools
from collections import deque
from collections.abc import Coroutine, Generator, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

from support.timing import Span

__all__ = ["RoundRobin", "Scheduler", "Sleep", "Task", "main", "sleep"]


@dataclass(frozen=True)
class Sleep:
    """The one request a task may yield to :class:`Scheduler`: wake me ``seconds`` later on its clock."""

    seconds: float


def sleep(seconds: float) -> Sleep:
    """A request for the scheduler; it does nothing until a task yields it."""
    if not seconds >= 0:
        raise ValueError(f"sleep needs a non-negative number of seconds, got {seconds!r}")
    return Sleep(seconds)


# A task yields requests, is sent back the clock time it woke up at, and may return a result. What it is sent
# is Any, not `float | None`: Scheduler sends None only to start a task (which every generator accepts) and
# RoundRobin always sends None, so a task written for Scheduler, `Generator[Sleep, float, float]`, must fit.
Task: TypeAlias = Generator[Any, Any, Any] | Coroutine[Any, Any, Any]


class RoundRobin:
    """Tasks take turns: each runs until its next ``yield``, then waits at the back of the ready queue.

    What a task yields is ignored here; :class:`Scheduler` gives it a meaning.
    """

    def __init__(self) -> None:
        self.ready: deque[tuple[str, Task, float | None]] = deque()  # (name, task, value to send it)
        self.results: dict[str, Any] = {}  # name -> what the task returned, in the order they finished
        self._names: set[str] = set()  # a guard the lesson leaves out: results are kept by name

    def spawn(self, name: str, task: Task) -> None:
        """Add a task; it first runs when its turn comes in ``run()``."""
        if name in self._names:
            raise ValueError(f"a task named {name!r} already exists")
        self._names.add(name)
        self.ready.append((name, task, None))  # a new generator must first be sent None

    def run(self) -> dict[str, Any]:
        """Run until every task has finished; an exception in a task stops the run and propagates."""
        while self.ready:
            name, task, value = self.ready.popleft()
            self.step(name, task, value)
        return self.results

    def step(self, name: str, task: Task, value: float | None) -> None:
        """Resume ``task`` with ``value`` until its next yield; keep its result when it returns."""
        try:
            request = task.send(value)
        except StopIteration as stop:
            self.results[name] = stop.value
        else:
            self.park(name, task, request)

    def park(self, name: str, task: Task, request: Any) -> None:
        """Where a task waits after yielding ``request``: here, straight back in line."""
        self.ready.append((name, task, None))


class Scheduler(RoundRobin):
    """Tasks yield ``sleep(seconds)`` and are parked on a heap until the fake clock reaches their wake-up.

    ``run()`` returns each task's result by name. ``clock`` starts at ``start`` (asyncio's clock starts at
    an arbitrary point too); afterwards ``spans`` holds one :class:`Span` per sleep, named after its task,
    for ``plots.timeline_chart(spans, rows="name")``.
    """

    def __init__(self, start: float = 0.0) -> None:
        super().__init__()
        self.clock = start  # fake seconds; it only moves when every task is asleep
        self.sleeping: list[tuple[float, int, str, Task]] = []  # heap: the earliest wake-up first
        self.order = itertools.count()  # breaks ties: equal wake-ups keep the order they slept in
        self.spans: list[Span] = []

    def park(self, name: str, task: Task, request: Any) -> None:
        """Compute when the task wakes up and push it onto the heap of sleepers."""
        seconds = getattr(request, "seconds", None)
        if not isinstance(seconds, int | float) or not seconds >= 0:  # a guard the lesson leaves out
            task.close()
            raise TypeError(f"task {name!r} yielded {request!r}; a task may only yield sleep(seconds)")
        wake_at = self.clock + seconds
        self.spans.append(Span(name, self.clock, wake_at))
        heapq.heappush(self.sleeping, (wake_at, next(self.order), name, task))

    def run(self) -> dict[str, Any]:
        """Run until every task has finished; an exception in a task stops the run and propagates."""
        while self.ready or self.sleeping:
            if not self.ready:  # everyone sleeps: jump to the earliest wake-up
                self.clock = self.sleeping[0][0]
            while self.sleeping and self.sleeping[0][0] <= self.clock:  # wake whoever is due
                wake_at, _, name, task = heapq.heappop(self.sleeping)
                self.ready.append((name, task, wake_at))  # step() sends it the time it woke up
            name, task, value = self.ready.popleft()
            self.step(name, task, value)
        return self.results


# The fake downloads of lesson 01: seconds each flag's metadata takes; its image takes twice as long.
LATENCIES = {"BR": 1.5, "CN": 1.0, "IN": 2.0, "US": 1.25}


def _fake_download(latency: float) -> Generator[Sleep, float, float]:
    yield sleep(latency)  # the metadata
    image_at = yield sleep(2 * latency)
    return image_at


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point: run lesson 01's four fake downloads and print when each one finished."""
    parser = argparse.ArgumentParser(
        prog="python -m support.examples.generator_scheduler",
        description="Run four fake flag downloads as generator tasks on the toy scheduler, and print when "
        "each finished on its fake clock (no real time passes).",
    )
    parser.add_argument(
        "--start", type=float, default=0.0, help="the clock's time when the run starts (default %(default)s)"
    )
    args = parser.parse_args(argv)
    scheduler = Scheduler(start=args.start)
    for cc, latency in LATENCIES.items():
        scheduler.spawn(cc, _fake_download(latency))
    for cc, finished_at in scheduler.run().items():
        print(f"{cc} finished at t={finished_at:g}")
    one_after_another = args.start + sum(3 * latency for latency in LATENCIES.values())
    print(f"all done at t={scheduler.clock:g}; one after another, it would be t={one_after_another:g}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
