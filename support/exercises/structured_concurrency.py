"""Checks for the exercises of ``08_structured_concurrency``.

Every answer is handed *jobs*: coroutine functions without arguments, built here, whose run times are known
and which note when they start, finish or are cancelled (:class:`Jobs`). So a check can see what a right answer
must guarantee and a wrong one breaks: that nothing is left running when the answer returns or raises, that a
deadline covers the whole batch, that errors raised together are sorted and not swallowed, that a deadline
handles its own cancellation and lets one from outside go on. Durations are compared with wide ratios, never
exact numbers. Exercise 4's job (:class:`Calls`) sleeps with AnyIO, so the same answer can run under asyncio and
under Trio (the Trio run happens in a worker thread: the kernel's thread already runs asyncio's loop).
"""

from __future__ import annotations

import asyncio
import inspect
import traceback
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import anyio
import trio

from ..timing import Stopwatch, format_ratio
from .checking import checker, describe_error, fail, require, stop_leftovers
from .learner_code import Code, read_code

__all__ = [
    "Calls",
    "JobFailed",
    "Jobs",
    "check_hedged",
    "check_result_or_none",
    "check_run_all",
    "check_sort_failures",
    "check_within",
]

Job = Callable[[], Awaitable[Any]]


class JobFailed(LookupError):
    """The error a job of the checks raises on purpose."""


class Jobs:
    """Jobs that sleep, then return a value or raise; each notes whether it started, finished or was cancelled.

    ``specs[name] = (seconds, outcome)``: the job sleeps ``seconds``, then raises ``outcome`` if it is an
    exception, else returns it. ``anyio_sleep`` makes the jobs sleep with AnyIO, which works under asyncio and
    Trio alike.
    """

    def __init__(self, specs: Mapping[str, tuple[float, object]], *, anyio_sleep: bool = False) -> None:
        self.specs = dict(specs)
        self.anyio_sleep = anyio_sleep
        self.started: list[str] = []
        self.finished: list[str] = []
        self.cancelled: list[str] = []
        self.running_now = 0
        self.most_at_once = 0

    def job(self, name: str) -> Job:
        seconds, outcome = self.specs[name]

        async def job() -> object:
            self.started.append(name)
            self.running_now += 1
            self.most_at_once = max(self.most_at_once, self.running_now)
            try:
                await (anyio.sleep(seconds) if self.anyio_sleep else asyncio.sleep(seconds))
            except BaseException:  # asyncio's, Trio's or AnyIO's cancellation: all are BaseException
                self.cancelled.append(name)
                raise
            finally:
                self.running_now -= 1
            self.finished.append(name)
            if isinstance(outcome, BaseException):
                raise outcome
            return outcome

        job.__name__ = job.__qualname__ = f"job_{name}"
        return job

    def as_list(self) -> list[Job]:
        return [self.job(name) for name in self.specs]

    def as_dict(self) -> dict[str, Job]:
        return {name: self.job(name) for name in self.specs}

    @property
    def still_running(self) -> list[str]:
        """Jobs that started and have neither finished nor been cancelled."""
        over = set(self.finished) | set(self.cancelled)
        return [name for name in self.started if name not in over]


def _leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for sub in exc.exceptions for leaf in _leaves(sub)]
    return [exc]


_TIMEOUTS = ("asyncio.timeout", "asyncio.wait_for", "asyncio.timeout_at")


def _require_one_task_group(code: Code, name: str) -> None:
    """The exercise asks for an ``asyncio.TaskGroup``: stop with a hint when the code holds none (or several)."""
    if not code.known:
        return
    groups = code.count("asyncio.TaskGroup")
    instead = next(
        (
            f"`{other}`"
            for other in ("asyncio.wait", "asyncio.as_completed", "asyncio.gather", "asyncio.create_task")
            if code.calls(other)
        ),
        "",
    )
    if groups == 0:
        fail(
            f"{name} works, but the exercise asks for one `async with asyncio.TaskGroup() as tg:`"
            + (f", not {instead}" if instead else "")
            + ": the group is what guarantees that no job outlives the call, whatever goes wrong."
        )


