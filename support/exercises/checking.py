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

Every check has a time limit (``time_limit``, 5 s unless the checker says otherwise), and it holds whatever the
answer does: the check runs as a task of its own; at the limit that task and every task started since are
stopped, those that ignore cancellation included (:mod:`.stopping`), and an answer that blocks the loop's
thread is interrupted by a watchdog thread. The ✘ line then names the likely cause: the ``except`` that
swallowed the cancellation, the blocking call, or what the check was waiting for (``hang=`` in
:func:`checker`, or :func:`waiting_for` around a step). Whatever the verdict, what the answer left behind
(tasks, async generators, connections, pools) is stopped or closed before the line is printed. Work of the
checker's own (starting a process pool, running mypy) goes in :func:`own_work`, which stops the clock.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import contextvars
import functools
import inspect
import linecache
import textwrap
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal, NoReturn

from ..leftovers import is_kernel_task
from .learner_code import Code, is_learner_file, read_code
from .stopping import Blocked, ThreadGuard
from .stopping import stop_tasks as _stop_tasks
from .watching import stop_what_was_left, watching

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
    "own_work",
    "registry",
    "require",
    "stop_leftovers",
    "stop_tasks",
    "tasks_started_since",
    "waiting_for",
]

Status = Literal["not tried", "failed", "passed"]

# A learner's answer that never finishes must not hang the class: the check gives up after this long. A right
# answer takes well under 2 s; the checker's own work (a pool starting, mypy) is not counted (own_work).
DEFAULT_TIME_LIMIT = 5.0
# What a check waits for when no step says otherwise.
DEFAULT_HANG = "it to finish: does it wait for something that never happens (an Event nobody sets)?"


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


def _learner_frame(tb: TracebackType | None) -> traceback.FrameSummary | None:
    """The innermost frame of the learner's own code in a traceback: where their cell called what failed."""
    found = None
    for frame in traceback.extract_tb(tb):
        if is_learner_file(frame.filename):
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


@dataclass
class _Run:
    """One run of a check: its clock (which :func:`own_work` stops), and what the check is waiting for now."""

    limit: float
    hang: str
    stage: str | None = None
    guard: ThreadGuard | None = None
    started: float = field(default_factory=time.monotonic)
    _paused: float = 0.0
    _pause_depth: int = 0
    _paused_since: float = 0.0

    def pause(self) -> None:
        if self._pause_depth == 0:
            self._paused_since = time.monotonic()
            if self.guard is not None:
                self.guard.pause()
        self._pause_depth += 1

    def resume(self) -> None:
        self._pause_depth -= 1
        if self._pause_depth == 0:
            self._paused += time.monotonic() - self._paused_since
            if self.guard is not None:
                self.guard.resume()

    def remaining(self) -> float:
        """Seconds left before the limit; the time spent in :func:`own_work` does not count."""
        now = time.monotonic()
        paused = self._paused + (now - self._paused_since if self._pause_depth else 0.0)
        return self.limit - (now - self.started - paused)

    @property
    def waiting_for(self) -> str:
        return self.stage or self.hang


_RUN: contextvars.ContextVar[_Run] = contextvars.ContextVar("exercise_check_run")


@contextlib.contextmanager
def waiting_for(what: str) -> Iterator[None]:
    """Name what the check waits for in this step, for the ✘ line if the time limit ends it here.

    ``what`` completes "while the check was waiting for ...": ``"the page after the empty one: does paginate
    stop at the first empty page?"``.
    """
    run = _RUN.get(None)
    if run is None:
        yield
        return
    previous, run.stage = run.stage, what
    try:
        yield
    finally:
        run.stage = previous


@contextlib.contextmanager
def own_work() -> Iterator[None]:
    """Work of the checker's own (a pool starting, mypy reading the answer): the time limit's clock stops."""
    run = _RUN.get(None)
    if run is None:
        yield
        return
    run.pause()
    try:
        yield
    finally:
        run.resume()


def _overtime_hint(run: _Run, code: Code, refused: bool, blocked: bool) -> str:
    """The ✘ line's text when the time limit ended a check: the likely cause, read from the code if it can be."""
    limit = f"{run.limit:g} s"
    if blocked:
        known = code.blocking_calls()
        culprit = (
            f"the `{known[0][0].lstrip('.')}` in it, which waits in the loop's thread: use {known[0][1]}"
            if known
            else "a call that waits without `await` (a blocking library call), or a loop with no `await` in it"
        )
        return (
            f"your code kept the event loop's thread busy for more than {limit}, so nothing else could run, "
            f"the check's own clock included, until the check interrupted it. Look for {culprit}."
        )
    if refused:
        handler = code.swallows_cancellation()
        if handler is not None:
            return (
                f"your code was still running after {limit}, and it went on after it was cancelled: "
                f"{handler.where} caught the CancelledError that cancel() raises. Let it through: re-raise it "
                "(`raise`) after any clean-up."
            )
        return (
            f"your code was still running after {limit}, and it went on after it was cancelled: something "
            "caught the CancelledError that cancel() raises and did not raise it again."
        )
    return f"your code was still running after {limit}, while the check was waiting for {run.waiting_for}"


def _own_cancellation(runner: asyncio.Task[Any]) -> str:
    """The ✘ line's text when the answer's code raised CancelledError of its own: where, if it can be told."""
    try:
        runner.result()
    except asyncio.CancelledError as exc:
        error: BaseException | None = exc
        while error is not None:  # the task's CancelledError is a new one; the answer's is in its context
            if _learner_frame(error.__traceback__) is not None:
                return (
                    f"your code raised {describe_error(error)}. Nobody cancelled it: the result of a "
                    "cancelled task raises CancelledError (task.result(), await task); check "
                    "task.cancelled() first, or let a TaskGroup collect the results."
                )
            error = error.__context__
    return (
        "your code raised CancelledError, though nobody cancelled it: the result of a cancelled task raises "
        "it (task.result(), await task)."
    )


