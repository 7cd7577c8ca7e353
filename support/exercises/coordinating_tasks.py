"""Checks for the exercises of ``11_coordinating_tasks``: a worker pool, back-pressure with a clean finish, a cache.

Every answer runs against fakes made here, with no network: a small site whose pages are links in a dict,
downloads and saves that sleep, a fetch that counts its calls. The fakes note what a result alone cannot show:
how many calls ran at once, which URLs were asked for, how many items waited between two stages. The checks
also watch the loop around the answer: a heartbeat notices code that blocks it, the tasks alive before and
after show workers left running, and a time limit of the check's own turns a hang into a hint that names its
likely cause (a missing ``task_done``, a sentinel short).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..loop_lag import Heartbeat
from .checking import checker, fail, require, stop_tasks, tasks_started_since

__all__ = ["FakeSite", "check_crawl_all", "check_once_cache", "check_save_all"]

_HANG = 3.0  # seconds: every right answer ends well within this; a hang is diagnosed after it
_BLOCKED = (
    0.15  # seconds the loop may stand still (a busy machine stalls it a little) before the check says so
)


@dataclass
class _Calls:
    """Calls of one fake: how many ran at once, at most, and in all."""

    now: int = 0
    most: int = 0
    total: int = 0

    def enter(self) -> None:
        self.now += 1
        self.total += 1
        self.most = max(self.most, self.now)

    def leave(self) -> None:
        self.now -= 1


async def _run_watched(
    coro: Awaitable[Any], on_hang: Callable[[], str]
) -> tuple[Any, list[asyncio.Task[Any]], Heartbeat]:
    """Await the answer with a heartbeat beside it and a time limit; stop what it left running.

    Returns its result, the tasks it left running (already stopped) and the heartbeat. A hang becomes a
    failed check with ``on_hang()`` as its hint, after the answer's tasks have been stopped.
    """
    before = asyncio.all_tasks()
    hung = False
    result = None
    async with Heartbeat() as beat:
        try:
            async with asyncio.timeout(_HANG) as limit:
                result = await coro
        except TimeoutError:
            if not limit.expired():
                raise
            hung = True
    leftovers = tasks_started_since(before)
    await stop_tasks(leftovers)
    if hung and beat.max_lag >= _BLOCKED:
        _not_blocked(beat, "your code")  # what blocks the loop also makes everything slow: say that first
    if hung:
        fail(on_hang())
    return result, leftovers, beat


def _not_blocked(beat: Heartbeat, name: str) -> None:
    require(
        beat.max_lag < _BLOCKED,
        f"the event loop stood still while {name} ran: something in it waits without `await` (time.sleep, a "
        "blocking call), so no other task could run meanwhile.",
    )


def _no_leftovers(leftovers: list[asyncio.Task[Any]], name: str, what: str) -> None:
    require(
        not leftovers,
        f"{len(leftovers)} task{'s were' if len(leftovers) > 1 else ' was'} still running after {name} "
        f"returned: {what}",
    )


# --- Exercise 1: the worker pool -------------------------------------------------------------------------

ROOT = "http://site.test/"


class FakeSite:
    """A site of pages that link to each other (and out), served by ``get_links``: no network involved.

    ``get_links(url)`` sleeps ``pause`` seconds, like a page on its way, then returns the URLs the page links
    to, already canonical. Every call is noted: which URL, how many at once.
    """

    def __init__(self, pages: dict[str, list[str]], pause: float = 0.01) -> None:
        self.pages = pages
        self.pause = pause
        self.asked: list[str] = []
        self.calls = _Calls()

    async def get_links(self, url: str) -> list[str]:
        self.asked.append(url)
        self.calls.enter()
        try:
            await asyncio.sleep(self.pause)
        finally:
            self.calls.leave()
        return list(self.pages.get(url, []))  # a page that does not exist has no links

    def reachable(self, root: str) -> set[str]:
        """The on-site URLs a right answer asks for: the pages reachable from ``root``, and its broken links."""
        found, todo = {root}, [root]
        while todo:
            for link in self.pages.get(todo.pop(), []):
                if _same_site(link, root) and link not in found:
                    found.add(link)
                    todo.append(link)
        return found


def _same_site(url: str, root: str) -> bool:
    return (urlsplit(url).scheme, urlsplit(url).netloc) == (urlsplit(root).scheme, urlsplit(root).netloc)


def _fake_pages() -> dict[str, list[str]]:
    """Thirty pages in a ring with shortcuts (cycles everywhere), links out of the site, a broken link."""
    pages: dict[str, list[str]] = {ROOT: [f"{ROOT}p{n}" for n in range(0, 30, 5)]}
    for n in range(30):
        links = [ROOT, f"{ROOT}p{(n + 1) % 30}", f"{ROOT}p{(n * 7) % 30}"]
        if n % 6 == 0:
            links.append("http://elsewhere.test/p1")  # another host
        if n % 6 == 1:
            links.append("http://site.test:8080/p2")  # this host, another port: another site
        if n % 6 == 2:
            links.append("https://site.test/p3")  # another scheme: another site too
        if n == 17:
            links.append(f"{ROOT}gone")  # a broken link: asked for once, no links in it
        pages[f"{ROOT}p{n}"] = links
    pages[f"{ROOT}hidden"] = [ROOT]  # linked from nowhere: a crawl never finds it
    return pages


CrawlAll = Callable[[str, Callable[[str], Awaitable[list[str]]], int], Awaitable[Any]]


@checker("Exercise 1", todo="fill in crawl_all above, then run this cell")
async def check_crawl_all(crawl_all: CrawlAll) -> str:
    """``crawl_all(root, get_links, workers)``: a queue, ``workers`` tasks, each page once, nothing left running."""
    require(inspect.iscoroutinefunction(crawl_all), "crawl_all must be defined with `async def`.")
    workers = 4
    site = FakeSite(_fake_pages())

    def on_hang() -> str:
        return (
            f"crawl_all was still running after {_HANG:g} s though the site has only {len(site.pages)} pages. "
            "queue.join() returns only once every item taken with get() has been marked with task_done(): does "
            "each worker call queue.task_done() for every URL it takes, even when fetching it fails?"
        )

    result, leftovers, beat = await _run_watched(crawl_all(ROOT, site.get_links, workers), on_hang)
    if inspect.iscoroutine(result):
        result.close()
        fail("crawl_all returned a coroutine, still to await: did you forget `await`?")
    _not_blocked(beat, "crawl_all")
    off_site = sorted({url for url in site.asked if not _same_site(url, ROOT)})
    require(
        not off_site,
        f"crawl_all asked for {', '.join(off_site)}, which are not on {ROOT}'s site: another host, port or "
        "scheme is another site. Put a link on the queue only if it has the root's scheme and host:port.",
    )
    expected = site.reachable(ROOT)
    missed = sorted(expected - set(site.asked))
    if missed:
        fail(f"crawl_all never asked for {len(missed)} pages it could reach, e.g. {missed[0]}.")
    twice = sorted({url for url in site.asked if site.asked.count(url) > 1})
    if twice:
        fail(
            f"{len(twice)} pages were fetched more than once, e.g. {twice[0]}: add a URL to `seen` when you put "
            "it on the queue, in the same step as the check (no await in between), not after its fetch."
        )
    require(
        site.calls.most > 1,
        "pages were fetched one at a time. Start `workers` tasks that each take URLs from the queue; if they "
        "share a lock, hold it only around what needs it: a lock held across the fetch lets one worker in.",
    )
    require(
        site.calls.most <= workers,
        f"{site.calls.most} pages were fetched at once with workers={workers}: let only the workers fetch.",
    )
    _no_leftovers(
        leftovers,
        "crawl_all",
        "once queue.join() returns, the workers wait in get() for ever. Cancel them (or stop them with one "
        "sentinel each) and wait until they have ended.",
    )
    require(result is not None, "crawl_all returned None: return the set of URLs it fetched.")
    require(
        set(result) == expected,
        f"return the set of URLs fetched ({len(expected)} here); got {len(set(result))} different ones.",
    )
    return (
        f"{len(expected)} pages, each fetched once, by up to {workers} workers at a time; no link off the site "
        "followed, nothing left running"
    )


# --- Exercise 2: back-pressure, and a finish that loses nothing ---------------------------------------------


@dataclass
class _Pipeline:
    """A download that is quick and a save that is slow; the pages downloaded and not yet being saved."""

    download_pause: float = 0.002
    save_pause: float = 0.02
    downloaded: int = 0
    saving: _Calls = field(default_factory=_Calls)
    saved: list[str] = field(default_factory=list)
    most_waiting: int = 0

    async def download(self, url: str) -> str:
        await asyncio.sleep(self.download_pause)
        self.downloaded += 1
        self._note()
        return f"<html>{url}</html>"

    async def save(self, page: str) -> None:
        self.saving.enter()
        self._note()
        try:
            await asyncio.sleep(self.save_pause)
        finally:
            self.saving.leave()
        self.saved.append(page)

    def _note(self) -> None:
        self.most_waiting = max(self.most_waiting, self.downloaded - self.saving.total)


SaveAll = Callable[
    [list[str], Callable[[str], Awaitable[str]], Callable[[str], Awaitable[None]], int, int], Awaitable[Any]
]


@checker("Exercise 2", todo="fill in save_all above, then run this cell")
async def check_save_all(save_all: SaveAll) -> str:
    """``save_all(urls, download, save, savers, maxsize)``: a bounded queue between the stages; nothing lost."""
    require(inspect.iscoroutinefunction(save_all), "save_all must be defined with `async def`.")
    urls = [f"{ROOT}page/{n}" for n in range(24)]
    savers, maxsize = 3, 4
    stages = _Pipeline()

    def on_hang() -> str:
        if len(stages.saved) == len(urls):
            return (
                f"every page was saved, yet save_all was still running after {_HANG:g} s: some saver was never "
                f"told to stop. One sentinel stops one saver: put {savers}, one per saver (on Python 3.13, "
                "queue.shutdown() stops them all)."
            )
        return (
            f"save_all was still running after {_HANG:g} s with {len(stages.saved)} of {len(urls)} pages saved: "
            "does every saver call task_done() for each page it takes, and take pages until it is told to stop?"
        )

    result, leftovers, beat = await _run_watched(
        save_all(list(urls), stages.download, stages.save, savers, maxsize), on_hang
    )
    if inspect.iscoroutine(result):
        result.close()
        fail("save_all returned a coroutine, still to await: did you forget `await`?")
    _not_blocked(beat, "save_all")
    lost = len(urls) - len(set(stages.saved))
    require(
        not lost,
        f"{lost} of the {len(urls)} pages were downloaded but never saved: the savers were stopped while pages "
        "still waited in the queue. Stop them only after the last page: queue.join() first, or sentinels put "
        "after the last page (a worker takes them in order).",
    )
    require(len(stages.saved) == len(urls), "some pages were saved more than once: save each page once.")
    require(
        stages.most_waiting <= maxsize + 1,
        f"up to {stages.most_waiting} downloaded pages waited to be saved, with maxsize={maxsize}: the "
        f"downloads ran ahead of the savers. Make the queue asyncio.Queue(maxsize) and `await queue.put(...)`, "
        "so that the download waits while the queue is full.",
    )
    require(
        stages.saving.most > 1,
        f"the pages were saved one at a time: start {savers} saver tasks that take pages from the queue.",
    )
    require(stages.saving.most <= savers, f"{stages.saving.most} saves ran at once, with savers={savers}.")
    _no_leftovers(
        leftovers,
        "save_all",
        "stop every saver (one sentinel each, or queue.shutdown() on 3.13) and wait until they have ended.",
    )
    return (
        f"{len(urls)} pages saved by {savers} savers, never more than {maxsize + 1} waiting between the stages, "
        "and every task stopped"
    )


# --- Exercise 3: fetched once while many wait ----------------------------------------------------------------


@dataclass
class _Fetcher:
    """A slow fetch that counts its calls, per key and at once."""

    pause: float = 0.05
    calls: list[str] = field(default_factory=list)
    at_once: _Calls = field(default_factory=_Calls)

    async def fetch(self, key: str) -> str:
        self.calls.append(key)
        self.at_once.enter()
        try:
            await asyncio.sleep(self.pause)
        finally:
            self.at_once.leave()
        return f"value of {key}"


async def _gather_gets(cache: Any, keys: Iterable[str]) -> list[Any]:
    async def one(key: str) -> Any:
        got = cache.get(key)
        require(inspect.isawaitable(got), "get must be defined with `async def` in the class.")
        return await got

    return await asyncio.gather(*(one(key) for key in keys))


@checker("Exercise 3", todo="fill in the OnceCache class above, then run this cell")
async def check_once_cache(once_cache: Callable[[Callable[[str], Awaitable[str]]], Any]) -> str:
    """``OnceCache(fetch)``: ``await cache.get(key)`` fetches each key once, however many tasks ask at once."""
    require(
        inspect.isclass(once_cache),
        "OnceCache must be a class, with __init__(self, fetch) and get(self, key).",
    )
    fetcher = _Fetcher()
    cache = once_cache(fetcher.fetch)
    many = 8

    def on_hang() -> str:
        return (
            f"get was still waiting after {_HANG:g} s: does a task wait for something (an Event, a future) "
            "that the fetching task never sets, say when it stores the value?"
        )

    values, leftovers, beat = await _run_watched(_gather_gets(cache, ["robots"] * many), on_hang)
    _not_blocked(beat, "get")
    expected = "value of robots"
    require(
        values == [expected] * many,
        f"every get('robots') should return fetch('robots'), {expected!r}; got {values[0]!r}, ...",
    )
    fetched = fetcher.calls.count("robots")
    require(
        fetched == 1,
        f"{many} tasks asked for the same key at once, and it was fetched {fetched} times. Between your check "
        "(`key in ...`) and storing the value there is an await, the fetch, where the others run and find "
        "nothing stored yet: hold a lock around the check and the fetch, or store a task at once.",
    )
    again, _, _ = await _run_watched(_gather_gets(cache, ["robots"]), on_hang)
    require(again == [expected], f"a later get('robots') returned {again[0]!r}, not {expected!r}.")
    require(
        fetcher.calls.count("robots") == 1,
        "a later get('robots') fetched again: keep the value once fetched.",
    )
    keys = ["a", "b", "c", "d"]
    values, more_leftovers, beat2 = await _run_watched(_gather_gets(cache, keys), on_hang)
    require(
        values == [f"value of {key}" for key in keys],
        f"get(key) must return fetch(key): got {values!r:.80}.",
    )
    require(
        fetcher.at_once.most > 1,
        "four different keys were fetched one after another: one lock for every key is held across an await "
        "it does not need to cover, the fetch of some other key. Give each key its own lock (or task).",
    )
    _not_blocked(beat2, "get")
    _no_leftovers(leftovers + more_leftovers, "get", "a fetch should end before get returns its value.")
    return (
        f"{many} tasks asking at once for one key got one fetch; different keys were fetched at the same time"
    )
