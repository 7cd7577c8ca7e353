"""CPU-bound work beside an event loop: the chapter's four options, each measured with a heartbeat.

Any real asynchronous program has some code that computes instead of waiting, and while that code runs on the
loop's thread, nothing else does. The chapter lists what to do about it:

1. hand the work to a **process pool** (``loop.run_in_executor`` with a ``ProcessPoolExecutor``);
2. hand it to an **external task queue**; here Dask distributed, whose async ``Client`` is awaited like any
   coroutine and talks to a scheduler that could as well run on another machine (a ``LocalCluster`` here);
3. make it **native or vectorised** code (NumPy here), so it takes a fraction of the time, on the loop or not;
4. **do nothing**: accept the stall, and write down that you did.

Each option computes the same thing, :func:`sum_of_squares` of ``n``, and :func:`compare` measures them in one
run beside a :class:`support.loop_lag.Heartbeat`: how long the job took and how long the loop was frozen.

``python -m support.examples.cpu_offload --help`` runs the comparison from the command line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import logging
import multiprocessing
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, cast

from support import cli
from support.loop_lag import Heartbeat
from support.timing import format_duration, format_ratio

__all__ = [
    "OPTIONS",
    "Measured",
    "compare",
    "fingerprint",
    "in_a_process_pool",
    "in_the_loop",
    "local_dask",
    "main",
    "measure",
    "on_dask",
    "process_pool",
    "sum_of_squares",
    "sum_of_squares_numpy",
    "table",
    "vectorised",
    "warm_up",
]

#: The options in the order the lesson introduces them; the first is the baseline every ratio compares with.
OPTIONS = ("do nothing (in the loop)", "process pool", "Dask (local cluster)", "NumPy (vectorised)")


# --- the work -----------------------------------------------------------------------------------------------


def sum_of_squares(n: int) -> int:
    """0² + 1² + ... + (n-1)², one Python integer at a time: pure CPU work, about 50 ns a number."""
    total = 0
    for i in range(n):
        total += i * i
    return total


def sum_of_squares_numpy(n: int) -> int:
    """The same sum, vectorised: NumPy squares and adds machine integers in C (exact up to n = 3,000,000).

    In blocks of 65,536 numbers: each block fits in the CPU's cache, and no call asks the system for tens of
    megabytes of fresh memory (which costs more than the arithmetic).
    """
    import numpy as np  # here, so that process-pool workers importing this module do not pay for NumPy

    if n > 3_000_000:
        raise ValueError("past n = 3,000,000 the sum no longer fits in a 64-bit integer")
    total = 0
    for start in range(0, n, _BLOCK):
        block = np.arange(start, min(n, start + _BLOCK), dtype=np.int64)
        total += int(np.dot(block, block))
    return total


_BLOCK = 1 << 16


def fingerprint(name: str, rounds: int = 20_000) -> str:
    """A deliberately slow digest of ``name`` (SHA-256 applied ``rounds`` times): about 10 ms of CPU work."""
    digest = name.encode()
    for _ in range(rounds):
        digest = hashlib.sha256(digest).digest()
    return digest.hex()[:12]


# --- the four options ---------------------------------------------------------------------------------------


async def in_the_loop(n: int) -> int:
    """Do nothing about it: the sum runs on the loop's thread, and every other task waits until it is done."""
    return sum_of_squares(n)


async def in_a_process_pool(n: int, pool: Executor) -> int:
    """The sum runs in a worker process; this coroutine only waits for the answer, so the loop stays free."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(pool, sum_of_squares, n)


async def on_dask(n: int, client: Any) -> int:
    """The sum runs on a Dask worker, wherever the cluster keeps it; awaiting the future frees the loop."""
    total: int = await client.submit(sum_of_squares, n, pure=False)  # a Dask future awaits to its result
    return total


async def vectorised(n: int) -> int:
    """Still on the loop's thread, but in C: the loop is blocked only for the much shorter vectorised run."""
    return sum_of_squares_numpy(n)


# --- where the work can go ----------------------------------------------------------------------------------


def process_pool(workers: int = 1) -> ProcessPoolExecutor:
    """A pool of freshly *spawned* worker processes.

    Spawned, not forked: forking a process that runs threads (a notebook kernel does) can deadlock the child,
    and Python 3.12+ warns about it. A spawned worker imports the function it runs by name, so that function
    must live in a module (as :func:`sum_of_squares` does), not in a notebook cell.
    """
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))


