"""Download flags one after the other: the sequential baseline the concurrent clients are measured against.

Each request waits for the previous one, so a run takes about the sum of all response times. No error handling
on purpose: the first 404, timeout or answer that is not a GIF ends the run (flags2 is the robust version),
and the command line reports it in one line with exit status 1.
"""

import signal
import sys
from pathlib import Path

import httpx

from support import cli
from support.examples import flags_common
from support.examples.flags_common import flag_url, gif_bytes, save_flag

__all__ = ["download_many", "download_one", "get_flag", "main"]


def get_flag(client: httpx.Client, base_url: str, cc: str) -> bytes:
    response = client.get(flag_url(base_url, cc))  # <1>
    response.raise_for_status()  # <2>
    return gif_bytes(response)  # <3>


def download_one(client: httpx.Client, cc: str, base_url: str, dest: Path, verbose: bool) -> None:
    image = get_flag(client, base_url, cc)
    save_flag(image, dest, f"{cc.lower()}.gif")  # <4>
    if verbose:
        print(cc, "OK", flush=True)


def download_many(cc_list: list[str], base_url: str, *, dest: Path, verbose: bool = False) -> int:
    with httpx.Client() as client:  # <5>
        for cc in sorted(cc_list):
            download_one(client, cc, base_url, dest, verbose)
    return len(cc_list)


main = flags_common.command(download_many)

if __name__ == "__main__":
    try:
        status = main()
    except KeyboardInterrupt:  # a Ctrl-C outside the work, e.g. while a server stops
        status = cli.INTERRUPTED
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a late Ctrl-C, as Python exits, changes nothing
    sys.exit(status)
