"""Download flags with asyncio: one coroutine per flag, all driven by ``asyncio.gather`` in one thread.

The happy path only, to show how coroutines are arranged: no limit on requests in flight, no error handling
(the first failure ends the run), and the file is written in the event loop's thread.
:mod:`support.examples.flags2` adds all three.

Run ``python -m support.examples.flags_asyncio --help`` for the options.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import httpx

from support import cli
from support.examples import flags_common
from support.examples.flags_common import (
    DEFAULT_TIMEOUT,
    Status,
    default_dest,
    flag_url,
    gif_bytes,
    save_flag,
)

__all__ = ["download_many", "download_one", "get_flag", "main"]


async def get_flag(client: httpx.AsyncClient, base_url: str, cc: str) -> bytes:
    """The GIF bytes of one flag; while the response is on its way, the loop runs other coroutines."""
    response = await client.get(flag_url(base_url, cc))
    response.raise_for_status()
    return gif_bytes(response)  # a 200 is not proof: BadResponse unless the body is a GIF


async def download_one(
    client: httpx.AsyncClient, cc: str, base_url: str, dest: Path, verbose: bool = False
) -> Status:
    """Fetch one flag and save it as ``<cc>.gif``."""
    image = await get_flag(client, base_url, cc)
    save_flag(image, dest, f"{cc.lower()}.gif")  # blocks the loop briefly; flags2 hands it to a thread
    if verbose:
        print(cc, "OK", flush=True)
    return Status.OK


async def download_many(
    cc_list: Sequence[str],
    base_url: str,
    *,
    dest: Path | None = None,
    request_timeout: float = DEFAULT_TIMEOUT,
    verbose: bool = False,
) -> Counter[Status]:
    """Start every download at once and wait for all of them."""
    dest = dest or default_dest()
    async with httpx.AsyncClient(timeout=request_timeout) as client:
        to_do = [download_one(client, cc, base_url, dest, verbose) for cc in sorted(cc_list)]
        statuses = await asyncio.gather(*to_do)
    return Counter(statuses)


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: ``python -m support.examples.flags_asyncio [-a|-e] [-l N] [--url BASE] [CC ...]``."""
    return flags_common.main(
        download_many,
        argv,
        prog="python -m support.examples.flags_asyncio",
        description="Download flags with asyncio.gather (no error handling).",
    )


if __name__ == "__main__":
    try:
        status = main()
    except KeyboardInterrupt:  # a Ctrl-C outside the work, e.g. while a server stops
        status = cli.INTERRUPTED
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a late Ctrl-C, as Python exits, changes nothing
    sys.exit(status)
