"""Checks for the exercises of ``01_classic_coroutines``.

The scheduler tasks (exercises 2 and 3) run on :class:`support.examples.generator_scheduler.Scheduler`, the
module copy of the scheduler the lesson builds. Its clock starts at 100 here, not 0, and another task runs
beside the learner's: a task only knows the time from what its ``yield`` is sent back, so answers that
compute the times themselves, or that keep the sleeps from the scheduler, are found out.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Generator, Sequence
from typing import Any

from ..examples.generator_scheduler import Scheduler, sleep
from ..timing import Stopwatch
from .checking import checker, fail, require

__all__ = ["check_running_max", "check_ticker", "check_timed"]

START = 100.0  # the checks' scheduler clock starts here, as asyncio's loop.time() starts at no particular 0
TURNS = 10_000  # far more turns than any right answer needs


class _Bounded(Scheduler):
    """The scheduler with a limit on turns: a task that never returns gets a hint instead of hanging the cell.

    The fake clock makes an endless task endless in no time at all, so the check cannot wait for it.
    """

    def __init__(self, start: float = START) -> None:
        super().__init__(start)
        self.turns = 0

    def step(self, name: str, task: Any, value: float | None) -> None:
        self.turns += 1
        if self.turns > TURNS:
            fail(
                f"task {name!r} was still running after {TURNS} turns of the scheduler: does it return once "
                "it has done its work (a `while True:` loop never ends by itself)?"
            )
        super().step(name, task, value)


def _same_times(got: object, expected: Sequence[float]) -> bool:
    """True when ``got`` is a list or tuple of numbers equal to ``expected`` (up to rounding)."""
    if not isinstance(got, list | tuple) or len(got) != len(expected):
        return False
    return all(
        isinstance(g, int | float) and not isinstance(g, bool) and math.isclose(g, e, abs_tol=1e-9)
        for g, e in zip(got, expected, strict=True)
    )


def _run(scheduler: _Bounded, wrong_yield_hint: str) -> dict[str, Any]:
    """Run the scheduler; a task that yields something other than ``sleep(...)`` gets a hint, not a trace."""
    try:
        return scheduler.run()
    except TypeError as exc:
        if "may only yield sleep" not in str(exc):
            raise
        fail(f"{exc}. {wrong_yield_hint}")


def _generator(made: object, call: str, hint: str) -> Generator[Any, Any, Any]:
    if inspect.iscoroutine(made):
        made.close()  # never run: no "never awaited" warning later
    require(inspect.isgenerator(made), f"{call} returned {type(made).__name__}, not a generator: {hint}")
    return made  # type: ignore[return-value]


# ---- Exercise 1: a running maximum


@checker("Exercise 1", todo="fill in running_max above, then run this cell")
def check_running_max(running_max: Callable[[], Generator[Any, float, Any]]) -> str:
    """After priming, each value sent to ``running_max()`` is answered with the largest one so far.

    Primed by a decorator or not, both are fine. Negative numbers and 0 are sent too: starting from 0, or
    testing ``biggest`` for truth (``biggest or value``), gives wrong answers there.
    """
    values = [3, 1, 4, 1, 5, 9, 2, 6]
    got = _send_all(running_max, values)
    require(
        got != [None] * len(values),
        "every send got None back: yield the maximum so far (`value = yield biggest`).",
    )
    require(
        got == [3, 3, 4, 4, 5, 9, 9, 9], f"sending {values} should give back {_maxima(values)}; got {got}."
    )
    negatives = [-5, -2, -7]
    got = _send_all(running_max, negatives)
    require(
        got == _maxima(negatives),
        f"sending {negatives} should give back {_maxima(negatives)}; got {got}. "
        "Start from the first value sent, not from 0.",
    )
    with_zero = [-4, 0, -3, -8]
    got = _send_all(running_max, with_zero)
    require(
        got == _maxima(with_zero),
        f"sending {with_zero} should give back {_maxima(with_zero)}; got {got}. After a 0 the maximum is "
        "still 0, but 0 counts as false: `biggest or value` or `if not biggest` take it for 'nothing yet'. "
        "Test `biggest is None` instead.",
    )
    return "running maximum of 8 values, of negative numbers, and after a 0"


def _maxima(values: Sequence[float]) -> list[float]:
    return [max(values[: i + 1]) for i in range(len(values))]


def _send_all(running_max: Callable[[], Any], values: Sequence[float]) -> list[Any]:
    coro = _generator(running_max(), "running_max()", "its body needs a `yield`.")
    try:
        if inspect.getgeneratorstate(coro) == inspect.GEN_CREATED:
            next(coro)  # prime it: run to the first yield
        return [coro.send(value) for value in values]
    except StopIteration:
        fail("the coroutine stopped early: keep receiving in a loop (`while True:`).")
    finally:
        coro.close()


# ---- Exercise 2: a ticker task for the scheduler

_SLEEP_ONLY = "The scheduler only understands sleep requests: `woke_at = yield sleep(interval)`."


def _beside(interval: float, ticks: int) -> Generator[Any, float, list[float]]:
    """Another task on the same scheduler, so the learner's task is never alone with the clock."""
    times = []
    for _ in range(ticks):
        times.append((yield sleep(interval)))
    return times