def _swallower(code: Code) -> str:
    """``"the `except Exception:` at line 4 of your cell"``, for the first clause that catches an error and
    does not raise it again; "" when there is none."""
    for handler in code.handlers:
        if handler.reraises:
            continue
        caught = handler.catches
        broad = not caught or any(
            name.rsplit(".", 1)[-1] in {"Exception", "BaseException", "ExceptionGroup", "BaseExceptionGroup"}
            for name in caught
        )
        if broad:
            return handler.where
    return ""


def _guard_value(value: object, name: str) -> None:
    """Stop with a hint when ``value`` is still something to await: a forgotten ``await``."""
    if inspect.isawaitable(value):
        if inspect.iscoroutine(value):
            value.close()
        fail(f"{name} returned {type(value).__name__}, something still to await: did you forget `await`?")


# --- Exercise 1 ----------------------------------------------------------------------------------------------


@checker("Exercise 1", todo="fill in run_all above, then run this cell")
async def check_run_all(run_all: Callable[[Sequence[Job]], Awaitable[list[Any]]]) -> str:
    """``run_all(jobs)``: all at once in a TaskGroup, results in order; one failure stops the others."""
    require(inspect.iscoroutinefunction(run_all), "run_all must be defined with `async def`.")
    code = read_code(run_all)
    # All at once takes the longest job's 0.2 s, one after another the sum, 0.45 s: wide margins either way.
    jobs = Jobs({"a": (0.2, "A"), "b": (0.1, "B"), "c": (0.15, "C")})
    with Stopwatch() as watch:
        result = await run_all(jobs.as_list())
    _guard_value(result, "run_all")
    require(result is not None, "run_all returned None: return the list of the jobs' results.")
    require(isinstance(result, list | tuple), f"return a list of results, not {type(result).__name__}.")
    if any(isinstance(item, asyncio.Task) for item in result):
        fail("run_all returned Task objects: return each task's result (task.result()) instead.")
    require(
        list(result) == ["A", "B", "C"],
        f"expected ['A', 'B', 'C'], the results in the order of the jobs given; got {list(result)!r}.",
    )
    require(
        watch.elapsed > 0.9 * 0.2, "run_all returned before the slowest job could end: wait for them all."
    )
    require(
        watch.elapsed < 0.7 * 0.45,
        "the jobs ran one after another: start them all in a TaskGroup, then let the group wait for them.",
    )

    jobs = Jobs(
        {"slow": (0.5, "S"), "broken": (0.05, JobFailed("job 'broken' failed")), "slower": (0.6, "T")}
    )
    before = asyncio.all_tasks()
    try:
        result = await run_all(jobs.as_list())
    except Exception as exc:
        if not any(isinstance(leaf, JobFailed) for leaf in _leaves(exc)):
            raise  # the learner's own error: the checker names it and their line
        leftovers = jobs.still_running
        await stop_leftovers(before)
        if leftovers:
            kept = f"when one job failed, {len(leftovers)} others kept running ({', '.join(leftovers)})"
            if code.calls("asyncio.gather"):
                fail(f"{kept}: gather does not cancel them when a sibling fails; a TaskGroup does.")
            if code.enters("asyncio.TaskGroup") and code.calls("asyncio.create_task"):
                fail(
                    f"{kept}: a task made with asyncio.create_task belongs to no group, even inside the "
                    "`async with`; make each one with tg.create_task."
                )
            fail(
                f"{kept}: start them in an `async with asyncio.TaskGroup() as tg:` block; when one fails, "
                "the group cancels the others and waits for them."
            )
    else:
        await stop_leftovers(before)
        _guard_value(result, "run_all")
        if code.passes_keyword("asyncio.gather", "return_exceptions"):
            why = "return_exceptions=True turns it into a value in the list"
        elif _swallower(code):
            why = f"{_swallower(code)} caught it"
        else:
            why = "nothing may catch it on the way"
        fail(f"one job failed, yet run_all returned {result!r}: let the error come out ({why}).")
    require(
        sorted(jobs.cancelled) == ["slow", "slower"],
        f"the jobs still running when 'broken' failed should have been cancelled; got {jobs.cancelled!r}.",
    )
    _require_one_task_group(code, "run_all")
    return "the jobs ran at once, results in order; a failure cancelled the others and came out"


