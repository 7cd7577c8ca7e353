"""Answers to the exercises of lesson 01: ``running_max``, ``ticker`` and ``timed``."""

from __future__ import annotations

import functools
import time

from support.examples.generator_scheduler import sleep
from support.exercises.classic_coroutines import check_running_max, check_ticker, check_timed

from . import Cases, Wrong

# ---- Exercise 1: a running maximum


def running_max_model():
    biggest = None
    while True:
        value = yield biggest
        biggest = value if biggest is None else max(biggest, value)


def running_max_stub():
    # After priming, answer each number sent in with the largest number seen so far.
    ...


def primed(generator_function):
    @functools.wraps(generator_function)
    def start(*args, **kwargs):
        coroutine = generator_function(*args, **kwargs)
        next(coroutine)
        return coroutine

    return start


@primed
def running_max_primed():
    biggest = float("-inf")
    while True:
        biggest = max(biggest, (yield biggest))


def running_max_or():
    biggest = None
    while True:
        value = yield biggest
        biggest = max(biggest or value, value)


def running_max_if_not():
    biggest = None
    while True:
        value = yield biggest
        if not biggest or value > biggest:
            biggest = value


def running_max_from_zero():
    biggest = 0
    while True:
        value = yield biggest
        biggest = max(biggest, value)


def running_max_silent():
    biggest = None
    while True:
        value = yield
        biggest = value if biggest is None else max(biggest, value)


def running_max_once():
    value = yield
    yield value


def running_max_compares_with_none():
    biggest = None
    while True:
        value = yield biggest
        if value > biggest:
            biggest = value


def running_max_list(values=(3, 1, 4)):
    return [max(values[: i + 1]) for i in range(len(values))]


# ---- Exercise 2: a ticker task for the scheduler


def ticker_model(ticks, interval):
    woke_at = []
    for _ in range(ticks):
        woke_at.append((yield sleep(interval)))
    return woke_at


def ticker_stub(ticks, interval):
    # Sleep `interval` seconds, `ticks` times; return the list of times it woke up at.
    ...


def ticker_computes_times(ticks, interval):
    for _ in range(ticks):
        yield sleep(interval)
    return [(i + 1) * interval for i in range(ticks)]


def ticker_without_result(ticks, interval):
    for _ in range(ticks):
        yield sleep(interval)


def ticker_yielding_numbers(ticks, interval):
    woke_at = []
    for _ in range(ticks):
        woke_at.append((yield interval))
    return woke_at


def ticker_really_sleeping(ticks, interval):
    woke_at = []
    for _ in range(ticks):
        time.sleep(interval)
        woke_at.append((yield sleep(0)))
    return woke_at


def ticker_one_long_sleep(ticks, interval):
    woke_at = yield sleep(ticks * interval)
    return [woke_at]


def ticker_records_requests(ticks, interval):
    requests = []
    for _ in range(ticks):
        request = sleep(interval)
        requests.append(request)
        yield request
    return requests


def ticker_never_stops(ticks, interval):
    woke_at = []
    while True:
        woke_at.append((yield sleep(interval)))


def ticker_plain_function(ticks, interval):
    return [sleep(interval) for _ in range(ticks)]


# ---- Exercise 3: timing a sub-task


def timed_model(step):
    start = yield sleep(0)
    result = yield from step
    end = yield sleep(0)
    return result, end - start


def timed_stub(step):
    # Run `step` to its end; return (its result, the seconds it took on the scheduler's clock).
    ...


def timed_forwards_by_hand(step):
    start = yield sleep(0)
    for request in step:  # noqa: UP028 - the hand-written loop is the mistake under test
        yield request
    end = yield sleep(0)
    return None, end - start


def timed_runs_the_step_itself(step):
    start = yield sleep(0)
    result = list(step)
    end = yield sleep(0)
    return result, end - start


def timed_yields_the_step(step):
    start = yield sleep(0)
    result = yield step
    end = yield sleep(0)
    return result, end - start


def timed_from_zero(step):
    result = yield from step
    end = yield sleep(0)
    return result, end


def timed_with_perf_counter(step):
    start = time.perf_counter()
    result = yield from step
    return result, time.perf_counter() - start


def timed_swapped(step):
    start = yield sleep(0)
    result = yield from step
    end = yield sleep(0)
    return end - start, result


def timed_only_result(step):
    return (yield from step)


def timed_not_a_generator(step):
    return next(step), 0.0


CASES = [
    Cases(
        check_running_max,
        right=running_max_model,
        stub=running_max_stub,
        wrong=[
            Wrong(
                running_max_or, "max(biggest or value, value): 0 taken for 'nothing yet'", "`biggest is None`"
            ),
            Wrong(running_max_if_not, "`if not biggest`: 0 taken for 'nothing yet'", "0 counts as false"),
            Wrong(running_max_from_zero, "starts from 0, wrong for negative numbers", "not from 0"),
            Wrong(running_max_silent, "`value = yield`: answers nothing", "every send got None back"),
            Wrong(running_max_once, "no loop: stops after one value", "stopped early"),
            Wrong(
                running_max_compares_with_none,
                "compares the first value with None",
                "your code raised TypeError",
            ),
            Wrong(running_max_list, "a function returning a list", "not a generator"),
        ],
    ),
    Cases(
        check_ticker,
        right=ticker_model,
        stub=ticker_stub,
        wrong=[
            Wrong(
                ticker_computes_times,
                "returns (i + 1) * interval, not the times sent back",
                "worked out itself",
            ),
            Wrong(ticker_without_result, "returns nothing", "returned None"),
            Wrong(
                ticker_yielding_numbers, "yields the interval, not sleep(interval)", "only understands sleep"
            ),
            Wrong(ticker_really_sleeping, "calls time.sleep", "waited for real"),
            Wrong(
                ticker_one_long_sleep,
                "one sleep of ticks * interval",
                "should return the times it woke up at",
            ),
            Wrong(ticker_records_requests, "keeps the requests, not the answers", "should return the times"),
            Wrong(ticker_never_stops, "`while True:` and never returns", "still running after"),
            Wrong(ticker_plain_function, "a plain function building a list of requests", "not a generator"),
        ],
    ),
    Cases(
        check_timed,
        right=timed_model,
        stub=timed_stub,
        wrong=[
            Wrong(
                timed_forwards_by_hand,
                "forwards the requests with a for loop",
                "evaluates to what it returns",
            ),
            Wrong(
                timed_runs_the_step_itself, "list(step): runs the step without the scheduler", "never reached"
            ),
            Wrong(timed_yields_the_step, "yields the step to the scheduler", "Don't yield the step itself"),
            Wrong(timed_from_zero, "takes the clock's time at the end as the duration", "not 0"),
            Wrong(timed_with_perf_counter, "measures real time", "measure on that clock"),
            Wrong(timed_swapped, "returns (seconds, result)", "wrong way round"),
            Wrong(timed_only_result, "returns only the step's result", "only the step's result"),
            Wrong(timed_not_a_generator, "a plain function", "not a generator"),
        ],
    ),
]
