"""Answers to the exercises of lesson 07: ``free_domains``, ``batched``, ``first_free`` and ``Throttle``."""

from __future__ import annotations

import asyncio
import contextlib
import time

from support.exercises.async_iteration import (
    check_batched,
    check_first_free,
    check_free_domains,
    check_throttle,
)

from . import Cases, Wrong

# ---- Exercise 1: an async comprehension (warm-up)


async def free_domains_model(results):
    return sorted([result.domain async for result in results if not result.found])


async def free_domains_stub(results):
    # Return the sorted list of the domains in `results` that do not resolve.
    ...


async def free_domains_sync_comprehension(results):
    return sorted([result.domain for result in results if not result.found])


def free_domains_generator_expression(results):
    return (result.domain async for result in results if not result.found)


async def free_domains_found_ones(results):
    return sorted([result.domain async for result in results if result.found])


async def free_domains_unsorted(results):
    return [result.domain async for result in results if not result.found]


async def free_domains_results(results):
    return sorted([result async for result in results if not result.found])


async def free_domains_no_return(results):
    [result.domain async for result in results if not result.found]


async def free_domains_sorted_generator(results):
    return sorted(result.domain async for result in results if not result.found)


# ---- Exercise 2: batches from an async source


async def batched_model(source, size):
    batch = []
    async for item in source:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


async def batched_stub(source, size):
    # Hand out lists of `size` items from `source`, each as soon as it is full; the last may be shorter.
    ...


async def batched_reads_everything_first(source, size):
    items = [item async for item in source]
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def batched_loses_the_last(source, size):
    batch = []
    async for item in source:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []


async def batched_clears_the_yielded_list(source, size):
    batch = []
    async for item in source:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch.clear()
    if batch:
        yield batch


async def batched_always_yields_the_rest(source, size):
    batch = []
    async for item in source:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    yield batch


async def batched_yields_in_finally(source, size):
    batch = []
    try:
        async for item in source:
            batch.append(item)
            if len(batch) == size:
                yield batch
                batch = []
    finally:
        if batch:
            yield batch  # also runs while the generator is being closed: it may not yield then


async def batched_swallows_errors(source, size):
    batch = []
    try:
        async for item in source:
            batch.append(item)
            if len(batch) == size:
                yield batch
                batch = []
    except Exception:
        pass  # a dropped connection looks like the end of the data
    if batch:
        yield batch


async def batched_reads_ahead(source, size):
    batch = []
    async for item in source:
        if len(batch) == size:  # the full batch goes out only once the next item has come
            yield batch
            batch = []
        batch.append(item)
    if batch:
        yield batch


def batched_plain_generator(source, size):
    batch = []
    for item in source:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


async def batched_returns_a_list(source, size):
    batches, batch = [], []
    async for item in source:
        batch.append(item)
        if len(batch) == size:
            batches.append(batch)
            batch = []
    if batch:
        batches.append(batch)
    return batches


# ---- Exercise 3: stop early, and close what you stopped reading


async def first_free_model(results):
    async with contextlib.aclosing(results) as rows:
        async for result in rows:
            if not result.found:
                return result.domain
    return None


async def first_free_stub(results):
    # Return the domain of the first result that does not resolve (None if there is none), then close `results`.
    ...


async def first_free_without_closing(results):
    async for result in results:
        if not result.found:
            return result.domain
    return None


async def first_free_by_hand(results):
    try:
        async for result in results:
            if not result.found:
                return result.domain
        return None
    finally:
        await results.aclose()


async def first_free_reads_everything(results):
    async with contextlib.aclosing(results) as rows:
        free = [result.domain async for result in rows if not result.found]
    return free[0] if free else None


async def first_free_returns_the_result(results):
    async with contextlib.aclosing(results) as rows:
        async for result in rows:
            if not result.found:
                return result
    return None


async def first_free_first_found(results):
    async with contextlib.aclosing(results) as rows:
        async for result in rows:
            if result.found:
                return result.domain
    return None


def first_free_plain_function(results):
    for result in results:
        if not result.found:
            return result.domain
    return None


# ---- Exercise 4: an async iterator class that keeps a pace


