"""The exercise-checking machinery: stubs are recognised, learners' errors are described in one line."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

import support
from support.exercises.checking import Verdict, checker, describe_error, fail, is_stub, require


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
