"""Answers to the exercises of lesson 04: ``lookup_all`` and ``save_streamed``."""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from support.exercises.executors import check_lookup_all, check_save_streamed

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


async def lookup_all_waits_on_pool_map(names: list[str], lookup: Lookup) -> list[str]:
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        return list(pool.map(lookup, names))  # threads do the work, but the loop waits for them right here


# --- Exercise 2: save_streamed ------------------------------------------------------------------------------


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
            Wrong(lookup_all_waits_on_pool_map, "pool.map in the coroutine: the loop waits", "stood still"),
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
]
