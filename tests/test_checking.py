"""The exercise-checking machinery: stubs are recognised, learners' errors are described in one line."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

import support
from support.exercises.checking import (
    Verdict,
    checker,
    describe_error,
    fail,
    is_stub,
    own_work,
    require,
    waiting_for,
)


def stub_with_dots(x: int) -> int:
    # your code here
    ...


def stub_with_pass_and_docstring(x: int) -> int:
    """Return x doubled."""
    pass


async def async_stub(x: int) -> int: ...


class StubClass:
    def __init__(self, seconds: float) -> None: ...

    def __await__(self):  # noqa: ANN204
        ...


class EmptyClass: ...


def written(x: int) -> int:
    return 2 * x


class HalfWritten:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __await__(self):  # noqa: ANN204
        ...


@pytest.mark.parametrize(
    "answer", [stub_with_dots, stub_with_pass_and_docstring, async_stub, StubClass, EmptyClass, None, ...]
)
def test_stubs_are_recognised(answer: object) -> None:
    assert is_stub(answer)


@pytest.mark.parametrize("answer", [written, HalfWritten, 0, [], "text", lambda x: x])
def test_written_answers_are_not_stubs(answer: object) -> None:
    assert not is_stub(answer)


@checker("Exercise 9", todo="write double above")
def check_double(double) -> str:  # noqa: ANN001
    require(double(2) == 4, "double(2) should be 4.")
    return "double(2) is 4"


@checker("Exercise 8", todo="write later above", time_limit=0.2)
async def check_later(later) -> str:  # noqa: ANN001
    value = await later()
    if value != 1:
        fail(f"later() gave {value!r}, not 1.")
    return "later() gave 1"


def test_the_three_verdicts_of_a_plain_checker() -> None:
    assert check_double.verdict(stub_with_dots).line() == "○ Exercise 9 not tried yet: write double above"
    assert check_double.verdict(written) == Verdict("Exercise 9", "passed", "double(2) is 4")
    assert check_double.verdict(lambda x: x + 1).line() == "✘ Exercise 9: double(2) should be 4."


def test_calling_a_checker_prints_its_line_and_returns_none(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_double(written) is None
    assert capsys.readouterr().out == "✔ Exercise 9 passed: double(2) is 4\n"


def uses_a_missing_name(x: int) -> int:
    return undefined_helper(x)  # type: ignore[name-defined]  # noqa: F821


def test_the_learners_own_error_names_the_error_and_their_line() -> None:
    line = check_double.verdict(uses_a_missing_name).line()
    assert line.startswith("✘ Exercise 9: your code raised NameError: name 'undefined_helper' is not defined")
    assert "of your cell: return undefined_helper(x)" in line
    assert "\n" not in line


def test_an_error_inside_the_standard_library_points_at_the_learners_call() -> None:
    def sums_text(x: int) -> int:
        return sum(["a", "b"])  # type: ignore[list-item]

    line = check_double.verdict(sums_text).line()
    assert "your code raised TypeError" in line
    assert 'return sum(["a", "b"])' in line


def test_a_fault_in_the_checker_itself_is_not_blamed_on_the_learner() -> None:
    # A checker's code lives in support/; compiled under such a name, its frames are not the learner's.
    source = "def broken(answer):\n    answer(1)\n    return {}['missing']\n"
    namespace: dict = {}
    exec(compile(source, str(Path(support.__file__).with_name("broken_checker.py")), "exec"), namespace)
    broken = checker("Exercise 7", todo="t")(namespace["broken"])
    with pytest.raises(KeyError):
        broken.verdict(written)


async def test_async_checker_verdicts() -> None:
    async def one() -> int:
        return 1

    async def two() -> int:
        return 2

    async def stub() -> int: ...

    assert (await check_later.verdict(one)).passed
    assert (await check_later.verdict(two)).line() == "✘ Exercise 8: later() gave 2, not 1."
    assert (await check_later.verdict(stub)).status == "not tried"


async def test_an_answer_that_never_finishes_is_stopped_with_a_hint() -> None:
    async def waits_for_ever() -> int:
        await asyncio.Event().wait()
        return 1

    verdict = await check_later.verdict(waits_for_ever)
    assert verdict.status == "failed"
    assert "still running after 0.2 s" in verdict.message


async def test_the_learners_own_timeout_is_their_error_not_the_time_limit() -> None:
    async def times_out() -> int:
        async with asyncio.timeout(0.01):
            await asyncio.sleep(1)
        return 1

    verdict = await check_later.verdict(times_out)
    assert verdict.message.startswith("your code raised TimeoutError")


async def test_an_exception_group_is_described_by_its_first_error() -> None:
    async def group() -> int:
        async def bad(n: int) -> None:
            raise ValueError(f"bad {n}")

        async with asyncio.TaskGroup() as tg:
            tg.create_task(bad(1))
            tg.create_task(bad(2))
        return 1

    verdict = await check_later.verdict(group)
    assert "your code raised ValueError: bad 1" in verdict.message
    assert "(and 1 more error in the group)" in verdict.message


def test_describe_error_without_a_learner_frame_is_just_the_error() -> None:
    assert describe_error(ValueError("x")) == "ValueError: x"


def test_an_answer_with_no_source_to_read_counts_as_tried() -> None:
    # Code built at run time (exec, a generated function) has no source: is_stub cannot tell, so it must not
    # call the learner's work "not tried yet".
    namespace: dict = {}
    exec("def built(x):\n    ...\n", namespace)
    assert not is_stub(namespace["built"])


def test_an_error_on_a_line_with_no_source_gives_the_line_number_only() -> None:
    namespace: dict = {}
    exec(compile("def f():\n    raise ValueError('x')\n", "/nonexistent/cell_7.py", "exec"), namespace)
    with pytest.raises(ValueError) as raised:
        namespace["f"]()
    assert describe_error(raised.value) == "ValueError: x, at line 2 of your cell"


async def test_a_group_of_three_errors_counts_the_two_more() -> None:
    async def group() -> int:
        async def bad(n: int) -> None:
            raise ValueError(f"bad {n}")

        async with asyncio.TaskGroup() as tg:
            for n in (1, 2, 3):
                tg.create_task(bad(n))
        return 1

    verdict = await check_later.verdict(group)
    assert "(and 2 more errors in the group)" in verdict.message


async def test_awaiting_an_async_checker_prints_its_line(capsys: pytest.CaptureFixture[str]) -> None:
    async def one() -> int:
        return 1

    assert await check_later(one) is None
    assert capsys.readouterr().out == "✔ Exercise 8 passed: later() gave 1\n"


async def test_tasks_started_since_leaves_out_the_kernels_own_tasks() -> None:
    import asyncio
    import os

    from support.exercises.checking import tasks_started_since

    # A coroutine whose code lives under an ipykernel folder, as the kernel's request handlers do.
    namespace: dict[str, object] = {}
    exec(
        compile(
            "async def handler(): await __import__('asyncio').sleep(1)",
            f"{os.sep}x{os.sep}ipykernel{os.sep}k.py",
            "exec",
        ),
        namespace,
    )
    before = asyncio.all_tasks()
    kernel = asyncio.create_task(namespace["handler"]())  # type: ignore[operator]
    left = asyncio.create_task(asyncio.sleep(1))
    finished = asyncio.create_task(asyncio.sleep(0))
    await asyncio.sleep(0.01)
    try:
        assert tasks_started_since(before) == [left]
    finally:
        for task in (kernel, left, finished):
            task.cancel()
        await asyncio.gather(kernel, left, finished, return_exceptions=True)


async def test_no_leftovers_stops_what_the_answer_left_running_and_nothing_else() -> None:
    import asyncio

    from support.exercises.checking import no_leftovers, stop_tasks

    older = asyncio.create_task(asyncio.sleep(10))  # started before the answer ran: not the answer's
    left: list[asyncio.Task[None]] = []
    try:
        with pytest.raises(ZeroDivisionError):
            async with no_leftovers():
                left.append(asyncio.create_task(asyncio.sleep(10)))
                left.append(asyncio.create_task(asyncio.sleep(10)))
                await asyncio.sleep(0)
                raise ZeroDivisionError  # a wrong answer that fails half-way: its tasks are stopped anyway
        assert [task.cancelled() for task in left] == [True, True]
        assert not older.done()
    finally:
        await stop_tasks([older])
    assert older.cancelled()


async def test_tasks_started_since_leaves_out_the_task_that_asks() -> None:
    import asyncio

    from support.exercises.checking import tasks_started_since

    before = asyncio.all_tasks()

    async def check() -> list[asyncio.Task[object]]:  # a checker run in a task of its own, as wait_for does
        return tasks_started_since(before)  # itself included, stop_leftovers would cancel the checker

    assert await asyncio.create_task(check()) == []


def test_a_lessons_checker_is_registered_as_lesson_dot_name(monkeypatch: pytest.MonkeyPatch) -> None:
    from support.exercises import checking

    monkeypatch.setattr(checking, "_REGISTRY", {})

    def check_thing(answer: object) -> str:
        return "fine"

    check_thing.__module__ = "support.exercises.some_lesson"  # as if defined in a lesson's checker module
    made = checking.checker("Exercise 9", todo="write thing")(check_thing)

    def check_other(answer: object) -> str:  # a checker a test makes up (this module): not registered
        return "fine"

    checking.checker("Exercise 10", todo="write other")(check_other)
    assert checking.registry() == {"some_lesson.check_thing": made}


# --- the time limit holds whatever the answer does ------------------------------------------------------------


@checker("Exercise 6", todo="write later above", time_limit=0.5, hang="later() to return")
async def check_later_quickly(later) -> str:  # noqa: ANN001
    await later()
    return "later() returned"


def _running_tasks() -> list[asyncio.Task[object]]:
    return [t for t in asyncio.all_tasks() if not t.done() and t is not asyncio.current_task()]


async def _timed_verdict(answer: object) -> tuple[Verdict, float]:
    started = time.perf_counter()
    verdict = await check_later_quickly.verdict(answer)
    return verdict, time.perf_counter() - started


async def swallows_every_cancellation() -> None:
    while True:
        try:
            await asyncio.sleep(0.01)
        except BaseException:  # noqa: BLE001 (the mistake on show)
            continue


async def starts_a_task_that_swallows() -> None:
    async def watchdog() -> None:
        while True:
            try:
                await asyncio.sleep(0.01)
            except asyncio.CancelledError:
                pass

    asyncio.create_task(watchdog())  # noqa: RUF006
    await asyncio.Event().wait()


async def sleeps_in_the_thread() -> None:
    while True:
        time.sleep(0.05)  # noqa: ASYNC251 (the mistake on show)


async def spins_without_await() -> None:
    total = 0
    while True:
        total += sum(range(1000))


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (swallows_every_cancellation, "`except BaseException:` at line"),
        (starts_a_task_that_swallows, "`except asyncio.CancelledError:` at line"),
        (sleeps_in_the_thread, "the `time.sleep` in it"),
        (spins_without_await, "a loop with no `await` in it"),
    ],
)
async def test_the_limit_ends_the_check_whatever_the_answer_does(answer: object, hint: str) -> None:
    before = _running_tasks()
    verdict, took = await _timed_verdict(answer)
    assert verdict.status == "failed" and hint in verdict.message, verdict.line()
    assert took < 0.5 + 1.0, f"the check ran {took:.2f} s with a limit of 0.5 s"
    assert _running_tasks() == before  # nothing the answer started is still running


async def test_a_stopped_answer_leaves_no_warning_for_a_later_cell() -> None:
    import gc
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        await check_later_quickly.verdict(swallows_every_cancellation)
        gc.collect()
        await asyncio.sleep(0.05)
    assert not [str(w.message) for w in caught if "swallows_every_cancellation" in str(w.message)]


async def test_the_hint_names_what_the_check_was_waiting_for() -> None:
    async def waits_for_ever() -> None:
        await asyncio.Event().wait()

    verdict, took = await _timed_verdict(waits_for_ever)
    assert (
        verdict.message
        == "your code was still running after 0.5 s, while the check was waiting for later() to return"
    )
    assert took < 1.0


@checker("Exercise 5", todo="write later above", time_limit=0.3)
async def check_in_steps(later) -> str:  # noqa: ANN001
    with own_work():
        await asyncio.sleep(0.4)  # the checker's own work: not counted against the learner
    with waiting_for("the second call"):
        await later()
    return "both calls returned"


async def test_a_step_names_itself_and_the_checkers_own_work_is_not_counted() -> None:
    async def quick() -> None:
        await asyncio.sleep(0.01)

    async def waits_for_ever() -> None:
        await asyncio.Event().wait()

    assert (await check_in_steps.verdict(quick)).passed
    verdict = await check_in_steps.verdict(waits_for_ever)
    assert verdict.message.endswith("while the check was waiting for the second call")


@checker("Exercise 4", todo="write step above", time_limit=0.3)
def check_step(step) -> str:  # noqa: ANN001
    step()
    return "step returned"


def test_a_plain_check_has_a_time_limit_too() -> None:
    def spins() -> None:
        while True:
            pass

    started = time.perf_counter()
    verdict = check_step.verdict(spins)
    assert "kept the event loop's thread busy for more than 0.3 s" in verdict.message
    assert time.perf_counter() - started < 0.3 + 1.0


@checker("Exercise 3", todo="write connect above")
async def check_connect(connect) -> str:  # noqa: ANN001
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    try:
        await connect(server.sockets[0].getsockname()[1])
    finally:
        # No wait_closed(): since 3.12 it waits for every client, and the one the answer left open is closed by
        # the checker only after this returns (1 run in 3 hung on 3.12 when the accept came first).
        server.close()
    return "connected"


async def test_what_the_answer_left_open_is_closed_before_the_verdict() -> None:
    opened: list[asyncio.StreamWriter] = []

    async def connects_and_forgets(port: int) -> None:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        opened.append(writer)

    async def forever() -> None:
        await asyncio.sleep(3600)

    async def leaves_a_task(port: int) -> None:
        asyncio.get_running_loop().create_task(forever())

    assert (await check_connect.verdict(connects_and_forgets)).passed
    assert opened[0].is_closing()
    before = _running_tasks()
    assert (await check_connect.verdict(leaves_a_task)).passed
    assert _running_tasks() == before
