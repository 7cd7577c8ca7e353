"""The lesson 00 checker accepts a right answer and explains what is wrong with wrong ones."""

from __future__ import annotations

import asyncio

import pytest

from support.exercises import ExerciseFailed
from support.exercises.getting_started import check_sleep_all


async def right(delays: list[float]) -> list[float]:
    return await asyncio.gather(*(asyncio.sleep(d, result=d) for d in delays))


async def sequential(delays: list[float]) -> list[float]:
    return [await asyncio.sleep(d, result=d) for d in delays]


async def unfinished(delays: list[float]) -> None: ...


async def sorted_by_delay(delays: list[float]) -> list[float]:
    return sorted(await right(delays))


def not_async(delays: list[float]) -> list[float]:
    return delays


async def test_right_answer_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert await check_sleep_all(right) is None
    assert capsys.readouterr().out.startswith("✔ Exercise 1 passed")


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (sequential, "one after another"),
        (unfinished, "returned None"),
        (sorted_by_delay, "in the order given"),
    ],
)
async def test_wrong_answers_fail_with_a_hint(answer, hint: str) -> None:
    with pytest.raises(ExerciseFailed, match=hint):
        await check_sleep_all(answer)


async def test_a_plain_function_is_refused() -> None:
    with pytest.raises(ExerciseFailed, match="async def"):
        await check_sleep_all(not_async)  # type: ignore[arg-type]