# --- Exercise 2 ----------------------------------------------------------------------------------------------

_DEADLINE = 0.2
_LIMIT = 2
_FAST, _SLOW = 0.03, 0.6
# Run in this order, two at a time: f1 and f2 finish, s1 and s2 are cut off by the deadline, the rest never start.
_BATCH = {
    "f1": (_FAST, "F1"),
    "f2": (_FAST, "F2"),
    "s1": (_SLOW, "S1"),
    "s2": (_SLOW, "S2"),
    "s3": (_SLOW, "S3"),
    "s4": (_SLOW, "S4"),
    "f3": (_FAST, "F3"),
}


@checker("Exercise 2", todo="fill in within above, then run this cell")
async def check_within(within: Callable[[Mapping[str, Job], float, int], Awaitable[dict[str, Any]]]) -> str:
    """``within(jobs, seconds, limit)``: at most ``limit`` at once, one deadline for all, partial results."""
    require(inspect.iscoroutinefunction(within), "within must be defined with `async def`.")
    code = read_code(within)
    one_deadline = "Put one `async with asyncio.timeout(seconds):` around the whole group."
    per_job = (
        "a timeout around each job restarts the clock for every job. " + one_deadline
        if code.calls(*_TIMEOUTS)
        else one_deadline
    )
    jobs = Jobs(_BATCH)
    before = asyncio.all_tasks()
    with Stopwatch() as watch:
        try:
            result = await within(jobs.as_dict(), _DEADLINE, _LIMIT)
        except TimeoutError:
            await stop_leftovers(before)
            fail(
                "the deadline's TimeoutError came out of within: catch it around the timeout block, and "
                "return the results that came in."
            )
        except Exception as exc:
            await stop_leftovers(before)
            if not all(isinstance(leaf, TimeoutError) for leaf in _leaves(exc)):
                raise
            group = "the TaskGroup" if code.enters("asyncio.TaskGroup") else "the group"
            fail(f"a job failed with TimeoutError and {group} cancelled the rest: {per_job}")
    leftovers = jobs.still_running
    await stop_leftovers(before)
    _guard_value(result, "within")
    require(
        jobs.most_at_once <= _LIMIT,
        f"{jobs.most_at_once} jobs ran at once with limit={_LIMIT}: let at most `limit` run at a time "
        "(an asyncio.Semaphore(limit) around each job, as in lesson 03).",
    )
    require(
        not leftovers,
        f"{', '.join(leftovers)} were still running after within returned: nothing may outlive the call. "
        "A TaskGroup inside the timeout block cancels them for you.",
    )
    require(
        watch.elapsed < 1.5 * _DEADLINE,
        f"within took {format_ratio(watch.elapsed / _DEADLINE)} the deadline: {per_job}",
    )
    require(
        watch.elapsed > 0.8 * _DEADLINE,
        "within returned before the deadline while jobs were still working: wait for them until it passes.",
    )
    require(result is not None, "within returned None: return a dict of the results that came in, by name.")
    require(isinstance(result, dict), f"return a dict {{name: result}}, not {type(result).__name__}.")
    unfinished = sorted(set(result) - {"f1", "f2"})
    require(
        not unfinished,
        f"{', '.join(unfinished)} did not finish in time, so they do not belong in the result.",
    )
    require(
        result == {"f1": "F1", "f2": "F2"},
        f"expected {{'f1': 'F1', 'f2': 'F2'}}, the jobs that finished by the deadline; got {result!r}.",
    )

    quick = Jobs({name: (_FAST, name.upper()) for name in ("a", "b", "c", "d")})
    with Stopwatch() as watch:
        result = await within(quick.as_dict(), 1.0, _LIMIT)
    _guard_value(result, "within")
    require(
        result == {"a": "A", "b": "B", "c": "C", "d": "D"},
        f"when every job finishes in time, return them all; got {result!r}.",
    )
    require(
        watch.elapsed < 0.5,
        "every job had finished, yet within waited for the deadline: let the group end when its jobs do.",
    )
    return (
        f"at most {_LIMIT} jobs at a time, one deadline for all, what finished returned, nothing left running"
    )


