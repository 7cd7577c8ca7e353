"""Each checker of lesson 01 passes a right answer and fails wrong ones with a useful hint."""

from __future__ import annotations

import functools
import time

import pytest

from support.examples.generator_scheduler import sleep
from support.exercises import ExerciseFailed
from support.exercises.classic_coroutines import check_in_sequence, check_running_max, check_ticker

# ---- Exercise 1: running maximum


def running_max():
    biggest = None
    while True:
        value = yield biggest
        biggest = value if biggest is None else max(biggest, value)


def primed(gen_function):
    @functools.wraps(gen_function)
    def start(*args, **kwargs):
        gen = gen_function(*args, **kwargs)
        next(gen)
        return gen

    return start


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


def test_running_max_right_answers_pass(capsys: pytest.CaptureFixture[str]) -> None:
    check_running_max(running_max)
    check_running_max(primed(running_max))  # already primed by a decorator: also fine
    assert (
        capsys.readouterr().out.splitlines()
        == ["✔ Exercise 1 passed: running maximum of 8 values, and of negative numbers"] * 2
    )


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (running_max_from_zero, "not from 0"),
        (running_max_silent, "every send got None back"),
        (running_max_once, "stopped early"),
        (lambda: [3, 3, 4], "not a generator"),
    ],
)
def test_running_max_wrong_answers_fail_with_a_hint(answer, hint: str) -> None:
    with pytest.raises(ExerciseFailed, match=hint):
        check_running_max(answer)


# ---- Exercise 2: a ticker task for the toy scheduler


def ticker(ticks, interval):
    times = []
    for _ in range(ticks):
        times.append((yield sleep(interval)))
    return times


def ticker_without_result(ticks, interval):
    for _ in range(ticks):
        yield sleep(interval)


def ticker_yielding_numbers(ticks, interval):
    times = []
    for _ in range(ticks):
        times.append((yield interval))
    return times


def ticker_counting_itself(ticks, interval):
    # Counts the times itself instead of reading the ones sent back, and is off by one interval.
    yield sleep(interval * ticks)
    return [interval * k for k in range(ticks)]


def ticker_really_sleeping(ticks, interval):
    times = []
    for _ in range(ticks):
        time.sleep(interval / 4)  # enough to be noticed, short enough to keep the test quick
        times.append((yield sleep(0)))
    return times


def test_ticker_right_answer_passes(capsys: pytest.CaptureFixture[str]) -> None:
    check_ticker(ticker)
    assert (
        capsys.readouterr().out
        == "✔ Exercise 2 passed: ticker woke up on time, alone and next to another ticker\n"
    )


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (ticker_without_result, "returned None"),
        (ticker_yielding_numbers, "only understands sleep requests"),
        (ticker_counting_itself, r"should wake up at \[0.5, 1.0, 1.5\]"),
        (ticker_really_sleeping, "waited for real"),
        (lambda ticks, interval: None, "not a generator"),
    ],
)
def test_ticker_wrong_answers_fail_with_a_hint(answer, hint: str) -> None:
    with pytest.raises(ExerciseFailed, match=hint):
        check_ticker(answer)


# ---- Exercise 3: run steps one after another with yield from


def in_sequence(steps):
    results = []
    for step in steps:
        results.append((yield from step))
    return results


def in_sequence_by_iterating(steps):
    results = []
    for step in steps:
        results.append(list(step))  # runs the step without the scheduler: its sleeps are lost
    return results
    yield  # a generator, so the scheduler accepts it


def in_sequence_forwarding_by_hand(steps):
    # Passes the sleep requests up, but never sends the wake-up times down nor keeps the return values.
    results = []
    for step in steps:
        for request in step:  # noqa: UP028 - the hand-written loop is the mistake under test
            yield request
    return results


def in_sequence_yielding_steps(steps):
    results = []
    for step in steps:
        results.append((yield step))
    return results


def test_in_sequence_right_answer_passes(capsys: pytest.CaptureFixture[str]) -> None:
    check_in_sequence(in_sequence)
    assert capsys.readouterr().out == (
        "✔ Exercise 3 passed: 3 steps ran one after another through `yield from`, beside another task\n"
    )


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (in_sequence_by_iterating, "should end at t=1.75, not t=1"),
        (in_sequence_forwarding_by_hand, "expected the steps' results"),
        (in_sequence_yielding_steps, "Do not yield the steps themselves"),
        (lambda steps: [], "not a generator"),
    ],
)
def test_in_sequence_wrong_answers_fail_with_a_hint(answer, hint: str) -> None:
    with pytest.raises(ExerciseFailed, match=hint):
        check_in_sequence(answer)
