"""Checks for the exercises of ``07_async_iteration``.

Each check feeds the learner's code a source it made itself, an async generator that counts how many items
were taken from it and notes when its ``finally`` ran. So the checks see what a result alone cannot show:
whether an answer read everything before it handed out the first item, and whether it closed a generator
it stopped reading. Sources pause with ``asyncio.sleep(0)`` between items, as a network source would, so an
answer that forgets to await somewhere cannot pass by luck.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..lab.dns_server import Result
from .checking import checker, fail, require
from .learner_code import read_code
from .watching import watching

__all__ = ["check_batched", "check_first_free", "check_free_domains", "check_throttle"]


@dataclass
class _Log:
    """What a checked source saw: items taken from it, and whether its clean-up ran."""

    taken: int = 0
    closed: bool = False
    finished: bool = False


@dataclass
class _Source:
    items: Sequence[Any]
    log: _Log = field(default_factory=_Log)
    fails_after: int | None = None  # raise ConnectionError after handing out this many items

    async def generator(self) -> AsyncIterator[Any]:
        try:
            for item in self.items:
                await asyncio.sleep(0)  # a real source waits for its next item here
                if self.log.taken == self.fails_after:
                    raise ConnectionError("the source's connection dropped")
                self.log.taken += 1
                yield item
            self.log.finished = True
        finally:
            self.log.closed = True


class _Feed:
    """An async *iterable* that is not an iterator, like a database table or a feed object: each
    ``aiter(feed)`` starts a new pass over the items. ``anext(feed)`` fails: it has no ``__anext__``."""

    def __init__(self, items: Sequence[Any]) -> None:
        self.items = list(items)
        self.passes: list[_Log] = []

    def __aiter__(self) -> AsyncIterator[Any]:
        made = _Source(self.items)
        self.passes.append(made.log)
        return made.generator()


def _source(items: Iterable[Any]) -> tuple[AsyncIterator[Any], _Log]:
    made = _Source(list(items))
    return made.generator(), made.log


async def _close(value: object) -> None:
    """Close whatever a wrong answer handed back unfinished, so it leaves no warning behind."""
    if inspect.iscoroutine(value):
        value.close()
    elif inspect.isasyncgen(value):
        await value.aclose()
    elif inspect.isgenerator(value):
        value.close()


async def _settle(made: object, name: str, what: str) -> Any:
    """Await ``made`` if it is awaitable; stop with a hint when it is an async generator instead of a value."""
    if inspect.isasyncgen(made):
        await _close(made)
        fail(
            f"{name} gave back an async generator, which has not run yet: {what} Define it with `async def` "
            "and return a list built with [... async for ...]."
        )
    if inspect.isawaitable(made):
        return await made
    return made


# ---- Exercise 1: an async comprehension (warm-up)

_RESULTS = [
    Result("if.net", True),
    Result("or.net", False),
    Result("def.net", False),
    Result("as.net", True),
    Result("and.net", False),
    Result("in.net", True),
]


@checker("Exercise 1", todo="fill in free_domains above, then run this cell")
async def check_free_domains(free_domains: Callable[[AsyncIterator[Result]], Any]) -> str:
    """``await free_domains(results)`` is the sorted list of the domains in ``results`` that do not resolve."""
    source, log = _source(_RESULTS)
    try:
        got = await _settle(free_domains(source), "free_domains(results)", "a list of names was asked for.")
    finally:
        await source.aclose()  # type: ignore[attr-defined]
    expected = sorted(r.domain for r in _RESULTS if not r.found)
    require(got is not None, "free_domains returned None: return the list of names that do not resolve.")
    require(
        isinstance(got, list),
        f"free_domains returned {type(got).__name__}; return a list, e.g. sorted([...]).",
    )
    require(log.finished, "free_domains did not read every result: an async comprehension reads to the end.")
    require(
        not any(isinstance(item, Result) for item in got),
        f"return the domain names (result.domain), not the Result tuples; got {got!r}.",
    )
    taken = sorted(r.domain for r in _RESULTS if r.found)
    require(
        sorted(got) != taken,
        f"{sorted(got)} are the names that resolve (found is True); the free ones are the others.",
    )
    require(sorted(got) == expected, f"the names that do not resolve are {expected}; got {got!r}.")
    require(got == expected, f"right names, wrong order: sort them ({expected}); got {got!r}.")
    empty_source, _ = _source([])
    empty = await _settle(free_domains(empty_source), "free_domains(results)", "a list was asked for.")
    require(empty == [], f"with no results at all, free_domains should return []; got {empty!r}.")
    return f"{len(expected)} free names out of {len(_RESULTS)}, sorted"


# ---- Exercise 2: batches from an async source


@checker("Exercise 2", todo="fill in batched above, then run this cell")
async def check_batched(batched: Callable[[AsyncIterator[Any], int], Any]) -> str:
    """``batched(source, size)`` is an async generator of lists of ``size`` items, each handed out once full.

    The last batch may be shorter, and none is empty. A batch must come out as soon as it is full: the
    source counts what was taken from it when the first batch arrives.
    """
    source, log = _source(range(1, 8))
    made = batched(source, 3)
    if inspect.isgenerator(made):
        made.close()
        fail(
            "batched is a plain generator (def with yield): it cannot wait for an async source. "
            "Make it `async def` and read the source with `async for`."
        )
    if inspect.iscoroutine(made):
        made.close()
        fail(
            "batched(source, 3) returned a coroutine, not an async generator: hand out each batch with "
            "`yield batch` inside the `async def`, instead of returning them all at the end."
        )
    require(
        hasattr(made, "__anext__"),
        f"batched(source, 3) returned {type(made).__name__}; it should be an async generator (async def with "
        "yield) that `async for` can read.",
    )
    iterator: Any = made
    try:
        try:
            first = await anext(iterator)
        except StopAsyncIteration:
            fail("batched(source, 3) handed out nothing at all for 7 items.")
        require(
            log.taken <= 3,
            f"batched took {log.taken} items from the source before it handed out the first batch of 3: yield "
            "each batch as soon as it is full, don't read the whole source first.",
        )
        seen = [first]
        snapshots = [list(first) if isinstance(first, list) else first]
        async for batch in iterator:
            seen.append(batch)
            snapshots.append(list(batch) if isinstance(batch, list) else batch)
            if len(seen) > 10:
                fail("batched kept handing out batches after the source ended.")
    finally:
        await _close(iterator)
        await source.aclose()  # type: ignore[attr-defined]
    require(
        all(isinstance(b, list) for b in snapshots),
        f"each batch should be a list of items; got {snapshots!r}.",
    )
    expected = [[1, 2, 3], [4, 5, 6], [7]]
    require(
        snapshots == seen,
        f"the batches changed after they were handed out (first {snapshots!r}, then {seen!r}): start a new "
        "list for each batch (`batch = []`) instead of clearing the one you yielded.",
    )
    require(
        [] not in seen,
        f"batched handed out an empty batch ({seen!r}): yield the last batch only when it holds something.",
    )
    require(
        seen != expected[:2],
        f"7 items in batches of 3 should give {expected}; the last one, [7], was lost. After the loop, yield "
        "what is left.",
    )
    require(seen == expected, f"7 items in batches of 3 should give {expected}; got {seen!r}.")
    await _batched_stops_cleanly(batched)
    even, _ = _source("abcdef")
    pairs = [list(batch) async for batch in batched(even, 2)]
    require(
        [] not in pairs,
        f"6 items in batches of 2 gave {pairs!r}, an empty batch at the end: yield what is left after the "
        "loop only when it holds something.",
    )
    require(
        pairs == [["a", "b"], ["c", "d"], ["e", "f"]],
        f"6 items in batches of 2 should give three full pairs; got {pairs!r}.",
    )
    await _batched_lets_errors_through(batched)
    return "full batches handed out as soon as they filled, the short last one too, none empty"


async def _batched_stops_cleanly(batched: Callable[[AsyncIterator[Any], int], Any]) -> None:
    """A reader that takes one batch and closes the generator: batched must let itself be closed."""
    source, _ = _source(range(1, 8))
    made = batched(source, 3)
    try:
        await anext(made)
        try:
            await made.aclose()
        except RuntimeError as exc:
            if "GeneratorExit" not in str(exc):
                raise
            lines = read_code(batched).yields_in_finally
            where = f" at line {lines[0]} of your cell" if lines else ""
            fail(
                f"batched yields inside `finally`{where}: when a reader stops early and closes it (break, "
                "aclose), the `finally` runs while the generator is being closed, and a generator being closed "
                "may not yield again (RuntimeError: async generator ignored GeneratorExit). Yield the last "
                "batch after the `async for` loop instead."
            )
    finally:
        await source.aclose()  # type: ignore[attr-defined]


async def _batched_lets_errors_through(batched: Callable[[AsyncIterator[Any], int], Any]) -> None:
    """A source that fails after 4 items: the reader must see the error, after the full batch before it."""
    failing = _Source(list(range(1, 8)), fails_after=4)
    source = failing.generator()
    made = batched(source, 3)
    seen: list[Any] = []
    try:
        async for batch in made:
            seen.append(list(batch))
            if len(seen) > 5:
                break
    except ConnectionError:
        return
    finally:
        await _close(made)
        await source.aclose()  # type: ignore[attr-defined]
    fail(
        f"the source raised ConnectionError after 4 items, and batched ended quietly after {seen!r}: the "
        "error must reach the reader. Don't catch it in batched (or raise it again after yielding what "
        "you had)."
    )


# ---- Exercise 3: stop early, and close what you stopped reading

_FIRST_FREE = [
    Result("if.net", True),
    Result("as.net", True),
    Result("or.net", False),
    Result("in.net", True),
    Result("def.net", False),
]


@checker("Exercise 3", todo="fill in first_free above, then run this cell")
async def check_first_free(first_free: Callable[[AsyncIterator[Result]], Any]) -> str:
    """``await first_free(results)`` is the first domain that does not resolve, read no further than needed,
    with ``results`` closed before it returns (its ``finally`` has run), or None when every name resolves.
    """
    require(
        inspect.iscoroutinefunction(first_free),
        "first_free must be defined with `async def`: only a coroutine can read an async generator.",
    )
    source, log = _source(_FIRST_FREE)
    try:
        got = await first_free(source)
        closed_by_answer = log.closed  # read before our own aclose below
    finally:
        await source.aclose()  # type: ignore[attr-defined]
    require(
        not isinstance(got, Result), f"return the domain name (result.domain), not the Result; got {got!r}."
    )
    require(got is not None, "first_free returned None, but or.net does not resolve: return its name.")
    require(
        got == "or.net",
        f"the first result that does not resolve is or.net (found is False); got {got!r}.",
    )
    require(
        log.taken == 3,
        f"first_free read {log.taken} of the {len(_FIRST_FREE)} results, but the answer was the 3rd: stop "
        "reading as soon as you have it (return from inside the async for).",
    )
    require(
        closed_by_answer,
        "first_free stopped reading but did not close the generator: its finally has not run, so whatever it "
        "holds (probes in flight, a connection) is still busy. Close it before returning: "
        "`async with contextlib.aclosing(results) as rs:` around the loop, or `await results.aclose()`.",
    )
    every_one_found, log = _source([Result("if.net", True), Result("as.net", True)])
    none = await first_free(every_one_found)
    require(none is None, f"when every name resolves, first_free should return None; got {none!r}.")
    require(log.closed, "when every name resolves, the generator should still end up closed.")
    return "or.net, after reading 3 results, with the generator closed before first_free returned"


# ---- Exercise 4: an async iterator class that keeps a pace

INTERVAL = 0.1  # long enough that a busy machine's hiccups stay well inside the margins
_PACED = list("abcde")


async def _consume(iterator: Any, limit: int) -> tuple[list[Any], list[float]]:
    """Up to ``limit`` items from ``iterator``, and the loop's time when each arrived."""
    loop = asyncio.get_running_loop()
    items: list[Any] = []
    times: list[float] = []
    while len(items) < limit:
        try:
            item = await iterator.__anext__()
        except StopAsyncIteration:
            break
        except RuntimeError as exc:
            if isinstance(exc.__cause__, StopIteration):
                fail(
                    "__anext__ raised StopIteration, which a coroutine may not let out (Python turns it into "
                    "RuntimeError). Signal the end with `raise StopAsyncIteration`, or let anext(source) "
                    "raise it for you."
                )
            raise
        items.append(item)
        times.append(loop.time())
    return items, times


