"""Lesson 11's checkers beyond the generic cases: other right answers pass too, on every Python they run on.

The model answers, the stubs and the wrong answers are in ``tests/exercise_answers/coordinating_tasks.py`` and
run by ``tests/test_exercise_checkers.py``.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest
from exercise_answers.coordinating_tasks import OTHER_RIGHT, SINCE_3_13

from support.exercises.checking import Checker
from support.exercises.coordinating_tasks import ROOT, FakeSite, _fake_pages


@pytest.mark.parametrize(("check", "answer"), OTHER_RIGHT, ids=[a.__name__ for _, a in OTHER_RIGHT])
async def test_other_right_answers_pass(check: Checker, answer: Any) -> None:
    verdict = await check.verdict(answer)
    assert verdict.passed, verdict.line()


@pytest.mark.skipif(sys.version_info < (3, 13), reason="Queue.shutdown() is new in Python 3.13")
@pytest.mark.parametrize(("check", "answer"), SINCE_3_13, ids=[a.__name__ for _, a in SINCE_3_13])
async def test_queue_shutdown_answers_pass_on_3_13(check: Checker, answer: Any) -> None:
    verdict = await check.verdict(answer)
    assert verdict.passed, verdict.line()


def test_the_fake_site_has_cycles_links_out_and_a_page_nobody_links_to() -> None:
    site = FakeSite(_fake_pages())
    reachable = site.reachable(ROOT)
    assert f"{ROOT}hidden" in site.pages and f"{ROOT}hidden" not in reachable
    assert f"{ROOT}gone" in reachable and f"{ROOT}gone" not in site.pages  # a broken link is still asked for
    linked = {link for links in site.pages.values() for link in links}
    assert {"http://elsewhere.test/p1", "http://site.test:8080/p2", "https://site.test/p3"} <= linked
    assert len(reachable) == 32
