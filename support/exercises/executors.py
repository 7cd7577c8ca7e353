"""Checks for the exercises of ``04_executors``.

Each check runs the learner's code against stand-ins whose behaviour it knows: a blocking "library" call
that sleeps a known time in whatever thread runs it, and a chunk source that watches the folder while it
hands out a download. A heartbeat task measures how long the
event loop went without a turn. No timing reaches a verdict line, so each line is the same on every run.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

from ..loop_lag import Heartbeat
from ..timing import Stopwatch
from .checking import (
    checker,
    fail,
    require,
    stop_tasks,
    tasks_started_since,
)
from .learner_code import read_code
from .watching import coroutine_names, watching

__all__ = ["check_lookup_all", "check_save_streamed"]


# --- shared guards ------------------------------------------------------------------------------------------


def _require_coroutine_function(function: object, name: str, parameters: str) -> None:
    """Stop with a hint unless ``function`` is an ``async def`` that takes the parameters the prompt names."""
    require(callable(function), f"{name} must be a function defined with `async def`.")
    require(inspect.iscoroutinefunction(function), f"{name} must be defined with `async def`.")
    count = parameters.count(",") + 1
    try:
        inspect.signature(function).bind(*range(count))  # type: ignore[arg-type]
    except TypeError:
        fail(f"{name} must take {count} arguments: {name}({parameters}).")


def _discard(value: object) -> None:
    """Close coroutines (or cancel futures) nobody will await, so Python does not warn about them later."""
    items = value if isinstance(value, list | tuple) else [value]
    for item in items:
        if inspect.iscoroutine(item):
            item.close()
        elif inspect.isawaitable(item):
            asyncio.ensure_future(item).cancel()


def _still_to_await(value: object) -> bool:
    items = value if isinstance(value, list | tuple) else [value]
    return any(inspect.isawaitable(item) for item in items)


# --- Exercise 1: lookup_all ---------------------------------------------------------------------------------

# How long the stand-in library blocks for each name: different, so the answers finish in another order.
_LOOKUP_SECONDS = {"delta": 0.16, "alpha": 0.08, "echo": 0.12, "charlie": 0.10, "bravo": 0.14}


class _BlockingLibrary:
    """``lookup(name)``: blocks its thread like an old network library, then answers ``name.upper()``."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.threads: set[int] = set()

    def lookup(self, name: str) -> str:
        self.calls.append(name)
        self.threads.add(threading.get_ident())
        time.sleep(_LOOKUP_SECONDS.get(name, 0.1))  # noqa: ASYNC251 (a blocking library is what is simulated)
        return name.upper()


LookupAll = Callable[[list[str], Callable[[str], str]], Awaitable[list[str]]]


@checker("Exercise 1", todo="fill in lookup_all above, then run this cell")
async def check_lookup_all(lookup_all: LookupAll) -> str:
    """``lookup_all(names, lookup)``: every ``lookup(name)`` in a worker thread, all at once, answers in order."""
    _require_coroutine_function(lookup_all, "lookup_all", "names, lookup")
    names = list(_LOOKUP_SECONDS)
    library = _BlockingLibrary()
    before = asyncio.all_tasks()
    async with watching() as seen, Heartbeat() as beat:
        with Stopwatch() as watch:
            try:
                answers = await lookup_all(list(names), library.lookup)
            except TypeError as exc:
                if "not callable" not in str(exc) or threading.get_ident() not in library.threads:
                    raise
                fail(
                    "lookup(name) called lookup right there, in the event loop's thread, and handed its "
                    "answer to the worker as if it were a function: pass the function and its argument "
                    "apart, `asyncio.to_thread(lookup, name)`."
                )
    leftovers = tasks_started_since(before)
    await stop_tasks(leftovers)
    if _still_to_await(answers):
        _discard(answers)
        fail(
            "lookup_all returned coroutines or futures still to await: asyncio.to_thread(...) only starts "
            "the call; await the results (all together, with asyncio.gather)."
        )
    require(answers is not None, "lookup_all returned None: did you forget the `return`?")
    require(
        isinstance(answers, list), f"return a list of answers, one per name, not {type(answers).__name__}."
    )
    require(
        sorted(library.calls) == sorted(names),
        f"call lookup once per name; it was called for {sorted(library.calls)}.",
    )
    require(
        threading.get_ident() not in library.threads,
        "lookup ran in the event loop's own thread, and the loop stood still until it returned: hand each "
        "call to a worker thread with `await asyncio.to_thread(lookup, name)`.",
    )
    require(not leftovers, "lookup_all returned while some lookups were still running: await them all.")
    total = sum(_LOOKUP_SECONDS.values())
    require(
        watch.elapsed < 0.6 * total,
        "the lookups ran one after another: start them all first, then await them together "
        "(asyncio.gather of one asyncio.to_thread per name).",
    )
    require(  # a crowded machine can keep a free loop waiting that long once; a blocked one sits in the answer
        beat.max_lag < 0.5 * min(_LOOKUP_SECONDS.values()) or seen.busy < 0.25,
        "the event loop stood still while the lookups ran: nothing blocking may run in a coroutine itself "
        "(pool.map and future.result() wait for the threads right there); await what the threads give back.",
    )
    expected = [name.upper() for name in names]
    if answers != expected and sorted(answers) == sorted(expected):
        fail(
            f"return the answers in the order of names ({expected}), not {answers!r:.80}"
            + (
                " (asyncio.gather keeps the order it was given; as_completed does not)."
                if read_code(lookup_all).calls("asyncio.as_completed")
                else "."
            )
        )
    require(answers == expected, f"expected the answers {expected}, got {answers!r:.80}.")
    require(
        not seen.pools_open,
        "the thread pool you made was never shut down: its threads stay, waiting for work. Use it in a "
        "`with ThreadPoolExecutor(...) as pool:` block, or let asyncio.to_thread use the loop's own pool.",
    )
    return (
        f"{len(names)} blocking lookups ran in worker threads at once, in about the time of the slowest one, "
        "and the loop kept its heartbeat"
    )


