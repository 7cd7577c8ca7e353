"""Lesson 05's checkers beyond the generic cases: other right answers, and a watch that never returns.

The model answers, the stubs and the wrong answers are in ``tests/exercise_answers/context_managers.py`` and
run by ``tests/test_exercise_checkers.py``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from exercise_answers.context_managers import OTHER_RIGHT

from support.exercises import context_managers
from support.exercises.checking import Checker


@pytest.mark.parametrize(("check", "answer"), OTHER_RIGHT, ids=lambda x: getattr(x, "__name__", ""))
async def test_other_right_answers_pass(check: Checker, answer: Any) -> None:
    verdict = await check.verdict(answer)
    assert verdict.passed, verdict.line()


def _loop_watch_waiting_for_the_heartbeat(started: list[asyncio.Task[None]]) -> type:
    """A plausible mistake: __aexit__ awaits the heartbeat task without cancelling it, so it waits for ever.

    Built per test, with the caller's list: mutmut runs the suite more than once in one process, and a list
    kept on a module-level class would still hold the first run's task.
    """

    class LoopWatch:
        async def __aenter__(self) -> LoopWatch:
            self.heartbeat = asyncio.create_task(asyncio.sleep(3600))
            started.append(self.heartbeat)
            return self

        async def __aexit__(self, *exc_info: object) -> None:
            await asyncio.wait([self.heartbeat])  # never cancelled, so never done; and wait() cancels nothing

    return LoopWatch


async def test_a_loop_watch_that_never_returns_gets_the_time_limit_hint_not_a_cancellation_one() -> None:
    # The time limit cancels the check itself: that CancelledError is the checker's, not the answer's.
    quick = Checker(
        context_managers.check_loop_watch.function, "Exercise 1", "fill in LoopWatch", time_limit=0.5
    )
    started: list[asyncio.Task[None]] = []
    verdict = await quick.verdict(_loop_watch_waiting_for_the_heartbeat(started))
    assert verdict.status == "failed"
    assert "still running after 0.5 s" in verdict.line(), verdict.line()
    [heartbeat] = started
    assert heartbeat.cancelled(), "the answer's task outlived the check"