@contextlib.asynccontextmanager
async def local_dask(workers: int = 1) -> AsyncIterator[Any]:
    """A Dask ``LocalCluster`` of worker processes on 127.0.0.1 and an async ``Client`` for it; both closed after.

    The code that uses the client would not change for a real cluster: only ``LocalCluster(...)`` would become
    the scheduler's address. Nothing listens beyond 127.0.0.1 (the scheduler's status page included), Dask's
    logs below ERROR are silenced, and its scratch files go to a temporary folder that is removed at the end.
    """
    import tempfile

    import dask
    from distributed import Client, LocalCluster

    with (
        tempfile.TemporaryDirectory(prefix="dask-") as scratch,
        dask.config.set({"temporary-directory": scratch}),
    ):
        cluster = await LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
            silence_logs=logging.ERROR,
            asynchronous=True,
        )
        try:
            client = await Client(cluster, asynchronous=True)
            try:
                yield client
            finally:
                await client.close()
        finally:
            # close() returns an awaitable or None, depending on `asynchronous`: this cluster is asynchronous.
            await cast("Awaitable[None]", cluster.close())


# --- measuring ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    """One option's run: its answer, the job's wall time and the heartbeat's largest lag, in seconds."""

    option: str
    value: int
    seconds: float
    max_lag: float

    @property
    def frozen_share(self) -> float:
        """How much of the job the loop was frozen for: near 1 when the job ran on the loop."""
        return self.max_lag / self.seconds if self.seconds > 0 else 0.0


async def measure(option: str, job: Callable[[], Awaitable[int]], every: float = 0.005) -> Measured:
    """Await ``job()`` beside a heartbeat ticking every ``every`` seconds."""
    async with Heartbeat(every) as beat:
        started = time.perf_counter()
        value = await job()
        seconds = time.perf_counter() - started
    return Measured(option, value, seconds, beat.max_lag)


async def compare(n: int, pool: Executor, client: Any, every: float = 0.005) -> list[Measured]:
    """The four options on the same ``n``, in one run, in the order of :data:`OPTIONS`.

    ``pool`` and ``client`` should be warmed up first (one small job each): starting a worker is a cost of its
    own, paid once, not by every job.
    """
    jobs: list[Callable[[], Awaitable[int]]] = [
        lambda: in_the_loop(n),
        lambda: in_a_process_pool(n, pool),
        lambda: on_dask(n, client),
        lambda: vectorised(n),
    ]
    return [await measure(option, job, every) for option, job in zip(OPTIONS, jobs, strict=True)]


def table(results: Sequence[Measured]) -> str:
    """The comparison as text, in the workbook's formats (durations, ratios), against the first row's job."""
    base = results[0]
    lines = [f"{'option':<26}{'job':>9}{'vs loop':>9}{'longest lag':>13}{'lag / loop job':>16}"]
    for r in results:
        lines.append(
            f"{r.option:<26}{format_duration(r.seconds):>9}{format_ratio(r.seconds / base.seconds):>9}"
            f"{format_duration(r.max_lag):>13}{format_ratio(r.max_lag / base.seconds):>16}"
        )
    return "\n".join(lines)


async def warm_up(pool: Executor, client: Any) -> None:
    """Start the pool's worker and the cluster's, and import NumPy: one-off costs no job should be charged."""
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(pool, sum_of_squares, 10)
    await client.submit(sum_of_squares, 10, pure=False)
    sum_of_squares_numpy(10)  # NumPy's import is a one-off cost too


async def _run(n: int) -> list[Measured]:
    with process_pool() as pool:
        async with local_dask() as client:
            await warm_up(pool, client)
            return await compare(n, pool, client)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m support.examples.cpu_offload [-n N]``: the four options side by side, as a table."""
    parser = argparse.ArgumentParser(
        prog="python -m support.examples.cpu_offload",
        description="Sum n squares four ways beside an event-loop heartbeat: in the loop, in a process pool, "
        "on a local Dask cluster, with NumPy.",
    )
    parser.add_argument(
        "-n",
        type=cli.whole_number_up_to(3_000_000),
        default=2_000_000,
        help="how many squares (default 2,000,000)",
    )
    args = parser.parse_args(argv)
    try:
        results = asyncio.run(_run(args.n))
    except KeyboardInterrupt:
        return 130
    print(table(results))
    wrong = [r.option for r in results if r.value != results[0].value]
    if wrong:
        print(f"different answers from: {', '.join(wrong)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
