"""What every flag download client shares: URLs, statuses, atomic saving and the command line.

The clients (:mod:`support.examples.flags`, :mod:`support.examples.flags_threadpool`, :mod:`support.examples.flags_asyncio`,
:mod:`support.examples.flags2`, :mod:`support.examples.flags3`) differ only in *how* they wait for the network. Everything else
lives here once, so a lesson can show two clients side by side and the difference is all that is on screen.

The command line follows the chapter's ``flags2`` scripts (``-s LOCAL|DELAY|ERROR -a -e -l N -m N -v CC...``)
and adds ``--url`` (any base URL, e.g. a local site on a free port), ``--dest`` (where files go) and
``--timeout``. With no codes it downloads the 20 most populous countries.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import inspect
import os
import re
import string
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any, NamedTuple

import httpx

from support.lab.flag_data import POP20_CC, countries
from support.paths import CACHE_ENV, cache_root
from support.timing import Stopwatch, Timeline, format_duration
from support.workbook.cli import positive_seconds as _seconds

__all__ = [
    "DEFAULT_TIMEOUT",
    "HTTPX_DEFAULT_LIMITS",
    "POP20_CC",
    "SERVERS",
    "Outcome",
    "Status",
    "default_dest",
    "expand_cc_args",
    "failed",
    "flag_url",
    "main",
    "metadata_url",
    "parse_args",
    "pool_limits",
    "record",
    "safe_filename",
    "save_flag",
    "summary",
]

#: The chapter's local test servers: plain, slow and faulty (see ``support.lab.flag_server``'s modes).
SERVERS: dict[str, str] = {
    "LOCAL": "http://localhost:8000/flags",
    "DELAY": "http://localhost:8001/flags",
    "ERROR": "http://localhost:8002/flags",
}
#: The pool ``httpx.AsyncClient()`` gets without ``limits=`` (beware: ``httpx.Limits()`` means *unlimited*).
HTTPX_DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)
#: Seconds for each phase of a request (connect, send, wait for data, wait for a pooled connection).
DEFAULT_TIMEOUT = 5.0


class Status(StrEnum):
    """How one download ended. The values are the status names :mod:`support.plots` colours."""

    OK = "ok"
    NOT_FOUND = "not found"
    ERROR = "error"
    TIMEOUT = "timeout"


class Outcome(NamedTuple):
    """One flag's result, returned by its own task so no status can leak from one flag to the next."""

    cc: str
    status: Status
    detail: str = "OK"


# --- URLs and files ---------------------------------------------------------------------------------------


def flag_url(base_url: str, cc: str) -> str:
    """``<base>/<cc>/<cc>.gif`` with ``cc`` in lower case, the site's layout."""
    cc = cc.lower()
    return f"{base_url.rstrip('/')}/{cc}/{cc}.gif"


def metadata_url(base_url: str, cc: str) -> str:
    """``<base>/<cc>/metadata.json``: the country's name and codes, which flags3 fetches first."""
    return f"{base_url.rstrip('/')}/{cc.lower()}/metadata.json"


def default_dest() -> Path:
    """``<cache>/downloads``: ignored by git, and the same cache root :mod:`support.lab.flag_data` uses."""
    return cache_root() / "downloads"


def save_flag(data: bytes, dest: Path, filename: str) -> Path:
    """Write ``dest/filename`` atomically and return its path.

    The bytes go to a temporary file in the same directory, which then replaces the target in one
    ``os.replace``: a reader (or a crash, Ctrl-C or cancelled task) sees the old file or the whole new one,
    never a half-written or empty file.
    """
    dest.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest, prefix=f".{filename}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(tmp, dest / filename)  # same directory, so same file system: the rename is atomic
    except BaseException:
        os.unlink(tmp)
        raise
    return dest / filename


def safe_filename(name: str, max_length: int = 100) -> str:
    """A country name as a file name: letters, digits, ``-`` and ``_`` only (``"Côte d'Ivoire"`` gives
    ``"Côte_d_Ivoire"``).

    The name comes from the server, so anything that could climb directories (``/``, ``..``) must go.
    """
    cleaned = re.sub(r"[^\w-]+", "_", name).strip("_")[:max_length]
    if not cleaned:
        raise ValueError(f"no usable file name in {name!r}")
    return cleaned