# --- Exercise 3 ----------------------------------------------------------------------------------------------

_COUNTS = ("slow", "down")


def _names(leaves: Sequence[BaseException]) -> str:
    return ", ".join(sorted({type(leaf).__name__ for leaf in leaves}))


@checker("Exercise 3", todo="fill in sort_failures above, then run this cell")
async def check_sort_failures(sort_failures: Callable[[Sequence[Job]], Awaitable[dict[str, int]]]) -> str:
    """``sort_failures(jobs)``: count TimeoutErrors and ConnectionErrors raised together; let bugs through."""
    require(inspect.iscoroutinefunction(sort_failures), "sort_failures must be defined with `async def`.")
    code = read_code(sort_failures)
    expected_kinds = (TimeoutError, ConnectionError)
    # Five jobs, four of which fail at the same moment: two time out, two find their server down. A sleep of 0
    # only yields once, so every job resumes, and fails, in the same turn of the loop: before the group's first
    # failure can cancel the others.
    jobs = Jobs(
        {
            "ok": (0, "fine"),
            "t1": (0, TimeoutError("t1: no answer")),
            "c1": (0, ConnectionRefusedError("c1: refused")),
            "t2": (0, TimeoutError("t2: no answer")),
            "c2": (0, ConnectionResetError("c2: reset")),
        }
    )
    before = asyncio.all_tasks()
    try:
        counts = await sort_failures(jobs.as_list())
    except Exception as exc:
        await stop_leftovers(before)
        leaves = _leaves(exc)
        if not all(isinstance(leaf, expected_kinds) for leaf in leaves):
            raise
        if len(leaves) < 4:  # some were counted, these slipped through
            fail(
                f"{_names(leaves)} came out of sort_failures uncounted: every ConnectionError counts as down, "
                "whatever its kind; `except* ConnectionError` catches them all."
            )
        if isinstance(exc, BaseExceptionGroup):
            plain = code.catches("TimeoutError", star=False) or code.catches("ConnectionError", star=False)
            fail(
                f"an ExceptionGroup of {_names(leaves)} came out of sort_failures: a TaskGroup raises its errors "
                "together, in a group"
                + (", and `except TimeoutError` never matches a group" if plain else "")
                + ". Use `except* TimeoutError` and `except* ConnectionError`."
            )
        fail(f"a {type(exc).__name__} came out of sort_failures: count it instead of letting it through.")
    await stop_leftovers(before)
    _guard_value(counts, "sort_failures")
    require(counts is not None, "sort_failures returned None: return the dict of counts.")
    require(
        isinstance(counts, dict) and set(counts) == set(_COUNTS),
        f"return a dict with the keys 'slow' and 'down'; got {counts!r}.",
    )
    if counts == {"slow": 1, "down": 1}:
        fail(
            "two jobs timed out at once and two found their server down, but you counted one of each: "
            "`except*` hands you a group of every matching error; count len(group.exceptions)."
        )
    require(
        counts == {"slow": 2, "down": 2},
        f"two jobs timed out and two got a ConnectionError (refused and reset); got {counts!r}.",
    )

    buggy = Jobs({"t": (0, TimeoutError("no answer")), "bug": (0, ValueError("a bug")), "ok": (0, "fine")})
    before = asyncio.all_tasks()
    try:
        counts = await sort_failures(buggy.as_list())
    except Exception as exc:
        await stop_leftovers(before)
        leaves = _leaves(exc)
        if not any(isinstance(leaf, ValueError) for leaf in leaves):
            raise
        require(
            not any(isinstance(leaf, TimeoutError) for leaf in leaves),
            "the TimeoutError came out along with the ValueError: count the timeout, let only the bug through.",
        )
    else:
        await stop_leftovers(before)
        _guard_value(counts, "sort_failures")
        if code.passes_keyword("asyncio.gather", "return_exceptions"):
            how = "gather(return_exceptions=True) hands every error back as a value, the bug included"
        elif _swallower(code):
            how = f"{_swallower(code)} swallows them all; `except*` re-raises the errors no clause named"
        else:
            how = "`except*` re-raises the errors no clause named"
        fail(
            f"a job raised ValueError, a bug, yet sort_failures returned {counts!r}: let what you do not count "
            f"come out ({how})."
        )

    calm = Jobs({"a": (0, "A"), "b": (0.01, "B")})
    counts = await sort_failures(calm.as_list())
    _guard_value(counts, "sort_failures")
    require(
        counts == {"slow": 0, "down": 0}, f"with no failure, return {{'slow': 0, 'down': 0}}; got {counts!r}."
    )
    _require_one_task_group(code, "sort_failures")
    return "errors raised together were counted by kind, and a bug still came out"


