"""Download flags with asyncio: one coroutine per flag, all driven by ``asyncio.gather`` in one thread.

The happy path only, to show how the coroutines are arranged: no limit on the requests in flight, no error
handling (the first failure ends the run), and each file is written in the event loop's own thread.
flags2 adds all three.
"""

import asyncio
import signal
import sys
from pathlib import Path

import httpx

from support import cli
from support.examples import flags_common
from support.examples.flags_common import flag_url, gif_bytes, save_flag

__all__ = ["download_many", "download_one", "get_flag", "main"]


async def get_flag(client: httpx.AsyncClient, base_url: str, cc: str) -> bytes:
    response = await client.get(flag_url(base_url, cc))  # <1>
    response.raise_for_status()
    return gif_bytes(response)


async def download_one(client: httpx.AsyncClient, cc: str, base_url: str, dest: Path, verbose: bool) -> None:
    image = await get_flag(client, base_url, cc)
    save_flag(image, dest, f"{cc.lower()}.gif")  # <2>
    if verbose:
        print(cc, "OK", flush=True)


async def download_many(cc_list: list[str], base_url: str, *, dest: Path, verbose: bool = False) -> int:
    async with httpx.AsyncClient() as client:  # <3>
        to_do = [download_one(client, cc, base_url, dest, verbose) for cc in sorted(cc_list)]  # <4>
        results = await asyncio.gather(*to_do)  # <5>
    return len(results)


main = flags_common.command(download_many)

if __name__ == "__main__":
    try:
        status = main()
    except KeyboardInterrupt:  # a Ctrl-C outside the work, e.g. while a server stops
        status = cli.INTERRUPTED
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a late Ctrl-C, as Python exits, changes nothing
    sys.exit(status)
