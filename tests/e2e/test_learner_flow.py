"""A learner in lesson 00, in the real editor: a wrong answer gets ✘ with its hint, the right one ✔.

The answers typed are the ones ``tests/exercise_answers/getting_started.py`` tries the checker with (the
mistake of awaiting the sleeps one after another, and the model answer), so the flow and the checker's unit
tests agree on what a learner writes and what they are told.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path

import pytest
from exercise_answers.getting_started import CASES
from playwright.sync_api import Page

from .lab import Lab
from .notebook_ui import (
    cell_views,
    open_notebook,
    replace_cell_source,
    restart_and_run_all,
    run_cell_and_advance,
    save_screenshot,
    shown_output,
)

pytestmark = pytest.mark.e2e

LESSON = "00_getting_started.ipynb"
ANSWER = "sleep_all"
CHECKER = "check_sleep_all"
VERDICT_TIMEOUT_MS = 30_000


def _as_learner_writes_it(answer: Callable[..., object]) -> str:
    """The answer's source, named as the lesson's stub is."""
    source = inspect.getsource(answer)
    return source.replace(f"def {answer.__name__}(", f"def {ANSWER}(", 1)


def _answer_and_check_cells(page: Page, path: str) -> tuple[int, int]:
    cells = cell_views(page, path)
    answer = next(c.index for c in cells if c.is_code and f"def {ANSWER}(" in c.source)
    check = next(c.index for c in cells if c.is_code and c.index > answer and f"{CHECKER}(" in c.source)
    return answer, check


def _type_run_and_read_verdict(page: Page, path: str, answer: int, check: int, code: str, mark: str) -> str:
    typed = replace_cell_source(page, path, answer, code)
    assert typed == code.rstrip("\n"), f"the editor holds:\n{typed}\nnot:\n{code}"
    run_cell_and_advance(page)  # the answer cell; the check cell is next
    run_cell_and_advance(page)  # the check cell
    verdict = page.locator(".jp-Notebook .jp-Cell").nth(check).locator(".jp-Cell-outputArea")
    verdict.filter(has_text=mark).wait_for(timeout=VERDICT_TIMEOUT_MS)
    return shown_output(page, check)


def test_learner_gets_a_hint_for_a_wrong_answer_then_a_pass(page: Page, lab: Lab, artifacts: Path) -> None:
    (cases,) = [c for c in CASES if c.check.__name__ == CHECKER]
    wrong = next(w for w in cases.wrong if w.answer.__name__ == "one_after_another")
    # A copy of its own, so the lesson test elsewhere in the session still finds the untouched stub.
    path = f"learner-flow/{LESSON}"
    (lab.root / "learner-flow").mkdir(exist_ok=True)
    (lab.root / path).write_bytes((lab.root / LESSON).read_bytes())

    open_notebook(page, lab.url(path, workspace="e2e-learner"), path)
    restart_and_run_all(page, path, timeout_s=120)
    answer, check = _answer_and_check_cells(page, path)
    assert "○" in shown_output(page, check), "the untouched lesson should say 'not tried yet'"

    shown = _type_run_and_read_verdict(page, path, answer, check, _as_learner_writes_it(wrong.answer), "✘")
    assert shown.startswith("✘") and wrong.hint in shown, f"expected ✘ with {wrong.hint!r}, got: {shown}"
    save_screenshot(page, path, artifacts / "learner-flow-1-wrong-answer.png")

    shown = _type_run_and_read_verdict(page, path, answer, check, _as_learner_writes_it(cases.right), "✔")
    assert shown.startswith("✔ Exercise 1 passed"), f"expected ✔, got: {shown}"
    save_screenshot(page, path, artifacts / "learner-flow-2-right-answer.png")
