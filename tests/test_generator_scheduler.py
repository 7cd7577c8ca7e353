"""The toy scheduler of lesson 01: round-robin turns, a fake clock, results, spans, guards and the CLI."""

from __future__ import annotations

import doctest
import types

import pytest

from support.examples import generator_scheduler
from support.examples.generator_scheduler import RoundRobin, Scheduler, Sleep, main, sleep
from support.timing import Span, Stopwatch


def nap(seconds: float):
    woke_at = yield sleep(seconds)
    return woke_at


def counter(name: str, turns: int, seen: list[str], request: object = None):
    for turn in range(turns):
        seen.append(f"{name}{turn}")
        yield request
    return turns


def test_docstring_example_runs() -> None:
    result = doctest.testmod(generator_scheduler)
    assert result.attempted > 0 and result.failed == 0


def test_round_robin_gives_turns_in_order_and_ignores_what_tasks_yield() -> None:
    seen: list[str] = []
    scheduler = RoundRobin()
    scheduler.spawn("A", counter("A", 3, seen, request="anything"))
    scheduler.spawn("B", counter("B", 1, seen))
    scheduler.spawn("C", counter("C", 2, seen))
    assert scheduler.run() == {"B": 1, "C": 2, "A": 3}  # in the order they finished
    assert seen == ["A0", "B0", "C0", "A1", "C1", "A2"]


def test_sleep_zero_gives_round_robin_turns_without_moving_the_clock() -> None:
    seen: list[str] = []
    scheduler = Scheduler()
    for name in "ABC":
        scheduler.spawn(name, counter(name, 2, seen, request=sleep(0)))
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


def test_the_clock_can_start_anywhere_and_tasks_are_told_the_time() -> None:
    def reader():
        now = yield sleep(0)
        later = yield sleep(0.5)
        return now, later

    scheduler = Scheduler(start=100.0)
    scheduler.spawn("reader", reader())
    scheduler.spawn("napper", nap(2.0))
    assert scheduler.run() == {"reader": (100.0, 100.5), "napper": 102.0}
    assert scheduler.spans[0] == Span("reader", 100.0, 100.0)


def test_equal_wake_ups_keep_the_order_they_slept_in() -> None:
    scheduler = Scheduler()
    for name in ["b", "a", "c"]:
        scheduler.spawn(name, nap(1.0))
    assert list(scheduler.run()) == ["b", "a", "c"]


def test_spans_record_each_sleep_under_its_tasks_name() -> None:
    def two_steps():
        yield sleep(1.0)
        yield sleep(2.0)
        return "done"

    scheduler = Scheduler()
    scheduler.spawn("job", two_steps())
    scheduler.spawn("other", nap(0.5))
    scheduler.run()
    assert sorted(scheduler.spans, key=lambda s: (s.name, s.start)) == [
        Span("job", 0.0, 1.0),
        Span("job", 1.0, 3.0),
        Span("other", 0.0, 0.5),
    ]


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


def test_any_request_with_seconds_is_understood() -> None:
    # The lesson defines its own Sleep class; tasks written with it must run here too.
    class LessonSleep:
        def __init__(self, seconds: float) -> None:
            self.seconds = seconds

    def task():
        return (yield LessonSleep(1.5))

    scheduler = Scheduler()
    scheduler.spawn("t", task())
    assert scheduler.run() == {"t": 1.5}


@pytest.mark.parametrize("request_", [1.0, None, Sleep(-1.0), "sleep"])
def test_a_task_that_yields_something_else_is_closed_and_reported(request_: object) -> None:
    closed = []

    def bad():
        try:
            yield request_
        finally:
            closed.append(True)

    scheduler = Scheduler()
    scheduler.spawn("bad", bad())
    with pytest.raises(TypeError, match=r"task 'bad' yielded .*; a task may only yield sleep\(seconds\)"):
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
    with pytest.raises(ValueError, match="already exists"):
        scheduler.spawn("x", nap(1.0))  # finished, but its result is kept under that name
    for bad in (-1.0, float("nan")):
        with pytest.raises(ValueError):
            sleep(bad)
    assert sleep(2) == Sleep(2)


def test_cli_prints_when_each_download_finished(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--start", "100"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:4] == [
        "CN finished at t=103",
        "US finished at t=103.75",
        "BR finished at t=104.5",
        "IN finished at t=106",
    ]
    assert lines[4] == "all done at t=106; one after another, it would be t=117.25"


def test_cli_help_and_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0 and "--start" in capsys.readouterr().out
    with pytest.raises(SystemExit) as done:
        main(["--start", "soon"])
    assert done.value.code == 2 and "invalid float value" in capsys.readouterr().err