@checker("Exercise 2", todo="fill in ticker above, then run this cell")
def check_ticker(ticker: Callable[[int, float], Any]) -> str:
    """``ticker(ticks, interval)`` sleeps ``interval``, ``ticks`` times, and returns the times it woke up at.

    The clock starts at 100, so the times are what the scheduler sends back, not multiples of ``interval``.
    """
    task = _generator(ticker(3, 0.5), "ticker(3, 0.5)", "yield sleep(interval) in a loop.")
    scheduler = _Bounded()
    scheduler.spawn("ticker", task)
    scheduler.spawn("beside", _beside(0.4, 4))
    with Stopwatch() as watch:
        results = _run(scheduler, _SLEEP_ONLY)
    require(
        watch.elapsed < 0.5 * 3 * 0.5,
        "the task waited for real: yield sleep(interval) to the scheduler instead of calling time.sleep.",
    )
    got = results.get("ticker")
    expected = [START + 0.5, START + 1.0, START + 1.5]
    require(got is not None, "ticker returned None: return the list of times it woke up at.")
    require(
        not _same_times(got, [0.5, 1.0, 1.5]),
        f"ticker(3, 0.5) returned {got!r}, times it worked out itself; this scheduler's clock started at "
        f"{START:g}, so it woke up at {expected}. Keep what `yield sleep(interval)` gives back.",
    )
    require(
        _same_times(got, expected),
        f"ticker(3, 0.5), on a clock that started at {START:g}, should return the times it woke up at, "
        f"{expected} (what `yield sleep(interval)` gives back); got {got!r}.",
    )
    require(results.get("beside") is not None, "the other task did not finish beside the ticker.")
    scheduler = _Bounded()
    scheduler.spawn("fast", ticker(4, 0.25))
    scheduler.spawn("slow", ticker(2, 0.5))
    results = _run(scheduler, _SLEEP_ONLY)
    fast, slow = [START + 0.25 * k for k in (1, 2, 3, 4)], [START + 0.5, START + 1.0]
    require(
        _same_times(results.get("fast"), fast) and _same_times(results.get("slow"), slow),
        f"two tickers side by side should return {fast} and {slow}; got {results.get('fast')!r} and "
        f"{results.get('slow')!r}.",
    )
    return "ticker woke up when the scheduler said, alone and beside other tickers"


# ---- Exercise 3: timing a sub-task


def _fetch(name: str, latencies: Sequence[float]) -> Generator[Any, float, tuple[str, list[float]]]:
    """A step to time: it sleeps each latency in turn and returns its name and the times it woke up at."""
    woke = []
    for latency in latencies:
        woke.append((yield sleep(latency)))
    return name, woke