# --- statuses -----------------------------------------------------------------------------------------------


def _status_of(exc: BaseException) -> Status:
    if isinstance(exc, httpx.HTTPStatusError) and exc.response.status_code == 404:
        return Status.NOT_FOUND
    if isinstance(exc, httpx.TimeoutException):
        return Status.TIMEOUT
    return Status.ERROR


def failed(cc: str, exc: Exception) -> Outcome:
    """The outcome of a request that raised: 404 is *not found*, a timeout a *timeout*, the rest *error*."""
    if isinstance(exc, httpx.HTTPStatusError):
        detail = f"HTTP {exc.response.status_code} {exc.response.reason_phrase}"
    else:
        detail = f"{type(exc).__name__} {exc}".strip()
    return Outcome(cc, _status_of(exc), detail)


@contextlib.contextmanager
def record(timeline: Timeline | None, name: str) -> Iterator[None]:
    """Add a span for the block to ``timeline`` (if any), with the request's :class:`Status` as its status."""
    if timeline is None:
        yield
        return
    start, status = timeline.now(), Status.OK
    try:
        yield
    except BaseException as exc:
        status = _status_of(exc)
        raise
    finally:
        timeline.add(name, start, timeline.now(), status)


def pool_limits(concurrency: int) -> httpx.Limits:
    """A connection pool as large as the number of requests allowed in flight.

    httpx keeps at most 100 connections by default (:data:`HTTPX_DEFAULT_LIMITS`): request 101 waits for a
    free one, and if the wait exceeds the pool timeout it fails with ``PoolTimeout`` although the server never
    saw it. Matching the pool to the concurrency means a request never waits for a connection.

    Only 20 idle connections are kept alive (httpx's default), not one per request: httpcore 1.0 re-checks
    every pooled connection at each request and response, at a cost that grows with the square of the pool,
    so hundreds of idle connections cost more CPU than reconnecting (249 flags, 200 in flight: 3.4 s of
    client CPU with all kept alive, 0.3 s with 20).
    """
    return httpx.Limits(max_connections=concurrency, max_keepalive_connections=min(concurrency, 20))


def summary(counter: Counter[Status]) -> str:
    """One line for a finished run, e.g. ``"17 OK, 1 not found, 2 errors (1 timeout)"``."""
    errors, timeouts = counter[Status.ERROR] + counter[Status.TIMEOUT], counter[Status.TIMEOUT]
    line = (
        f"{counter[Status.OK]} OK, {counter[Status.NOT_FOUND]} not found, {errors} error{'s' * (errors != 1)}"
    )
    return line + (f" ({timeouts} timeout{'s' * (timeouts != 1)})" if timeouts else "")


# --- the command line ---------------------------------------------------------------------------------------

_A_Z = string.ascii_uppercase


