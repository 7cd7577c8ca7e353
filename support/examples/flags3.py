"""Two chained requests per flag, as in the chapter: the image, then the country's name, which names the file.

With ``await`` the second request simply follows the first in the same coroutine, and the image is still a local
variable when the name arrives: no callbacks, no shared state. The image comes first, as in the chapter: when it
fails there is nothing to name, and the name is never asked for.

The chapter takes the semaphore once for each request. Then every name request queues again, behind the image
request of every flag not yet started, and no file is saved until nearly every image is in. Here one slot holds
both requests of a flag, so files are saved from the start; lesson 04 shows both on the server's timeline.

The name comes from the server, so :func:`country_name` refuses anything but a plain string of reasonable length
that cannot climb directories; that flag counts as an error. Everything else (bounded concurrency, progress,
counting, cancellation) is :func:`support.examples.flags2.download_many`, which drives this ``download_one``.
"""

import asyncio
import re
import signal
import sys
from collections import Counter
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
    safe_filename,
    save_flag,
)

__all__ = ["MAX_NAME_LENGTH", "country_name", "download_many", "download_one", "get_country", "main"]

MAX_NAME_LENGTH = 100  # the longest real one, "South Georgia and the South Sandwich Islands", has 44
_PATH_LIKE = re.compile(r"[/\\\x00-\x1f\x7f]|\.\.")  # separators, "..", control characters


async def get_country(client: httpx.AsyncClient, base_url: str, cc: str) -> str:
    response = await client.get(metadata_url(base_url, cc))
    response.raise_for_status()
    return country_name(response)  # <1>


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
    time_limit: float | None = DEFAULT_TIMEOUT,
) -> Outcome:
    try:
        async with semaphore, asyncio.timeout(time_limit):  # <2>
            image = await get_flag(client, base_url, cc)  # <3>
            country = await get_country(client, base_url, cc)  # <4>
        filename = f"{safe_filename(country)}.gif"
    except (httpx.HTTPError, BadResponse, TimeoutError) as exc:
        return failed(cc, exc)
    await asyncio.to_thread(save_flag, image, dest, filename)
    return Outcome(cc, Status.OK, filename)


async def download_many(cc_list: list[str], base_url: str, **options: Any) -> Counter[Status]:
    return await flags2.download_many(cc_list, base_url, per_flag=download_one, **options)  # <5>


main = flags_common.command(download_many, max_concurrency=1000, robust=True)

if __name__ == "__main__":
    try:
        status = main()
    except KeyboardInterrupt:  # a Ctrl-C outside the work, e.g. while a server stops
        status = cli.INTERRUPTED
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a late Ctrl-C, as Python exits, changes nothing
    sys.exit(status)
