"""Answers to the exercises of lesson 11: ``crawl_all``, ``save_all`` and ``OnceCache``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from support.examples.crawl import on_site
from support.exercises.coordinating_tasks import check_crawl_all, check_once_cache, check_save_all

from . import Cases, Wrong

GetLinks = Callable[[str], Awaitable[list[str]]]
Download = Callable[[str], Awaitable[str]]
Save = Callable[[str], Awaitable[None]]

# --- Exercise 1: crawl_all --------------------------------------------------------------------------------


async def crawl_all_model(root: str, get_links: GetLinks, workers: int) -> set[str]:
    queue: asyncio.Queue[str] = asyncio.Queue()
    seen = {root}
    queue.put_nowait(root)

    async def worker() -> None:
        while True:
            url = await queue.get()
            try:
                for link in await get_links(url):
                    if link not in seen and on_site(link, root):
                        seen.add(link)
                        queue.put_nowait(link)
            finally:
                queue.task_done()

    tasks = [asyncio.create_task(worker()) for _ in range(workers)]
    await queue.join()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return seen


async def crawl_all_stub(root: str, get_links: GetLinks, workers: int) -> set[str]:
    # Your code here: a queue, `workers` tasks taking URLs from it, each page once; return the URLs fetched.
    ...


def _pool(
    root: str, get_links: GetLinks, handle: Callable[[str, asyncio.Queue[str], set[str]], Awaitable[None]]
) -> tuple[asyncio.Queue[str], set[str], Callable[[], Awaitable[None]]]:
    """A queue holding root, a seen set, and a worker that hands each URL to ``handle`` and marks it done."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    seen = {root}
    queue.put_nowait(root)

    async def worker() -> None:
        while True:
            url = await queue.get()
            try:
                await handle(url, queue, seen)
            finally:
                queue.task_done()

    return queue, seen, worker


async def crawl_all_without_task_done(root: str, get_links: GetLinks, workers: int) -> set[str]:
    queue: asyncio.Queue[str] = asyncio.Queue()
    seen = {root}
    queue.put_nowait(root)

    async def worker() -> None:
        while True:
            url = await queue.get()
            for link in await get_links(url):
                if link not in seen and on_site(link, root):
                    seen.add(link)
                    queue.put_nowait(link)

    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(worker()) for _ in range(workers)]
        await queue.join()
        for task in tasks:
            task.cancel()
    return seen


async def crawl_all_off_site(root: str, get_links: GetLinks, workers: int) -> set[str]:
    async def handle(url: str, queue: asyncio.Queue[str], seen: set[str]) -> None:
        for link in await get_links(url):
            if link not in seen:
                seen.add(link)
                queue.put_nowait(link)

    queue, seen, worker = _pool(root, get_links, handle)
    tasks = [asyncio.create_task(worker()) for _ in range(workers)]
    await queue.join()
    for task in tasks:
        task.cancel()
    return seen


async def crawl_all_seen_after_the_fetch(root: str, get_links: GetLinks, workers: int) -> set[str]:
    fetched: set[str] = set()

    async def handle(url: str, queue: asyncio.Queue[str], seen: set[str]) -> None:
        links = await get_links(url)
        fetched.add(url)  # marked once fetched: a link found twice before then is queued twice
        for link in links:
            if link not in fetched and on_site(link, root):
                queue.put_nowait(link)

    queue, _, worker = _pool(root, get_links, handle)
    tasks = [asyncio.create_task(worker()) for _ in range(workers)]
    await queue.join()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return fetched


async def crawl_all_lock_across_the_fetch(root: str, get_links: GetLinks, workers: int) -> set[str]:
    lock = asyncio.Lock()

    async def handle(url: str, queue: asyncio.Queue[str], seen: set[str]) -> None:
        async with (
            lock
        ):  # "to protect seen": it needs no lock, and this one lets a single fetch run at a time
            for link in await get_links(url):
                if link not in seen and on_site(link, root):
                    seen.add(link)
                    queue.put_nowait(link)

    queue, seen, worker = _pool(root, get_links, handle)
    tasks = [asyncio.create_task(worker()) for _ in range(workers)]
    await queue.join()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return seen


async def crawl_all_leaving_workers(root: str, get_links: GetLinks, workers: int) -> set[str]:
    async def handle(url: str, queue: asyncio.Queue[str], seen: set[str]) -> None:
        for link in await get_links(url):
            if link not in seen and on_site(link, root):
                seen.add(link)
                queue.put_nowait(link)

    queue, seen, worker = _pool(root, get_links, handle)
    for _ in range(workers):
        asyncio.create_task(worker())  # noqa: RUF006 (the mistake: nobody keeps or stops them)
    await queue.join()
    return seen


async def crawl_all_blocking(root: str, get_links: GetLinks, workers: int) -> set[str]:
    async def handle(url: str, queue: asyncio.Queue[str], seen: set[str]) -> None:
        time.sleep(0.2)  # noqa: ASYNC251 ("be polite to the server": but it stops the whole loop)
        for link in await get_links(url):
            if link not in seen and on_site(link, root):
                seen.add(link)
                queue.put_nowait(link)

    queue, seen, worker = _pool(root, get_links, handle)
    tasks = [asyncio.create_task(worker()) for _ in range(workers)]
    await queue.join()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return seen


