"""Checks for the exercises of ``01_classic_coroutines``."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Generator, Sequence
from typing import Any

from ..examples.generator_scheduler import Scheduler, sleep
from ..timing import Stopwatch
from . import ExerciseFailed, passed, require

__all__ = ["check_in_sequence", "check_running_max", "check_ticker"]


def _close_enough(got: object, expected: Sequence[float]) -> bool:
    try:
        return len(got) == len(expected) and all(
            abs(g - e) < 1e-9 for g, e in zip(got, expected, strict=True)
        )
    except TypeError:
        return False


def _run(scheduler: Scheduler, hint: str) -> dict[str, Any]:
    """Run the scheduler, turning a wrong yield into a hint instead of a traceback."""
    try:
        return scheduler.run()
    except TypeError as exc:
        if "may only yield" not in str(exc):
            raise
        raise ExerciseFailed(f"{exc}. {hint}") from None


def check_running_max(running_max: Callable[[], Generator[Any, float, Any]]) -> None:
    """``running_max()`` makes a coroutine: after priming, each value sent gets back the largest one so far.

    Primed or not (a priming decorator is welcome), it must work for negative numbers too.
    """
    values = [3, 1, 4, 1, 5, 9, 2, 6]
    expected = [3, 3, 4, 4, 5, 9, 9, 9]
    got = _send_all(running_max, values)
    require(
        got != [None] * len(values), "every send got None back: yield the maximum (`value = yield biggest`)."
    )
    require(got == expected, f"sending {values} should give back {expected}; got {got}.")
    negatives = [-5, -2, -7]
    got = _send_all(running_max, negatives)
    require(
        got == [-5, -2, -2],
        f"sending {negatives} should give back [-5, -2, -2]; got {got}. "
        "Start from the first value sent, not from 0.",
    )
    passed("Exercise 1", f"running maximum of {len(values)} values, and of negative numbers")


def _send_all(running_max: Callable[[], Any], values: Sequence[float]) -> list[Any]:
    coro = running_max()
    require(
        inspect.isgenerator(coro),
        f"running_max() returned {type(coro).__name__}, not a generator: its body needs a `yield`.",
    )
    if inspect.getgeneratorstate(coro) == inspect.GEN_CREATED:
        next(coro)  # prime it: run to the first yield
    try:
        return [coro.send(value) for value in values]
    except StopIteration:
        raise ExerciseFailed(
            "the coroutine stopped early: keep receiving in a loop (`while True:`)."
        ) from None
    finally:
        coro.close()


_TICKER_YIELD = "Write `woke_at = yield sleep(interval)`: the scheduler only understands sleep requests."


def check_ticker(ticker: Callable[[int, float], Any]) -> None:
    """``ticker(ticks, interval)`` is a task for the toy scheduler: it sleeps ``interval`` seconds
    ``ticks`` times and returns the list of clock times it woke up at (the values sent back into it).
    """
    alone = ticker(3, 0.5)
    require(
        inspect.isgenerator(alone),
        f"ticker(3, 0.5) returned {type(alone).__name__}, not a generator: yield sleep(interval) in a loop.",
    )
    scheduler = Scheduler()
    scheduler.spawn("alone", alone)
    with Stopwatch() as watch:
        results = _run(scheduler, _TICKER_YIELD)
    require(
        watch.elapsed < 0.25, "the task waited for real: yield sleep(interval) instead of calling time.sleep."
    )
    got = results["alone"]
    require(got is not None, "ticker returned None: return the list of times it woke up at.")
    require(
        _close_enough(got, [0.5, 1.0, 1.5]),
        "ticker(3, 0.5) alone should wake up at [0.5, 1.0, 1.5] (what `yield sleep(...)` evaluates to); "
        f"got {got!r}.",
    )
    scheduler = Scheduler()
    scheduler.spawn("fast", ticker(4, 0.25))
    scheduler.spawn("slow", ticker(2, 0.5))
    results = _run(scheduler, _TICKER_YIELD)
    require(
        _close_enough(results["fast"], [0.25, 0.5, 0.75, 1.0]) and _close_enough(results["slow"], [0.5, 1.0]),
        f"two tickers together should share the clock; got {results}.",
    )
    require(scheduler.clock == 1.0, f"two tickers of 1 s each should end at t=1, not t={scheduler.clock:g}.")
    passed("Exercise 2", "ticker woke up on time, alone and next to another ticker")


def _nap(seconds: float, name: str):
    woke_at = yield sleep(seconds, name)
    return (name, woke_at)


def check_in_sequence(in_sequence: Callable[[Sequence[Any]], Any]) -> None:
    """``in_sequence(steps)`` is a task that runs each step (a sub-task) to the end, one after another,
    by delegating with ``yield from``, and returns the list of their results.
    """
    steps = [_nap(0.5, "a"), _nap(1.0, "b"), _nap(0.25, "c")]
    task = in_sequence(steps)
    require(
        inspect.isgenerator(task),
        f"in_sequence(steps) returned {type(task).__name__}, not a generator: delegate with `yield from step`.",
    )
    scheduler = Scheduler()
    scheduler.spawn("sequence", task)
    scheduler.spawn("beside", _nap(1.0, "beside"))
    results = _run(scheduler, "Do not yield the steps themselves: `result = yield from step` runs one.")
    require(
        _close_enough([scheduler.clock], [1.75]),
        f"the steps' sleeps (0.5 + 1 + 0.25) should end at t=1.75, not t={scheduler.clock:g}: iterating over a "
        "step swallows its sleep requests before they reach the scheduler; use `result = yield from step`.",
    )
    got = results["sequence"]
    require(got is not None, "in_sequence returned None: return the list of the steps' results.")
    expected = [("a", 0.5), ("b", 1.5), ("c", 1.75)]
    require(
        isinstance(got, list)
        and len(got) == 3
        and all(_same_step(g, e) for g, e in zip(got, expected, strict=True)),
        f"expected the steps' results {expected} (name, time it woke up), in order; got {got!r}. "
        "`yield from` sends each wake-up time into the step and evaluates to the step's return value.",
    )
    require(results["beside"] == ("beside", 1.0), "another task should still run beside the sequence.")
    passed("Exercise 3", "3 steps ran one after another through `yield from`, beside another task")


def _same_step(got: object, expected: tuple[str, float]) -> bool:
    return (
        isinstance(got, tuple)
        and len(got) == 2
        and got[0] == expected[0]
        and _close_enough([got[1]], [expected[1]])
    )
