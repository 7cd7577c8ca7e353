"""The task-step tracer sees the loop interleave tasks, and a blocking call hold it."""

from __future__ import annotations

import asyncio
import time

import pytest

from support import tracer


async def ticker(beats: int, interval: float) -> int:
    for _ in range(beats):
        await asyncio.sleep(interval)
    return beats


async def test_each_await_that_waits_ends_a_step_and_results_come_through() -> None:
    with tracer.trace() as trace:
        results = await asyncio.gather(
            asyncio.create_task(ticker(3, 0.01), name="a"), asyncio.create_task(ticker(5, 0.01), name="b")
        )
    assert results == [3, 5]
    # A task that awaits N sleeps is stepped N + 1 times: once to start, once after each sleep.
    assert len(trace.steps_of("a")) == 4
    assert len(trace.steps_of("b")) == 6
    assert trace.tasks() == ["a", "b"]


async def test_steps_never_overlap_because_the_loop_runs_one_at_a_time() -> None:
    with tracer.trace() as trace:
        async with asyncio.TaskGroup() as tg:
            for name in "abcd":
                tg.create_task(ticker(4, 0.005), name=name)
    ordered = sorted(trace.steps, key=lambda s: s.start)
    assert all(before.end <= after.start for before, after in zip(ordered, ordered[1:], strict=False))
    assert set(trace.tasks()) == set("abcd")


async def test_a_blocking_call_is_one_long_step_that_delays_every_other_task() -> None:
    async def blocker() -> None:
        await asyncio.sleep(0)
        time.sleep(0.2)  # noqa: ASYNC251 (blocks the loop on purpose: nobody else runs meanwhile)

    with tracer.trace() as trace:
        await asyncio.gather(
            asyncio.create_task(ticker(20, 0.005), name="ticker"),
            asyncio.create_task(blocker(), name="blocker"),
        )
    longest = trace.longest_step()
    assert longest.task == "blocker"
    assert longest.duration >= 0.19
    others = [s for s in trace.steps_of("ticker") if s.start < longest.end and s.end > longest.start]
    assert not others, "no ticker step can run while the blocking step holds the loop"
    # The ticker wanted 20 × 5 ms; the blocking step alone forced a wait of about 0.2 s on it.
    assert trace.waiting_time("ticker") >= 0.19
    assert trace.running_time("ticker") < 0.1


async def test_exceptions_and_cancellation_pass_through_and_are_still_steps() -> None:
    async def fails() -> None:
        await asyncio.sleep(0.001)
        raise ValueError("boom")

    with tracer.trace() as trace:
        failing = asyncio.create_task(fails(), name="fails")
        sleeper = asyncio.create_task(asyncio.sleep(10), name="sleeper")
        with pytest.raises(ValueError, match="boom"):
            await failing
        await asyncio.sleep(0)
        sleeper.cancel()
        with pytest.raises(asyncio.CancelledError):
            await sleeper
    assert len(trace.steps_of("fails")) == 2
    assert len(trace.steps_of("sleeper")) == 2, "the cancellation is thrown in: one more step"


async def test_unnamed_tasks_keep_their_default_names_and_the_factory_is_restored() -> None:
    loop = asyncio.get_running_loop()
    before = loop.get_task_factory()
    with tracer.trace() as trace:
        await asyncio.gather(ticker(1, 0.001))
    assert loop.get_task_factory() is before
    assert trace.tasks()[0].startswith("Task-"), trace.tasks()
    after = asyncio.create_task(ticker(1, 0.001))
    await after
    assert not trace.steps_of(after.get_name()), "tasks made after the block are not traced"


async def test_spans_show_running_steps_and_the_waits_between_them() -> None:
    with tracer.trace() as trace:
        await asyncio.create_task(ticker(2, 0.02), name="t")
    spans = trace.spans()
    running = [s for s in spans if s.status == "running"]
    waiting = [s for s in spans if s.status == "waiting"]
    assert len(running) == 3 and len(waiting) == 2
    assert all(w.duration >= 0.015 for w in waiting)
    assert sum(s.duration for s in running) == pytest.approx(trace.running_time("t"))


def test_an_empty_trace_has_no_longest_step() -> None:
    with pytest.raises(ValueError, match="nothing was traced"):
        tracer.Trace().longest_step()
