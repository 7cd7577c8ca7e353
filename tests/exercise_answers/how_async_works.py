"""Answers to the exercises of lesson 10: ``fingerprints_in_pool``, ``watch_loop``, ``run_mix``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import Any

from support.examples.cpu_offload import fingerprint
from support.exercises.how_async_works import (
    Job,
    check_fingerprints_in_pool,
    check_run_mix,
    check_watch_loop,
)

from . import Cases, Wrong

# --- Exercise 1 ---------------------------------------------------------------------------------------------


async def pool_model(names: list[str], pool: Executor) -> dict[str, str]:
    loop = asyncio.get_running_loop()
    prints = await asyncio.gather(*(loop.run_in_executor(pool, fingerprint, name) for name in names))
    return dict(zip(names, prints, strict=True))


async def pool_stub(names: list[str], pool: Executor) -> dict[str, str]:
    # Your code here: each fingerprint in the pool, all at once.
    ...


async def on_the_loop(names: list[str], pool: Executor) -> dict[str, str]:
    return {name: fingerprint(name) for name in names}


async def in_threads(names: list[str], pool: Executor) -> dict[str, str]:
    prints = await asyncio.gather(*(asyncio.to_thread(fingerprint, name) for name in names))
    return dict(zip(names, prints, strict=True))


async def one_at_a_time(names: list[str], pool: Executor) -> dict[str, str]:
    loop = asyncio.get_running_loop()
    return {name: await loop.run_in_executor(pool, fingerprint, name) for name in names}


async def calls_it_first(names: list[str], pool: Executor) -> dict[str, str]:
    loop = asyncio.get_running_loop()
    prints = await asyncio.gather(*(loop.run_in_executor(pool, fingerprint(name)) for name in names))  # type: ignore[arg-type]
    return dict(zip(names, prints, strict=True))


async def pool_map(names: list[str], pool: Executor) -> dict[str, str]:
    return dict(zip(names, pool.map(fingerprint, names), strict=True))  # waits, in the loop's thread


async def submit_and_wait(names: list[str], pool: Executor) -> dict[str, str]:
    futures = {name: pool.submit(fingerprint, name) for name in names}  # all at once...
    return {name: future.result() for name, future in futures.items()}  # ...then the loop waits for each


async def pool_wrap_future(names: list[str], pool: Executor) -> dict[str, str]:
    """Another right answer: submit, and await the concurrent futures through asyncio.wrap_future."""
    prints = await asyncio.gather(*(asyncio.wrap_future(pool.submit(fingerprint, name)) for name in names))
    return dict(zip(names, prints, strict=True))


async def returns_a_list(names: list[str], pool: Executor) -> list[str]:
    loop = asyncio.get_running_loop()
    return await asyncio.gather(*(loop.run_in_executor(pool, fingerprint, name) for name in names))


async def forgets_await(names: list[str], pool: Executor) -> Any:
    loop = asyncio.get_running_loop()
    return asyncio.gather(*(loop.run_in_executor(pool, fingerprint, name) for name in names))


# --- Exercise 2 ---------------------------------------------------------------------------------------------


async def watch_model(every: float, threshold: float, report: Callable[[float], None]) -> None:
    while True:
        asked = time.perf_counter() + every
        await asyncio.sleep(every)
        lag = time.perf_counter() - asked
        if lag > threshold:
            report(lag)


async def watch_stub(every: float, threshold: float, report: Callable[[float], None]) -> None:
    # Your code here: a loop that sleeps, measures how late it woke, and reports big lags.
    ...


async def time_between_ticks(every: float, threshold: float, report: Callable[[float], None]) -> None:
    last = time.perf_counter()
    while True:
        await asyncio.sleep(every)
        now = time.perf_counter()
        if now - last > threshold:
            report(now - last)
        last = now


async def no_threshold(every: float, threshold: float, report: Callable[[float], None]) -> None:
    while True:
        asked = time.perf_counter() + every
        await asyncio.sleep(every)
        report(time.perf_counter() - asked)


async def swallows_cancel(every: float, threshold: float, report: Callable[[float], None]) -> None:
    try:
        await watch_model(every, threshold, report)
    except asyncio.CancelledError:
        pass  # the watchdog just stops... and the task looks as if it finished normally


async def watches_once(every: float, threshold: float, report: Callable[[float], None]) -> None:
    asked = time.perf_counter() + every
    await asyncio.sleep(every)
    lag = time.perf_counter() - asked
    if lag > threshold:
        report(lag)


async def in_milliseconds(every: float, threshold: float, report: Callable[[float], None]) -> None:
    while True:
        asked = time.perf_counter() + every
        await asyncio.sleep(every)
        lag = time.perf_counter() - asked
        if lag > threshold:
            report(round(lag * 1000, 1))


async def sleeps_in_the_thread(every: float, threshold: float, report: Callable[[float], None]) -> None:
    while True:
        asked = time.perf_counter() + every
        time.sleep(every)  # noqa: ASYNC251 (the watchdog blocks the loop it watches)
        await asyncio.sleep(0)
        lag = time.perf_counter() - asked
        if lag > threshold:
            report(lag)


async def never_awaits(every: float, threshold: float, report: Callable[[float], None]) -> None:
    while True:  # no await at all: once started, it holds the loop for good
        asked = time.perf_counter() + every
        time.sleep(every)  # noqa: ASYNC251
        lag = time.perf_counter() - asked
        if lag > threshold:
            report(lag)


async def catches_everything(every: float, threshold: float, report: Callable[[float], None]) -> None:
    while True:
        try:
            asked = time.perf_counter() + every
            await asyncio.sleep(every)
            lag = time.perf_counter() - asked
            if lag > threshold:
                report(lag)
        except BaseException:  # noqa: BLE001 (the mistake: cancel() can never stop it)
            continue


# --- Exercise 3 ---------------------------------------------------------------------------------------------


async def mix_model(jobs: Sequence[Job], threads: Executor, processes: Executor) -> list[Any]:
    loop = asyncio.get_running_loop()

    def start(job: Job) -> Any:
        if job.kind == "async":
            return job.function(job.argument)
        pool = processes if job.kind == "cpu" else threads
        return loop.run_in_executor(pool, job.function, job.argument)

    return await asyncio.gather(*(start(job) for job in jobs))


async def mix_by_name(jobs: Sequence[Job], threads: Executor, processes: Executor) -> list[Any]:
    """Another right answer: each of the three kinds the lesson names, by name, and nothing else."""
    loop = asyncio.get_running_loop()

    def start(job: Job) -> Any:
        match job.kind:
            case "cpu":
                return loop.run_in_executor(processes, job.function, job.argument)
            case "blocking":
                return loop.run_in_executor(threads, job.function, job.argument)
            case "async":
                return job.function(job.argument)
        raise ValueError(f"the lesson names no job kind {job.kind!r}")

    return await asyncio.gather(*(start(job) for job in jobs))


async def mix_waits_on_futures(jobs: Sequence[Job], threads: Executor, processes: Executor) -> list[Any]:
    started: list[Any] = []
    for job in jobs:
        if job.kind == "async":
            started.append(asyncio.ensure_future(job.function(job.argument)))
        else:
            pool = processes if job.kind == "cpu" else threads
            started.append(pool.submit(job.function, job.argument))  # a concurrent future
    # .result() waits in the loop's thread: the async jobs stand still meanwhile
    return [await item if isinstance(item, asyncio.Future) else item.result() for item in started]


async def mix_stub(jobs: Sequence[Job], threads: Executor, processes: Executor) -> list[Any]:
    # Your code here: pick where each job runs, start them all, return the results in order.
    ...


async def all_in_threads(jobs: Sequence[Job], threads: Executor, processes: Executor) -> list[Any]:
    loop = asyncio.get_running_loop()
    return await asyncio.gather(
        *(
            job.function(job.argument)
            if job.kind == "async"
            else loop.run_in_executor(threads, job.function, job.argument)
            for job in jobs
        )
    )


async def cpu_on_the_loop(jobs: Sequence[Job], threads: Executor, processes: Executor) -> list[Any]:
    loop = asyncio.get_running_loop()

    async def run(job: Job) -> Any:
        if job.kind == "async":
            return await job.function(job.argument)
        if job.kind == "cpu":
            return job.function(job.argument)
        return await loop.run_in_executor(threads, job.function, job.argument)

    return await asyncio.gather(*(run(job) for job in jobs))


async def waits_in_processes(jobs: Sequence[Job], threads: Executor, processes: Executor) -> list[Any]:
    loop = asyncio.get_running_loop()
    return await asyncio.gather(
        *(
            job.function(job.argument)
            if job.kind == "async"
            else loop.run_in_executor(processes, job.function, job.argument)
            for job in jobs
        )
    )


async def one_job_at_a_time(jobs: Sequence[Job], threads: Executor, processes: Executor) -> list[Any]:
    loop = asyncio.get_running_loop()
    results = []
    for job in jobs:
        if job.kind == "async":
            results.append(await job.function(job.argument))
        else:
            pool = processes if job.kind == "cpu" else threads
            results.append(await loop.run_in_executor(pool, job.function, job.argument))
    return results


async def async_jobs_in_threads(jobs: Sequence[Job], threads: Executor, processes: Executor) -> list[Any]:
    loop = asyncio.get_running_loop()
    return await asyncio.gather(
        *(
            loop.run_in_executor(processes if job.kind == "cpu" else threads, job.function, job.argument)
            for job in jobs
        )
    )


CASES = [
    Cases(
        check_fingerprints_in_pool,
        right=pool_model,
        stub=pool_stub,
        wrong=[
            Wrong(on_the_loop, "computes every fingerprint on the loop", "on the loop's own thread"),
            Wrong(in_threads, "uses asyncio.to_thread instead of the pool given", "nothing reached the pool"),
            Wrong(one_at_a_time, "awaits each job before submitting the next", "one fingerprint at a time"),
            Wrong(
                calls_it_first,
                "calls fingerprint(name) and hands the pool its result",
                "pass the function and its argument apart",
            ),
            Wrong(returns_a_list, "returns the list gather gives", "return a dict"),
            Wrong(forgets_await, "returns gather's future without awaiting it", "forget `await`"),
            Wrong(
                pool_map,
                "dict(zip(names, pool.map(...)))",
                "map() waits for its results in the loop's own thread",
            ),
            Wrong(submit_and_wait, "pool.submit, then future.result()", "result() waits for its results"),
        ],
    ),
    Cases(
        check_watch_loop,
        right=watch_model,
        stub=watch_stub,
        wrong=[
            Wrong(
                time_between_ticks, "measures the time between ticks, not the lateness", "later than asked"
            ),
            Wrong(no_threshold, "reports every tick", "only lags over the threshold"),
            Wrong(swallows_cancel, "catches CancelledError and returns", "re-raise it"),
            Wrong(watches_once, "checks one tick and returns", "returned on its own"),
            Wrong(in_milliseconds, "reports milliseconds", "in seconds"),
            Wrong(
                sleeps_in_the_thread, "time.sleep between ticks", "blocks the loop it watches with time.sleep"
            ),
            Wrong(never_awaits, "time.sleep, never an await", "kept the event loop's thread busy"),
            Wrong(
                catches_everything, "except BaseException: continue", "the `except BaseException:` at line"
            ),
        ],
    ),
    Cases(
        check_run_mix,
        right=mix_model,
        stub=mix_stub,
        wrong=[
            Wrong(all_in_threads, "sends the CPU jobs to threads", "went to the thread pool"),
            Wrong(cpu_on_the_loop, "runs the CPU jobs on the loop", "did not reach the process pool"),
            Wrong(waits_in_processes, "sends the blocking waits to processes", "went to the process pool"),
            Wrong(one_job_at_a_time, "awaits each job in turn", "one after another"),
            Wrong(async_jobs_in_threads, "hands the async jobs to a pool", "coroutine objects"),
            Wrong(mix_waits_on_futures, "pool.submit(...).result() in the coroutine", "result() waits"),
        ],
    ),
]

# Right answers other than the model, each run by tests/test_exercises_how_async_works.py.
OTHER_RIGHT = [(check_run_mix, mix_by_name), (check_fingerprints_in_pool, pool_wrap_future)]
