"""Checks for the exercises of ``10_how_async_works``: CPU work off the loop, a loop watchdog, the right executor.

The checks hand the learner's code real executors wrapped in :class:`CountingExecutor`, which notes what was
submitted to it and how many jobs were in it at once, and measure the CPU time of the loop's own thread
(``time.thread_time``): so a check can tell "ran in the pool, all at once" from "ran on the loop" or "ran one
at a time" without timing anything to the millisecond. The job functions live here, in a module, because a process pool's
spawned workers import what they run by name.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any, Literal, NamedTuple

from ..examples.cpu_offload import fingerprint, process_pool, sum_of_squares
from .checking import checker, fail, own_work, require, stop_tasks, waiting_for
from .learner_code import Code, read_code
from .watching import Seen, watching

__all__ = [
    "CountingExecutor",
    "Job",
    "check_fingerprints_in_pool",
    "check_run_mix",
    "check_watch_loop",
    "wait_blocking",
    "wait_async",
]


class CountingExecutor(Executor):
    """An executor that passes every job to ``inner`` and remembers what it was given.

    ``submitted`` counts jobs by function name; ``peak`` is the most jobs that were in it at once (submitted
    and not yet finished): 1 means they came one after another.
    """

    def __init__(self, inner: Executor) -> None:
        self.inner = inner
        self.submitted: Counter[str] = Counter()
        self.peak = 0
        self._open = 0
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._lock:
            self.submitted[getattr(fn, "__name__", type(fn).__name__)] += 1
            self._open += 1
            self.peak = max(self.peak, self._open)
        future = self.inner.submit(fn, *args, **kwargs)
        future.add_done_callback(self._finished)
        return future

    def _finished(self, _: Future[Any]) -> None:
        with self._lock:
            self._open -= 1

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.inner.shutdown(wait=wait, cancel_futures=cancel_futures)

    @property
    def total(self) -> int:
        return sum(self.submitted.values())


def _require_free_loop(seen: Seen, code: Code, name: str, what: str, stall: float = float("inf")) -> None:
    """Stop with a hint when the loop was kept busy most of the time the answer ran, or stood still once
    for ``stall`` seconds or more (as long as one of the jobs)."""
    if seen.busy <= 0.6 and seen.max_lag < stall:  # a free loop stays under a third, a blocked one over 0.9
        return
    cause = next(
        (
            f": {call.lstrip('.')}() waits for its results in the loop's own thread; use {advice}"
            for call, advice in [
                (
                    ".map",
                    "one `loop.run_in_executor(pool, ...)` per item, awaited together with asyncio.gather",
                ),
                (".result", "`await` instead (loop.run_in_executor gives a future the loop can await)"),
                ("time.sleep", "`await asyncio.sleep(...)`"),
            ]
            if code.calls(call)
        ),
        ": hand the work to the pool with loop.run_in_executor and await what it gives back",
    )
    fail(f"the event loop stood still while {name} {what}, so no other task could run{cause}.")


def _answer(value: object, name: str) -> object:
    if inspect.isawaitable(value):
        if inspect.iscoroutine(value):
            value.close()
        fail(f"{name} returned {type(value).__name__}, something still to await: did you forget `await`?")
    return value


# --- Exercise 1 ---------------------------------------------------------------------------------------------

FingerprintsInPool = Callable[[list[str], Executor], Awaitable[dict[str, str]]]
_NAMES = [
    "if.dev",
    "or.dev",
    "and.dev",
    "def.dev",
    "del.dev",
    "for.dev",
    "in.dev",
    "is.dev",
    "as.dev",
    "not.dev",
]


@checker("Exercise 1", todo="fill in fingerprints_in_pool above, then run this cell")
async def check_fingerprints_in_pool(fingerprints_in_pool: FingerprintsInPool) -> str:
    """Every fingerprint computed in the given process pool, all handed over at once, the loop kept free."""
    require(
        inspect.iscoroutinefunction(fingerprints_in_pool),
        "fingerprints_in_pool must be defined with `async def`.",
    )
    cost = time.thread_time()
    expected = {name: fingerprint(name) for name in _NAMES}
    cost = time.thread_time() - cost  # CPU seconds the fingerprints take on one thread
    code = read_code(fingerprints_in_pool)
    with process_pool(2) as inner:
        pool = CountingExecutor(inner)
        with own_work():  # starting the worker processes is the check's business
            await asyncio.gather(
                *(asyncio.get_running_loop().run_in_executor(inner, fingerprint, "warm-up", 1) for _ in "ab")
            )
        async with watching() as seen:
            on_this_thread = time.thread_time()  # the loop's thread: the one this check runs on
            try:
                made = await fingerprints_in_pool(list(_NAMES), pool)
            except TypeError as exc:
                if not pool.submitted["str"]:
                    raise
                fail(
                    "fingerprint(name) ran right there, on the loop, and the pool was handed its result "
                    f"to call ({exc}): pass the function and its argument apart, "
                    "`loop.run_in_executor(pool, fingerprint, name)`."
                )
            on_this_thread = time.thread_time() - on_this_thread
        result = _answer(made, "fingerprints_in_pool")
    if pool.total == 0:
        require(
            on_this_thread < cost / 4,
            "the fingerprints were computed on the loop's own thread, which froze the loop meanwhile: hand "
            "each one to the pool with `loop.run_in_executor(pool, fingerprint, name)`.",
        )
        fail(
            "nothing reached the pool you were given: use it (`loop.run_in_executor(pool, ...)`); "
            "asyncio.to_thread runs the work in threads, and pure-Python work in threads holds the "
            "interpreter lock that the loop needs too."
        )
    _require_free_loop(seen, code, "fingerprints_in_pool", "waited for the pool")
    require(isinstance(result, dict), f"return a dict of name -> fingerprint, not {type(result).__name__}.")
    require(
        pool.submitted["fingerprint"] == len(_NAMES),
        f"the pool got {dict(pool.submitted)}: submit `fingerprint` once per name ({len(_NAMES)} names).",
    )
    require(
        pool.peak > 1,
        "the pool got one fingerprint at a time: start them all, then await them together (asyncio.gather).",
    )
    require(result == expected, f"wrong fingerprints: expected {expected}, got {result!r}.")
    return f"{len(_NAMES)} fingerprints computed in the process pool, all handed over at once"


# --- Exercise 2 ---------------------------------------------------------------------------------------------

# A coroutine function: the checker runs it as a task, and create_task takes a coroutine.
WatchLoop = Callable[[float, float, Callable[[float], None]], Coroutine[Any, Any, None]]
_EVERY, _THRESHOLD, _BLOCKS, _FREE = 0.12, 0.1, (0.4, 0.3), 0.3


@checker("Exercise 2", todo="fill in watch_loop above, then run this cell")
async def check_watch_loop(watch_loop: WatchLoop) -> str:
    """A watchdog task: reports each stall of the loop once, with its size in seconds, and stops when cancelled."""
    require(inspect.iscoroutinefunction(watch_loop), "watch_loop must be defined with `async def`.")
    code = read_code(watch_loop)
    reports: list[Any] = []
    phases: list[int] = []  # how many reports there were at the end of each free stretch
    watcher = asyncio.create_task(watch_loop(_EVERY, _THRESHOLD, reports.append), name="watch_loop")
    try:
        async with watching() as seen:
            await asyncio.sleep(_FREE)  # a free loop: nothing to report
        phases.append(len(reports))
        if seen.busy > 0.5:
            fail(
                "while nothing else ran, the loop was busy most of the time: watch_loop blocks the loop it "
                "watches"
                + (
                    " with time.sleep. Sleep with `await asyncio.sleep(every)`."
                    if code.calls("time.sleep")
                    else ". Sleep with `await asyncio.sleep(every)`, and do nothing slow between two sleeps."
                )
            )
        for block in _BLOCKS:
            time.sleep(block)  # noqa: ASYNC251 (the stall the watchdog must see)
            await asyncio.sleep(_FREE)
            phases.append(len(reports))
        if watcher.done():
            if not watcher.cancelled() and watcher.exception() is not None:
                raise watcher.exception()  # type: ignore[misc]
            fail(
                "watch_loop returned on its own: it should keep watching (a `while True:` loop) until cancelled."
            )
    finally:
        with waiting_for("watch_loop to stop after it was cancelled"):
            refused = await stop_tasks([watcher])
    if refused:
        handler = code.swallows_cancellation()
        where = handler.where if handler else "an except clause"
        fail(
            f"watch_loop went on after it was cancelled: {where} caught the CancelledError and the loop went "
            "round again. Let it through (`raise` after any clean-up), so that cancel() ends the watchdog."
        )
    require(
        watcher.cancelled(),
        "after watcher.cancel(), the task did not end as cancelled: let CancelledError through (re-raise it).",
    )
    require(
        phases[0] == 0
        and all(later - earlier <= 1 for earlier, later in zip(phases, phases[1:], strict=False)),
        f"reported {len(reports)} lags while the loop was blocked twice: a tick that comes on time is late by "
        "about 0 s, not by `every`; measure how much later than asked it came, and report only lags over "
        "the threshold.",
    )
    require(reports, "nothing was reported, though the loop was blocked for 0.4 s and then 0.3 s.")
    require(
        all(isinstance(lag, float | int) and not isinstance(lag, bool) for lag in reports),
        f"report the lag as a number of seconds, not {[type(lag).__name__ for lag in reports]}.",
    )
    require(len(reports) == 2, f"expected one report per stall (2), got {len(reports)}: {reports}.")
    for lag, block in zip(reports, _BLOCKS, strict=True):
        require(
            block - _EVERY - 0.03 <= lag <= block + 0.25,
            f"reported {lag!r} for a stall of {block} s: report how late the tick came, in seconds.",
        )
    return "both stalls reported once each, in seconds, and the watchdog stopped when cancelled"


# --- Exercise 3 ---------------------------------------------------------------------------------------------


class Job(NamedTuple):
    """One job of a mix: ``function(argument)``, and what kind of work it does."""

    kind: Literal["cpu", "blocking", "async"]
    function: Callable[[Any], Any]
    argument: Any


def wait_blocking(seconds: float) -> float:
    """A blocking call that only waits (like a database driver that is not async): returns ``seconds``."""
    time.sleep(seconds)
    return seconds


async def wait_async(seconds: float) -> float:
    """An asynchronous wait (like a request with an async client): returns ``seconds``."""
    await asyncio.sleep(seconds)
    return seconds


RunMix = Callable[[Sequence[Job], Executor, Executor], Awaitable[list[Any]]]
_WAIT = 0.3


def _mix() -> list[Job]:
    return [
        Job("cpu", sum_of_squares, 400_000),
        Job("blocking", wait_blocking, _WAIT),
        Job("async", wait_async, _WAIT),
        Job("cpu", sum_of_squares, 300_000),
        Job("blocking", wait_blocking, _WAIT),
        Job("async", wait_async, _WAIT),
    ]


@checker("Exercise 3", todo="fill in run_mix above, then run this cell")
async def check_run_mix(run_mix: RunMix) -> str:
    """CPU jobs to the processes, blocking waits to the threads, async jobs awaited, all at once, in order."""
    require(inspect.iscoroutinefunction(run_mix), "run_mix must be defined with `async def`.")
    jobs = _mix()
    expected = [job.argument if job.kind != "cpu" else sum_of_squares(job.argument) for job in jobs]
    code = read_code(run_mix)
    with ThreadPoolExecutor(4) as inner_threads, process_pool(2) as inner_processes:
        threads, processes = CountingExecutor(inner_threads), CountingExecutor(inner_processes)
        with own_work():  # starting the worker processes is the check's business
            loop = asyncio.get_running_loop()
            await asyncio.gather(*(loop.run_in_executor(inner_processes, sum_of_squares, 10) for _ in "ab"))
        async with watching() as seen:
            started = time.perf_counter()
            made = await run_mix(list(jobs), threads, processes)
            elapsed = time.perf_counter() - started
        result = _answer(made, "run_mix")
    if not isinstance(result, list | tuple):  # an `if`, not require(): mypy then knows result is a sequence
        fail(f"return a list of the results, not {type(result).__name__}.")
    if any(inspect.iscoroutine(item) for item in result):
        for item in result:
            if inspect.iscoroutine(item):
                item.close()
        fail(
            "some results are coroutine objects: an async job's function makes a coroutine when called, and "
            "a pool only calls it; await it on the loop instead."
        )
    _require_free_loop(seen, code, "run_mix", "ran the mix", stall=0.8 * _WAIT)
    require(
        threads.submitted["sum_of_squares"] == 0,
        "the CPU-bound jobs went to the thread pool: threads share one interpreter lock, so pure-Python "
        "work there still competes with the loop; send them to the process pool.",
    )
    require(
        processes.submitted["sum_of_squares"] == 2,
        "the CPU-bound jobs did not reach the process pool you were given: on the loop's own thread they "
        "freeze it; hand them to `processes` with loop.run_in_executor.",
    )
    require(
        processes.submitted["wait_blocking"] == 0,
        "the blocking waits went to the process pool: they only wait, and a thread is enough for that "
        "(a process costs far more to start and to talk to).",
    )
    require(
        threads.submitted["wait_blocking"] == 2,
        "the blocking waits did not reach the thread pool: run them with loop.run_in_executor(threads, ...).",
    )
    require(
        elapsed < 2.5 * _WAIT,
        "the mix took about as long as its jobs one after another: start them all, then await them "
        "together (asyncio.gather).",
    )
    require(
        list(result) == expected, f"results in the jobs' order expected: {expected}, got {list(result)!r}."
    )
    return "CPU jobs in processes, blocking waits in threads, async jobs on the loop, all at once, in order"