def _later(delay: float, task: Generator[Any, Any, Any]) -> Generator[Any, Any, Any]:
    """Start ``task`` only after ``delay`` seconds: the clock is not at its start when it begins."""
    yield sleep(delay)
    return (yield from task)


@checker("Exercise 3", todo="fill in timed above, then run this cell")
def check_timed(timed: Callable[[Generator[Any, Any, Any]], Any]) -> str:
    """``timed(step)`` runs ``step`` to its end by delegation and returns ``(step's result, seconds it took)``.

    Checked on a clock that starts at 100, beside another task, for a step started at once and one started
    later; the step's result holds the times sent into it, so they must reach it.
    """
    task = _generator(
        timed(_fetch("now", [0.5, 0.25])), "timed(step)", "delegate to the step with `yield from`."
    )
    scheduler = _Bounded()
    scheduler.spawn("timed", task)
    scheduler.spawn("later", _later(1.0, timed(_fetch("later", [1.5]))))
    scheduler.spawn("beside", _beside(0.3, 5))
    results = _run(
        scheduler,
        "Don't yield the step itself: `result = yield from step` runs it and passes its sleeps through.",
    )
    got = results.get("timed")
    require(got is not None, "timed returned None: return a pair, (the step's result, the seconds it took).")
    if not (isinstance(got, tuple | list) and len(got) == 2):  # an `if`, so mypy knows got is a pair below
        fail(f"timed should return a pair, (the step's result, the seconds it took); got {got!r}.")
    right_result = ("now", [START + 0.5, START + 0.75])
    require(
        list(got) != list(right_result),
        "timed returned only the step's result: return a pair, (the step's result, the seconds it took).",
    )
    result, seconds = got
    if isinstance(result, int | float) and not isinstance(seconds, int | float):
        fail(f"the pair is the wrong way round: return (result, seconds), not {got!r}.")
    require(
        isinstance(seconds, int | float) and not isinstance(seconds, bool),
        f"the second item should be the number of seconds the step took; got {seconds!r}.",
    )
    next_to_nothing = abs(seconds) < 0.05  # the step slept 0.75 s on the fake clock; real time is tiny
    if result != right_result and next_to_nothing:
        fail(
            "no time passed on the scheduler's clock while the step ran: its sleep requests never reached "
            "the scheduler, and its result was lost. Delegate: `result = yield from step`."
        )
    require(
        result == right_result,
        f"the step should return {right_result!r} (its name and the times the scheduler woke it up at); "
        f"timed gave back {result!r}. `result = yield from step` passes the times down to the step and "
        "evaluates to what it returns.",
    )
    require(
        not next_to_nothing,
        "the step took 0.75 s on the scheduler's clock, and timed says next to nothing: measure on that clock "
        "(read it with `yield sleep(0)` before and after), not with time.perf_counter.",
    )
    require(
        not math.isclose(seconds, START + 0.75),
        f"timed says {seconds:g} s, the clock's time at the end: the clock started at {START:g}, not 0. "
        "Read it before the step too (`start = yield sleep(0)`) and subtract.",
    )
    require(
        math.isclose(seconds, 0.75, abs_tol=1e-9),
        f"the step slept 0.5 + 0.25 s on the scheduler's clock, so timed should say 0.75; it says {seconds!r}.",
    )
    later = results.get("later")
    require(
        isinstance(later, tuple | list)
        and len(later) == 2
        and later[0] == ("later", [START + 2.5])
        and isinstance(later[1], int | float)
        and math.isclose(later[1], 1.5, abs_tol=1e-9),
        f"a step of 1.5 s started at t={START + 1:g} should give (('later', [{START + 2.5:g}]), 1.5); "
        f"timed gave {later!r}. Read the clock when the step starts, not when the scheduler did.",
    )
    require(results.get("beside") is not None, "the other task did not finish beside timed.")
    return "timed measured its step on the scheduler's clock, and the step's result came back through it"
