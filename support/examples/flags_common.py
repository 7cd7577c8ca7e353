"""What every flag download client shares: URLs, statuses, atomic saving and the command line.

The clients (:mod:`support.examples.flags`, :mod:`support.examples.flags_threadpool`, :mod:`support.examples.flags_asyncio`,
:mod:`support.examples.flags2`, :mod:`support.examples.flags3`) differ only in *how* they wait for the network. Everything else
lives here once, so a lesson can show two clients side by side and the difference is all that is on screen.

The command line follows the chapter's ``flags2`` scripts (``-s LOCAL|DELAY|ERROR -a -e -l N -m N -v CC...``)
and adds ``--url`` (any base URL, e.g. a local site on a free port), ``--dest`` (where files go) and
``--timeout``. With no codes it downloads the 20 most populous countries. Its exit statuses are the ones every
example CLI uses (:mod:`support.examples.cli`): 0 all OK, 1 some flags failed, 2 usage error, 130 Ctrl-C.

A response is not trusted because it says 200: :func:`gif_bytes` checks that a flag is a GIF before anything
is saved.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import inspect
import os
import re
import string
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import httpx

from support import cli
from support.cli import positive_int, seconds_up_to
from support.lab.flag_data import POP20_CC, countries
from support.paths import APP_NAME, CACHE_ENV, CacheNotWritable, cache_root, shown
from support.timing import Status, Stopwatch, Timeline, format_duration, status_of

__all__ = [
    "CLI_DEFAULT_CONCURRENCY",
    "DEFAULT_TIMEOUT",
    "HTTPX_DEFAULT_LIMITS",
    "POP20_CC",
    "SERVERS",
    "BadResponse",
    "Outcome",
    "Status",
    "dest_problem",
    "default_dest",
    "expand_cc_args",
    "failed",
    "flag_url",
    "gif_bytes",
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
#: Seconds for each phase of a request (connect, send, wait for data, wait for a pooled connection), and in
#: flags2 and flags3 for each flag as a whole.
DEFAULT_TIMEOUT = 5.0
#: ``-m``'s default for every concurrent client: polite to a public site, like the chapter's flags2 (5).
#: Lessons and benchmarks ask the local sites for more, with ``-m`` or ``concurrency=``.
CLI_DEFAULT_CONCURRENCY = 5


class Outcome(NamedTuple):
    """One flag's result, returned by its own task so no status can leak from one flag to the next."""

    cc: str
    status: Status
    detail: str = "OK"


class BadResponse(ValueError):
    """The server answered 200, but not with what was asked for: an HTML page instead of a GIF, odd JSON."""


# --- URLs and files ---------------------------------------------------------------------------------------


def flag_url(base_url: str, cc: str) -> str:
    """``<base>/<cc>/<cc>.gif`` with ``cc`` in lower case, the site's layout."""
    cc = cc.lower()
    return f"{base_url.rstrip('/')}/{cc}/{cc}.gif"


def metadata_url(base_url: str, cc: str) -> str:
    """``<base>/<cc>/metadata.json``: the country's name and codes, which flags3 fetches first."""
    return f"{base_url.rstrip('/')}/{cc.lower()}/metadata.json"


_GIF_SIGNATURES = (b"GIF87a", b"GIF89a")