# --- Exercise 4 ----------------------------------------------------------------------------------------------


class Calls:
    """A job whose successive calls take the times in ``seconds`` (AnyIO sleeps): call 1, call 2...

    Each call returns ``"answer N"`` and notes, on the clock of the loop that runs it, when it started and how it
    ended: finished, cancelled, or neither yet (still running).
    """

    def __init__(self, *seconds: float) -> None:
        self.seconds = seconds
        self.started: list[float] = []
        self.finished: dict[int, float] = {}
        self.cancelled: dict[int, float] = {}

    async def __call__(self) -> str:
        number = len(self.started) + 1
        self.started.append(anyio.current_time())
        try:
            await anyio.sleep(self.seconds[min(number, len(self.seconds)) - 1])
        except BaseException:  # asyncio's, Trio's or AnyIO's cancellation: all are BaseException
            self.cancelled[number] = anyio.current_time()
            raise
        self.finished[number] = anyio.current_time()
        return f"answer {number}"

    @property
    def still_running(self) -> list[int]:
        return [
            n for n in range(1, len(self.started) + 1) if n not in self.finished and n not in self.cancelled
        ]


Hedged = Callable[[Callable[[], Awaitable[str]], float], Awaitable[str]]
_DELAY = 0.1


async def _hedged_run(hedged: Hedged, calls: Calls) -> tuple[Any, float]:
    """``await hedged(calls, _DELAY)``; its result, and how long it took on the running loop's clock."""
    started = anyio.current_time()
    result = await hedged(calls, _DELAY)
    return result, anyio.current_time() - started


async def _hedged_under_trio(hedged: Hedged, calls: Calls) -> tuple[Any, float, int]:
    """The same under ``trio.run``, with how many more Trio tasks were alive after it returned."""
    living_before = trio.lowlevel.current_statistics().tasks_living
    with trio.fail_after(2):  # the worker thread cannot be stopped from outside: end a hung answer here
        result, took = await _hedged_run(hedged, calls)
    return result, took, trio.lowlevel.current_statistics().tasks_living - living_before


