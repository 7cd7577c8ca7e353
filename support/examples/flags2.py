"""The robust asyncio flag client: bounded concurrency, a progress bar, and every failure counted.

What it adds to :mod:`support.examples.flags_asyncio`, and why:

- an ``asyncio.Semaphore`` lets at most ``concurrency`` requests be in flight, so a big run neither floods the
  server nor opens more sockets than the system allows; the client's pool has a connection per slot;
- ``asyncio.timeout`` gives each flag a deadline: httpx's timeouts bound each phase of a request, so a server
  sending one byte a second would otherwise keep a flag going for ever;
- each task turns its own failure into an ``Outcome`` (404 *not found*, timeouts and other errors counted, and a
  200 that is not a GIF too), so a status is one flag's return value and cannot stick to the next flag;
- a ``TaskGroup`` owns the tasks: if one raises, or the run is cancelled (Ctrl-C), every other task is
  cancelled and awaited before ``download_many`` returns;
- ``asyncio.as_completed`` hands over the results as they come, for a progress bar;
- files are written by a worker thread (``asyncio.to_thread``), so the event loop never waits for the disk.

``await download_many(...)`` from a notebook; ``python -m support.examples.flags2 --help`` for the command line,
whose ``-m`` is 5 unless told otherwise, to be polite to a public site, as the chapter's.
"""

import asyncio
import signal
import sys
from collections import Counter
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import httpx
from tqdm.auto import tqdm

from support import cli
from support.examples import flags_common
from support.examples.flags_asyncio import get_flag
from support.examples.flags_common import (
    DEFAULT_TIMEOUT,
    BadResponse,
    Outcome,
    Status,
    failed,
    pool_limits,
    save_flag,
)

__all__ = ["DownloadOne", "download_many", "download_one", "main"]

#: How ``download_many`` calls its ``per_flag`` coroutine: ``(client, cc, base_url, semaphore, dest, time_limit)``.
DownloadOne = Callable[..., Coroutine[Any, Any, Outcome]]


async def download_one(
    client: httpx.AsyncClient,
    cc: str,
    base_url: str,
    semaphore: asyncio.Semaphore,
    dest: Path,
    time_limit: float | None = DEFAULT_TIMEOUT,
) -> Outcome:
    try:
        async with semaphore, asyncio.timeout(time_limit):  # <1>
            image = await get_flag(client, base_url, cc)
    except (httpx.HTTPError, BadResponse, TimeoutError) as exc:  # <2>
        return failed(cc, exc)
    await asyncio.to_thread(save_flag, image, dest, f"{cc.lower()}.gif")  # <3>
    return Outcome(cc, Status.OK)


async def download_many(
    cc_list: list[str],
    base_url: str,
    *,
    dest: Path,
    concurrency: int = 100,  # httpx's default pool size; past that, the client's own CPU starts to count
    time_limit: float | None = DEFAULT_TIMEOUT,
    verbose: bool = False,
    progress: bool = False,
    per_flag: DownloadOne | None = None,
) -> Counter[Status]:
    per_flag = per_flag or download_one  # <4>
    counter: Counter[Status] = Counter()
    semaphore = asyncio.Semaphore(concurrency)  # <5>
    client = httpx.AsyncClient(limits=pool_limits(concurrency))  # <6>
    async with client, asyncio.TaskGroup() as group:  # <7>
        tasks = [
            group.create_task(per_flag(client, cc, base_url, semaphore, dest, time_limit))
            for cc in sorted(cc_list)
        ]
        for next_done in tqdm(asyncio.as_completed(tasks), total=len(tasks), disable=not progress):  # <8>
            outcome = await next_done
            counter[outcome.status] += 1
            if verbose:
                print(outcome.cc, outcome.detail, flush=True)
    return counter


main = flags_common.command(download_many, max_concurrency=1000, robust=True)

if __name__ == "__main__":
    try:
        status = main()
    except KeyboardInterrupt:  # a Ctrl-C outside the work, e.g. while a server stops
        status = cli.INTERRUPTED
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a late Ctrl-C, as Python exits, changes nothing
    sys.exit(status)