@checker("Exercise 4", todo="fill in the Throttle class above, then run this cell")
async def check_throttle(throttle: Callable[[Any, float], Any]) -> str:
    """``async for item in Throttle(source, interval)`` gives the source's items in order: the first at once,
    each next no sooner than ``interval`` after the one before, without blocking the event loop.
    """
    require(inspect.isclass(throttle), "Throttle should be a class with __aiter__ and __anext__.")
    source, log = _source(_PACED)
    made = throttle(source, INTERVAL)
    code = read_code(throttle)
    try:
        if not hasattr(made, "__aiter__"):
            hint = (
                " (__iter__ and __next__ are for `for`, not `async for`)" if hasattr(made, "__next__") else ""
            )
            fail(f"`async for` needs a __aiter__ method{hint}: def __aiter__(self): return self.")
        iterator = made.__aiter__()
        if inspect.isawaitable(iterator):
            await _close(iterator)
            fail("__aiter__ must be a plain `def` that returns self: `async for` calls it without awaiting.")
        require(
            iterator is not None and hasattr(iterator, "__anext__"),
            f"__aiter__ returned {iterator!r}; it should return the iterator itself (`return self`), whose "
            "__anext__ `async for` then calls.",
        )
        step = iterator.__anext__()
        require(
            inspect.isawaitable(step),
            "__anext__ must be `async def`: `async for` awaits what it returns, and it returned "
            f"{type(step).__name__}.",
        )
        await _close(step)  # only looked at: the real run starts below, on a fresh source
    finally:
        await source.aclose()  # type: ignore[attr-defined]
    feed = _Feed(_PACED)  # an async iterable, not an iterator: a table, a feed
    loop = asyncio.get_running_loop()
    try:
        async with watching() as seen:
            started = loop.time()
            items, times = await _consume(throttle(feed, INTERVAL).__aiter__(), len(_PACED) + 3)
    except TypeError as exc:
        if "async iterator" not in str(exc) or code.calls("aiter"):
            raise
        fail(
            "source is an async iterable, like a table or a feed, not always an iterator: anext(source) "
            "works only on an iterator. Ask it for one once, in __init__: `self.items = aiter(source)`, then "
            "`await anext(self.items)` in __anext__."
        )
    if len(feed.passes) > 1 and items[:2] == _PACED[:1] * 2:
        fail(
            "Throttle handed out the first item again and again: it called aiter(source) for every item, "
            "which starts a new pass over the source each time. Call it once, in __init__."
        )
    # busy, not max_lag alone: on a crowded machine a free loop can wait an interval's half for a CPU once;
    # a blocked one is found inside the learner's code for nearly the whole run
    if seen.busy > 0.5:
        fail(
            "the event loop stood still while Throttle waited, and every other task with it"
            + (
                ": time.sleep blocks the whole thread. Wait with `await asyncio.sleep(...)`."
                if code.calls("time.sleep")
                else ": wait with `await asyncio.sleep(...)`, never with a call or a loop that blocks."
            )
        )
    require(
        items[: len(_PACED)] == _PACED,
        f"Throttle should hand out the source's items {_PACED} in order; got {items!r}.",
    )
    require(
        len(items) == len(_PACED),
        f"Throttle went on after the source ended ({items!r}): let StopAsyncIteration from the source "
        "through, or raise it yourself.",
    )
    require(
        times[0] - started < 0.5 * INTERVAL,
        "the first item came only after a wait: hand it out at once, and wait only between items.",
    )
    closest = min(b - a for a, b in zip(times, times[1:], strict=False))
    require(
        closest >= 0.8 * INTERVAL,
        f"two items came {closest * 1000:.0f} ms apart, closer than the interval ({INTERVAL * 1000:.0f} ms): "
        "wait before handing out each item after the first.",
    )
    return f"{len(_PACED)} items, the first at once and the others at least {INTERVAL * 1000:.0f} ms apart"