@checker(
    "Exercise 4",
    todo="fill in hedged above, then run this cell",
    hang="hedged to return: does it wait for the stalled call, or for a result that never comes?",
)
async def check_hedged(hedged: Hedged) -> str:
    """``hedged(job, delay)`` with AnyIO: a second call only after ``delay`` without a result, the first answer
    wins, the other call is cancelled; the same under asyncio and Trio."""
    require(inspect.iscoroutinefunction(hedged), "hedged must be defined with `async def`.")
    code = read_code(hedged)

    # A call that stalls: the second call, started at the delay, answers long before it.
    stall = Calls(0.6, 0.05)
    before = asyncio.all_tasks()
    result, took = await _hedged_run(hedged, stall)
    left = stall.still_running
    await stop_leftovers(before)
    _guard_value(result, "hedged")
    require(len(stall.started) >= 1, "hedged never called job(): start the first call at once.")
    require(
        len(stall.started) == 2,
        f"the first call stalled, and hedged made {len(stall.started)} call(s): after `delay` seconds with no "
        "result, start exactly one more, beside the first.",
    )
    require(
        stall.started[1] - stall.started[0] >= 0.8 * _DELAY,
        "the second call started at once: wait `delay` seconds first (anyio.sleep(delay)), and start it only "
        "if no result has come by then.",
    )
    require(
        result == "answer 2",
        f"the second call answered first, yet hedged returned {result!r}: return the first result to come in.",
    )
    require(
        not left,
        "the stalled call was still running after hedged returned: cancel it once a result is in "
        "(tg.cancel_scope.cancel()).",
    )
    require(
        took < 0.6,
        "hedged waited for the stalled call: once one call answers, cancel the other (tg.cancel_scope.cancel()).",
    )

    # A quick first call: no second call, and no wait for the delay.
    quick = Calls(0.03, 0.03)
    result, took = await _hedged_run(hedged, quick)
    _guard_value(result, "hedged")
    require(
        len(quick.started) == 1,
        "the first call answered within the delay, yet a second call was started: start the second call only "
        "when `delay` has passed with no result.",
    )
    require(result == "answer 1", f"the only call answered 'answer 1', yet hedged returned {result!r}.")
    require(
        took < 0.8 * _DELAY,
        "the first call answered within the delay, but hedged returned only when the delay was over: cancel "
        "the group as soon as a result is in, the wait for the delay included.",
    )

    # Both calls slow: the first one, started first, still answers first and must win.
    slow = Calls(0.25, 0.25)
    result, took = await _hedged_run(hedged, slow)
    _guard_value(result, "hedged")
    if (
        result == "answer 2"
        and 1 in slow.cancelled
        and slow.cancelled[1] < slow.finished.get(2, float("inf"))
    ):
        fail(
            "the first call was cancelled when the delay was up: a hedge keeps it running beside the second "
            "and takes whichever answers first"
            + (
                " (move_on_after and fail_after cancel what runs inside them)."
                if code.calls("anyio.move_on_after", "anyio.fail_after")
                else "."
            )
        )
    require(
        result == "answer 1",
        f"both calls were slow and the first answered first, yet hedged returned {result!r}: return the "
        "first result to come in.",
    )

    # The same stall under Trio, in a worker thread (the kernel's thread already runs asyncio's loop).
    under_trio = Calls(0.6, 0.05)
    try:
        result, took, extra = await asyncio.to_thread(trio.run, _hedged_under_trio, hedged, under_trio)
    except trio.TooSlowError:
        fail("under Trio, hedged was still running after 2 s: does it wait for something only asyncio does?")
    except Exception as exc:
        described = describe_error(exc)
        traceback.clear_frames(exc.__traceback__)  # its frames hold the job's coroutine: free it here
        fail(
            f"hedged works under asyncio, but under Trio it raised {described}. Use AnyIO's "
            "functions (anyio.create_task_group, anyio.sleep), not asyncio's, and it runs on both."
        )
    require(result == "answer 2", f"under Trio, hedged returned {result!r} instead of 'answer 2'.")
    require(
        extra == 0 and not under_trio.still_running,
        "under Trio, a call was still running after hedged returned: cancel the other once one answers.",
    )
    return "a second call only after the delay, the first answer taken, the other call cancelled, on asyncio and Trio"


# --- Exercise 5 ----------------------------------------------------------------------------------------------

_PATIENCE = 0.15  # the `seconds` result_or_none is given, but in the outside-cancellation case
_JOB_SLOW = 0.6  # longer than any deadline here: a job still working when its time is up


