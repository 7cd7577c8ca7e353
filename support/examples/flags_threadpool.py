"""Download flags with a pool of threads: the sequential client's code, run by many workers at once.

``download_one`` is :func:`support.examples.flags.download_one` unchanged; ``executor.map`` hands each country code to
a free worker thread, so up to ``concurrency`` requests wait on the network together. The threads share one
``httpx.Client`` (its docstring says it "can be shared between threads"), whose pool has a connection for
every worker. Like the sequential client it has no error handling: the first failure ends the run.

Run ``python -m support.examples.flags_threadpool --help`` for the options.
"""

from __future__ import annotations

import signal
import sys
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from support import cli
from support.examples import flags_common
from support.examples.flags import download_one
from support.examples.flags_common import DEFAULT_TIMEOUT, Status, default_dest, pool_limits

__all__ = ["DEFAULT_CONCURRENCY", "MAX_CONCURRENCY", "download_many", "main"]

# download_many's default: one worker per flag of the default set of 20, every request in flight at once, as
# lesson 03 compares it with asyncio on the local site. The command line's -m is politer (flags_common).
DEFAULT_CONCURRENCY = 20
# Each thread reserves its own stack; past a few hundred, threads cost more than they wait.
MAX_CONCURRENCY = 1000


def download_many(
    cc_list: Sequence[str],
    base_url: str,
    *,
    dest: Path | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    request_timeout: float = DEFAULT_TIMEOUT,
    verbose: bool = False,
) -> Counter[Status]:
    """Download the flags with ``concurrency`` worker threads; results are collected in code order."""
    dest = dest or default_dest()
    with (
        httpx.Client(timeout=request_timeout, limits=pool_limits(concurrency)) as client,
        ThreadPoolExecutor(max_workers=concurrency) as executor,
    ):
        statuses = executor.map(lambda cc: download_one(client, cc, base_url, dest, verbose), sorted(cc_list))
        return Counter(statuses)  # map re-raises a worker's exception here, when its result is reached


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: ``python -m support.examples.flags_threadpool [-m N] [-a|-e] [-l N] [--url BASE] [CC ...]``"""
    return flags_common.main(
        download_many,
        argv,
        prog="python -m support.examples.flags_threadpool",
        description="Download flags with a thread pool.",
        max_concurrency=MAX_CONCURRENCY,
    )


if __name__ == "__main__":
    try:
        status = main()
    except KeyboardInterrupt:  # a Ctrl-C outside the work, e.g. while a server stops
        status = cli.INTERRUPTED
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a late Ctrl-C, as Python exits, changes nothing
    sys.exit(status)
