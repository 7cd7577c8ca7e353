"""Lesson 06's checkers beyond the shared cases: a forgotten ``await`` gets its hint and no second warning."""

from __future__ import annotations

import gc
import warnings

from exercise_answers import async_servers as answers

from support.exercises import async_servers as checks


async def test_a_forgotten_await_leaves_no_never_awaited_warning() -> None:
    # The hint already says what went wrong; the unawaited request the answer returned is closed by the
    # checker, so Python does not add "coroutine ... was never awaited" below the checker's line.
    gc.collect()  # leftovers of tests that ran before this one (in random order) warn now, not below
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        verdict = await checks.check_search_names.verdict(answers.forgets_await)
        gc.collect()
    assert verdict.status == "failed" and "await" in verdict.message, verdict.line()
    # The request the answer made is AsyncClient.get's coroutine; only a warning about it counts.
    unawaited = [str(w.message) for w in caught if "never awaited" in str(w.message)]
    assert not [m for m in unawaited if "AsyncClient.get" in m], unawaited