@checker(
    "Exercise 5",
    todo="fill in result_or_none above, then run this cell",
    hang="result_or_none to return: does it wait for the job past the deadline?",
)
async def check_result_or_none(result_or_none: Callable[[Job, float], Awaitable[Any]]) -> str:
    """``result_or_none(job, seconds)``: the result, or None when the deadline passes first. Only the deadline
    means None: the job's own error and a cancellation from outside go through, and the job never outlives the
    call."""
    require(inspect.iscoroutinefunction(result_or_none), "result_or_none must be defined with `async def`.")
    code = read_code(result_or_none)

    # In time: the result, as soon as it is in.
    jobs = Jobs({"quick": (0.02, "Q")})
    with Stopwatch() as watch:
        result = await result_or_none(jobs.job("quick"), _PATIENCE)
    _guard_value(result, "result_or_none")
    require(result == "Q", f"the job answered 'Q' in time, yet result_or_none returned {result!r}.")
    require(
        watch.elapsed < 0.8 * _PATIENCE,
        "the job answered early, yet result_or_none waited for the deadline: return as soon as the result is in.",
    )

    # Too slow: None at the deadline, and the job stopped.
    jobs = Jobs({"slow": (_JOB_SLOW, "S")})
    before = asyncio.all_tasks()
    with Stopwatch() as watch:
        try:
            result = await result_or_none(jobs.job("slow"), _PATIENCE)
        except TimeoutError:
            await stop_leftovers(before)
            if code.catches("TimeoutError"):
                fail(
                    "the deadline's TimeoutError came out, past your `except TimeoutError`: inside the "
                    "`async with asyncio.timeout()` block the job gets CancelledError, which the block turns "
                    "into TimeoutError as it ends. Put the try around the whole block."
                )
            fail("the deadline's TimeoutError came out of result_or_none: catch it around the timeout block.")
    left = jobs.still_running
    await stop_leftovers(before)
    _guard_value(result, "result_or_none")
    require(
        result is None,
        f"the job was still working at the deadline, yet result_or_none returned {result!r}: return None.",
    )
    require(
        not left,
        "result_or_none returned None, but the job went on running: stop it at the deadline (asyncio.timeout "
        "cancels what runs inside it).",
    )
    require(
        watch.elapsed < 0.8 * _JOB_SLOW,
        "result_or_none waited for the slow job to end: return None as soon as the deadline passes.",
    )

    # The job's own error is not a missed deadline.
    jobs = Jobs({"broken": (0.02, JobFailed("job 'broken' failed"))})
    try:
        result = await result_or_none(jobs.job("broken"), _PATIENCE)
    except Exception as exc:
        if not any(isinstance(leaf, JobFailed) for leaf in _leaves(exc)):
            raise  # the learner's own error: the checker names it and their line
    else:
        _guard_value(result, "result_or_none")
        caught = f": {_swallower(code)} caught it" if _swallower(code) else ""
        fail(
            f"the job failed, yet result_or_none returned {result!r}: only the deadline means None, so let "
            f"the job's own error come out{caught}."
        )

    # Cancelled from outside before the deadline: the cancellation goes on, and takes the job with it.
    jobs = Jobs({"slow": (_JOB_SLOW, "S")})
    before = asyncio.all_tasks()
    caller: asyncio.Future[Any] = asyncio.ensure_future(result_or_none(jobs.job("slow"), 2 * _PATIENCE))
    await asyncio.sleep(_PATIENCE / 3)
    caller.cancel()
    await asyncio.wait([caller], timeout=_PATIENCE)
    left = jobs.still_running
    await stop_leftovers(before)
    swallowed = code.swallows_cancellation()
    where = f" ({swallowed.where} caught it)" if swallowed else ""
    require(
        caller.done(),
        f"its caller was cancelled, yet result_or_none went on running{where}: let the CancelledError through.",
    )
    if not caller.cancelled():
        outcome = (
            f"raised {type(caller.exception()).__name__}"
            if caller.exception() is not None
            else f"returned {caller.result()!r}"
        )
        fail(
            f"its caller was cancelled from outside, before the deadline, yet result_or_none {outcome}{where}: "
            "that cancellation is not yours to handle. Catch only the TimeoutError of your own deadline."
        )
    require(
        not left,
        "its caller was cancelled, and result_or_none let the cancellation through, but the job went on "
        "running: run it inside the `async with asyncio.timeout()` block, where a cancellation reaches it.",
    )
    # A TimeoutError of the job's own (its request timed out) is the job's error, not the deadline.
    jobs = Jobs({"own timeout": (0.02, TimeoutError("the job's own request timed out"))})
    try:
        result = await result_or_none(jobs.job("own timeout"), _PATIENCE)
    except TimeoutError as exc:
        require(
            "own request" in str(exc),
            f"the job's own TimeoutError should come out as it was; a different one came: {exc!r}.",
        )
    else:
        _guard_value(result, "result_or_none")
        fail(
            f"the job raised a TimeoutError of its own long before your deadline, yet result_or_none returned "
            f"{result!r}: only your deadline means None. Name the block (`async with asyncio.timeout(seconds) "
            "as deadline:`) and return None only when `deadline.expired()`; re-raise otherwise."
        )
    return "the result in time, None at the deadline with the job stopped; errors and outside cancellations went through"