# --- Exercise 2: save_all ---------------------------------------------------------------------------------


async def save_all_model(urls: list[str], download: Download, save: Save, savers: int, maxsize: int) -> None:
    queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize)

    async def saver() -> None:
        while True:
            page = await queue.get()
            try:
                if page is None:
                    return
                await save(page)
            finally:
                queue.task_done()

    async with asyncio.TaskGroup() as tg:
        for _ in range(savers):
            tg.create_task(saver())
        for url in urls:
            await queue.put(await download(url))  # waits while the queue is full: back-pressure
        for _ in range(savers):
            await queue.put(None)  # one sentinel per saver, after the last page


async def save_all_stub(urls: list[str], download: Download, save: Save, savers: int, maxsize: int) -> None:
    # Your code here: download into a queue of at most `maxsize` pages; `savers` tasks save from it.
    ...


async def _saver_loop(queue: asyncio.Queue[str | None], save: Save) -> None:
    while True:
        page = await queue.get()
        try:
            if page is None:
                return
            await save(page)
        finally:
            queue.task_done()


async def save_all_unbounded(
    urls: list[str], download: Download, save: Save, savers: int, maxsize: int
) -> None:
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    async with asyncio.TaskGroup() as tg:
        for _ in range(savers):
            tg.create_task(_saver_loop(queue, save))
        for url in urls:
            await queue.put(await download(url))
        for _ in range(savers):
            await queue.put(None)


async def save_all_cancelling_too_soon(
    urls: list[str], download: Download, save: Save, savers: int, maxsize: int
) -> None:
    queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize)
    tasks = [asyncio.create_task(_saver_loop(queue, save)) for _ in range(savers)]
    for url in urls:
        await queue.put(await download(url))
    for task in tasks:  # the last pages are still in the queue: they are lost
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def save_all_one_sentinel(
    urls: list[str], download: Download, save: Save, savers: int, maxsize: int
) -> None:
    queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize)
    async with asyncio.TaskGroup() as tg:
        for _ in range(savers):
            tg.create_task(_saver_loop(queue, save))
        for url in urls:
            await queue.put(await download(url))
        await queue.put(None)  # stops one saver; the others wait for ever


async def save_all_put_nowait(
    urls: list[str], download: Download, save: Save, savers: int, maxsize: int
) -> None:
    queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize)
    async with asyncio.TaskGroup() as tg:
        for _ in range(savers):
            tg.create_task(_saver_loop(queue, save))
        for url in urls:
            queue.put_nowait(await download(url))  # raises QueueFull instead of waiting
        for _ in range(savers):
            await queue.put(None)


async def save_all_one_saver(
    urls: list[str], download: Download, save: Save, savers: int, maxsize: int
) -> None:
    queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize)
    async with asyncio.TaskGroup() as tg:
        tg.create_task(_saver_loop(queue, save))
        for url in urls:
            await queue.put(await download(url))
        await queue.put(None)


async def save_all_join_then_cancel(
    urls: list[str], download: Download, save: Save, savers: int, maxsize: int
) -> None:
    """Right too: join() waits until every page queued is saved; only then are the idle savers cancelled."""
    queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize)
    tasks = [asyncio.create_task(_saver_loop(queue, save)) for _ in range(savers)]
    for url in urls:
        await queue.put(await download(url))
    await queue.join()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def save_all_shutdown(
    urls: list[str], download: Download, save: Save, savers: int, maxsize: int
) -> None:
    """Right on Python 3.13: after the last page, shutdown() makes each saver's get() raise once the queue is empty."""
    queue: asyncio.Queue[str] = asyncio.Queue(maxsize)

    async def saver() -> None:
        while True:
            try:
                page = await queue.get()
            except asyncio.QueueShutDown:  # type: ignore[attr-defined,unused-ignore]
                return
            try:
                await save(page)
            finally:
                queue.task_done()

    async with asyncio.TaskGroup() as tg:
        for _ in range(savers):
            tg.create_task(saver())
        for url in urls:
            await queue.put(await download(url))
        queue.shutdown()  # type: ignore[attr-defined,unused-ignore]


# --- Exercise 3: OnceCache --------------------------------------------------------------------------------


class OnceCacheModel:
    def __init__(self, fetch: Callable[[str], Awaitable[Any]]) -> None:
        self.fetch = fetch
        self.values: dict[str, Any] = {}
        self.locks: dict[str, asyncio.Lock] = {}

    async def get(self, key: str) -> Any:
        lock = self.locks.setdefault(key, asyncio.Lock())
        async with lock:  # one lock per key: other keys are fetched meanwhile
            if key not in self.values:
                self.values[key] = await self.fetch(key)
        return self.values[key]


class OnceCacheWithTasks:
    """Right too, with no lock: the task is stored before any await, and every caller awaits it."""

    def __init__(self, fetch: Callable[[str], Awaitable[Any]]) -> None:
        self.fetch = fetch
        self.tasks: dict[str, asyncio.Task[Any]] = {}

    async def get(self, key: str) -> Any:
        if key not in self.tasks:
            self.tasks[key] = asyncio.ensure_future(self.fetch(key))
        return await self.tasks[key]


