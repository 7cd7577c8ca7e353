"""watching() tells a loop the learner's code blocked from a loop the machine kept waiting."""

from __future__ import annotations

import asyncio
import time

from support.exercises.watching import watching

# Code that is not the learner's (its file is "<string>"): its stalls stand for a machine so busy that the
# loop waits for a CPU, which no learner's frame causes either.
_NOT_LEARNERS: dict[str, object] = {}
exec(compile("import time\ndef stalls():\n    time.sleep(0.3)\n", "<string>", "exec"), _NOT_LEARNERS)


async def blocks() -> None:
    time.sleep(0.3)  # noqa: ASYNC251 (the learner's mistake)


async def awaits() -> None:
    await asyncio.sleep(0.3)


async def test_a_loop_the_learners_code_blocks_is_busy() -> None:
    async with watching() as seen:
        await blocks()
    assert seen.busy > 0.8, (seen.busy, seen.in_learner_share)
    assert seen.in_learner_share > 0.8


async def test_a_loop_that_awaits_is_free() -> None:
    async with watching() as seen:
        await awaits()
    assert seen.busy < 0.2, (seen.busy, seen.in_learner_share)


async def test_a_loop_held_up_outside_the_learners_code_is_not_blamed_on_it() -> None:
    async with watching() as seen:
        asyncio.get_running_loop().call_soon(_NOT_LEARNERS["stalls"])  # type: ignore[arg-type]
        await awaits()  # the learner's code awaits meanwhile, as it should
    assert seen.max_lag > 0.25  # the heartbeat did wait...
    assert seen.samples >= 10 and seen.in_learner_share < 0.2  # ...but not for the learner's code
    assert seen.busy < 0.2, (seen.busy, seen.in_learner_share)
