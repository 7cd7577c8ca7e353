"""What every flag client shares: the site's URLs, checked answers, atomic saves, outcomes and the command line.

The clients (:mod:`~support.examples.flags`, :mod:`~support.examples.flags_threadpool`,
:mod:`~support.examples.flags_asyncio`, :mod:`~support.examples.flags2`, :mod:`~support.examples.flags3`)
differ only in *how* they wait for the network; the rest lives here once, as the chapter's
``flags2_common.py`` holds it for its clients.

A response is not trusted because it says 200: :func:`gif_bytes` checks that a flag is a GIF before it is
saved, and :func:`save_flag` writes it atomically, so no reader ever sees half a flag.

The command line (:func:`command`) has the chapter's options (``-a -e -l N -m N -s LOCAL|DELAY|ERROR -v
CC...``) plus ``--url`` (any base URL, e.g. a local site on a free port), ``--dest`` (where files go) and,
for flags2 and flags3, ``-t`` (a deadline per flag). Its exit statuses are :mod:`support.cli`'s.
"""

from __future__ import annotations

import argparse
import asyncio
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
from support.lab.flag_data import POP20_CC, countries
from support.open_files import raise_open_file_limit
from support.paths import APP_NAME, CACHE_ENV, CacheNotWritable, cache_root, shown
from support.timing import Status, Stopwatch, format_duration

__all__ = [
    "DEFAULT_TIMEOUT",
    "SERVERS",
    "BadResponse",
    "Outcome",
    "Status",
    "command",
    "default_dest",
    "expand_cc_args",
    "failed",
    "flag_url",
    "gif_bytes",
    "metadata_url",
    "parse_args",
    "pool_limits",
    "safe_filename",
    "save_flag",
    "summary",
]

#: The chapter's local test servers: plain, slow and faulty (see ``support.lab.flag_server``'s modes).
SERVERS = {label: f"http://localhost:{8000 + i}/flags" for i, label in enumerate(["LOCAL", "DELAY", "ERROR"])}
#: httpx's own timeout for each phase of a request, and ``-t``'s default deadline for a whole flag.
DEFAULT_TIMEOUT = 5.0
_SECONDS = cli.seconds_up_to(3600)  # -t: an hour at most, enough for any site that answers at all
_POLITE = 5  # -m's default, as the chapter's flags2: gentle with a public site. Lessons ask for more.


class Outcome(NamedTuple):
    """One flag's result, returned by its own task so no status can leak from one flag to the next."""

    cc: str
    status: Status
    detail: str = "OK"


class BadResponse(ValueError):
    """The server answered 200, but not with what was asked for: an HTML page instead of a GIF, odd JSON."""


def flag_url(base_url: str, cc: str) -> str:
    """``<base>/<cc>/<cc>.gif`` with ``cc`` in lower case, the site's layout."""
    return f"{base_url.rstrip('/')}/{cc.lower()}/{cc.lower()}.gif"


def metadata_url(base_url: str, cc: str) -> str:
    """``<base>/<cc>/metadata.json``: the country's name and codes, which flags3 fetches after the image."""
    return f"{base_url.rstrip('/')}/{cc.lower()}/metadata.json"


def gif_bytes(response: httpx.Response) -> bytes:
    """The body of ``response`` if both its declared type and its first bytes say GIF, else BadResponse.

    A proxy, a captive portal or a broken site answers 200 with an HTML page: it must not become ``br.gif``.
    """
    content_type = response.headers.get("content-type", "").partition(";")[0].strip().lower()
    if content_type != "image/gif":
        raise BadResponse(f"{response.url}: expected image/gif, got {content_type or 'no content type'}")
    if not response.content.startswith((b"GIF87a", b"GIF89a")):
        raise BadResponse(f"{response.url}: not a GIF, it starts with {response.content[:6]!r}")
    return response.content


def default_dest() -> Path:
    """``<cache>/downloads``: ignored by git, under the cache root :mod:`support.lab.flag_data` uses too."""
    return cache_root() / "downloads"


