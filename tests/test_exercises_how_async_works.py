"""Lesson 10's checkers beyond the generic cases: other right answers must pass too.

The model answers, the stubs and the wrong answers are in ``tests/exercise_answers/how_async_works.py`` and
run by ``tests/test_exercise_checkers.py``.
"""

from __future__ import annotations

from typing import Any

import pytest
from exercise_answers.how_async_works import OTHER_RIGHT

from support.exercises.checking import Checker


@pytest.mark.parametrize(("check", "answer"), OTHER_RIGHT, ids=[a.__name__ for _, a in OTHER_RIGHT])
async def test_other_right_answers_pass(check: Checker, answer: Any) -> None:
    verdict = await check.verdict(answer)
    assert verdict.passed, verdict.line()