def _read_answers(answers: tuple[Any, ...]) -> Code:
    code = Code()
    for answer in answers:
        read = read_code(answer)
        if read.known:
            code.known = True
            code._calls += read._calls
            code.handlers += read.handlers
    return code


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
        hang: str = DEFAULT_HANG,
    ) -> None:
        functools.update_wrapper(self, function)
        self.function = function
        self.exercise = exercise
        self.todo = todo
        self.time_limit = time_limit
        self.hang = hang
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

    def _overtime(self, run: _Run, answers: tuple[Any, ...], *, refused: bool, blocked: bool) -> Verdict:
        hint = _overtime_hint(run, _read_answers(answers), refused, blocked)
        return Verdict(self.exercise, "failed", hint)

    def verdict(self, *answers: Any) -> Any:
        """The :class:`Verdict` for ``answers``, without printing (an awaitable when the check is async)."""
        if self.is_async:
            return self._async_verdict(answers)
        early = self._not_tried(answers)
        if early:
            return early
        run = _Run(self.time_limit, self.hang)
        token = _RUN.set(run)
        try:
            with ThreadGuard(after=self.time_limit) as guard:
                run.guard = guard
                try:
                    message = self.function(*answers)
                except Blocked:
                    return self._overtime(run, answers, refused=False, blocked=True)
                except Exception as exc:
                    return self._judge(exc)
        finally:
            _RUN.reset(token)
        return Verdict(self.exercise, "passed", message)

    async def _async_verdict(self, answers: tuple[Any, ...]) -> Verdict:
        early = self._not_tried(answers)
        if early:
            return early
        run = _Run(self.time_limit, self.hang)
        refused: list[asyncio.Task[Any]] = []
        stage_at_limit: str | None = None
        stopped = False
        # A blocked thread cannot run the limit's timer: the guard steps in a moment after it was due.
        with ThreadGuard(after=self.time_limit + 0.2) as guard:
            run.guard = guard
            async with watching() as everything:
                before = asyncio.all_tasks()
                token = _RUN.set(run)
                try:
                    runner = asyncio.create_task(self.function(*answers), name=f"check of {self.exercise}")
                finally:
                    _RUN.reset(token)
                try:
                    while not runner.done() and run.remaining() > 0:
                        await asyncio.wait([runner], timeout=max(run.remaining(), 0.0))
                    if not runner.done():  # the check and all the answer started, stopped together
                        stage_at_limit, stopped = run.stage, True
                        refused += await _stop_tasks([runner, *tasks_started_since(before)])
                except asyncio.CancelledError:  # the cell was interrupted: stop the check, let it through
                    await _stop_tasks([runner])
                    await stop_what_was_left(everything)
                    raise
            refused += await stop_what_was_left(everything)
        run.stage = stage_at_limit
        if stopped or not runner.done():
            return self._overtime(run, answers, refused=bool(refused), blocked=guard.fired)
        if runner.cancelled():  # nobody stopped the check: the answer raised CancelledError itself
            return Verdict(self.exercise, "failed", _own_cancellation(runner))
        exc = runner.exception()
        if exc is None:
            return Verdict(self.exercise, "passed", runner.result())
        if isinstance(exc, Blocked):
            return self._overtime(run, answers, refused=False, blocked=True)
        if isinstance(exc, Exception):
            return self._judge(exc)
        raise exc  # KeyboardInterrupt, SystemExit: not ours to turn into a hint

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
    exercise: str, *, todo: str, time_limit: float = DEFAULT_TIME_LIMIT, hang: str = DEFAULT_HANG
) -> Callable[[Callable[..., Any]], Checker]:
    """Turn ``check(answer) -> str`` (sync or async) into a :class:`Checker`.

    ``exercise`` names it in the verdict ("Exercise 1"); ``todo`` is what the learner reads while the answer
    is still the stub ("fill in sleep_all above, then run this cell"). The decorated function raises
    :class:`ExerciseFailed` (through :func:`require`) for a wrong answer and returns the ✔ line's text.
    ``time_limit`` is in seconds; ``hang`` completes "while the check was waiting for ..." in the ✘ line of an
    answer the limit stopped, unless a step said what it waits for (:func:`waiting_for`).
    """

    def wrap(function: Callable[..., Any]) -> Checker:
        made = Checker(function, exercise, todo, time_limit, hang)
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


async def stop_tasks(tasks: Iterable[asyncio.Task[Any]]) -> list[asyncio.Task[Any]]:
    """Cancel ``tasks`` and wait until they have finished, errors swallowed; return those that refused.

    A task an answer left running would go on using what the check has closed (a client, a server) and its
    error would surface later, in some other cell. A task that ignores cancellation is parked after a short
    while, so this never hangs (see :func:`support.exercises.stopping.stop_tasks`).
    """
    return await _stop_tasks(list(tasks))


async def stop_leftovers(before: set[asyncio.Task[Any]]) -> list[asyncio.Task[Any]]:
    """Stop the tasks started since ``before`` was taken and still running (see :func:`tasks_started_since`)."""
    return await stop_tasks(tasks_started_since(before))


@contextlib.asynccontextmanager
async def no_leftovers() -> AsyncIterator[None]:
    """Around an answer's run: on the way out, however it ends, stop the tasks it left running."""
    before = asyncio.all_tasks()
    try:
        yield
    finally:
        await stop_leftovers(before)
