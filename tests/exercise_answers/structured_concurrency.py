"""Answers to the exercises of lesson 08: ``run_all``, ``within``, ``sort_failures``, ``hedged`` and
``result_or_none``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import anyio

from support.exercises.structured_concurrency import (
    check_hedged,
    check_result_or_none,
    check_run_all,
    check_sort_failures,
    check_within,
)

from . import Cases, Wrong

Job = Callable[[], Awaitable[Any]]

# --- Exercise 1: run_all ----------------------------------------------------------------------------------


async def run_all_model(jobs: Sequence[Job]) -> list[Any]:
    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(job()) for job in jobs]
    return [task.result() for task in tasks]


async def run_all_stub(jobs: Sequence[Job]) -> list[Any]:
    # Your code here: run every job at once in an asyncio.TaskGroup; return their results in order.
    ...


async def run_all_with_gather(jobs: Sequence[Job]) -> list[Any]:
    return await asyncio.gather(*(job() for job in jobs))


async def run_all_returning_exceptions(jobs: Sequence[Job]) -> list[Any]:
    return await asyncio.gather(*(job() for job in jobs), return_exceptions=True)


async def run_all_one_by_one(jobs: Sequence[Job]) -> list[Any]:
    return [await job() for job in jobs]


async def run_all_returning_tasks(jobs: Sequence[Job]) -> list[Any]:
    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(job()) for job in jobs]
    return tasks


async def run_all_forgetting_to_call(jobs: Sequence[Job]) -> list[Any]:
    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(job) for job in jobs]  # type: ignore[arg-type]
    return [task.result() for task in tasks]


async def run_all_forgetting_await(jobs: Sequence[Job]) -> list[Any]:
    return run_all_model(jobs)  # type: ignore[return-value]  (the coroutine, not its result)


async def run_all_forgetting_to_return(jobs: Sequence[Job]) -> None:
    async with asyncio.TaskGroup() as tg:
        for job in jobs:
            tg.create_task(job())


async def run_all_create_task_inside_the_group(jobs: Sequence[Job]) -> list[Any]:
    async with asyncio.TaskGroup():
        tasks = [asyncio.create_task(job()) for job in jobs]  # tasks of no group: a failure cancels nothing
        return [await task for task in tasks]


async def run_all_tasks_awaited_in_turn(jobs: Sequence[Job]) -> list[Any]:
    tasks = [asyncio.create_task(job()) for job in jobs]  # neither gather nor a group
    return [await task for task in tasks]


async def run_all_catching_each_failure(jobs: Sequence[Job]) -> list[Any]:
    async def safely(job: Job) -> Any:
        try:
            return await job()
        except Exception:
            return None  # the failure vanishes

    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(safely(job)) for job in jobs]
    return [task.result() for task in tasks]


async def run_all_with_wait_and_cancel(jobs: Sequence[Job]) -> list[Any]:
    tasks = [asyncio.create_task(job()) for job in jobs]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for task in done:
        if task.exception() is not None:
            raise task.exception()  # type: ignore[misc]
    return [task.result() for task in tasks]  # right, by hand: the exercise asks for a TaskGroup


# --- Exercise 2: within -----------------------------------------------------------------------------------


async def within_model(jobs: Mapping[str, Job], seconds: float, limit: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    slots = asyncio.Semaphore(limit)

    async def run(name: str, job: Job) -> None:
        async with slots:
            results[name] = await job()

    try:
        async with asyncio.timeout(seconds):
            async with asyncio.TaskGroup() as tg:
                for name, job in jobs.items():
                    tg.create_task(run(name, job))
    except TimeoutError:
        pass  # the deadline passed: the group has cancelled what was left; keep what came in
    return results


async def within_stub(jobs: Mapping[str, Job], seconds: float, limit: int) -> dict[str, Any]:
    # Your code here: at most `limit` jobs at a time, one deadline for all, return what finished by name.
    ...


async def within_timeout_per_job(jobs: Mapping[str, Job], seconds: float, limit: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    slots = asyncio.Semaphore(limit)

    async def run(name: str, job: Job) -> None:
        async with slots:
            try:
                async with asyncio.timeout(seconds):
                    results[name] = await job()
            except TimeoutError:
                pass

    async with asyncio.TaskGroup() as tg:
        for name, job in jobs.items():
            tg.create_task(run(name, job))
    return results


async def within_wait_for_per_job_uncaught(
    jobs: Mapping[str, Job], seconds: float, limit: int
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    slots = asyncio.Semaphore(limit)

    async def run(name: str, job: Job) -> None:
        async with slots:
            results[name] = await asyncio.wait_for(job(), seconds)

    async with asyncio.TaskGroup() as tg:
        for name, job in jobs.items():
            tg.create_task(run(name, job))
    return results


async def within_leaking_pending(jobs: Mapping[str, Job], seconds: float, limit: int) -> dict[str, Any]:
    slots = asyncio.Semaphore(limit)

    async def run(job: Job) -> Any:
        async with slots:
            return await job()

    tasks = {name: asyncio.create_task(run(job)) for name, job in jobs.items()}
    await asyncio.wait(tasks.values(), timeout=seconds)
    return {name: task.result() for name, task in tasks.items() if task.done()}


async def within_without_a_limit(jobs: Mapping[str, Job], seconds: float, limit: int) -> dict[str, Any]:
    results: dict[str, Any] = {}

    async def run(name: str, job: Job) -> None:
        results[name] = await job()

    try:
        async with asyncio.timeout(seconds):
            async with asyncio.TaskGroup() as tg:
                for name, job in jobs.items():
                    tg.create_task(run(name, job))
    except TimeoutError:
        pass
    return results


async def within_letting_the_timeout_out(
    jobs: Mapping[str, Job], seconds: float, limit: int
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    slots = asyncio.Semaphore(limit)

    async def run(name: str, job: Job) -> None:
        async with slots:
            results[name] = await job()

    async with asyncio.timeout(seconds):
        async with asyncio.TaskGroup() as tg:
            for name, job in jobs.items():
                tg.create_task(run(name, job))
    return results


async def within_sleeping_to_the_deadline(
    jobs: Mapping[str, Job], seconds: float, limit: int
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    slots = asyncio.Semaphore(limit)

    async def run(name: str, job: Job) -> None:
        async with slots:
            results[name] = await job()

    tasks = [asyncio.create_task(run(name, job)) for name, job in jobs.items()]
    await asyncio.sleep(seconds)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return results


async def within_keeping_the_cancelled_ones(
    jobs: Mapping[str, Job], seconds: float, limit: int
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    slots = asyncio.Semaphore(limit)

    async def run(name: str, job: Job) -> None:
        async with slots:
            try:
                results[name] = await job()
            except asyncio.CancelledError:
                results[name] = None  # swallowed: a job cut off looks like one that finished

    try:
        async with asyncio.timeout(seconds):
            async with asyncio.TaskGroup() as tg:
                for name, job in jobs.items():
                    tg.create_task(run(name, job))
    except TimeoutError:
        pass
    return results


# --- Exercise 3: sort_failures ----------------------------------------------------------------------------


async def sort_failures_model(jobs: Sequence[Job]) -> dict[str, int]:
    counts = {"slow": 0, "down": 0}
    try:
        async with asyncio.TaskGroup() as tg:
            for job in jobs:
                tg.create_task(job())
    except* TimeoutError as group:
        counts["slow"] = len(group.exceptions)
    except* ConnectionError as group:
        counts["down"] = len(group.exceptions)
    return counts


async def sort_failures_stub(jobs: Sequence[Job]) -> dict[str, int]:
    # Your code here: run the jobs in a TaskGroup; count timeouts and connection errors with except*.
    ...


async def sort_failures_plain_except(jobs: Sequence[Job]) -> dict[str, int]:
    counts = {"slow": 0, "down": 0}
    try:
        async with asyncio.TaskGroup() as tg:
            for job in jobs:
                tg.create_task(job())
    except TimeoutError:
        counts["slow"] += 1
    except ConnectionError:
        counts["down"] += 1
    return counts


async def sort_failures_catching_the_group(jobs: Sequence[Job]) -> dict[str, int]:
    counts = {"slow": 0, "down": 0}
    try:
        async with asyncio.TaskGroup() as tg:
            for job in jobs:
                tg.create_task(job())
    except ExceptionGroup as group:
        for error in group.exceptions:
            if isinstance(error, TimeoutError):
                counts["slow"] += 1
            elif isinstance(error, ConnectionError):
                counts["down"] += 1
    return counts


async def sort_failures_counting_one_each(jobs: Sequence[Job]) -> dict[str, int]:
    counts = {"slow": 0, "down": 0}
    try:
        async with asyncio.TaskGroup() as tg:
            for job in jobs:
                tg.create_task(job())
    except* TimeoutError:
        counts["slow"] += 1
    except* ConnectionError:
        counts["down"] += 1
    return counts


async def sort_failures_only_refused(jobs: Sequence[Job]) -> dict[str, int]:
    counts = {"slow": 0, "down": 0}
    try:
        async with asyncio.TaskGroup() as tg:
            for job in jobs:
                tg.create_task(job())
    except* TimeoutError as group:
        counts["slow"] = len(group.exceptions)
    except* ConnectionRefusedError as group:
        counts["down"] = len(group.exceptions)
    return counts


async def sort_failures_with_gather(jobs: Sequence[Job]) -> dict[str, int]:
    outcomes = await asyncio.gather(*(job() for job in jobs), return_exceptions=True)
    return {
        "slow": sum(isinstance(o, TimeoutError) for o in outcomes),
        "down": sum(isinstance(o, ConnectionError) for o in outcomes),
    }


async def sort_failures_gather_raising_bugs(jobs: Sequence[Job]) -> dict[str, int]:
    outcomes = await asyncio.gather(*(job() for job in jobs), return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, Exception) and not isinstance(outcome, TimeoutError | ConnectionError):
            raise outcome  # the bug comes out: right, but not with the TaskGroup the exercise asks for
    return {
        "slow": sum(isinstance(o, TimeoutError) for o in outcomes),
        "down": sum(isinstance(o, ConnectionError) for o in outcomes),
    }


async def sort_failures_catches_nothing(jobs: Sequence[Job]) -> dict[str, int]:
    async with asyncio.TaskGroup() as tg:  # no except at all: the group's errors come out whole
        for job in jobs:
            tg.create_task(job())
    return {"slow": 0, "down": 0}


async def sort_failures_star_exception(jobs: Sequence[Job]) -> dict[str, int]:
    counts = {"slow": 0, "down": 0}
    try:
        async with asyncio.TaskGroup() as tg:
            for job in jobs:
                tg.create_task(job())
    except* Exception as group:  # every kind, the bug included
        counts["slow"] = sum(isinstance(e, TimeoutError) for e in group.exceptions)
        counts["down"] = sum(isinstance(e, ConnectionError) for e in group.exceptions)
    return counts


# --- Exercise 4: hedged ----------------------------------------------------------------------------------

Call = Callable[[], Awaitable[str]]


async def hedged_model(job: Call, delay: float) -> str:
    answers: list[str] = []
    async with anyio.create_task_group() as tg:

        async def attempt() -> None:
            answer = await job()
            if not answers:
                answers.append(answer)
            tg.cancel_scope.cancel()  # the other call, and the wait for the delay, are no longer needed

        tg.start_soon(attempt)
        await anyio.sleep(delay)  # cancelled with the scope if the first call answers in time
        tg.start_soon(attempt)
    return answers[0]


async def hedged_stub(job: Call, delay: float) -> str:
    # Your code here: with AnyIO, a second job() only after `delay` without a result; the first answer wins.
    ...


async def hedged_both_at_once(job: Call, delay: float) -> str:
    answers: list[str] = []
    async with anyio.create_task_group() as tg:

        async def attempt() -> None:
            answers.append(await job())
            tg.cancel_scope.cancel()

        tg.start_soon(attempt)
        tg.start_soon(attempt)  # no delay: twice the load on a server that was fine
    return answers[0]


async def hedged_gives_up_on_the_first(job: Call, delay: float) -> str:
    with anyio.move_on_after(delay):
        return await job()
    return await job()  # the first call was cancelled at the delay: a timeout and a retry, not a hedge


async def hedged_waits_for_both(job: Call, delay: float) -> str:
    answers: list[str] = []
    async with anyio.create_task_group() as tg:

        async def attempt() -> None:
            answers.append(await job())

        tg.start_soon(attempt)
        await anyio.sleep(delay)
        if not answers:
            tg.start_soon(attempt)
    return answers[0]  # right answer, but only once the stalled call ended too


async def hedged_waits_out_the_delay(job: Call, delay: float) -> str:
    answers: list[str] = []
    async with anyio.create_task_group() as tg:

        async def attempt() -> None:
            answers.append(await job())
            tg.cancel_scope.cancel()

        tg.start_soon(attempt)
        with anyio.CancelScope(shield=True):
            await anyio.sleep(delay)  # shielded: a quick first answer still waits for the whole delay
        if not answers:
            tg.start_soon(attempt)
    return answers[0]


async def hedged_with_asyncio(job: Call, delay: float) -> str:
    first = asyncio.ensure_future(job())
    done, _ = await asyncio.wait([first], timeout=delay)
    if done:
        return first.result()
    second = asyncio.ensure_future(job())
    done, pending = await asyncio.wait([first, second], return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    return done.pop().result()


# --- Exercise 5: result_or_none ------------------------------------------------------------------------------


async def result_or_none_model(job: Job, seconds: float) -> Any:
    try:
        async with asyncio.timeout(seconds) as deadline:
            return await job()
    except TimeoutError:
        if deadline.expired():
            return None
        raise  # the job's own TimeoutError


async def result_or_none_any_timeout(job: Job, seconds: float) -> Any:
    try:
        async with asyncio.timeout(seconds):
            return await job()
    except TimeoutError:  # the job's own TimeoutError taken for the deadline
        return None


async def result_or_none_stub(job: Job, seconds: float) -> Any:
    # Your code here: the job's result, or None once `seconds` have passed; let anything else through.
    ...


async def result_or_none_swallowing_cancel(job: Job, seconds: float) -> Any:
    try:
        async with asyncio.timeout(seconds):
            return await job()
    except (TimeoutError, asyncio.CancelledError):  # the outside cancellation taken for the deadline
        return None


async def result_or_none_catching_everything(job: Job, seconds: float) -> Any:
    try:
        async with asyncio.timeout(seconds):
            return await job()
    except BaseException:
        return None


async def result_or_none_catching_inside(job: Job, seconds: float) -> Any:
    async with asyncio.timeout(seconds):
        try:
            return await job()
        except TimeoutError:  # inside the block the job gets CancelledError: this never runs
            return None


async def result_or_none_letting_the_timeout_out(job: Job, seconds: float) -> Any:
    async with asyncio.timeout(seconds):
        return await job()


async def result_or_none_leaving_the_job(job: Job, seconds: float) -> Any:
    task = asyncio.ensure_future(job())
    done, _ = await asyncio.wait([task], timeout=seconds)
    return task.result() if done else None


async def result_or_none_wait_then_cancel(job: Job, seconds: float) -> Any:
    task = asyncio.ensure_future(job())
    done, _ = await asyncio.wait([task], timeout=seconds)  # cancelled here, the job's task runs on
    if done:
        return task.result()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return None


async def result_or_none_waiting_it_out(job: Job, seconds: float) -> Any:
    started = asyncio.get_running_loop().time()
    result = await job()
    return result if asyncio.get_running_loop().time() - started <= seconds else None


CASES = [
    Cases(
        check_run_all,
        right=run_all_model,
        stub=run_all_stub,
        wrong=[
            Wrong(
                run_all_with_gather,
                "gathers: a failure leaves the siblings running",
                "gather does not cancel",
            ),
            Wrong(
                run_all_returning_exceptions, "gathers with return_exceptions=True", "return_exceptions=True"
            ),
            Wrong(run_all_one_by_one, "awaits each job in turn", "one after another"),
            Wrong(run_all_returning_tasks, "returns the tasks, not their results", "returned Task objects"),
            Wrong(
                run_all_forgetting_to_call,
                "passes the job, not job(), to create_task",
                "your code raised TypeError",
            ),
            Wrong(run_all_forgetting_to_return, "returns nothing", "returned None"),
            Wrong(
                run_all_forgetting_await, "returns run_all's coroutine unawaited", "did you forget `await`"
            ),
            Wrong(
                run_all_create_task_inside_the_group,
                "asyncio.create_task inside the group's block",
                "belongs to no group",
            ),
            Wrong(
                run_all_tasks_awaited_in_turn,
                "create_task for each, awaited in turn (no gather, no group)",
                "start them in an `async with asyncio.TaskGroup() as tg:` block",
            ),
            Wrong(
                run_all_catching_each_failure,
                "each job wrapped in except Exception",
                "the `except Exception:` at line",
            ),
            Wrong(
                run_all_with_wait_and_cancel,
                "asyncio.wait(FIRST_EXCEPTION) and cancel by hand",
                "not `asyncio.wait`",
            ),
        ],
    ),
    Cases(
        check_within,
        right=within_model,
        stub=within_stub,
        wrong=[
            Wrong(
                within_timeout_per_job,
                "a timeout around each job, caught",
                "restarts the clock for every job",
            ),
            Wrong(
                within_wait_for_per_job_uncaught,
                "wait_for around each job, not caught",
                "the TaskGroup cancelled",
            ),
            Wrong(
                within_leaking_pending,
                "asyncio.wait with a timeout, pending never cancelled",
                "still running",
            ),
            Wrong(within_without_a_limit, "forgets the limit", "jobs ran at once with limit=2"),
            Wrong(
                within_letting_the_timeout_out,
                "lets the deadline's TimeoutError escape",
                "TimeoutError came out",
            ),
            Wrong(
                within_sleeping_to_the_deadline, "always sleeps until the deadline", "waited for the deadline"
            ),
            Wrong(
                within_keeping_the_cancelled_ones,
                "each job catches CancelledError and records None",
                "did not finish in time",
            ),
        ],
    ),
    Cases(
        check_sort_failures,
        right=sort_failures_model,
        stub=sort_failures_stub,
        wrong=[
            Wrong(
                sort_failures_plain_except,
                "except TimeoutError: never matches a group",
                "never matches a group",
            ),
            Wrong(
                sort_failures_catching_the_group,
                "except ExceptionGroup swallows the bug",
                "swallows them all",
            ),
            Wrong(sort_failures_counting_one_each, "counts one per except* clause", "len(group.exceptions)"),
            Wrong(
                sort_failures_only_refused,
                "except* ConnectionRefusedError misses the reset",
                "ConnectionResetError",
            ),
            Wrong(
                sort_failures_with_gather,
                "gather(return_exceptions=True) swallows the bug",
                "hands every error back as a value",
            ),
            Wrong(
                sort_failures_gather_raising_bugs,
                "gather(return_exceptions=True), bugs raised by hand: no TaskGroup",
                "the exercise asks for one `async with asyncio.TaskGroup() as tg:`, not `asyncio.gather`",
            ),
            Wrong(sort_failures_star_exception, "except* Exception", "`except* Exception:` at line"),
            Wrong(
                sort_failures_catches_nothing,
                "no except at all (and no plain except TimeoutError to blame)",
                "in a group. Use `except* TimeoutError`",
            ),
        ],
    ),
    Cases(
        check_hedged,
        right=hedged_model,
        stub=hedged_stub,
        wrong=[
            Wrong(hedged_both_at_once, "starts both calls at once", "the second call started at once"),
            Wrong(
                hedged_gives_up_on_the_first,
                "move_on_after(delay), then a second call: the first is cancelled",
                "move_on_after and fail_after cancel what runs inside them",
            ),
            Wrong(hedged_waits_for_both, "never cancels the other call", "waited for the stalled call"),
            Wrong(
                hedged_waits_out_the_delay,
                "waits the whole delay even after an answer",
                "only when the delay was over",
            ),
            Wrong(hedged_with_asyncio, "asyncio's wait and tasks: fails under Trio", "Use AnyIO's functions"),
        ],
    ),
    Cases(
        check_result_or_none,
        right=result_or_none_model,
        stub=result_or_none_stub,
        wrong=[
            Wrong(
                result_or_none_any_timeout,
                "except TimeoutError: the job's own timeout becomes None",
                "deadline.expired()",
            ),
            Wrong(
                result_or_none_swallowing_cancel,
                "except (TimeoutError, CancelledError): an outside cancellation becomes None",
                "that cancellation is not yours to handle",
            ),
            Wrong(
                result_or_none_catching_everything,
                "except BaseException: hides the job's error too",
                "the `except BaseException:` at line",
            ),
            Wrong(
                result_or_none_catching_inside,
                "except TimeoutError inside the timeout block",
                "Put the try around the whole block",
            ),
            Wrong(
                result_or_none_letting_the_timeout_out,
                "no except: the TimeoutError escapes",
                "catch it around the timeout block",
            ),
            Wrong(
                result_or_none_leaving_the_job,
                "asyncio.wait with a timeout, the job never cancelled",
                "the job went on running: stop it at the deadline",
            ),
            Wrong(
                result_or_none_wait_then_cancel,
                "asyncio.wait, then cancel: a cancelled caller leaves the job running",
                "run it inside the `async with asyncio.timeout()` block",
            ),
            Wrong(
                result_or_none_waiting_it_out,
                "awaits the job to its end, then compares the time",
                "waited for the slow job to end",
            ),
        ],
    ),
]
