"""The one way an exercise is checked: a verdict line of ○ not tried, ✘ with a hint, or ✔ passed.

A lesson's check cell calls a checker on the learner's answer. The checker never raises into the
notebook: *Restart Kernel and Run All* must reach the clean-up cell whatever state the exercises are in,
and strict nbval compares the one line it prints. Three outcomes:

- ``○ Exercise 1 not tried yet: fill in sleep_all above, then run this cell``: the answer is still the stub
  (a body of ``...``, ``pass`` or a docstring only), so nothing is run;
- ``✘ Exercise 1: <hint>``: the answer is wrong, and the hint says what to look at. When the learner's own
  code raised, the hint names the error and the line of their cell where it happened, and nothing else:
  advice about some other mistake would mislead;
- ``✔ Exercise 1 passed: <what was checked>``.

A checker is written as a function decorated with :func:`checker`. Inside it, :func:`require` (or
:func:`fail`) stops the check with a hint, and the function returns the text of the ✔ line. Tests call
:meth:`Checker.verdict` to get the :class:`Verdict` instead of a printed line.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import functools
import inspect
import linecache
import sysconfig
import textwrap
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, NoReturn

from ..leftovers import is_kernel_task

__all__ = [
    "Checker",
    "ExerciseFailed",
    "Verdict",
    "awaitable",
    "checker",
    "describe_error",
    "fail",
    "is_stub",
    "no_leftovers",
    "registry",
    "require",
    "stop_leftovers",
    "stop_tasks",
    "tasks_started_since",
]

Status = Literal["not tried", "failed", "passed"]

# Frames from these folders are not the learner's: support/ itself, the standard library, installed packages.
_NOT_LEARNER = tuple(
    str(Path(p).resolve())
    for p in {
        str(Path(__file__).resolve().parent.parent),
        sysconfig.get_paths()["stdlib"],
        sysconfig.get_paths()["purelib"],
        sysconfig.get_paths()["platlib"],
    }
)
# A learner's answer that never finishes must not hang the class: the check gives up after this long.
DEFAULT_TIME_LIMIT = 10.0


class ExerciseFailed(AssertionError):
    """The answer is not right yet; the message is the hint, one line, not a stack trace to decode."""


def require(condition: object, hint: str) -> None:
    """Stop the check with ``hint`` unless ``condition`` holds."""
    if not condition:
        raise ExerciseFailed(hint)


def fail(hint: str) -> NoReturn:
    """Stop the check with ``hint``."""
    raise ExerciseFailed(hint)


@dataclass(frozen=True)
class Verdict:
    """What a check found: ``status`` and the message that goes after the exercise's name."""

    exercise: str
    status: Status
    message: str

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def line(self) -> str:
        """The one line a check cell prints."""
        text = " ".join(self.message.split())  # one line, whatever the hint's source looked like
        if self.status == "not tried":
            return f"○ {self.exercise} not tried yet: {text}"
        if self.status == "failed":
            return f"✘ {self.exercise}: {text}"
        return f"✔ {self.exercise} passed: {text}"


def is_stub(answer: object) -> bool:
    """True when ``answer`` is still the exercise's starting point: nothing written in it yet.

    A function whose body is only a docstring, ``...`` or ``pass``; a class whose own methods are all like
    that (or that has none); ``...`` or ``None`` for an exercise whose answer is a value. Comments do not
    count, so the stub's "# your code here" lines make no difference.
    """
    if answer is None or answer is Ellipsis:
        return True
    if inspect.isclass(answer):
        methods = [m for m in vars(answer).values() if inspect.isfunction(m)]
        return all(is_stub(m) for m in methods)
    if not inspect.isfunction(answer):
        return False
    function = inspect.unwrap(answer)
    try:
        source = textwrap.dedent(inspect.getsource(function))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError):
        return False  # no source to read (a lambda on a shared line, code built at run time): assume tried
    definition = next(
        (n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)),
        None,
    )
    if definition is None:
        return False
    body = definition.body
    if body and _is_constant(body[0], str):
        body = body[1:]  # the docstring
    return all(isinstance(s, ast.Pass) or _is_constant(s, type(Ellipsis)) for s in body)


def _is_constant(statement: ast.stmt, kind: type) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, kind)
    )


def _is_learner_file(filename: str) -> bool:
    if filename.startswith("<") and not filename.startswith("<ipython-input"):
        return False  # <frozen ...>, <string>: not a cell the learner can open
    try:
        path = str(Path(filename).resolve())
    except OSError:
        return True
    return not path.startswith(_NOT_LEARNER)


def _learner_frame(tb: TracebackType | None) -> traceback.FrameSummary | None:
    """The innermost frame of the learner's own code in a traceback: where their cell called what failed."""
    found = None
    for frame in traceback.extract_tb(tb):
        if _is_learner_file(frame.filename):
            found = frame
    return found


def _leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for sub in exc.exceptions for leaf in _leaves(sub)]
    return [exc]


def describe_error(exc: BaseException) -> str:
    """``NameError: name 'x' is not defined, at line 3: return x + 1``: the error and the learner's line.

    An ``ExceptionGroup`` (from a ``TaskGroup``) is described by its first error, since that is what the
    learner needs to fix first; how many more there were is said in brackets.
    """
    leaves = _leaves(exc)
    first = leaves[0]
    text = f"{type(first).__name__}: {first}" if str(first) else type(first).__name__
    frame = _learner_frame(first.__traceback__) or _learner_frame(exc.__traceback__)
    if frame is not None and frame.lineno is not None:
        code = (frame.line or linecache.getline(frame.filename, frame.lineno)).strip()
        text += f", at line {frame.lineno} of your cell" + (f": {code}" if code else "")
    if len(leaves) > 1:
        text += f" (and {len(leaves) - 1} more error{'s' if len(leaves) > 2 else ''} in the group)"
    return text


