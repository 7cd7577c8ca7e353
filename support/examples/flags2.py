"""The robust asyncio flag client: bounded concurrency, a progress bar, and every failure counted.

What it adds to :mod:`support.examples.flags_asyncio`, and why:

- an ``asyncio.Semaphore`` lets at most ``concurrency`` requests be in flight, so a big run neither floods the
  server nor opens more sockets than the system allows;
- a connection pool as large as the semaphore (:func:`support.examples.flags_common.pool_limits`): httpx's default of
  100 connections makes request 101 queue inside the client, where it can fail with ``PoolTimeout``;
- ``asyncio.as_completed`` yields results as they arrive, to drive a ``tqdm`` progress bar;
- each task turns its own failure into an :class:`~support.examples.flags_common.Outcome` (404 is *not found*, timeouts
  and other HTTP errors are counted, and so is a 200 that is not a GIF): a status is a task's return value, so
  it cannot stick to the next flag;
- ``asyncio.timeout`` gives each flag a deadline: httpx's timeouts bound each phase of a request (connect, each
  read), so a server sending one byte a second would keep a flag going for ever without it;
- a ``TaskGroup`` owns the tasks: if one raises, or the caller is cancelled (Ctrl-C), every other task is
  cancelled and awaited before ``download_many`` returns, so nothing is left running;
- files are written by a worker thread (``asyncio.to_thread``) so the event loop never waits for the disk.

``await download_many(...)`` from a notebook; ``python -m support.examples.flags2 --help`` for the command line (its
``-m`` defaults to 5, :data:`~support.examples.flags_common.CLI_DEFAULT_CONCURRENCY`, to be polite to a public site).
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections import Counter
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

import httpx
import tqdm

from support import cli
from support.examples import flags_common
from support.examples.flags_asyncio import get_flag
from support.examples.flags_common import (
    DEFAULT_TIMEOUT,
    BadResponse,
    Outcome,
    Status,
    default_dest,
    failed,
    pool_limits,
    record,
    save_flag,
)
from support.open_files import raise_open_file_limit
from support.timing import Timeline

__all__ = ["DEFAULT_CONCURRENCY", "MAX_CONCURRENCY", "DownloadOne", "download_many", "download_one", "main"]

# download_many's default. The chapter used 5 to be gentle with a public site, and so does the command line's
# -m (flags_common.CLI_DEFAULT_CONCURRENCY). The lessons' site is local, so more is fine. 100 is httpx's default
# pool size (no PoolTimeout even without pool_limits()), and in benchmarks/bench_http_clients.py every client
# set-up still finished 100 simultaneous requests within 1.2 delays; past that, httpx's own CPU cost grows.
DEFAULT_CONCURRENCY = 100
# The chapter's ceiling. Reachable with httpx because pool_limits() keeps only 20 idle connections alive: in
# the same benchmark that kept 1000 requests at 2.4 delays, against 7 delays with every connection kept alive.
MAX_CONCURRENCY = 1000


async def download_one(
    client: httpx.AsyncClient,
    cc: str,
    base_url: str,
    semaphore: asyncio.Semaphore,
    dest: Path,
    timeline: Timeline | None = None,
    *,
    time_limit: float | None = DEFAULT_TIMEOUT,
) -> Outcome:
    """Fetch one flag and save it as ``<cc>.gif``; any failure becomes this flag's outcome.

    ``time_limit`` seconds bound the whole download, from the request to its last byte (None: no limit).
    """
    try:
        async with semaphore:  # held for the request only, not while the file is written
            with record(timeline, cc):
                async with asyncio.timeout(time_limit):  # the flag's deadline, however slow the bytes
                    image = await get_flag(client, base_url, cc)
    except httpx.PoolTimeout:
        raise  # the pool is smaller than the semaphore: a bug in this client, not a server failure
    except (httpx.HTTPError, BadResponse, TimeoutError) as exc:  # BadResponse: a 200 that is not a GIF
        return failed(cc, exc)
    await asyncio.to_thread(save_flag, image, dest, f"{cc.lower()}.gif")
    return Outcome(cc, Status.OK)


# Called as download_one(client, cc, base_url, semaphore, dest, timeline, time_limit=seconds). An async def:
# download_many wraps each call in a task, and create_task takes a coroutine, not any awaitable.
DownloadOne = Callable[..., Coroutine[Any, Any, Outcome]]


async def download_many(
    cc_list: Sequence[str],
    base_url: str,
    *,
    dest: Path | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    request_timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
    time_limit: float | None = DEFAULT_TIMEOUT,
    verbose: bool = False,
    progress: bool = False,
    limits: httpx.Limits | None = None,
    timeline: Timeline | None = None,
    download_one: DownloadOne = download_one,
) -> Counter[Status]:
    """Download the flags, at most ``concurrency`` requests at a time, and count how each one ended.

    ``request_timeout`` bounds each phase of a request (a float, or an ``httpx.Timeout`` to set phases apart);
    ``time_limit`` each flag as a whole, once it has its slot (None: no limit).
    ``limits`` replaces the pool sized to ``concurrency``: ``flags_common.HTTPX_DEFAULT_LIMITS`` restores
    httpx's default of 100 connections, to show the ``PoolTimeout`` it causes above that (raised in an
    ``ExceptionGroup``).
    ``timeline`` collects a :class:`~support.timing.Span` per request, for a Gantt chart.
    ``download_one`` is the per-flag coroutine (flags3 passes its own).
    """
    dest = dest or default_dest()
    raise_open_file_limit(concurrency + 256)
    counter: Counter[Status] = Counter()
    semaphore = asyncio.Semaphore(concurrency)
    client = httpx.AsyncClient(timeout=request_timeout, limits=limits or pool_limits(concurrency))
    async with client, asyncio.TaskGroup() as group:
        tasks = [
            group.create_task(
                download_one(client, cc, base_url, semaphore, dest, timeline, time_limit=time_limit)
            )
            for cc in sorted(cc_list)
        ]
        for next_done in tqdm.tqdm(asyncio.as_completed(tasks), total=len(tasks), disable=not progress):
            outcome = await next_done  # as_completed yields awaitables that are already done
            counter[outcome.status] += 1
            if verbose:
                print(outcome.cc, outcome.detail, flush=True)
    return counter


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: ``python -m support.examples.flags2 [-s LOCAL|DELAY|ERROR] [-a|-e] [-l N] [-m N] [CC ...]``"""
    return flags_common.main(
        download_many,
        argv,
        prog="python -m support.examples.flags2",
        description="Download flags with asyncio: bounded concurrency, progress bar, error handling.",
        max_concurrency=MAX_CONCURRENCY,
        deadline=True,
        progress=True,
    )


if __name__ == "__main__":
    try:
        status = main()
    except KeyboardInterrupt:  # a Ctrl-C outside the work, e.g. while a server stops
        status = cli.INTERRUPTED
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a late Ctrl-C, as Python exits, changes nothing
    sys.exit(status)
