"""Download flags with a pool of threads: the sequential client's ``download_one``, run by many workers at once.

``executor.map`` hands each code to a free worker thread, so up to ``concurrency`` requests wait on the network
together. The threads share one ``httpx.Client`` ("can be shared between threads", says its docstring) whose
pool has a connection per worker. Like the sequential client it stops at the first failure.
"""

import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from support import cli
from support.examples import flags_common
from support.examples.flags import download_one


def download_many(
    cc_list: list[str], base_url: str, *, dest: Path, concurrency: int = 20, verbose: bool = False
) -> int:
    limits = flags_common.pool_limits(concurrency)  # <1>
    with httpx.Client(limits=limits) as client, ThreadPoolExecutor(concurrency) as executor:  # <2>
        results = executor.map(lambda cc: download_one(client, cc, base_url, dest, verbose), sorted(cc_list))
    return len(list(results))  # <3>


main = flags_common.command(download_many, max_concurrency=1000)

if __name__ == "__main__":
    try:
        status = main()
    except KeyboardInterrupt:  # a Ctrl-C outside the work, e.g. while a server stops
        status = cli.INTERRUPTED
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a late Ctrl-C, as Python exits, changes nothing
    sys.exit(status)