def _raised_by_learner(exc: BaseException) -> bool:
    return any(_learner_frame(leaf.__traceback__) is not None for leaf in _leaves(exc))


class Checker:
    """A check, called as ``check(answer)`` (``await check(answer)`` when it is async) in a check cell.

    Calling it prints the verdict's line and returns None, so the cell shows one line and no ``Out[]``.
    """

    def __init__(
        self,
        function: Callable[..., Any],
        exercise: str,
        todo: str,
        time_limit: float,
    ) -> None:
        functools.update_wrapper(self, function)
        self.function = function
        self.exercise = exercise
        self.todo = todo
        self.time_limit = time_limit
        self.is_async = inspect.iscoroutinefunction(function)

    def _not_tried(self, answers: tuple[Any, ...]) -> Verdict | None:
        if answers and all(is_stub(a) for a in answers):
            return Verdict(self.exercise, "not tried", self.todo)
        return None

    def _judge(self, exc: Exception) -> Verdict:
        if isinstance(exc, ExerciseFailed):
            return Verdict(self.exercise, "failed", str(exc))
        if _raised_by_learner(exc):
            return Verdict(self.exercise, "failed", f"your code raised {describe_error(exc)}")
        raise exc  # a fault in the checker itself: show it in full, it is ours to fix

    def verdict(self, *answers: Any) -> Any:
        """The :class:`Verdict` for ``answers``, without printing (an awaitable when the check is async)."""
        if self.is_async:
            return self._async_verdict(answers)
        early = self._not_tried(answers)
        if early:
            return early
        try:
            message = self.function(*answers)
        except Exception as exc:
            return self._judge(exc)
        return Verdict(self.exercise, "passed", message)

    async def _async_verdict(self, answers: tuple[Any, ...]) -> Verdict:
        early = self._not_tried(answers)
        if early:
            return early
        try:
            async with asyncio.timeout(self.time_limit) as deadline:
                message = await self.function(*answers)
        except TimeoutError as exc:
            if deadline.expired():
                return Verdict(
                    self.exercise,
                    "failed",
                    f"your code was still running after {self.time_limit:g} s: does it wait for something "
                    "that never happens (an unset Event, a task nobody finishes)?",
                )
            return self._judge(exc)
        except Exception as exc:
            return self._judge(exc)
        return Verdict(self.exercise, "passed", message)

    def __call__(self, *answers: Any) -> Any:
        if self.is_async:
            return self._print_async(answers)
        print(self.verdict(*answers).line())
        return None

    async def _print_async(self, answers: tuple[Any, ...]) -> None:
        print((await self._async_verdict(answers)).line())


_REGISTRY: dict[str, Checker] = {}


def registry() -> dict[str, Checker]:
    """Every checker, by ``<lesson module>.<name>``: the tests make sure each is tried with wrong answers."""
    return dict(_REGISTRY)


def checker(
    exercise: str, *, todo: str, time_limit: float = DEFAULT_TIME_LIMIT
) -> Callable[[Callable[..., Any]], Checker]:
    """Turn ``check(answer) -> str`` (sync or async) into a :class:`Checker`.

    ``exercise`` names it in the verdict ("Exercise 1"); ``todo`` is what the learner reads while the answer
    is still the stub ("fill in sleep_all above, then run this cell"). The decorated function raises
    :class:`ExerciseFailed` (through :func:`require`) for a wrong answer and returns the ✔ line's text.
    """

    def wrap(function: Callable[..., Any]) -> Checker:
        made = Checker(function, exercise, todo, time_limit)
        module = function.__module__ or ""
        if module.startswith(__package__ + "."):  # the lessons' checkers, not ones a test makes up
            _REGISTRY[f"{module.rsplit('.', 1)[-1]}.{function.__name__}"] = made
        return made

    return wrap


def awaitable(value: object, hint: str) -> Awaitable[Any]:
    """``value`` if it can be awaited; otherwise stop the check with ``hint`` (a forgotten ``async def``)."""
    require(inspect.isawaitable(value), hint)
    return value  # type: ignore[return-value]


def tasks_started_since(before: set[asyncio.Task[Any]]) -> list[asyncio.Task[Any]]:
    """The tasks started after ``before`` was taken and still running: the ones an answer left behind.

    The kernel's own tasks are left out, and so is the checker's. In JupyterLab, Run All sends every cell
    at once and the kernel starts a task for each request queued behind the running cell: cancelling one of
    those would leave the notebook's later cells waiting forever.
    """
    current = asyncio.current_task()
    return [
        task
        for task in asyncio.all_tasks() - before
        if not task.done() and task is not current and not is_kernel_task(task)
    ]


async def stop_tasks(tasks: Iterable[asyncio.Task[Any]]) -> None:
    """Cancel ``tasks`` and wait until they have finished, errors swallowed.

    A task an answer left running would go on using what the check has closed (a client, a server) and its
    error would surface later, in some other cell.
    """
    tasks = list(tasks)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def stop_leftovers(before: set[asyncio.Task[Any]]) -> None:
    """Stop the tasks started since ``before`` was taken and still running (see :func:`tasks_started_since`)."""
    await stop_tasks(tasks_started_since(before))


@contextlib.asynccontextmanager
async def no_leftovers() -> AsyncIterator[None]:
    """Around an answer's run: on the way out, however it ends, stop the tasks it left running."""
    before = asyncio.all_tasks()
    try:
        yield
    finally:
        await stop_leftovers(before)