class OnceCacheStub:
    def __init__(self, fetch: Callable[[str], Awaitable[Any]]) -> None:
        # Keep what get() will need.
        ...

    async def get(self, key: str) -> Any:
        # Return fetch(key)'s value, fetching it only once per key however many tasks ask at the same time.
        ...


class OnceCacheWithoutLock:
    def __init__(self, fetch: Callable[[str], Awaitable[Any]]) -> None:
        self.fetch = fetch
        self.values: dict[str, Any] = {}

    async def get(self, key: str) -> Any:
        if key not in self.values:
            self.values[key] = await self.fetch(key)  # the others check while this one awaits
        return self.values[key]


class OnceCacheOneLock:
    def __init__(self, fetch: Callable[[str], Awaitable[Any]]) -> None:
        self.fetch = fetch
        self.values: dict[str, Any] = {}
        self.lock = asyncio.Lock()

    async def get(self, key: str) -> Any:
        async with self.lock:  # held while fetching any key: every other key waits
            if key not in self.values:
                self.values[key] = await self.fetch(key)
        return self.values[key]


class OnceCacheNewLockEachCall:
    def __init__(self, fetch: Callable[[str], Awaitable[Any]]) -> None:
        self.fetch = fetch
        self.values: dict[str, Any] = {}

    async def get(self, key: str) -> Any:
        async with asyncio.Lock():  # a lock nobody else holds protects nothing
            if key not in self.values:
                self.values[key] = await self.fetch(key)
        return self.values[key]


class OnceCacheForgettingToReturn:
    def __init__(self, fetch: Callable[[str], Awaitable[Any]]) -> None:
        self.fetch = fetch
        self.values: dict[str, Any] = {}
        self.locks: dict[str, asyncio.Lock] = {}

    async def get(self, key: str) -> Any:
        async with self.locks.setdefault(key, asyncio.Lock()):
            if key not in self.values:
                self.values[key] = await self.fetch(key)


class OnceCacheBlocking:
    def __init__(self, fetch: Callable[[str], Awaitable[Any]]) -> None:
        self.fetch = fetch
        self.values: dict[str, Any] = {}
        self.locks: dict[str, asyncio.Lock] = {}

    async def get(self, key: str) -> Any:
        async with self.locks.setdefault(key, asyncio.Lock()):
            if key not in self.values:
                time.sleep(0.2)  # noqa: ASYNC251 (a blocking call inside a coroutine: the loop stands still)
                self.values[key] = await self.fetch(key)
        return self.values[key]


CASES = [
    Cases(
        check_crawl_all,
        right=crawl_all_model,
        stub=crawl_all_stub,
        wrong=[
            Wrong(crawl_all_without_task_done, "never calls task_done: join waits for ever", "task_done()"),
            Wrong(crawl_all_off_site, "follows every link, off the site too", "not on http://site.test/"),
            Wrong(crawl_all_seen_after_the_fetch, "marks a page seen once fetched", "fetched more than once"),
            Wrong(crawl_all_lock_across_the_fetch, "a lock around the fetch", "a lock held across the fetch"),
            Wrong(crawl_all_leaving_workers, "never stops its workers", "still running after crawl_all"),
            Wrong(crawl_all_blocking, "time.sleep in a worker", "the event loop stood still"),
        ],
    ),
    Cases(
        check_save_all,
        right=save_all_model,
        stub=save_all_stub,
        wrong=[
            Wrong(save_all_unbounded, "an unbounded queue", "the downloads ran ahead of the savers"),
            Wrong(save_all_cancelling_too_soon, "cancels the savers with pages queued", "never saved"),
            Wrong(save_all_one_sentinel, "one sentinel for three savers", "One sentinel stops one saver"),
            Wrong(save_all_put_nowait, "put_nowait on a bounded queue", "your code raised QueueFull"),
            Wrong(save_all_one_saver, "a single saver", "saved one at a time"),
        ],
    ),
    Cases(
        check_once_cache,
        right=OnceCacheModel,
        stub=OnceCacheStub,
        wrong=[
            Wrong(
                OnceCacheWithoutLock, "checks, then awaits the fetch, with no lock", "it was fetched 8 times"
            ),
            Wrong(OnceCacheOneLock, "one lock for every key", "held across an await it does not need"),
            Wrong(OnceCacheNewLockEachCall, "a new lock on each call", "it was fetched 8 times"),
            Wrong(OnceCacheForgettingToReturn, "stores the value, returns nothing", "should return fetch"),
            Wrong(OnceCacheBlocking, "time.sleep inside get", "the event loop stood still"),
        ],
    ),
]

# Right answers other than the model, each run by tests/test_coordinating_tasks_checks.py.
OTHER_RIGHT = [
    (check_save_all, save_all_join_then_cancel),
    (check_once_cache, OnceCacheWithTasks),
]
SINCE_3_13 = [(check_save_all, save_all_shutdown)]
