"""Download flags one after the other: the sequential baseline the concurrent clients are measured against.

Each request waits for the previous one to finish, so the run takes about the sum of all response times.
There is no error handling on purpose: the first 404, timeout or response that is not a GIF ends the run
with its exception (:mod:`support.examples.flags2` is the robust version); the command line reports it in one
line and exits with status 1.

Run ``python -m support.examples.flags --help`` for the options shared by every flag client.
"""

from __future__ import annotations

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


def get_flag(client: httpx.Client, base_url: str, cc: str) -> bytes:
    """The GIF bytes of one flag; raises ``httpx.HTTPStatusError`` on 404 and other error statuses."""
    response = client.get(flag_url(base_url, cc))
    response.raise_for_status()  # without it, a 404 page would be saved as a flag
    return gif_bytes(response)  # and a 200 may still be an HTML page: BadResponse unless it is a GIF


def download_one(client: httpx.Client, cc: str, base_url: str, dest: Path, verbose: bool = False) -> Status:
    """Fetch one flag and save it as ``<cc>.gif``."""
    image = get_flag(client, base_url, cc)
    save_flag(image, dest, f"{cc.lower()}.gif")
    if verbose:
        print(cc, "OK", flush=True)
    return Status.OK


def download_many(
    cc_list: Sequence[str],
    base_url: str,
    *,
    dest: Path | None = None,
    request_timeout: float = DEFAULT_TIMEOUT,
    verbose: bool = False,
) -> Counter[Status]:
    """Download the flags in code order, one at a time, over one client's kept-alive connection."""
    dest = dest or default_dest()
    with httpx.Client(timeout=request_timeout) as client:
        return Counter(download_one(client, cc, base_url, dest, verbose) for cc in sorted(cc_list))


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: ``python -m support.examples.flags [-a|-e] [-l N] [--url BASE] [CC ...]``."""
    return flags_common.main(
        download_many,
        argv,
        prog="python -m support.examples.flags",
        description="Download flags sequentially.",
    )


if __name__ == "__main__":
    try:
        status = main()
    except KeyboardInterrupt:  # a Ctrl-C outside the work, e.g. while a server stops
        status = cli.INTERRUPTED
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a late Ctrl-C, as Python exits, changes nothing
    sys.exit(status)
