"""Two chained requests per flag: the country's ``metadata.json`` first, then its image, saved under its name.

With ``await`` the second request simply follows the first in the same coroutine, and the country name from
the first is still a local variable when the file is saved: no callbacks, no shared state. The semaphore is
taken separately for each request, so it is held no longer than one request at a time.

Everything else (bounded concurrency, progress, counting, cancellation) is
:func:`support.examples.flags2.download_many`, which drives this module's :func:`download_one`. Files are written
atomically by a worker thread, so a failed second request or a cancellation never leaves a half-written or
empty file.

``await download_many(...)`` from a notebook; ``python -m support.examples.flags3 --help`` for the command line.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from support.examples import flags2, flags_common
from support.examples.flags_asyncio import get_flag
from support.examples.flags_common import (
    Outcome,
    Status,
    failed,
    metadata_url,
    record,
    safe_filename,
    save_flag,
)
from support.timing import Timeline

__all__ = ["download_many", "download_one", "get_country", "main"]


async def get_country(client: httpx.AsyncClient, base_url: str, cc: str) -> str:
    """The country's name from its ``metadata.json``."""
    response = await client.get(metadata_url(base_url, cc))
    response.raise_for_status()
    return response.json()["country"]


async def download_one(
    client: httpx.AsyncClient,
    cc: str,
    base_url: str,
    semaphore: asyncio.Semaphore,
    dest: Path,
    timeline: Timeline | None = None,
) -> Outcome:
    """Fetch the name, then the flag, and save it as ``<Country_Name>.gif``; no image, no file."""
    try:
        async with semaphore:
            with record(timeline, f"{cc} metadata"):
                country = await get_country(client, base_url, cc)
        async with semaphore:
            with record(timeline, f"{cc} flag"):
                image = await get_flag(client, base_url, cc)
        filename = f"{safe_filename(country)}.gif"
    except httpx.PoolTimeout:
        raise  # the pool is smaller than the semaphore: a bug in this client, not a server failure
    except (httpx.HTTPError, KeyError, ValueError) as exc:  # a server's JSON is not to be trusted either
        return failed(cc, exc)
    await asyncio.to_thread(save_flag, image, dest, filename)
    return Outcome(cc, Status.OK, filename)


async def download_many(cc_list: Sequence[str], base_url: str, **options: Any) -> Counter[Status]:
    """:func:`support.examples.flags2.download_many` (same options) with this module's two-request ``download_one``."""
    return await flags2.download_many(cc_list, base_url, download_one=download_one, **options)


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: the same options as ``python -m support.examples.flags2``."""
    return flags_common.main(
        download_many,
        argv,
        prog="python -m support.examples.flags3",
        description="Download flags named after their country: metadata.json, then the image.",
        concurrency=(flags2.DEFAULT_CONCURRENCY, flags2.MAX_CONCURRENCY),
        progress=True,
    )


if __name__ == "__main__":
    raise SystemExit(main())
