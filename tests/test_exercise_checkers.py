"""Every exercise checker, tried with its model answer, its stub and the wrong answers learners write.

The answers live in ``tests/exercise_answers/<lesson module>.py``. Each checker must accept the model answer
(✔), say "not tried yet" for the untouched stub (○), and reject at least three plausible wrong answers, each
with its own hint (✘). A checker that nobody tried with wrong answers fails here.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import inspect
import pkgutil
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import pytest
from exercise_answers import Cases, Wrong

import support.exercises
from support.exercises.checking import Checker, Verdict, registry

ANSWERS = Path(__file__).with_name("exercise_answers")


def _all_cases() -> list[Cases]:
    cases: list[Cases] = []
    for info in pkgutil.iter_modules([str(ANSWERS)]):
        cases += importlib.import_module(f"exercise_answers.{info.name}").CASES
    return cases


def _import_every_checker_module() -> None:
    for info in pkgutil.iter_modules(support.exercises.__path__):
        importlib.import_module(f"support.exercises.{info.name}")


def _running_tasks() -> set[asyncio.Task[Any]]:
    current = asyncio.current_task()
    return {task for task in asyncio.all_tasks() if not task.done() and task is not current}


CASES = _all_cases()
WRONG = [(case, wrong) for case in CASES for wrong in case.wrong]


async def _verdict(check: Checker, answer: Any, several: bool) -> Verdict:
    answers = answer if several else (answer,)
    verdict = check.verdict(*answers)
    return await verdict if inspect.isawaitable(verdict) else verdict


def test_every_checker_is_tried_with_at_least_three_wrong_answers() -> None:
    _import_every_checker_module()
    tried = {case.name: case for case in CASES}
    missing = sorted(set(registry()) - set(tried))
    assert not missing, f"checkers with no cases in tests/exercise_answers/: {missing}"
    for name, case in tried.items():
        hints = [wrong.hint for wrong in case.wrong]
        assert len(hints) >= 3, (
            f"{name}: only {len(hints)} wrong answers; learners make more mistakes than that"
        )
        assert len(set(hints)) >= 3, f"{name}: the wrong answers should get at least three different hints"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
async def test_the_model_answer_passes(case: Cases) -> None:
    before = _running_tasks()
    verdict = await _verdict(case.check, case.right, case.several)
    assert _running_tasks() == before
    assert verdict.status == "passed", verdict.line()
    assert verdict.line().startswith(f"✔ {case.check.exercise} passed: ")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
async def test_the_untouched_stub_is_not_tried_yet(case: Cases) -> None:
    verdict = await _verdict(case.check, case.stub, case.several)
    assert verdict.line() == f"○ {case.check.exercise} not tried yet: {case.check.todo}"


@pytest.mark.parametrize(
    ("case", "wrong"), WRONG, ids=[f"{c.name}-{getattr(w.answer, '__name__', 'value')}" for c, w in WRONG]
)
async def test_each_wrong_answer_gets_its_hint(case: Cases, wrong: Wrong) -> None:
    before = _running_tasks()
    started = time.perf_counter()
    verdict = await _verdict(case.check, wrong.answer, case.several)
    took = time.perf_counter() - started
    # Whatever the answer did (hung, swallowed cancellation, blocked the thread), the check ends within its
    # limit and a second, and stops everything the answer started before it prints its line.
    assert took < case.check.time_limit + 1.0, f"{wrong.mistake}: the check ran {took:.1f} s"
    assert _running_tasks() == before, f"{wrong.mistake}: left {_running_tasks() - before} running"
    assert verdict.status == "failed", f"{wrong.mistake}: accepted ({verdict.line()})"
    line = verdict.line()
    assert line.startswith(f"✘ {case.check.exercise}: ")
    assert "\n" not in line
    assert wrong.hint in line, f"{wrong.mistake}: expected a hint with {wrong.hint!r}, got {line!r}"


# Wrong answers that leave a coroutine unawaited: one they hand back, or the job the checker gave them and they
# never awaited. The checker must close it, or Python warns about it later, in some other cell.
LEFT_UNAWAITED = [
    (case, wrong)
    for case, wrong in WRONG
    if getattr(wrong.answer, "__name__", "")
    in {"run_all_forgetting_await", "with_timeout_never_awaits_the_job", "outcome_forgets_await"}
]


@pytest.mark.parametrize(
    ("case", "wrong"), LEFT_UNAWAITED, ids=[w.answer.__name__ for _, w in LEFT_UNAWAITED]
)
async def test_a_coroutine_a_wrong_answer_leaves_unawaited_is_closed_not_left_to_warn(
    case: Cases, wrong: Wrong
) -> None:
    assert len(LEFT_UNAWAITED) == 3
    gc.collect()  # what earlier tests left behind warns now, outside the record below
    depth = sys.get_coroutine_origin_tracking_depth()
    sys.set_coroutine_origin_tracking_depth(20)  # each warning then says where its coroutine was made
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            verdict = await _verdict(case.check, wrong.answer, case.several)
            gc.collect()
    finally:
        sys.set_coroutine_origin_tracking_depth(depth)
    assert verdict.status == "failed" and wrong.hint in verdict.line()
    made_here = ("exercise_answers", "support/exercises", "support\\exercises")
    left = [str(w.message) for w in caught if "never awaited" in str(w.message)]
    assert not [message for message in left if any(place in message for place in made_here)], left


async def test_checkers_print_one_line_and_return_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    case = CASES[0]
    called = case.check(*(case.stub if case.several else (case.stub,)))
    result = await called if inspect.isawaitable(called) else called
    assert result is None
    assert capsys.readouterr().out.count("\n") == 1