class ThrottleModel:
    def __init__(self, source, interval):
        self.source = aiter(source)
        self.interval = interval
        self.last = None  # the loop's time when the previous item went out

    def __aiter__(self):
        return self

    async def __anext__(self):
        item = await anext(self.source)
        if self.last is not None:
            loop = asyncio.get_running_loop()
            await asyncio.sleep(self.last + self.interval - loop.time())  # a negative sleep returns at once
        self.last = asyncio.get_running_loop().time()
        return item


class ThrottleStub:
    def __init__(self, source, interval):
        # Keep what __anext__ needs.
        ...

    def __aiter__(self): ...

    async def __anext__(self):
        # Hand out the next item of the source, no sooner than `interval` after the one before.
        ...


class ThrottleSimple:
    """Also right: a fixed pause before every item after the first (a slow source makes it slower still)."""

    def __init__(self, source, interval):
        self.source = aiter(source)
        self.interval = interval
        self.first = True

    def __aiter__(self):
        return self

    async def __anext__(self):
        if not self.first:
            await asyncio.sleep(self.interval)
        self.first = False
        return await anext(self.source)


class ThrottleTimeSleep:
    def __init__(self, source, interval):
        self.source = aiter(source)
        self.interval = interval
        self.first = True

    def __aiter__(self):
        return self

    async def __anext__(self):
        if not self.first:
            time.sleep(self.interval)  # noqa: ASYNC251 - the blocking call is the mistake under test
        self.first = False
        return await anext(self.source)


class ThrottleAsyncAiter:
    def __init__(self, source, interval):
        self.source = aiter(source)
        self.interval = interval

    async def __aiter__(self):
        return self

    async def __anext__(self):
        await asyncio.sleep(self.interval)
        return await anext(self.source)


class ThrottleStopIteration:
    def __init__(self, source, interval):
        self.source = aiter(source)
        self.interval = interval
        self.first = True

    def __aiter__(self):
        return self

    async def __anext__(self):
        if not self.first:
            await asyncio.sleep(self.interval)
        self.first = False
        try:
            return await anext(self.source)
        except StopAsyncIteration:
            raise StopIteration from None


class ThrottleWaitsFirst:
    def __init__(self, source, interval):
        self.source = aiter(source)
        self.interval = interval

    def __aiter__(self):
        return self

    async def __anext__(self):
        await asyncio.sleep(self.interval)
        return await anext(self.source)


class ThrottleNeverWaits:
    def __init__(self, source, interval):
        self.source = aiter(source)
        self.interval = interval

    def __aiter__(self):
        return self

    async def __anext__(self):
        return await anext(self.source)


class ThrottleNeverEnds:
    def __init__(self, source, interval):
        self.source = aiter(source)
        self.interval = interval
        self.first = True

    def __aiter__(self):
        return self

    async def __anext__(self):
        if not self.first:
            await asyncio.sleep(self.interval)
        self.first = False
        try:
            return await anext(self.source)
        except StopAsyncIteration:
            return None


class ThrottleWithoutAiter:
    def __init__(self, source, interval):
        self.source = source  # an iterable need not be an iterator: anext() fails on it
        self.interval = interval
        self.first = True

    def __aiter__(self):
        return self

    async def __anext__(self):
        if not self.first:
            await asyncio.sleep(self.interval)
        self.first = False
        return await anext(self.source)


class ThrottleAiterEveryTime:
    def __init__(self, source, interval):
        self.source = source
        self.interval = interval
        self.first = True

    def __aiter__(self):
        return self

    async def __anext__(self):
        if not self.first:
            await asyncio.sleep(self.interval)
        self.first = False
        return await anext(aiter(self.source))  # a new pass over the source for every item


class ThrottleBusyWaits:
    def __init__(self, source, interval):
        self.source = aiter(source)
        self.interval = interval
        self.last = None

    def __aiter__(self):
        return self

    async def __anext__(self):
        item = await anext(self.source)
        loop = asyncio.get_running_loop()
        if self.last is not None:
            while loop.time() < self.last + self.interval:
                pass  # waits, and so does everything else
        self.last = loop.time()
        return item


