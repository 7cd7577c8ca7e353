"""Two chained requests per flag: the country's ``metadata.json`` first, then its image, saved under its name.

With ``await`` the second request simply follows the first in the same coroutine, and the country name from
the first is still a local variable when the file is saved: no callbacks, no shared state.

The order of requests matters. The chapter takes the semaphore separately for each request, to hold it as
briefly as possible; but then a flag's second request queues again, behind the first request of every flag
not yet started, and no image is fetched until nearly all the names are known (with 249 flags and the
default ``-m``, nothing is saved for the first half of the run). :func:`download_one` holds one slot for both
requests of a flag instead, so the first flags are saved at once; :func:`download_one_waiting_twice` keeps the
chapter's order, to compare the two on a request timeline.

The name comes from the server, and so is not trusted: :func:`country_name` refuses anything but a plain
string of reasonable length that cannot climb directories, and that flag counts as an error.

Everything else (bounded concurrency, progress, counting, cancellation) is
:func:`support.examples.flags2.download_many`, which drives this module's :func:`download_one`. Files are written
atomically by a worker thread, so a failed second request or a cancellation never leaves a half-written or
empty file.

``await download_many(...)`` from a notebook; ``python -m support.examples.flags3 --help`` for the command line.
"""

from __future__ import annotations

import asyncio
import re
import signal
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from support import cli
from support.examples import flags2, flags_common
from support.examples.flags_asyncio import get_flag
from support.examples.flags_common import (
    DEFAULT_TIMEOUT,
    BadResponse,
    Outcome,
    Status,
    failed,
    metadata_url,
    record,
    safe_filename,
    save_flag,
)
from support.timing import Timeline

__all__ = [
    "MAX_NAME_LENGTH",
    "country_name",
    "download_many",
    "download_one",
    "download_one_waiting_twice",
    "get_country",
    "main",
]

MAX_NAME_LENGTH = 100  # the longest real one, "South Georgia and the South Sandwich Islands", has 44
_PATH_LIKE = re.compile(r"[/\\\x00-\x1f\x7f]|\.\.")  # separators, "..", control characters


async def get_country(client: httpx.AsyncClient, base_url: str, cc: str) -> str:
    """The country's name from its ``metadata.json``."""
    response = await client.get(metadata_url(base_url, cc))
    response.raise_for_status()
    return country_name(response)


def country_name(response: httpx.Response) -> str:
    """``metadata["country"]``, checked: a JSON object whose ``"country"`` is a string of at most
    :data:`MAX_NAME_LENGTH` characters, with a letter or digit and no path in it. Else :class:`BadResponse`.
    """
    try:
        metadata = response.json()
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested too deep to parse
        raise BadResponse(f"{response.url}: not JSON") from None
    name = metadata.get("country") if isinstance(metadata, dict) else None
    if not isinstance(name, str):
        raise BadResponse(f"{response.url}: no country name in {type(metadata).__name__} metadata")
    if len(name) > MAX_NAME_LENGTH or _PATH_LIKE.search(name) or not re.search(r"\w", name):
        raise BadResponse(f"{response.url}: not a usable country name: {name[:40]!r}")
    return name


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
    """Fetch the name, then the flag, and save it as ``<Country_Name>.gif``; no image, no file.

    ``time_limit`` seconds bound both requests together (None: no limit).
    """
    try:
        async with semaphore, asyncio.timeout(time_limit):  # one slot, one deadline, for both requests
            with record(timeline, f"{cc} metadata"):
                country = await get_country(client, base_url, cc)
            with record(timeline, f"{cc} flag"):
                image = await get_flag(client, base_url, cc)
        filename = f"{safe_filename(country)}.gif"
    except httpx.PoolTimeout:
        raise  # the pool is smaller than the semaphore: a bug in this client, not a server failure
    except (httpx.HTTPError, BadResponse, TimeoutError) as exc:
        return failed(cc, exc)
    await asyncio.to_thread(save_flag, image, dest, filename)
    return Outcome(cc, Status.OK, filename)


async def download_one_waiting_twice(
    client: httpx.AsyncClient,
    cc: str,
    base_url: str,
    semaphore: asyncio.Semaphore,
    dest: Path,
    timeline: Timeline | None = None,
    *,
    time_limit: float | None = DEFAULT_TIMEOUT,
) -> Outcome:
    """:func:`download_one` in the chapter's order, kept to show its flaw: the semaphore is taken once per
    request, so the image request waits in line again, behind every flag that has not had its name yet.
    ``time_limit`` bounds each request here, as a deadline for both would run out in that line.
    """
    try:
        async with semaphore, asyncio.timeout(time_limit):
            with record(timeline, f"{cc} metadata"):
                country = await get_country(client, base_url, cc)
        async with semaphore, asyncio.timeout(time_limit):  # back to the end of the queue
            with record(timeline, f"{cc} flag"):
                image = await get_flag(client, base_url, cc)
        filename = f"{safe_filename(country)}.gif"
    except httpx.PoolTimeout:
        raise
    except (httpx.HTTPError, BadResponse, TimeoutError) as exc:
        return failed(cc, exc)
    await asyncio.to_thread(save_flag, image, dest, filename)
    return Outcome(cc, Status.OK, filename)


async def download_many(
    cc_list: Sequence[str],
    base_url: str,
    *,
    download_one: flags2.DownloadOne = download_one,
    **options: Any,
) -> Counter[Status]:
    """:func:`support.examples.flags2.download_many` (same options) with this module's two-request
    ``download_one``; pass ``download_one=download_one_waiting_twice`` for the chapter's order.
    """
    return await flags2.download_many(cc_list, base_url, download_one=download_one, **options)


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: the same options as ``python -m support.examples.flags2``."""
    return flags_common.main(
        download_many,
        argv,
        prog="python -m support.examples.flags3",
        description="Download flags named after their country: metadata.json, then the image.",
        max_concurrency=flags2.MAX_CONCURRENCY,
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