def save_flag(data: bytes, dest: Path, filename: str) -> Path:
    """Write ``dest/filename`` atomically and return its path.

    The bytes go to a temporary file in the same directory, which then replaces the target in one
    ``os.replace``: a reader, a crash, Ctrl-C or a cancelled task sees the old file or the whole new one.
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
    """A country name as a file name: letters, digits, ``-`` and ``_`` only (``Côte d'Ivoire`` gives
    ``Côte_d_Ivoire``). The name comes from the server, so nothing that climbs directories survives."""
    cleaned = re.sub(r"[^\w-]+", "_", name).strip("_")[:max_length]
    if not cleaned:
        raise BadResponse(f"no usable file name in {name[:40]!r}")
    return cleaned


def failed(cc: str, exc: Exception) -> Outcome:
    """The outcome of a flag whose download raised: a 404 is *not found*, a timeout a *timeout* (httpx's
    phase limits and a flag's deadline alike), anything else an *error*."""
    status = Status.TIMEOUT if isinstance(exc, (TimeoutError, httpx.TimeoutException)) else Status.ERROR
    detail = f"{type(exc).__name__} {exc}".strip()
    if isinstance(exc, httpx.HTTPStatusError):
        status = Status.NOT_FOUND if exc.response.status_code == 404 else Status.ERROR
        detail = f"HTTP {exc.response.status_code} {exc.response.reason_phrase}"
    return Outcome(cc, status, detail[:200])  # the text may come from the server: keep it short


def pool_limits(concurrency: int) -> httpx.Limits:
    """A connection pool as large as the number of requests allowed in flight.

    httpx keeps at most 100 connections by default: request 101 waits inside the client for a free one, and
    fails with ``PoolTimeout`` if that wait outlasts the pool timeout, although the server never saw it.
    Only 20 idle connections stay alive (httpx's default): httpcore 1.0 re-checks every pooled connection at
    each request, at a cost that grows with the square of the pool (249 flags, 200 in flight: 3.4 s of client
    CPU with all kept alive, 0.3 s with 20).
    """
    return httpx.Limits(max_connections=concurrency, max_keepalive_connections=min(concurrency, 20))


def summary(counter: Counter[Status]) -> str:
    """One line for a finished run, e.g. ``"17 OK, 1 not found, 2 errors (1 timeout)"``, and
    ``": every flag failed"`` after it when nothing was saved."""
    errors, timeouts = counter[Status.ERROR] + counter[Status.TIMEOUT], counter[Status.TIMEOUT]
    line = (
        f"{counter[Status.OK]} OK, {counter[Status.NOT_FOUND]} not found, {errors} error{'s' * (errors != 1)}"
    )
    line += f" ({timeouts} timeout{'s' * (timeouts != 1)})" if timeouts else ""
    return line + (": every flag failed" if counter.total() and not counter[Status.OK] else "")


# --- the command line ---------------------------------------------------------------------------------------


def expand_cc_args(every: bool, all_: bool, cc_args: Sequence[str], limit: int | None) -> list[str]:
    """The sorted codes to fetch: ``-e`` every pair AA..ZZ, ``-a`` every country the site has, else the codes
    given (a letter ``B`` stands for BA..BZ), else the 20 most populous; then the first ``limit``."""
    a_z = string.ascii_uppercase
    codes: set[str] = set()
    if every:
        codes.update(a + b for a in a_z for b in a_z)
    elif all_:
        codes.update(c.cc for c in countries())
    for arg in (a.upper() for a in cc_args):
        if len(arg) == 1 and arg in a_z:
            codes.update(arg + b for b in a_z)
        elif len(arg) == 2 and all(c in a_z for c in arg):
            codes.add(arg)
        else:
            raise ValueError(f"not a country code or a letter: {arg!r}")
    return sorted(codes or POP20_CC)[:limit]


def _base_url(text: str) -> str:
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 (reading the port checks it: a number from 0 to 65535)
    except ValueError as exc:
        raise cli.BadValue(f"not a URL: {text!r} ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise cli.BadValue(f"expected http://HOST[:PORT]/PATH, not {text!r}")
    return text


def _dest_problem(dest: Path) -> str | None:
    """Why no file can be saved in ``dest``, checked before the first request; None if one can."""
    existing = next(folder for folder in (dest, *dest.parents) if folder.exists())
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        return f"--dest {dest}: {existing} is not a directory this program can write in"
    return None


def parse_args(
    argv: Sequence[str] | None, prog: str, description: str, max_concurrency: int = 0, robust: bool = False
) -> argparse.Namespace:
    """The shared options: ``max_concurrency`` (if not 0) adds ``-m``, up to that many, ``robust`` adds ``-t``.

    Every mistake ends here with one line on stderr and exit status 2, before any request. Adds ``cc_list``
    and ``base_url`` (``--url``, or the ``-s`` server).
    """
    parser = cli.Parser(prog=prog, description=description, failed="some flags not saved")
    add = parser.add_argument
    add("cc", metavar="CC", nargs="*", help="country code or first letter (B for BA..BZ)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-a", "--all", action="store_true", help="every country the site has a flag for")
    group.add_argument("-e", "--every", action="store_true", help="every possible code AA..ZZ (many 404s)")
    add("-l", "--limit", metavar="N", type=cli.positive_int, help="only the first N codes")
    if max_concurrency:
        what = f"maximum concurrent requests (default: %(default)s, at most {max_concurrency})"
        add("-m", "--max-req", metavar="N", type=cli.positive_int, default=_POLITE, help=what)
    what = "one of the chapter's sites, on localhost ports 8000, 8001, 8002 (default: %(default)s)"
    add("-s", "--server", choices=list(SERVERS), type=str.upper, default="LOCAL", help=what)
    add("--url", metavar="BASE", type=_base_url, help="base URL of any flag site; overrides -s")
    what = f"where files go (default: downloads/ in your workbook cache, ${CACHE_ENV} or ~/.cache/{APP_NAME})"
    add("--dest", metavar="DIR", type=Path, help=what)
    if robust:
        what = "time limit for each flag, from its first request to its last byte (default: %(default)s)"
        add("-t", "--timeout", metavar="SECONDS", type=_SECONDS, default=DEFAULT_TIMEOUT, help=what)
    add("-v", "--verbose", action="store_true", help="print a line per flag as it finishes")
    args = parser.parse_args(argv)
    if (args.all or args.every) and args.cc:
        parser.error("-a and -e take no country codes")
    try:
        args.cc_list = expand_cc_args(args.every, args.all, args.cc, args.limit)
        args.dest = args.dest or default_dest()  # only now: --help works where the cache is not writable
    except (ValueError, CacheNotWritable) as exc:
        parser.error(str(exc))
    if problem := _dest_problem(args.dest):
        parser.error(problem)
    args.base_url = args.url or SERVERS[args.server]
    if max_concurrency:  # more requests in flight than flags, or than the client's ceiling, buys nothing
        args.max_req = min(args.max_req, max_concurrency, len(args.cc_list))
    return args


def command(
    download_many: Callable[..., Any], *, max_concurrency: int = 0, robust: bool = False
) -> Callable[..., int]:
    """The ``main`` of a client, the counterpart of the chapter's ``main(download_many)``.

    ``download_many(cc_list, base_url, dest=, verbose=, [concurrency=], [time_limit=, progress=])`` is a
    function or a coroutine function, returning how many flags it saved (the simple clients, which stop at
    the first failure) or a ``Counter`` of statuses (``robust``: flags2, flags3). ``main(argv)`` parses,
    reports, downloads and returns the exit status: 0 every flag saved, 1 some not, 2 usage error, 130 Ctrl-C.
    """

    def main(argv: Sequence[str] | None = None) -> int:
        # __main__ under python -m (its spec has the real name); mutmut's copy names a module never imported
        module = sys.modules.get(download_many.__module__, sys.modules["__main__"])
        prog = f"python -m {module.__spec__.name if module.__spec__ else module.__name__}"
        description = (module.__doc__ or prog).strip().splitlines()[0]
        args = parse_args(argv, prog, description, max_concurrency, robust)
        codes = args.cc_list
        print(f"{'URL' if args.url else args.server} site: {args.base_url}")
        print(f"Searching for {len(codes)} flag{'s' * (len(codes) != 1)}: from {codes[0]} to {codes[-1]}")
        options: dict[str, Any] = {"dest": args.dest, "verbose": args.verbose}
        if max_concurrency:
            options["concurrency"] = args.max_req
            print(f"{args.max_req} concurrent connection{'s' * (args.max_req != 1)} will be used.")
            raise_open_file_limit(args.max_req + 256)  # a socket per request, and the interpreter's own files
        if robust:
            options.update(time_limit=args.timeout, progress=not args.verbose)
        print(f"Saving to {shown(args.dest)}", flush=True)
        with Stopwatch() as watch:
            try:
                result = download_many(codes, args.base_url, **options)
                result = asyncio.run(result) if inspect.iscoroutine(result) else result
            except KeyboardInterrupt:
                print(f"\nInterrupted after {watch}; every file on disk is complete.")
                return cli.INTERRUPTED
            except (httpx.HTTPError, BadResponse) as exc:  # the simple clients stop at the first failure
                first_line = f"{type(exc).__name__}: {exc}".partition("\n")[0]  # httpx adds a line of advice
                where = (
                    f" ({exc.request.url})" if isinstance(exc, httpx.RequestError) else ""
                )  # refused: where?
                print(
                    f"{prog}: stopped at the first failure after {watch}: {first_line}{where}",
                    file=sys.stderr,
                )
                return cli.FAILED
        counter = result if isinstance(result, Counter) else Counter({Status.OK: result})
        print("-" * 20, summary(counter), f"Elapsed time: {format_duration(watch.elapsed)}", sep="\n")
        return cli.exit_status(counter.total() - counter[Status.OK])

    return main
