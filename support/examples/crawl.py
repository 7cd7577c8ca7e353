"""A web crawler: a pool of asyncio workers fed by a queue, which stops cleanly when the work is done or time is up.

Lesson 11's crawler, after "A Web Crawler With asyncio Coroutines" (A. Jesse Jiryu Davis and Guido van Rossum,
*500 Lines or Less*): ``workers`` tasks take URLs from an ``asyncio.Queue``, fetch each page with httpx, read its
links with Beautiful Soup, and put the ones that are new and on the same site back on the queue. ``join()``
says when every page found has been fetched; a ``TaskGroup`` owns the workers, and a deadline stops them all.

``python -m support.examples.crawl [URL]`` crawls a local site (without URL it starts the workbook's own,
:mod:`support.lab.crawl_site`, for the run). Exit status: 0 every page fetched, 1 some failed (404, error,
timeout) or the deadline cut the crawl short, 2 usage error (one line on stderr), 130 Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NoReturn
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
import tqdm
from bs4 import BeautifulSoup

from support.cli import checked, positive_int, positive_seconds
from support.lab import crawl_site, services
from support.timing import Status, Stopwatch

__all__ = ["Crawl", "Page", "canonical", "crawl", "fetch", "links_in", "main", "on_site"]

# Python 3.13 can shut a queue down: get() then raises QueueShutDown. Before, nothing does (an empty except).
if sys.version_info >= (3, 13):
    SHUT_DOWN: tuple[type[Exception], ...] = (asyncio.QueueShutDown,)
else:
    SHUT_DOWN = ()


def canonical(href: str, base: str) -> str:
    """``href`` on the page at ``base`` as one absolute URL per page: no fragment, no trailing slash."""
    parts = urlsplit(urljoin(base, href))
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/") or "/", parts.query, ""))


def on_site(url: str, root: str) -> bool:
    """Same scheme, host and port as ``root``: anything else is another site, never to be fetched."""
    here, there = urlsplit(root), urlsplit(url)
    return (here.scheme, here.netloc) == (there.scheme, there.netloc)


def links_in(html: str, base: str) -> set[str]:
    """Every link of the page (``<a href>``), in canonical form."""
    soup = BeautifulSoup(html, "html.parser")
    return {canonical(str(a["href"]), base) for a in soup.find_all("a", href=True)}


@dataclass(frozen=True)
class Page:
    """What fetching one URL gave: how it ended, how many links from the root, and the links it holds."""

    url: str
    status: Status
    depth: int = 0
    links: frozenset[str] = frozenset()


async def fetch(client: httpx.AsyncClient, url: str, depth: int = 0) -> Page:
    """GET ``url``; a failure is the page's status, never an exception (one bad page must not end the crawl)."""
    try:
        response = await client.get(url)
    except httpx.TimeoutException:
        return Page(url, Status.TIMEOUT, depth)
    except httpx.HTTPError:
        return Page(url, Status.ERROR, depth)
    if response.status_code == 404:
        return Page(url, Status.NOT_FOUND, depth)
    if response.status_code != 200:
        return Page(url, Status.ERROR, depth)
    return Page(url, Status.OK, depth, frozenset(links_in(response.text, str(response.url))))


@dataclass
class Crawl:
    """The pages fetched, by URL; how many URLs were found in all; whether the crawl got to its end."""

    pages: dict[str, Page] = field(default_factory=dict)
    found: int = 1
    finished: bool = False


