"""Lesson 02's checkers beyond the generic cases: other right answers, and the stand-ins the checks rely on.

The model answer, the stub and the wrong answers are in ``tests/exercise_answers/native_coroutines.py`` and
run by ``tests/test_exercise_checkers.py``.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from exercise_answers.native_coroutines import OTHER_RIGHT

from support.exercises.checking import Checker
from support.exercises.native_coroutines import BusyWork, FakeDNS
from support.lab.dns_server import Result


@pytest.mark.parametrize(("check", "answer"), OTHER_RIGHT, ids=lambda x: getattr(x, "__name__", ""))
async def test_other_right_answers_pass(check: Checker, answer: Any) -> None:
    verdict = await check.verdict(answer)
    assert verdict.passed, verdict.line()


async def test_fake_dns_records_what_happened() -> None:
    dns = FakeDNS({"a.dev": (0.01, True), "b.dev": (1.0, False)}, cleanup=0.05)
    assert await dns.probe("a.dev") == Result("a.dev", True)
    slow = asyncio.create_task(dns.probe("b.dev"))
    await asyncio.sleep(0.01)
    assert dns.running == ["b.dev"] and not dns.asked_to_stop("b.dev")
    slow.cancel()
    assert dns.asked_to_stop("b.dev") and dns.running == ["b.dev"], "cancel() only asks"
    await asyncio.sleep(0.01)
    assert dns.running == ["b.dev"], "the cancelled probe is still cleaning up"
    with pytest.raises(asyncio.CancelledError):
        await slow
    assert (dns.finished, dns.cancelled, dns.running) == (["a.dev"], ["b.dev"], [])
    assert await dns.probe("unknown.dev") == Result("unknown.dev", False)


async def test_fake_dns_stop_all_leaves_nothing_running() -> None:
    dns = FakeDNS({"a.dev": (5.0, True), "b.dev": (5.0, True)}, cleanup=0.01)
    tasks = [asyncio.create_task(dns.probe(d)) for d in ("a.dev", "b.dev")]
    await asyncio.sleep(0.01)
    await dns.stop_all()
    assert all(task.cancelled() for task in tasks)
    assert dns.running == [] and sorted(dns.cancelled) == ["a.dev", "b.dev"]


def _fastest_call(work: BusyWork, tries: int = 3) -> float:
    """The shortest of a few calls: a busy machine (make test's parallel workers) may pause any one of them."""
    times = []
    for _ in range(tries):
        started = time.perf_counter()
        work("if.dev")
        times.append(time.perf_counter() - started)
    return min(times)


@pytest.mark.alone  # times a busy loop: under make test, the other workers would hold the CPUs
def test_busy_work_takes_its_time_and_counts_calls() -> None:
    short, long = BusyWork(0.002), BusyWork(0.02)
    assert short("if.dev") == BusyWork.digest("if.dev")
    long("if.dev")
    assert (short.calls, long.calls) == (1, 1)
    short_time, long_time = _fastest_call(BusyWork(0.002)), _fastest_call(BusyWork(0.02))
    assert long_time > 3 * short_time, "ten times the work should take several times longer"
    assert BusyWork.digest("a.dev") != BusyWork.digest("b.dev")