def gif_bytes(response: httpx.Response) -> bytes:
    """The body of ``response`` if it is a GIF image, else :class:`BadResponse`.

    A 200 proves nothing: a proxy, a captive portal or a broken site answers 200 with an HTML page, which
    must not be saved as ``br.gif``. Both the declared type and the file's own first bytes must say GIF.
    """
    content_type = response.headers.get("content-type", "").partition(";")[0].strip().lower()
    if content_type != "image/gif":
        raise BadResponse(f"{response.url}: expected image/gif, got {content_type or 'no content type'}")
    if not response.content.startswith(_GIF_SIGNATURES):
        raise BadResponse(f"{response.url}: not a GIF, it starts with {response.content[:6]!r}")
    return response.content


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

    The name comes from the server, so anything that could climb directories (``/``, ``..``) must go; a name
    with nothing left is :class:`BadResponse`.
    """
    cleaned = re.sub(r"[^\w-]+", "_", name).strip("_")[:max_length]
    if not cleaned:
        raise BadResponse(f"no usable file name in {name[:40]!r}")
    return cleaned


def dest_problem(dest: Path) -> str | None:
    """Why files cannot be saved in ``dest`` (a file, under a file, not writable), or None if they can.

    Checked before the first request, so a mistyped ``--dest`` costs one line, not a run. Nothing is created:
    ``dest`` itself may not exist yet, its nearest existing parent must be a directory we can write in.
    """
    if dest.exists() and not dest.is_dir():
        return f"--dest {dest} is a file, not a directory"
    existing = dest
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        return f"--dest {dest} is under {existing}, which is a file"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"--dest {dest}: cannot write in {existing}"
    return None


# --- statuses -----------------------------------------------------------------------------------------------


def _status_of(exc: BaseException) -> Status:
    if isinstance(exc, httpx.HTTPStatusError) and exc.response.status_code == 404:
        return Status.NOT_FOUND
    if isinstance(exc, httpx.TimeoutException):  # a phase's limit; the flag's deadline is a TimeoutError
        return Status.TIMEOUT
    return status_of(exc)


def failed(cc: str, exc: Exception) -> Outcome:
    """The outcome of a request that raised: 404 is *not found*, a timeout a *timeout*, the rest *error*."""
    if isinstance(exc, httpx.HTTPStatusError):
        detail = f"HTTP {exc.response.status_code} {exc.response.reason_phrase}"
    else:
        detail = f"{type(exc).__name__} {exc}".strip()
    return Outcome(cc, _status_of(exc), detail[:200])  # the text may come from the server: keep it short


def record(timeline: Timeline | None, name: str) -> contextlib.AbstractContextManager[None]:
    """Add a span for the block to ``timeline`` (if any), with the request's :class:`Status` as its status."""
    if timeline is None:
        return contextlib.nullcontext()
    return timeline.span(name, classify=_status_of)


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
    """One line for a finished run, e.g. ``"17 OK, 1 not found, 2 errors (1 timeout)"``; a run that saved
    nothing says so: ``"0 OK, 0 not found, 2 errors: every flag failed"``.
    """
    errors, timeouts = counter[Status.ERROR] + counter[Status.TIMEOUT], counter[Status.TIMEOUT]
    line = (
        f"{counter[Status.OK]} OK, {counter[Status.NOT_FOUND]} not found, {errors} error{'s' * (errors != 1)}"
    )
    line += f" ({timeouts} timeout{'s' * (timeouts != 1)})" if timeouts else ""
    return line + (": every flag failed" if counter.total() and not counter[Status.OK] else "")


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


def _base_url(text: str) -> str:
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 (reading the port checks it: a number from 0 to 65535)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a URL: {text!r} ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(f"expected http://HOST[:PORT]/PATH, not {text!r}")
    return text


