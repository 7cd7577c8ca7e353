"""Lesson 07's checkers beyond the shared cases: other right answers pass, odd values get a hint, not a trace."""

from __future__ import annotations

import asyncio
import gc
import warnings

import pytest
from exercise_answers import async_iteration as answers

from support.exercises import async_iteration as checks
from support.exercises.checking import Checker


async def _line(check: Checker, answer: object) -> str:
    return (await check.verdict(answer)).line()


@pytest.mark.parametrize(
    ("check", "answer"),
    [
        (checks.check_throttle, answers.ThrottleSimple),
        (checks.check_first_free, answers.first_free_by_hand),
    ],
    ids=["throttle-fixed-pause", "first_free-aclose-by-hand"],
)
async def test_other_right_answers_pass(check: Checker, answer: object) -> None:
    line = await _line(check, answer)
    assert line.startswith("✔ "), line


async def _returns_42(results: object) -> int:
    return 42


async def _returns_a_set(results: object) -> set[str]:
    return {result.domain async for result in results if not result.found}  # type: ignore[attr-defined]


def _returns_none(*args: object) -> None:
    return None


def _returns_a_list(source: object, size: int) -> list[int]:
    return [1, 2, 3]


async def _returns_5(results: object) -> int:
    return 5


class _AiterReturnsNone:
    def __init__(self, source: object, interval: float) -> None:
        self.source = source

    def __aiter__(self) -> None:
        return None


class _PlainAnext:
    def __init__(self, source: object, interval: float) -> None:
        self.source = source

    def __aiter__(self) -> _PlainAnext:
        return self

    def __anext__(self) -> int:
        return 1


@pytest.mark.parametrize(
    ("check", "answer", "hint"),
    [
        (checks.check_free_domains, _returns_42, "return a list"),
        (checks.check_free_domains, _returns_a_set, "return a list"),
        (checks.check_batched, _returns_none, "returned NoneType"),
        (checks.check_batched, _returns_a_list, "returned list"),
        (checks.check_first_free, _returns_5, "got 5"),
        (checks.check_first_free, _returns_none, "async def"),
        (checks.check_throttle, _returns_none, "should be a class"),
        (checks.check_throttle, _AiterReturnsNone, "__aiter__ returned None"),
        (checks.check_throttle, _PlainAnext, "__anext__ must be `async def`"),
    ],
)
async def test_odd_answers_get_a_hint(check: Checker, answer: object, hint: str) -> None:
    line = await _line(check, answer)
    assert line.startswith("✘ ") and hint in line, line


async def test_wrong_answers_leave_no_unawaited_coroutine_or_unclosed_generator() -> None:
    gc.collect()  # leftovers of tests that ran before this one (in random order) warn now, not below
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for case in [answers.batched_returns_a_list, answers.batched_plain_generator]:
            await checks.check_batched.verdict(case)
        await checks.check_free_domains.verdict(answers.free_domains_generator_expression)
        await checks.check_throttle.verdict(answers.ThrottleAsyncAiter)
        gc.collect()
        await asyncio.sleep(0.01)
    # Only coroutines these checks made count: job_slow and the like belong to tests of other lessons.
    ours = [
        str(w.message)
        for w in caught
        if "never awaited" in str(w.message) and "job_slow" not in str(w.message)
    ]
    assert not ours, ours
