"""Answers to the exercises of lesson 04: ``lookup_all``, ``LoopWatch`` and ``save_streamed``."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

from support.exercises.executors import check_lookup_all, check_loop_watch, check_save_streamed

from . import Cases, Wrong

Lookup = Callable[[str], str]
ReadChunk = Callable[[], Awaitable[bytes]]

# --- Exercise 1: lookup_all ---------------------------------------------------------------------------------


async def lookup_all(names: list[str], lookup: Lookup) -> list[str]:
    return await asyncio.gather(*(asyncio.to_thread(lookup, name) for name in names))


async def lookup_all_with_a_pool(names: list[str], lookup: Lookup) -> list[str]:
    """Another right answer: run_in_executor with a pool of its own, as big as the list."""
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        return await asyncio.gather(*(loop.run_in_executor(pool, lookup, name) for name in names))


async def lookup_all_stub(names: list[str], lookup: Lookup) -> list[str]:
    # Your code here: each lookup in a worker thread, all at once, the answers in the order of names.
    ...


async def lookup_all_in_the_loop(names: list[str], lookup: Lookup) -> list[str]:
    return [lookup(name) for name in names]  # async def, but every call blocks the loop


async def lookup_all_gathering_blocking_coroutines(names: list[str], lookup: Lookup) -> list[str]:
    async def one(name: str) -> str:
        return lookup(name)  # a coroutine around a blocking call still blocks

    return await asyncio.gather(*(one(name) for name in names))


async def lookup_all_one_at_a_time(names: list[str], lookup: Lookup) -> list[str]:
    return [await asyncio.to_thread(lookup, name) for name in names]


async def lookup_all_with_one_worker(names: list[str], lookup: Lookup) -> list[str]:
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(max_workers=1) as pool:  # threads, but only one
        return await asyncio.gather(*(loop.run_in_executor(pool, lookup, name) for name in names))


async def lookup_all_not_awaited(names: list[str], lookup: Lookup) -> list[str]:
    return [asyncio.to_thread(lookup, name) for name in names]  # type: ignore[misc]


async def lookup_all_as_they_finish(names: list[str], lookup: Lookup) -> list[str]:
    return [await done for done in asyncio.as_completed([asyncio.to_thread(lookup, n) for n in names])]


async def lookup_all_calls_lookup_first(names: list[str], lookup: Lookup) -> list[str]:
    # lookup(name) runs here, on the loop; to_thread then gets a str to call
    return await asyncio.gather(*(asyncio.to_thread(lookup(name)) for name in names))  # type: ignore[arg-type]


async def lookup_all_never_shuts_the_pool(names: list[str], lookup: Lookup) -> list[str]:
    loop = asyncio.get_running_loop()
    pool = ThreadPoolExecutor(max_workers=len(names))  # no `with`, no shutdown: its threads stay
    return await asyncio.gather(*(loop.run_in_executor(pool, lookup, name) for name in names))


# --- Exercise 2: LoopWatch ----------------------------------------------------------------------------------


class LoopWatch:
    async def __aenter__(self) -> LoopWatch:
        self.ticks = [time.perf_counter()]
        self.heartbeat = asyncio.create_task(self.beat())
        return self

    async def beat(self) -> None:
        while True:
            await asyncio.sleep(0.01)
            self.ticks.append(time.perf_counter())

    async def __aexit__(self, *exc_info: object) -> None:
        self.heartbeat.cancel()
        await asyncio.gather(self.heartbeat, return_exceptions=True)  # wait until it has stopped
        self.ticks.append(time.perf_counter())
        self.longest_gap = max(later - earlier for earlier, later in itertools.pairwise(self.ticks))


@contextlib.asynccontextmanager
async def loop_watch_from_a_generator() -> AsyncIterator[SimpleNamespace]:
    """Another right answer: @asynccontextmanager instead of a class, the clean-up in `finally`."""
    watch, ticks = SimpleNamespace(longest_gap=0.0), [time.perf_counter()]

    async def beat() -> None:
        while True:
            await asyncio.sleep(0.01)
            ticks.append(time.perf_counter())

    heartbeat = asyncio.create_task(beat())
    try:
        yield watch
    finally:
        heartbeat.cancel()
        await asyncio.gather(heartbeat, return_exceptions=True)
        ticks.append(time.perf_counter())
        watch.longest_gap = max(b - a for a, b in itertools.pairwise(ticks))


class LoopWatchStub:
    async def __aenter__(self) -> LoopWatchStub:
        # Your code here.
        ...

    async def __aexit__(self, *exc_info: object) -> None:
        # Your code here.
        ...


class LoopWatchNeverStops(LoopWatch):
    async def __aexit__(self, *exc_info: object) -> None:
        self.ticks.append(time.perf_counter())  # the heartbeat goes on ticking after the block
        self.longest_gap = max(b - a for a, b in itertools.pairwise(self.ticks))


class LoopWatchCancelsWithoutWaiting(LoopWatch):
    async def __aexit__(self, *exc_info: object) -> None:
        self.heartbeat.cancel()  # asks, and leaves before the task has stopped
        self.ticks.append(time.perf_counter())
        self.longest_gap = max(b - a for a, b in itertools.pairwise(self.ticks))


class LoopWatchAwaitsTheCancelledError(LoopWatch):
    async def __aexit__(self, *exc_info: object) -> None:
        self.heartbeat.cancel()
        await self.heartbeat  # raises CancelledError here, out of the async with
        self.ticks.append(time.perf_counter())
        self.longest_gap = max(b - a for a, b in itertools.pairwise(self.ticks))


class LoopWatchSwallows(LoopWatch):
    async def __aexit__(self, *exc_info: object) -> bool:  # type: ignore[override]
        await super().__aexit__(*exc_info)
        return True  # "handled": every exception in the block vanishes


class LoopWatchTimesTheBlock:
    async def __aenter__(self) -> LoopWatchTimesTheBlock:
        self.start = time.perf_counter()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.longest_gap = time.perf_counter() - self.start  # the whole block, blocked or not


class LoopWatchForgetsSelf(LoopWatch):
    async def __aenter__(self) -> None:  # type: ignore[override]
        await super().__aenter__()  # no `return self`: `as watch` gets None


class LoopWatchWithPlainWith:
    """Written for `with`, not `async with`: __enter__ and __exit__ cannot await the heartbeat."""

    def __enter__(self) -> LoopWatchWithPlainWith:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.longest_gap = time.perf_counter() - self.start


class LoopWatchWithSyncExit(LoopWatch):
    def __aexit__(self, *exc_info: object) -> None:  # type: ignore[override]  (no `async`)
        self.heartbeat.cancel()


class LoopWatchSaysWhetherItStalled(LoopWatch):
    async def __aexit__(self, *exc_info: object) -> None:
        await super().__aexit__(*exc_info)
        self.longest_gap = self.longest_gap > 0.1  # type: ignore[assignment]  (a yes or no, not seconds)


class LoopWatchTicksOnlyInTheTask(LoopWatch):
    async def __aexit__(self, *exc_info: object) -> None:
        self.heartbeat.cancel()
        await asyncio.gather(self.heartbeat, return_exceptions=True)
        gaps = [b - a for a, b in itertools.pairwise(self.ticks)]
        self.longest_gap = sum(gaps) / len(gaps)  # the average gap, not the longest


class LoopWatchWithASleepyHeartbeat(LoopWatch):
    async def beat(self) -> None:
        while True:
            time.sleep(0.01)  # noqa: ASYNC251 (the mistake: the heartbeat blocks the loop it measures)
            self.ticks.append(time.perf_counter())
            await asyncio.sleep(0)


class LoopWatchWithABlockingHeartbeat(LoopWatch):
    async def beat(self) -> None:
        while True:  # never awaits: once it starts, nothing else ever runs
            time.sleep(0.01)  # noqa: ASYNC251 (the mistake on show)
            self.ticks.append(time.perf_counter())


class LoopWatchWhoseHeartbeatIgnoresCancel(LoopWatch):
    async def beat(self) -> None:
        while True:
            try:
                await asyncio.sleep(0.01)
            except asyncio.CancelledError:
                pass  # swallowed: __aexit__ waits for it for ever
            self.ticks.append(time.perf_counter())


@contextlib.asynccontextmanager
async def loop_watch_without_finally() -> AsyncIterator[SimpleNamespace]:
    watch, ticks = SimpleNamespace(longest_gap=0.0), [time.perf_counter()]

    async def beat() -> None:
        while True:
            await asyncio.sleep(0.01)
            ticks.append(time.perf_counter())

    heartbeat = asyncio.create_task(beat())
    yield watch  # when the block raises, the exception comes out here, and the lines below never run
    heartbeat.cancel()
    await asyncio.gather(heartbeat, return_exceptions=True)
    ticks.append(time.perf_counter())
    watch.longest_gap = max(b - a for a, b in itertools.pairwise(ticks))


# --- Exercise 3: save_streamed ------------------------------------------------------------------------------


async def save_streamed(read_chunk: ReadChunk, dest: Path, filename: str) -> Path:
    fd, tmp = tempfile.mkstemp(dir=dest, prefix=f".{filename}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as file:  # the file owns fd now: leaving the block closes it
            while chunk := await read_chunk():
                await asyncio.to_thread(file.write, chunk)  # the disk, off the loop
        os.replace(tmp, dest / filename)
    except BaseException:  # an error, and also a cancellation
        os.unlink(tmp)
        raise
    return dest / filename


async def save_streamed_stub(read_chunk: ReadChunk, dest: Path, filename: str) -> Path:
    # Your code here: a temporary file in dest, each chunk written as it arrives, then os.replace.
    ...


async def save_streamed_joined_at_the_end(read_chunk: ReadChunk, dest: Path, filename: str) -> Path:
    chunks = []
    while chunk := await read_chunk():
        chunks.append(chunk)
    data = b"".join(chunks)  # the whole download in memory, written only at the end
    fd, tmp = tempfile.mkstemp(dir=dest)
    with os.fdopen(fd, "wb") as file:
        file.write(data)
    os.replace(tmp, dest / filename)
    return dest / filename


async def save_streamed_write_bytes_at_the_end(read_chunk: ReadChunk, dest: Path, filename: str) -> Path:
    chunks = []
    while chunk := await read_chunk():
        chunks.append(chunk)
    data = b"".join(chunks)
    path = dest / filename
    path.write_bytes(data)  # noqa: ASYNC240 (the mistake on show)
    return path


async def save_streamed_leaks_the_fd(read_chunk: ReadChunk, dest: Path, filename: str) -> Path:
    _fd, tmp = tempfile.mkstemp(dir=dest)  # fd is open, and nothing closes it
    try:
        with open(tmp, "wb") as file:  # noqa: ASYNC230 (the mistake on show is the leak)
            while chunk := await read_chunk():
                file.write(chunk)
        os.replace(tmp, dest / filename)
    except BaseException:
        os.unlink(tmp)
        raise
    return dest / filename


async def save_streamed_straight_to_the_target(read_chunk: ReadChunk, dest: Path, filename: str) -> Path:
    path = dest / filename
    with path.open("wb") as file:  # noqa: ASYNC230 (readers see a half-written file meanwhile)
        while chunk := await read_chunk():
            file.write(chunk)
    return path


async def save_streamed_no_clean_up(read_chunk: ReadChunk, dest: Path, filename: str) -> Path:
    fd, tmp = tempfile.mkstemp(dir=dest)
    with os.fdopen(fd, "wb") as file:
        while chunk := await read_chunk():
            file.write(chunk)
    os.replace(tmp, dest / filename)  # a failure above leaves tmp behind
    return dest / filename


async def save_streamed_cleans_up_on_exception_only(read_chunk: ReadChunk, dest: Path, filename: str) -> Path:
    fd, tmp = tempfile.mkstemp(dir=dest)
    try:
        with os.fdopen(fd, "wb") as file:
            while chunk := await read_chunk():
                file.write(chunk)
        os.replace(tmp, dest / filename)
    except Exception:  # CancelledError is a BaseException: a cancelled save leaves tmp behind
        os.unlink(tmp)
        raise
    return dest / filename


async def save_streamed_swallows_the_error(read_chunk: ReadChunk, dest: Path, filename: str) -> Path:
    fd, tmp = tempfile.mkstemp(dir=dest)
    try:
        with os.fdopen(fd, "wb") as file:
            while chunk := await read_chunk():
                file.write(chunk)
        os.replace(tmp, dest / filename)
    except Exception:
        os.unlink(tmp)
        return dest / filename  # the caller believes it worked
    return dest / filename


async def save_streamed_forgets_to_await_the_write(read_chunk: ReadChunk, dest: Path, filename: str) -> Path:
    fd, tmp = tempfile.mkstemp(dir=dest)
    try:
        with os.fdopen(fd, "wb") as file:
            while chunk := await read_chunk():
                asyncio.to_thread(file.write, chunk)  # a coroutine, made and dropped: nothing is written
        os.replace(tmp, dest / filename)
    except BaseException:
        os.unlink(tmp)
        raise
    return dest / filename


async def save_streamed_writes_on_the_loop(read_chunk: ReadChunk, dest: Path, filename: str) -> Path:
    fd, tmp = tempfile.mkstemp(dir=dest)
    try:
        with os.fdopen(fd, "wb") as file:
            while chunk := await read_chunk():
                file.write(chunk)  # the loop waits for the disk
        os.replace(tmp, dest / filename)
    except BaseException:
        os.unlink(tmp)
        raise
    return dest / filename


async def save_streamed_temporary_file_elsewhere(read_chunk: ReadChunk, dest: Path, filename: str) -> Path:
    fd, tmp = tempfile.mkstemp()  # in /tmp, not in dest
    try:
        with os.fdopen(fd, "wb") as file:
            while chunk := await read_chunk():
                await asyncio.to_thread(file.write, chunk)
        os.replace(tmp, dest / filename)
    except BaseException:
        os.unlink(tmp)
        raise
    return dest / filename


async def save_streamed_returns_nothing(read_chunk: ReadChunk, dest: Path, filename: str) -> Path:
    await save_streamed(read_chunk, dest, filename)  # type: ignore[return-value]


CASES = [
    Cases(
        check=check_lookup_all,
        right=lookup_all,
        stub=lookup_all_stub,
        wrong=[
            Wrong(
                lookup_all_in_the_loop,
                "calls the blocking function in the coroutine",
                "event loop's own thread",
            ),
            Wrong(
                lookup_all_gathering_blocking_coroutines,
                "gathers coroutines that each block the loop",
                "event loop's own thread",
            ),
            Wrong(
                lookup_all_one_at_a_time, "awaits each thread before starting the next", "one after another"
            ),
            Wrong(lookup_all_with_one_worker, "a thread pool of one worker", "one after another"),
            Wrong(lookup_all_not_awaited, "returns the to_thread coroutines", "still to await"),
            Wrong(
                lookup_all_as_they_finish,
                "collects the answers in the order they finish",
                "as_completed does not",
            ),
            Wrong(
                lookup_all_calls_lookup_first,
                "to_thread(lookup(name)): calls lookup on the loop",
                "pass the function and its argument apart",
            ),
            Wrong(lookup_all_never_shuts_the_pool, "a pool of its own, never shut down", "never shut down"),
        ],
    ),
    Cases(
        check=check_loop_watch,
        right=LoopWatch,
        stub=LoopWatchStub,
        wrong=[
            Wrong(LoopWatchNeverStops, "never stops the heartbeat", "cancel it in __aexit__"),
            Wrong(
                LoopWatchCancelsWithoutWaiting,
                "cancels the heartbeat without awaiting it",
                "cancel() only asks",
            ),
            Wrong(
                LoopWatchAwaitsTheCancelledError, "awaits the cancelled task bare", "CancelledError came out"
            ),
            Wrong(LoopWatchSwallows, "__aexit__ returns True", "swallows it"),
            Wrong(LoopWatchTimesTheBlock, "times the whole block", "not the length of the block"),
            Wrong(LoopWatchForgetsSelf, "__aenter__ returns None", "must return self"),
            Wrong(
                LoopWatchTicksOnlyInTheTask, "the average gap instead of the longest", "longest time between"
            ),
            Wrong(loop_watch_without_finally, "@asynccontextmanager without finally", "`finally`"),
            Wrong(
                LoopWatchWithPlainWith, "__enter__ and __exit__, for `with`", "must work with `async with`"
            ),
            Wrong(
                LoopWatchWithSyncExit, "__aexit__ without `async`", "must both be defined with `async def`"
            ),
            Wrong(
                LoopWatchSaysWhetherItStalled, "longest_gap is True or False", "must be a number of seconds"
            ),
            Wrong(
                LoopWatchWithASleepyHeartbeat,
                "the heartbeat calls time.sleep between ticks",
                "blocks the very loop it measures with time.sleep",
            ),
            Wrong(
                LoopWatchWithABlockingHeartbeat,
                "the heartbeat calls time.sleep and never awaits",
                "kept the event loop's thread busy",
            ),
            Wrong(
                LoopWatchWhoseHeartbeatIgnoresCancel,
                "the heartbeat catches CancelledError and goes on",
                "the `except asyncio.CancelledError:` at line",
            ),
        ],
    ),
    Cases(
        check=check_save_streamed,
        right=save_streamed,
        stub=save_streamed_stub,
        wrong=[
            Wrong(save_streamed_joined_at_the_end, "joins every chunk, writes at the end", "as it arrives"),
            Wrong(
                save_streamed_write_bytes_at_the_end, "b''.join(chunks), then write_bytes", "as it arrives"
            ),
            Wrong(
                save_streamed_leaks_the_fd,
                "opens the temporary path again, leaking mkstemp's fd",
                "never closed",
            ),
            Wrong(save_streamed_straight_to_the_target, "writes straight into the target", "appeared before"),
            Wrong(save_streamed_no_clean_up, "no clean-up when the download fails", "left ["),
            Wrong(
                save_streamed_cleans_up_on_exception_only,
                "except Exception misses a cancellation",
                "BaseException",
            ),
            Wrong(save_streamed_swallows_the_error, "returns as if it worked", "let the error propagate"),
            Wrong(save_streamed_returns_nothing, "forgets the return", "return the saved file's path"),
            Wrong(
                save_streamed_forgets_to_await_the_write,
                "asyncio.to_thread(file.write, chunk) without await",
                "to_thread(...) made a coroutine that nobody awaited",
            ),
            Wrong(save_streamed_writes_on_the_loop, "file.write on the loop", "the event loop's own thread"),
            Wrong(save_streamed_temporary_file_elsewhere, "mkstemp() without dir=dest", "create it in dest"),
        ],
    ),
]

# The other right answers must pass too: tests/test_exercises_executors.py runs them.
OTHER_RIGHT = [
    (check_lookup_all, lookup_all_with_a_pool),
    (check_loop_watch, loop_watch_from_a_generator),
]
