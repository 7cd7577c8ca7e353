"""Lesson 01's checkers accept other right answers too, not only the model ones.

``tests/test_exercise_checkers.py`` tries each checker with its model answer, its stub and its wrong answers
(``tests/exercise_answers/classic_coroutines.py``); here are the right answers written another way, which
the generic runner has no place for.
"""

from __future__ import annotations

from exercise_answers.classic_coroutines import running_max_primed

from support.examples.generator_scheduler import sleep
from support.exercises.classic_coroutines import check_running_max, check_ticker, check_timed


def running_max_keeps_a_list():
    seen = []
    value = yield
    while True:
        seen.append(value)
        value = yield max(seen)


def ticker_with_while(ticks, interval):
    woke_at = []
    while len(woke_at) < ticks:
        now = yield sleep(interval)
        woke_at.append(now)
    return woke_at


def timed_by_hand(step):
    # What `yield from` does, written out: send each wake-up time down, pass each request up.
    start = yield sleep(0)
    value = None
    while True:
        try:
            request = step.send(value)
        except StopIteration as stop:
            result = stop.value
            break
        value = yield request
    end = yield sleep(0)
    return [result, end - start]


def test_a_primed_running_max_and_one_that_starts_from_minus_infinity_pass() -> None:
    assert check_running_max.verdict(running_max_primed).passed


def test_a_running_max_that_keeps_every_value_passes() -> None:
    assert check_running_max.verdict(running_max_keeps_a_list).passed


def test_a_ticker_with_a_while_loop_passes() -> None:
    assert check_ticker.verdict(ticker_with_while).passed


def test_timed_written_without_yield_from_passes_when_it_forwards_both_ways() -> None:
    assert check_timed.verdict(timed_by_hand).passed


def test_a_native_coroutine_is_refused_without_a_never_awaited_warning(recwarn) -> None:
    async def ticker(ticks, interval):
        return []

    verdict = check_ticker.verdict(ticker)
    assert verdict.status == "failed" and "returned coroutine, not a generator" in verdict.message
    assert not [w for w in recwarn if "never awaited" in str(w.message)]


def test_times_of_the_wrong_shape_are_a_mismatch_not_a_crash() -> None:
    from support.exercises.classic_coroutines import _same_times

    assert _same_times([0.5, 1.0], [0.5, 1.0]) and _same_times((0.5,), [0.5])
    for got in [None, [0.5], [0.5, 1.0, 1.5], "ab", [0.5, True]]:
        assert not _same_times(got, [0.5, 1.0]), got
