"""Record every step the event loop gives each task: when it ran, and for how long.

A task does not run from start to end in one go. The loop *steps* it: it calls the task's coroutine until it
reaches an ``await`` that has to wait, then goes on to another task, and comes back when the wait is over.
:func:`trace` installs a task factory that wraps each new task's coroutine and times every one of those steps,
so a chart (:func:`support.plots.steps_chart`) can show the loop interleaving tasks, and one blocking call
freezing them all.

    with tracer.trace() as trace:
        await asyncio.gather(worker("a"), worker("b"))
    fig = plots.steps_chart(trace)

Only tasks created inside the ``with`` block are traced (``gather``, ``create_task`` and ``TaskGroup`` all
create tasks); the coroutine a notebook cell runs directly is not a task of ours. Works on Python 3.11-3.13.
"""

from __future__ import annotations

import asyncio
import collections.abc
import contextlib
import time
from collections.abc import Coroutine, Generator, Iterator
from contextvars import Context
from dataclasses import dataclass, field
from typing import Any

from .timing import Span

__all__ = ["Step", "Trace", "trace"]


@dataclass(frozen=True)
class Step:
    """One step of one task: the loop ran it from ``start`` to ``end`` (seconds since the trace began)."""

    task: str
    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass
class Trace:
    """The steps of every task traced, in the order they ran (the loop runs one step at a time)."""

    origin: float = field(default_factory=time.perf_counter)
    steps: list[Step] = field(default_factory=list)

    def tasks(self) -> list[str]:
        """Task names in the order they first ran."""
        return list(dict.fromkeys(step.task for step in self.steps))

    def steps_of(self, task: str) -> list[Step]:
        return [step for step in self.steps if step.task == task]

    def running_time(self, task: str) -> float:
        """Seconds the loop spent running ``task``'s own code: the sum of its steps."""
        return sum(step.duration for step in self.steps_of(task))

    def waiting_time(self, task: str) -> float:
        """Seconds between ``task``'s first and last step when it was not running: waiting, or not its turn."""
        steps = self.steps_of(task)
        if not steps:
            return 0.0
        return steps[-1].end - steps[0].start - self.running_time(task)

    def longest_step(self) -> Step:
        """The step that held the loop longest: while it ran, no other task could."""
        if not self.steps:
            raise ValueError("nothing was traced: create tasks inside the `with trace()` block")
        return max(self.steps, key=lambda step: step.duration)

    def spans(self) -> list[Span]:
        """Each task's life as spans: ``running`` for every step, ``waiting`` for the gaps between them."""
        spans: list[Span] = []
        for task in self.tasks():
            steps = self.steps_of(task)
            for before, after in zip(steps, steps[1:], strict=False):
                if after.start > before.end:
                    spans.append(Span(task, before.end, after.start, "waiting"))
            spans += [Span(task, step.start, step.end, "running") for step in steps]
        return spans

    def _record(self, task: asyncio.Task[Any] | None, start: float, end: float) -> None:
        name = task.get_name() if task is not None else "?"
        self.steps.append(Step(name, start - self.origin, end - self.origin))


class _TimedCoroutine(collections.abc.Coroutine):  # type: ignore[type-arg]
    """Stands in for a task's coroutine and times each ``send``/``throw`` the task makes: one step each."""

    def __init__(self, coro: Coroutine[Any, Any, Any], recorder: Trace) -> None:
        self._coro = coro
        self._recorder = recorder
        self.task: asyncio.Task[Any] | None = None

    def send(self, value: Any) -> Any:
        start = time.perf_counter()
        try:
            return self._coro.send(value)
        finally:
            self._recorder._record(self.task, start, time.perf_counter())

    def throw(self, exc: Any, *args: Any) -> Any:
        start = time.perf_counter()
        try:
            return self._coro.throw(exc, *args)
        finally:
            self._recorder._record(self.task, start, time.perf_counter())

    def close(self) -> None:
        self._coro.close()

    def __await__(self) -> Generator[Any, None, Any]:
        return self._coro.__await__()

    def __repr__(self) -> str:
        return repr(self._coro)


class _TracedTask(asyncio.Task):  # type: ignore[type-arg]
    # With a task factory installed, Python 3.13.0's create_task calls set_name(None), which would name
    # every unnamed task "None"; keep the default "Task-N" instead.
    def set_name(self, value: object) -> None:
        if value is not None:
            super().set_name(value)


@contextlib.contextmanager
def trace(loop: asyncio.AbstractEventLoop | None = None) -> Iterator[Trace]:
    """Trace the steps of every task created on ``loop`` (the running loop) inside the ``with`` block.

    The task factory that was installed before is put back at the end. Tracing costs two clock reads per
    step, a few microseconds: small next to network waits, visible next to tiny steps.
    """
    loop = loop or asyncio.get_running_loop()
    recorder = Trace()
    previous = loop.get_task_factory()

    def factory(
        loop: asyncio.AbstractEventLoop, coro: Any, *, context: Context | None = None, **kwargs: Any
    ) -> asyncio.Task[Any]:
        timed = _TimedCoroutine(coro, recorder)
        task = _TracedTask(timed, loop=loop, context=context, **kwargs)
        timed.task = task
        return task

    loop.set_task_factory(factory)
    try:
        yield recorder
    finally:
        loop.set_task_factory(previous)
