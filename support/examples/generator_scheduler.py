"""A round-robin scheduler made only of generators: the event loop idea, before asyncio.

A *task* is a generator (or a native coroutine) that yields :func:`sleep` requests. The scheduler resumes
one ready task at a time with ``send``; a task that yields ``sleep(s)`` is parked on a heap until the
scheduler's clock reaches its wake-up time, and is resumed with that time. The clock is *fake*: when every
task is asleep it jumps to the earliest wake-up, so a run takes no real time and prints the same every time.

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

import heapq
import itertools
from collections import deque
from collections.abc import Coroutine, Generator
from dataclasses import dataclass
from typing import Any, TypeAlias

from support.timing import Span

__all__ = ["Scheduler", "Sleep", "Task", "sleep"]


@dataclass(frozen=True)
class Sleep:
    """The one request a task may yield: wake me up ``seconds`` later on the scheduler's clock."""

    seconds: float
    label: str = ""


def sleep(seconds: float, label: str = "") -> Sleep:
    """A request to yield: wake me ``seconds`` later; ``label`` says what for (shown in spans and the trace)."""
    if not seconds >= 0:
        raise ValueError(f"sleep needs a non-negative number of seconds, got {seconds!r}")
    return Sleep(seconds, label)


# A task yields Sleep requests, receives the clock time it woke up at, and may return a result.
Task: TypeAlias = Generator[Sleep, float, Any] | Coroutine[Sleep, float, Any]


class Scheduler:
    """Run tasks in turns on a fake clock; ``run()`` returns each task's result by name.

    Afterwards ``spans`` holds one ``Span`` per sleep (for ``plots.timeline_chart``) and ``trace`` one line
    per event; ``verbose=True`` also prints each trace line as it happens.
    """

    def __init__(self, verbose: bool = False) -> None:
        self.verbose = verbose
        self.clock = 0.0
        self.results: dict[str, Any] = {}
        self.spans: list[Span] = []
        self.trace: list[str] = []
        self._names: set[str] = set()
        self._ready: deque[tuple[str, Task, float | None]] = deque()  # (name, task, value to send)
        self._sleeping: list[tuple[float, int, str, Task]] = []  # heap: earliest wake-up first
        self._order = itertools.count()  # breaks ties, so equal wake-ups keep the order they slept in

    def spawn(self, name: str, task: Task) -> None:
        """Add a task; it first runs when its turn comes in ``run()``."""
        if name in self._names:
            raise ValueError(f"a task named {name!r} already exists")
        self._names.add(name)
        self._ready.append((name, task, None))  # a new generator must be sent None first

    def run(self) -> dict[str, Any]:
        """Run until every task has finished; an exception in a task stops the run and propagates."""
        while self._ready or self._sleeping:
            if not self._ready:  # everyone sleeps: nothing can happen until the earliest wake-up
                self.clock = self._sleeping[0][0]
            while self._sleeping and self._sleeping[0][0] <= self.clock:
                wake_at, _, name, task = heapq.heappop(self._sleeping)
                self._ready.append((name, task, wake_at))
            name, task, value = self._ready.popleft()
            self._step(name, task, value)
        return self.results

    def _step(self, name: str, task: Task, value: float | None) -> None:
        try:
            request = task.send(value)  # run the task until its next yield
        except StopIteration as stop:
            self.results[name] = stop.value
            self._note(name, f"finished, returned {stop.value!r}")
            return
        if not isinstance(request, Sleep):
            task.close()
            raise TypeError(f"task {name!r} yielded {request!r}; a task may only yield sleep(seconds)")
        wake_at = self.clock + request.seconds
        label = f"{name}: {request.label}" if request.label else name
        self.spans.append(Span(label, self.clock, wake_at))
        self._note(name, f"sleeps {request.seconds:g}" + (f" ({request.label})" if request.label else ""))
        heapq.heappush(self._sleeping, (wake_at, next(self._order), name, task))

    def _note(self, name: str, event: str) -> None:
        line = f"t={self.clock:<4g} {name:<8} {event}"
        self.trace.append(line)
        if self.verbose:
            print(line)