def parse_args(
    argv: Sequence[str] | None,
    *,
    prog: str,
    description: str,
    max_concurrency: int | None = None,
    deadline: bool = False,
) -> argparse.Namespace:
    """Parse the shared options; ``max_concurrency`` adds ``-m`` (up to that many) for the concurrent clients,
    ``deadline`` says ``-t`` bounds each flag as a whole (flags2, flags3), not each phase of a request.

    Every mistake, ``--dest`` included, ends here with one line on stderr and exit status 2, before any
    request. Adds ``cc_list`` (from :func:`expand_cc_args`) and ``base_url`` (``--url`` or the ``-s`` server).
    """
    parser = cli.Parser(
        prog=prog, description=description, failed="some flags not saved: not found, error or timeout"
    )
    parser.add_argument("cc", metavar="CC", nargs="*", help="country code or first letter (B for BA..BZ)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-a", "--all", action="store_true", help="every country the site has a flag for")
    group.add_argument("-e", "--every", action="store_true", help="every possible code AA..ZZ (many 404s)")
    parser.add_argument("-l", "--limit", metavar="N", type=positive_int, help="only the first N codes")
    if max_concurrency is not None:
        parser.add_argument(
            "-m",
            "--max-req",
            metavar="N",
            type=positive_int,
            default=CLI_DEFAULT_CONCURRENCY,
            help=f"maximum concurrent requests (default: %(default)s, at most {max_concurrency})",
        )
    parser.add_argument(
        "-s",
        "--server",
        choices=list(SERVERS),
        type=str.upper,
        default="LOCAL",
        help="one of the chapter's local sites, on localhost ports 8000, 8001, 8002 (default: LOCAL)",
    )
    parser.add_argument(
        "--url", metavar="BASE", type=_base_url, help="base URL of any flag site; overrides -s"
    )
    parser.add_argument(
        "--dest",
        metavar="DIR",
        type=Path,
        help=f"where files go (default: downloads/ in your workbook cache, ${CACHE_ENV} or ~/.cache/{APP_NAME})",
    )
    limit = (
        "time limit for each flag, from its first request to its last byte"
        if deadline
        else "time limit for each phase of a request: connect, send, each read"
    )
    parser.add_argument(
        "-t",
        "--timeout",
        metavar="SECONDS",
        type=seconds_up_to(3600),
        default=DEFAULT_TIMEOUT,
        help=f"{limit} (default: %(default)s)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="print a line per flag as it finishes")
    args = parser.parse_args(argv)
    if (args.all or args.every) and args.cc:
        parser.error("-a and -e take no country codes")
    try:
        args.cc_list = expand_cc_args(args.every, args.all, args.cc, args.limit)
    except ValueError as exc:
        parser.error(str(exc))
    if args.dest is None:
        # Asked only now, so that --help and an explicit --dest work even where the cache is not writable.
        try:
            args.dest = default_dest()
        except CacheNotWritable as exc:
            parser.error(str(exc))
    if problem := dest_problem(args.dest):
        parser.error(problem)
    args.base_url = args.url or SERVERS[args.server]
    if max_concurrency is not None:
        # More requests in flight than flags, or than the client's ceiling, buys nothing.
        args.max_req = min(args.max_req, max_concurrency, len(args.cc_list))
    return args


Downloader = Callable[..., Any]  # returns Counter[Status], or a coroutine that does


def main(
    download_many: Downloader,
    argv: Sequence[str] | None = None,
    *,
    prog: str,
    description: str,
    max_concurrency: int | None = None,
    deadline: bool = False,
    progress: bool = False,
) -> int:
    """Run one client from the command line: parse, print what will happen, download, print the summary.

    ``download_many(cc_list, base_url, dest=, request_timeout=, verbose=, [concurrency=], [time_limit=],
    [progress=])`` may be a plain function or a coroutine function. Returns the exit status (:mod:`support.examples.cli`): 0 every
    flag saved, 1 some not, 2 a usage error, 130 Ctrl-C.
    """
    args = parse_args(
        argv, prog=prog, description=description, max_concurrency=max_concurrency, deadline=deadline
    )
    site = "URL" if args.url else args.server
    cc_list = args.cc_list
    print(f"{site} site: {args.base_url}")
    print(f"Searching for {len(cc_list)} flag{'s' * (len(cc_list) != 1)}: from {cc_list[0]} to {cc_list[-1]}")
    options: dict[str, Any] = {"dest": args.dest, "request_timeout": args.timeout, "verbose": args.verbose}
    if deadline:
        options["time_limit"] = args.timeout
    if max_concurrency is not None:
        options["concurrency"] = args.max_req
        print(f"{args.max_req} concurrent connection{'s' * (args.max_req != 1)} will be used.")
    if progress:
        options["progress"] = not args.verbose
    print(f"Saving to {shown(args.dest)}", flush=True)
    with Stopwatch() as watch:
        try:
            result = download_many(cc_list, args.base_url, **options)
            counter = asyncio.run(result) if inspect.iscoroutine(result) else result
        except KeyboardInterrupt:
            print(f"\nInterrupted after {watch}; every file on disk is complete.")
            return cli.INTERRUPTED
        except (httpx.HTTPError, BadResponse) as exc:  # the simple clients stop at the first failure
            first_line = f"{type(exc).__name__}: {exc}".splitlines()[0]  # httpx adds a line of advice
            if isinstance(exc, httpx.RequestError):  # "Connection refused" alone does not say where
                first_line += f" ({exc.request.url})"
            print(f"{prog}: stopped at the first failure after {watch}: {first_line}", file=sys.stderr)
            return cli.FAILED
    print("-" * 20)
    print(summary(counter))
    print(f"Elapsed time: {format_duration(watch.elapsed)}")
    return cli.exit_status(counter.total() - counter[Status.OK])