class ThrottleSync:
    def __init__(self, source, interval):
        self.source = source
        self.interval = interval

    def __iter__(self):
        return self

    def __next__(self):
        return next(self.source)


CASES = [
    Cases(
        check_free_domains,
        right=free_domains_model,
        stub=free_domains_stub,
        wrong=[
            Wrong(
                free_domains_sync_comprehension,
                "a plain comprehension over an async generator",
                "not iterable",
            ),
            Wrong(
                free_domains_generator_expression, "returns an async generator expression", "has not run yet"
            ),
            Wrong(
                free_domains_sorted_generator, "sorted() over an async generator expression", "not iterable"
            ),
            Wrong(free_domains_found_ones, "keeps the names that resolve", "are the names that resolve"),
            Wrong(free_domains_unsorted, "forgets to sort", "wrong order"),
            Wrong(free_domains_results, "returns the Result tuples", "not the Result tuples"),
            Wrong(free_domains_no_return, "builds the list and returns nothing", "returned None"),
        ],
    ),
    Cases(
        check_batched,
        right=batched_model,
        stub=batched_stub,
        wrong=[
            Wrong(
                batched_reads_everything_first,
                "reads the whole source before the first batch",
                "read the whole source",
            ),
            Wrong(batched_loses_the_last, "drops the last, shorter batch", "was lost"),
            Wrong(
                batched_clears_the_yielded_list,
                "clears the list it just yielded",
                "changed after they were handed out",
            ),
            Wrong(
                batched_always_yields_the_rest,
                "yields an empty batch when the items divide evenly",
                "an empty batch",
            ),
            Wrong(batched_plain_generator, "a plain generator with for", "plain generator"),
            Wrong(
                batched_returns_a_list, "returns a list of batches from a coroutine", "returned a coroutine"
            ),
            Wrong(
                batched_yields_in_finally, "yields the last batch inside finally", "yields inside `finally`"
            ),
            Wrong(
                batched_swallows_errors, "except Exception around the loop", "the error must reach the reader"
            ),
            Wrong(
                batched_reads_ahead,
                "yields a full batch only once the next item came",
                "as soon as it is full",
            ),
        ],
    ),
    Cases(
        check_first_free,
        right=first_free_model,
        stub=first_free_stub,
        wrong=[
            Wrong(
                first_free_without_closing,
                "returns from the async for without closing",
                "did not close the generator",
            ),
            Wrong(
                first_free_reads_everything, "reads every result into a list first", "stop reading as soon as"
            ),
            Wrong(first_free_returns_the_result, "returns the Result, not the name", "not the Result"),
            Wrong(
                first_free_first_found,
                "returns the first name that resolves",
                "the first result that does not resolve",
            ),
            Wrong(first_free_plain_function, "a plain def with for", "must be defined with `async def`"),
        ],
    ),
    Cases(
        check_throttle,
        right=ThrottleModel,
        stub=ThrottleStub,
        wrong=[
            Wrong(ThrottleTimeSleep, "waits with time.sleep", "time.sleep blocks"),
            Wrong(ThrottleAsyncAiter, "__aiter__ defined with async def", "__aiter__ must be a plain `def`"),
            Wrong(ThrottleStopIteration, "raises StopIteration at the end", "raise StopAsyncIteration"),
            Wrong(
                ThrottleWaitsFirst, "waits before the first item too", "the first item came only after a wait"
            ),
            Wrong(ThrottleNeverWaits, "never waits", "closer than the interval"),
            Wrong(
                ThrottleNeverEnds,
                "turns the end of the source into None items",
                "went on after the source ended",
            ),
            Wrong(ThrottleSync, "__iter__ and __next__ instead of __aiter__ and __anext__", "are for `for`"),
            Wrong(
                ThrottleWithoutAiter, "anext(source) without aiter(source)", "`self.items = aiter(source)`"
            ),
            Wrong(
                ThrottleAiterEveryTime,
                "aiter(source) in every __anext__",
                "called aiter(source) for every item",
            ),
            Wrong(
                ThrottleBusyWaits, "waits in a while loop that never awaits", "never with a call or a loop"
            ),
        ],
    ),
]