async def crawl(
    root: str,
    *,
    workers: int = 8,
    max_depth: int | None = None,
    deadline: float | None = None,
    request_timeout: float = 5.0,
    report: Callable[[Page, int], object] | None = None,
) -> Crawl:
    """Crawl the site of ``root`` with ``workers`` tasks; stop after ``deadline`` seconds (None: no limit).

    ``request_timeout`` bounds each request; ``report(page, found)`` is called as each page comes in.
    """
    result = Crawl()
    seen = {root}
    queue: asyncio.Queue[tuple[str, int] | None] = asyncio.Queue()
    queue.put_nowait((root, 0))

    async def worker(client: httpx.AsyncClient) -> None:
        while True:
            try:
                item = await queue.get()
            except SHUT_DOWN:
                return  # 3.13: the queue was shut down and is empty
            if item is None:
                return  # 3.11-3.12: a sentinel, one per worker
            url, depth = item
            try:
                page = await fetch(client, url, depth)
                result.pages[url] = page
                if max_depth is None or depth < max_depth:
                    for link in page.links:
                        if link not in seen and on_site(link, root):  # no await in between: no lock needed
                            seen.add(link)
                            queue.put_nowait((link, depth + 1))
                result.found = len(seen)
                if report is not None:
                    report(page, len(seen))
            finally:
                queue.task_done()

    async with httpx.AsyncClient(timeout=request_timeout, follow_redirects=True) as client:
        try:
            async with asyncio.timeout(deadline):
                async with asyncio.TaskGroup() as group:
                    for n in range(workers):
                        group.create_task(worker(client), name=f"worker {n + 1}")
                    await queue.join()  # every URL put on the queue has been fetched
                    if sys.version_info >= (3, 13):
                        queue.shutdown()
                    else:
                        for _ in range(workers):
                            queue.put_nowait(None)
            result.finished = True
        except TimeoutError:
            pass  # the deadline: the group has cancelled every worker; keep the pages fetched so far
    return result


_EXIT_STATUS = """exit status:
  0    every page fetched
  1    some pages failed (not found, error, timeout), or the deadline stopped the crawl
  2    usage error: one line on stderr, nothing done
  130  interrupted (Ctrl-C)"""
_PLURAL = {Status.ERROR: "errors", Status.TIMEOUT: "timeouts"}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _local_url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"expected a URL such as http://127.0.0.1:8010/, not {text!r}")
    services.loopback_host(parts.hostname)  # the workbook crawls only the sites it starts itself
    return canonical(text, text)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = _Parser(
        prog="python -m support.examples.crawl",
        description="Crawl a local web site with a pool of asyncio workers; count how each page ended.",
        epilog=_EXIT_STATUS,
        formatter_class=functools.partial(argparse.RawDescriptionHelpFormatter, width=96),  # same everywhere
    )
    parser.add_argument(
        "url",
        nargs="?",
        type=checked(_local_url),
        help="where to start (default: a local site started for the run)",
    )
    parser.add_argument(
        "--workers", type=positive_int, default=8, metavar="N", help="tasks fetching pages (default 8)"
    )
    parser.add_argument("--max-depth", type=positive_int, metavar="N", help="follow at most N links from URL")
    parser.add_argument(
        "--deadline", type=positive_seconds, metavar="S", help="stop the crawl after S seconds"
    )
    parser.add_argument("--timeout", type=positive_seconds, default=5.0, metavar="S", help="per request (5)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    return parser.parse_args(argv)


async def main(argv: list[str] | None = None) -> int:
    """The command line: a progress bar while it runs, then one summary line; returns the exit status."""
    args = parse_args(argv)
    site = None if args.url else await asyncio.to_thread(crawl_site.start, "slow", private=True)
    root = args.url or site.url + "/"  # type: ignore[union-attr]
    try:
        with tqdm.tqdm(unit=" pages", disable=args.quiet, file=sys.stderr) as bar, Stopwatch() as watch:

            def show(page: Page, found: int) -> None:
                bar.total = found
                bar.update()

            result = await crawl(
                root,
                workers=args.workers,
                max_depth=args.max_depth,
                deadline=args.deadline,
                request_timeout=args.timeout,
                report=show,
            )
    finally:
        if site is not None:
            services.stop(site)
    counts = Counter(page.status for page in result.pages.values())
    print(
        f"{len(result.pages)} pages from {root} in {watch}: "
        + ", ".join(f"{counts[status]} {_PLURAL.get(status, status)}" for status in Status)
    )
    if not result.finished:
        print(
            f"the deadline ({args.deadline:g} s) stopped the crawl; {result.found - len(result.pages)} left"
        )
    return 0 if result.finished and counts[Status.OK] == len(result.pages) else 1


if __name__ == "__main__":
    try:
        status = asyncio.run(main())
    except KeyboardInterrupt:
        status = 130
    raise SystemExit(status)