# --- Exercise 2: save_streamed ------------------------------------------------------------------------------

_CHUNK = 64 * 1024  # larger than a file's write buffer, so a written chunk is on disk at once
_CHUNKS = 6


def _content(tag: bytes) -> list[bytes]:
    return [(tag + bytes([i])) * (_CHUNK // (len(tag) + 1)) for i in range(_CHUNKS)]


class _ChunkSource:
    """``await source()`` hands out one chunk per call, then ``b""``, and watches ``dest`` while it does.

    Before each chunk it notes whether the bytes handed out so far (less one chunk, for buffering) are already
    in some new file in ``dest``, and whether ``filename`` changed before the last chunk was handed out. It
    can raise ``ConnectionError`` at chunk ``fail_at``, or wait for ever at chunk ``hang_at``.
    """

    def __init__(
        self,
        chunks: list[bytes],
        dest: Path,
        filename: str,
        *,
        fail_at: int | None = None,
        hang_at: int | None = None,
    ) -> None:
        self.chunks, self.dest, self.filename = chunks, dest, filename
        self.fail_at, self.hang_at = fail_at, hang_at
        self.given = 0
        self.kept_up = True
        self.target_changed = False
        self.hanging = asyncio.Event()
        target = dest / filename
        self._before = {p.name for p in dest.iterdir()}
        self._target_bytes = target.read_bytes() if target.exists() else None

    def _look(self) -> None:
        target = self.dest / self.filename
        now = target.read_bytes() if target.exists() else None
        if now != self._target_bytes:
            self.target_changed = True
        delivered = sum(len(c) for c in self.chunks[: self.given])
        if delivered > _CHUNK:
            sizes = [
                p.stat().st_size for p in self.dest.iterdir() if p.name not in self._before and p.is_file()
            ]
            if max(sizes, default=0) < delivered - _CHUNK:
                self.kept_up = False

    async def __call__(self) -> bytes:
        self._look()
        await asyncio.sleep(0.002)  # the network
        if self.given == self.fail_at:
            raise ConnectionError("the connection dropped in the middle of the download")
        if self.given == self.hang_at:
            self.hanging.set()
            await asyncio.Event().wait()
        if self.given == len(self.chunks):
            return b""
        self.given += 1
        return self.chunks[self.given - 1]


def _open_into(folder: Path) -> list[str]:
    """The files under ``folder`` this process still holds open, by their descriptors (Linux: /proc)."""
    fds = Path("/proc/self/fd")
    if not fds.is_dir():
        return []  # no way to look on this system: the check trusts the answer here
    found = []
    for fd in fds.iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith(str(folder)):
                found.append(Path(target.removesuffix(" (deleted)")).name)
    return sorted(found)


def _debris(dest: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in dest.iterdir() if p.name not in keep)


# A coroutine function: the checker runs a save as a task (to cancel it half-way), and create_task takes a coroutine.
SaveStreamed = Callable[[Callable[[], Awaitable[bytes]], Path, str], Coroutine[Any, Any, Path]]


@checker("Exercise 2", todo="fill in save_streamed above, then run this cell")
async def check_save_streamed(save_streamed: SaveStreamed) -> str:
    """``save_streamed(read_chunk, dest, filename)``: written as it arrives, whole or not at all, no fd left."""
    _require_coroutine_function(save_streamed, "save_streamed", "read_chunk, dest, filename")
    leak = (
        "the file descriptor mkstemp returned was never closed (os.fdopen(fd, 'wb') in a `with` block "
        "closes it; opening the path again leaves fd open)"
    )
    with tempfile.TemporaryDirectory(prefix="ex04-") as tmp:
        folder = Path(os.path.realpath(tmp))  # noqa: ASYNC240 (/proc names the real path; a local temp dir)
        dest = folder / "flags"
        dest.mkdir()
        good = _content(b"good")

        # 1. A complete download.
        source = _ChunkSource(good, dest, "br.gif")
        async with watching() as seen:
            returned = await save_streamed(source, dest, "br.gif")
        if _still_to_await(returned):
            _discard(returned)
            fail("save_streamed returned something still to await: did you forget an `await`?")
        dropped = coroutine_names(seen.never_awaited)
        if dropped:
            fail(
                f"{dropped[0]}(...) made a coroutine that nobody awaited, so it never ran"
                + (
                    ": the chunks were never written. `await asyncio.to_thread(file.write, chunk)`."
                    if dropped[0] == "to_thread"
                    else ": put `await` before it."
                )
            )
        target = dest / "br.gif"
        require(
            source.given == len(good), "read every chunk: call `await read_chunk()` until it returns b''."
        )
        require(
            not source.target_changed,
            "br.gif appeared before the download was complete, so a reader could see half a file: write "
            "to a temporary file in dest, and os.replace() it over br.gif once every chunk is in.",
        )
        require(
            source.kept_up,
            "while chunks were still arriving, dest held no temporary file with the bytes received so far: "
            "create it in dest (tempfile.mkstemp(dir=dest)) and write each chunk as it arrives, instead of "
            "keeping the whole download in memory until the end.",
        )
        require(target.is_file(), "after a complete download, dest / filename must exist.")
        require(target.read_bytes() == b"".join(good), "the saved file must hold every chunk, in order.")
        require(
            isinstance(returned, str | os.PathLike) and Path(returned) == target,
            f"return the saved file's path (dest / filename), not {returned!r:.60}.",
        )
        require(
            not _debris(dest, {"br.gif"}),
            f"after a complete download dest should hold only br.gif, not also {_debris(dest, {'br.gif'})}.",
        )
        require(not _open_into(folder), f"after a complete download, {leak}.")

        # 2. A download that fails half-way must leave the old file as it was.
        try:
            await save_streamed(_ChunkSource(_content(b"bad"), dest, "br.gif", fail_at=3), dest, "br.gif")
        except ConnectionError:
            pass
        else:
            fail("when read_chunk raises, let the error propagate: the caller must know the save failed.")
        require(
            target.read_bytes() == b"".join(good),
            "a failed download changed the good br.gif from before: os.replace() only after the last chunk.",
        )
        require(
            not _debris(dest, {"br.gif"}),
            f"a failed download left {_debris(dest, {'br.gif'})} behind: delete the temporary file when "
            "anything goes wrong (os.unlink, then raise).",
        )
        require(not _open_into(folder), f"after a failed download, {leak}.")

        # 3. A download cancelled half-way (a timeout, Ctrl-C) must clean up too.
        source = _ChunkSource(_content(b"cut"), dest, "cn.gif", hang_at=3)
        task = asyncio.create_task(save_streamed(source, dest, "cn.gif"))
        waiting = asyncio.create_task(source.hanging.wait())
        await asyncio.wait([task, waiting], return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
        if task.done():
            task.result()  # the learner's own error, if any, is reported as theirs
            fail("save_streamed returned before the download was over: keep reading until b''.")
        task.cancel()
        await asyncio.wait([task])
        require(
            task.cancelled(),
            "when the save was cancelled, it did not end cancelled: re-raise CancelledError after cleaning "
            "up, so that whoever cancelled it knows it stopped.",
        )
        require(
            not _debris(dest, {"br.gif"}),
            f"a save cancelled half-way left {_debris(dest, {'br.gif'})} behind: cancelling raises "
            "CancelledError, which is a BaseException, not an Exception. Clean up in `except BaseException:` "
            "(or `finally`).",
        )
        require(not _open_into(folder), f"after a cancelled download, {leak}.")
    code = read_code(save_streamed)
    require(
        not code.calls(".write", "os.write"),
        "each chunk was written by the event loop's own thread, and the loop waited for the disk each time: "
        "hand the write to a worker thread, `await asyncio.to_thread(file.write, chunk)`.",
    )
    return (
        "each chunk written as it arrived, the file replaced only when whole; a failed or cancelled download "
        "left the old file, no temporary file and no open descriptor"
    )