def expand_cc_args(every: bool, all_: bool, cc_args: Sequence[str], limit: int | None) -> list[str]:
    """The sorted country codes to fetch: ``-e`` every pair AA..ZZ, ``-a`` every country the site has,
    else the codes given (a single letter ``B`` stands for BA..BZ), else the 20 most populous; then the
    first ``limit``.
    """
    codes: set[str] = set()
    if every:
        codes.update(a + b for a in _A_Z for b in _A_Z)
    elif all_:
        codes.update(c.cc for c in countries())
    else:
        for arg in (a.upper() for a in cc_args):
            if len(arg) == 1 and arg in _A_Z:
                codes.update(arg + b for b in _A_Z)
            elif len(arg) == 2 and all(c in _A_Z for c in arg):
                codes.add(arg)
            else:
                raise ValueError(f"not a country code or a letter: {arg!r}")
        codes = codes or set(POP20_CC)
    return sorted(codes)[:limit]


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def parse_args(
    argv: Sequence[str] | None, *, prog: str, description: str, concurrency: tuple[int, int] | None = None
) -> argparse.Namespace:
    """Parse the shared options; ``concurrency=(default, maximum)`` adds ``-m`` for the concurrent clients.

    Adds ``cc_list`` (from :func:`expand_cc_args`) and ``base_url`` (``--url`` or the ``-s`` server).
    """
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("cc", metavar="CC", nargs="*", help="country code or first letter (B for BA..BZ)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-a", "--all", action="store_true", help="every country the site has a flag for")
    group.add_argument("-e", "--every", action="store_true", help="every possible code AA..ZZ (many 404s)")
    parser.add_argument("-l", "--limit", metavar="N", type=_positive, help="only the first N codes")
    if concurrency is not None:
        default, maximum = concurrency
        parser.add_argument(
            "-m",
            "--max-req",
            metavar="N",
            type=_positive,
            default=default,
            help=f"maximum concurrent requests (default: {default}, at most {maximum})",
        )
    parser.add_argument(
        "-s",
        "--server",
        choices=list(SERVERS),
        type=str.upper,
        default="LOCAL",
        help="one of the chapter's local sites, on localhost ports 8000, 8001, 8002 (default: LOCAL)",
    )
    parser.add_argument("--url", metavar="BASE", help="base URL of any flag site; overrides -s")
    parser.add_argument(
        "--dest",
        metavar="DIR",
        type=Path,
        default=default_dest(),
        help=f"where files go (default: downloads/ in the workbook's cache, ${CACHE_ENV} or .cache/)",
    )
    parser.add_argument(
        "-t",
        "--timeout",
        metavar="SECONDS",
        type=_seconds,
        default=DEFAULT_TIMEOUT,
        help="limit for each phase of a request: connect, send, receive (default: %(default)s)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="print a line per flag as it finishes")
    args = parser.parse_args(argv)
    if (args.all or args.every) and args.cc:
        parser.error("-a and -e take no country codes")
    try:
        args.cc_list = expand_cc_args(args.every, args.all, args.cc, args.limit)
    except ValueError as exc:
        parser.error(str(exc))
    args.base_url = args.url or SERVERS[args.server]
    if concurrency is not None:
        # More requests in flight than flags, or than the client's ceiling, buys nothing.
        args.max_req = min(args.max_req, concurrency[1], len(args.cc_list))
    return args


Downloader = Callable[..., Any]  # returns Counter[Status], or a coroutine that does


def main(
    download_many: Downloader,
    argv: Sequence[str] | None = None,
    *,
    prog: str,
    description: str,
    concurrency: tuple[int, int] | None = None,
    progress: bool = False,
) -> int:
    """Run one client from the command line: parse, print what will happen, download, print the summary.

    ``download_many(cc_list, base_url, dest=, request_timeout=, verbose=, [concurrency=], [progress=])`` may
    be a plain function or a coroutine function (run with ``asyncio.run``). Exits 0, or 130 after Ctrl-C.
    """
    args = parse_args(argv, prog=prog, description=description, concurrency=concurrency)
    site = "URL" if args.url else args.server
    cc_list = args.cc_list
    print(f"{site} site: {args.base_url}")
    print(f"Searching for {len(cc_list)} flag{'s' * (len(cc_list) != 1)}: from {cc_list[0]} to {cc_list[-1]}")
    options: dict[str, Any] = {"dest": args.dest, "request_timeout": args.timeout, "verbose": args.verbose}
    if concurrency is not None:
        options["concurrency"] = args.max_req
        print(f"{args.max_req} concurrent connection{'s' * (args.max_req != 1)} will be used.")
    if progress:
        options["progress"] = not args.verbose
    print(f"Saving to {args.dest}", flush=True)
    with Stopwatch() as watch:
        try:
            result = download_many(cc_list, args.base_url, **options)
            counter = asyncio.run(result) if inspect.iscoroutine(result) else result
        except KeyboardInterrupt:
            print(f"\nInterrupted after {watch}; every file on disk is complete.")
            return 130
    print("-" * 20)
    print(summary(counter))
    print(f"Elapsed time: {format_duration(watch.elapsed)}")
    return 0
