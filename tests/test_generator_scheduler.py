"""The toy scheduler of lesson 01: round-robin turns, a fake clock, results, spans and the trace."""

from __future__ import annotations

import doctest
import types

import pytest

from support.examples import generator_scheduler
from support.examples.generator_scheduler import Scheduler, Sleep, sleep
from support.timing import Span, Stopwatch


def nap(seconds: float, label: str = ""):
    woke_at = yield sleep(seconds, label)
    return woke_at


def counter(name: str, turns: int, seen: list[str]):
    for turn in range(turns):
        seen.append(f"{name}{turn}")
        yield sleep(0)
    return turns


def test_docstring_example_runs() -> None:
    result = doctest.testmod(generator_scheduler)
    assert result.attempted > 0 and result.failed == 0


def test_sleep_zero_gives_round_robin_turns() -> None:
    seen: list[str] = []
    scheduler = Scheduler()
    for name in "ABC":
        scheduler.spawn(name, counter(name, 2, seen))
    assert scheduler.run() == {"A": 2, "B": 2, "C": 2}
    assert seen == ["A0", "B0", "C0", "A1", "B1", "C1"]
    assert scheduler.clock == 0


def test_sleeps_overlap_on_a_fake_clock_without_real_waiting() -> None:
    scheduler = Scheduler()
    scheduler.spawn("slow", nap(30.0))
    scheduler.spawn("fast", nap(10.0))
    with Stopwatch() as watch:
        results = scheduler.run()
    assert results == {"slow": 30.0, "fast": 10.0}  # each task was sent the time it woke up
    assert list(results) == ["fast", "slow"]  # finished in wake-up order
    assert scheduler.clock == 30.0  # not 40: the sleeps overlapped
    assert watch.elapsed < 1.0


def test_equal_wake_ups_keep_the_order_they_slept_in() -> None:
    scheduler = Scheduler()
    for name in ["b", "a", "c"]:
        scheduler.spawn(name, nap(1.0))
    assert list(scheduler.run()) == ["b", "a", "c"]


def test_spans_record_each_sleep_with_its_label() -> None:
    def two_steps():
        yield sleep(1.0, "connect")
        yield sleep(2.0)
        return "done"

    scheduler = Scheduler()
    scheduler.spawn("job", two_steps())
    scheduler.run()
    assert scheduler.spans == [Span("job: connect", 0.0, 1.0), Span("job", 1.0, 3.0)]


def test_trace_lists_events_and_verbose_prints_them(capsys: pytest.CaptureFixture[str]) -> None:
    scheduler = Scheduler(verbose=True)
    scheduler.spawn("job", nap(1.5, "GET /"))
    scheduler.run()
    assert scheduler.trace == [
        "t=0    job      sleeps 1.5 (GET /)",
        "t=1.5  job      finished, returned 1.5",
    ]
    assert capsys.readouterr().out.splitlines() == scheduler.trace
    assert Scheduler().trace == [] and not Scheduler().verbose


def test_delegation_with_yield_from_passes_sleeps_and_times_through() -> None:
    def both():
        first = yield from nap(1.0)
        second = yield from nap(0.5)
        return [first, second]

    scheduler = Scheduler()
    scheduler.spawn("both", both())
    assert scheduler.run() == {"both": [1.0, 1.5]}


def test_native_coroutines_run_too() -> None:
    @types.coroutine
    def toy_sleep(seconds: float):
        return (yield sleep(seconds))

    async def job() -> str:
        woke_at = await toy_sleep(2.0)
        return f"woke at {woke_at}"

    scheduler = Scheduler()
    scheduler.spawn("native", job())
    assert scheduler.run() == {"native": "woke at 2.0"}


def test_a_task_that_yields_something_else_is_closed_and_reported() -> None:
    closed = []

    def bad():
        try:
            yield 1.0
        finally:
            closed.append(True)

    scheduler = Scheduler()
    scheduler.spawn("bad", bad())
    with pytest.raises(TypeError, match=r"task 'bad' yielded 1.0"):
        scheduler.run()
    assert closed == [True]


def test_an_exception_in_a_task_propagates() -> None:
    def broken():
        yield sleep(1.0)
        raise KeyError("oops")

    scheduler = Scheduler()
    scheduler.spawn("broken", broken())
    with pytest.raises(KeyError):
        scheduler.run()


def test_duplicate_names_and_negative_sleeps_are_refused() -> None:
    scheduler = Scheduler()
    scheduler.spawn("x", nap(1.0))
    with pytest.raises(ValueError, match="already exists"):
        scheduler.spawn("x", nap(1.0))
    scheduler.run()
    for bad in (-1.0, float("nan")):
        with pytest.raises(ValueError):
            sleep(bad)
    assert sleep(2) == Sleep(2, "")
