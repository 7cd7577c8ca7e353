"""The guard behind every check's time limit leaves the interpreter as it found it.

On Python 3.11, withdrawing a pending asynchronous exception with ``PyThreadState_SetAsyncExc(thread, None)``
leaves the interpreter's "asynchronous exception pending" flag set for good; a profiler started afterwards
(cProfile, the task-step tracer, a debugger) then spins for ever at the first function it enters. Every check
went through that withdrawal, so after one exercise check a later profiling cell hung the kernel (and an
xdist worker of make test hung until CI's limit). These run in a child process, which a hang cannot stall.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

_PROFILE_AFTERWARDS = """
    import cProfile, json, time
    profile = cProfile.Profile(time.process_time)
    profile.enable()
    json.dumps([1, 2, 3])
    profile.disable()
    print("profiled")
"""


def _run(script: str, folder: Path) -> subprocess.CompletedProcess[str]:
    # A file, not `python -c`: the guard watches frames of the learner's files, and <string> is none.
    program = folder / "answer.py"
    program.write_text(textwrap.dedent(script) + textwrap.dedent(_PROFILE_AFTERWARDS))
    try:
        return subprocess.run(
            [sys.executable, str(program)], capture_output=True, text=True, timeout=30, check=False
        )
    except subprocess.TimeoutExpired:
        pytest.fail(
            "the profiler hung after the guard: the interpreter was left with a pending-exception flag"
        )


def test_a_guard_that_never_fired_leaves_profiling_working(tmp_path: Path) -> None:
    done = _run(
        """
        from support.exercises.stopping import ThreadGuard
        with ThreadGuard(after=5):
            sum(range(10))
        """,
        tmp_path,
    )
    assert done.returncode == 0 and done.stdout.strip().endswith("profiled"), done.stderr


def test_a_guard_that_fired_in_another_thread_leaves_profiling_working(tmp_path: Path) -> None:
    done = _run(
        """
        import threading, time
        from support.exercises.stopping import Blocked, ThreadGuard

        def spins() -> None:
            with ThreadGuard(after=0.05, every=0.01) as guard:
                try:
                    end = time.monotonic() + 2
                    while time.monotonic() < end:  # a body that does something: on 3.13.0 an
                        sum(range(100))  # asynchronous exception at an empty loop's jump skips every handler
                except Blocked:
                    print("blocked")
            assert guard.fired

        thread = threading.Thread(target=spins)
        thread.start()
        thread.join()
        """,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["blocked", "profiled"]


def test_checks_that_time_out_leave_profiling_working(tmp_path: Path) -> None:
    done = _run(
        """
        import asyncio
        from support.exercises.checking import checker

        @checker("Exercise 1", todo="write spin above", time_limit=0.2)
        def check_spin(spin) -> str:
            spin()
            return "returned"

        @checker("Exercise 2", todo="write wait above", time_limit=0.2)
        async def check_wait(wait) -> str:
            await wait()
            return "returned"

        def spin() -> None:
            while True:
                pass

        async def wait() -> None:
            await asyncio.Event().wait()

        print(check_spin.verdict(spin).status)
        print(asyncio.run(check_wait.verdict(wait)).status)
        """,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["failed", "failed", "profiled"]
