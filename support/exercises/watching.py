"""Watching the loop while the learner's code runs: how late it was, and what the code left open or running.

A result can be right while the code that made it broke the lesson's point: it froze the loop for the whole
job, left a task or a connection behind, dropped a coroutine without awaiting it. :func:`watching` runs
around the learner's code and notes all of that, for the checker to turn into a hint:

    async with watching() as seen:
        result = await answer(...)
    require(seen.busy < 0.5, "the loop stood still while ...")
    require(not seen.connections_open, "the connection is still open: ...")

What it notes, and how:

- the loop's lag, with the workbook's one :class:`~support.loop_lag.Heartbeat`: ``max_lag`` (the longest
  stall) and ``busy``, the share of the time the heartbeat was kept waiting (near 0 for code that awaits,
  near 1 for code that blocks, whatever the machine's speed). A heartbeat alone cannot tell a loop the code
  blocked from one the machine starved (other programs on the CPUs, the answer's own worker processes): so a
  thread also samples the loop thread's stack, and ``busy`` counts only as much as the loop was found inside
  the learner's code (a blocked loop: nearly always; a starved free loop: rarely);
- tasks started in the block and still running at its end (the checker's own included: stop yours first);
- async generators that started in the block and were neither finished nor closed;
- connections opened in the block (``loop.create_connection``: asyncio streams, httpx, AnyIO) that are still
  open. Each one and each ``StreamWriter`` made meanwhile is held here until :meth:`Seen.close_all`, because
  CPython closes a writer when it is collected: without the hold, a writer the answer forgot would be closed
  the moment the answer returned, and look as if the answer had closed it;
- thread and process pools made in the block and never shut down;
- coroutines made in the block and dropped without being awaited (Python's "never awaited" warning).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import gc
import inspect
import sys
import threading
import time
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..leftovers import is_kernel_task
from ..loop_lag import Heartbeat
from .stopping import _learner_frame, stop_tasks

__all__ = ["Seen", "coroutine_names", "stop_what_was_left", "watching"]


@dataclass
class Seen:
    """What :func:`watching` saw; the lists are filled in when the block ends."""

    beat: Heartbeat
    elapsed: float = 0.0
    tasks_left: list[asyncio.Task[Any]] = field(default_factory=list)
    generators_left: list[Any] = field(default_factory=list)
    never_awaited: list[str] = field(default_factory=list)
    pools_open: list[concurrent.futures.Executor] = field(default_factory=list)
    transports: list[asyncio.BaseTransport] = field(default_factory=list)
    writers: list[asyncio.StreamWriter] = field(default_factory=list)

    @property
    def max_lag(self) -> float:
        """Seconds: the longest the loop kept the heartbeat waiting."""
        return self.beat.max_lag

    samples: int = 0
    in_learner_code: int = 0

    @property
    def busy(self) -> float:
        """The share of the block's time the loop kept the heartbeat waiting: 0 (free) to 1 (blocked).

        Lags shorter than half the heartbeat's period are left out: a free loop has them all the time, from
        its own callbacks (a pool's results coming in), and on a busy machine they add up to a fifth of the
        time or more. A blocked loop's lags are its blocks: as long as the block, or as the heartbeat's period.
        On a machine busy enough, a free loop waits for a CPU as long as a blocked one waits for its call; the
        share of stack samples that found the loop's thread in the learner's code caps the figure then.
        """
        if self.elapsed <= 0:
            return 0.0
        floor = self.beat.every / 2
        lagging = min(1.0, sum(lag for lag in self.beat.lags if lag > floor) / self.elapsed)
        return min(lagging, self.in_learner_share) if self.samples >= 10 else lagging

    @property
    def in_learner_share(self) -> float:
        """The share of stack samples that found the loop's thread running the learner's code (or a call it made)."""
        return self.in_learner_code / self.samples if self.samples else 0.0

    @property
    def connections_open(self) -> list[asyncio.BaseTransport]:
        """Connections opened in the block (and still held here) that nobody has closed."""
        return [t for t in self.transports if not t.is_closing()]

    def close_all(self) -> None:
        """Close the connections the block left open, shut its pools down, and let go of what was held."""
        for transport in self.connections_open:
            abort = getattr(transport, "abort", transport.close)  # no goodbye: the answer's is not owed
            abort()
        for pool in self.pools_open:
            pool.shutdown(wait=False, cancel_futures=True)
        self.transports.clear()
        self.writers.clear()


# The watches running now, each told about every connection, writer and pool made meanwhile.
_ACTIVE: list[Seen] = []


def _holding_writers() -> Iterator[None]:
    original = asyncio.StreamWriter.__init__

    def init(self: asyncio.StreamWriter, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        for seen in _ACTIVE:
            seen.writers.append(self)

    asyncio.StreamWriter.__init__ = init  # type: ignore[method-assign]
    try:
        yield
    finally:
        asyncio.StreamWriter.__init__ = original  # type: ignore[method-assign]


def _counting_pools() -> Iterator[None]:
    kinds: list[type[concurrent.futures.Executor]] = [
        concurrent.futures.ThreadPoolExecutor,
        concurrent.futures.ProcessPoolExecutor,
    ]
    originals = {kind: kind.__init__ for kind in kinds}

    def patched(kind: type[concurrent.futures.Executor]) -> Callable[..., None]:
        original = originals[kind]

        def init(self: concurrent.futures.Executor, *args: Any, **kwargs: Any) -> None:
            original(self, *args, **kwargs)
            if type(self) is kind:  # a subclass's own __init__ calls this one: count it once
                for seen in _ACTIVE:
                    seen.pools_open.append(self)

        return init

    for kind in kinds:
        kind.__init__ = patched(kind)  # type: ignore[method-assign]
    try:
        yield
    finally:
        for kind, original in originals.items():
            kind.__init__ = original  # type: ignore[method-assign]


def _is_shut_down(pool: concurrent.futures.Executor) -> bool:
    if isinstance(pool, concurrent.futures.ProcessPoolExecutor):
        return bool(getattr(pool, "_shutdown_thread", True))
    return bool(getattr(pool, "_shutdown", True))


def _holding_connections(loop: asyncio.AbstractEventLoop) -> Iterator[None]:
    original = loop.create_connection

    async def create_connection(*args: Any, **kwargs: Any) -> Any:
        transport, protocol = await original(*args, **kwargs)
        for seen in _ACTIVE:
            seen.transports.append(transport)
        return transport, protocol

    loop.create_connection = create_connection  # type: ignore[method-assign]
    try:
        yield
    finally:
        with contextlib.suppress(AttributeError):
            del loop.create_connection  # the class's method again


def _async_generators(loop: asyncio.AbstractEventLoop) -> set[Any]:
    """The async generators the loop knows have started (it tracks them to close them when it shuts down)."""
    return set(getattr(loop, "_asyncgens", ()))


class _StackSampler:
    """A thread that looks at the loop thread's stack every ``every`` seconds and counts, in ``seen``, how
    often it was inside the learner's code: the loop is then running (or blocked in) that code, not waiting
    in its selector for something to do."""

    def __init__(self, seen: Seen, thread_id: int, every: float) -> None:
        self._seen = seen
        self._thread_id = thread_id
        self._every = every
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="exercise-stack-sampler", daemon=True)

    def _sample(self) -> None:
        while not self._done.wait(self._every):
            frame = sys._current_frames().get(self._thread_id)
            self._seen.samples += 1
            if _learner_frame(frame) is not None:
                self._seen.in_learner_code += 1
            del frame

    def __enter__(self) -> None:
        self._thread.start()

    def __exit__(self, *exc_info: object) -> None:
        self._done.set()
        self._thread.join()


@contextlib.asynccontextmanager
async def watching(every: float = 0.005) -> AsyncIterator[Seen]:
    """Watch the block: the loop's lag, and what it leaves running or open (see the module docstring).

    The block's connections and writers are held until the caller calls :meth:`Seen.close_all` (the
    checker does it before its verdict). Leaving the block stops nothing: a checker decides what to say
    about what is left, and :func:`~support.exercises.checking.stop_tasks` stops it.
    """
    loop = asyncio.get_running_loop()
    tasks_before = asyncio.all_tasks()
    generators_before = _async_generators(loop)
    seen = Seen(Heartbeat(every))
    hooks = contextlib.ExitStack()
    if not _ACTIVE:  # the first watch installs the hooks; a nested one shares them
        hooks.enter_context(contextlib.contextmanager(_holding_writers)())
        hooks.enter_context(contextlib.contextmanager(_counting_pools)())
        hooks.enter_context(contextlib.contextmanager(_holding_connections)(loop))
    _ACTIVE.append(seen)
    sampling = _StackSampler(seen, threading.get_ident(), every)
    started = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RuntimeWarning)
            async with seen.beat:
                with sampling:
                    yield seen
            seen.elapsed = time.perf_counter() - started
            gc.collect(
                1
            )  # a dropped coroutine caught in a fresh reference cycle warns now, not in a later cell
        seen.never_awaited = [str(w.message) for w in caught if "was never awaited" in str(w.message)]
        for warning in caught:
            if "was never awaited" not in str(warning.message):
                warnings.warn_explicit(  # pass on what is not ours to judge
                    warning.message, warning.category, warning.filename, warning.lineno
                )
    finally:
        if not seen.elapsed:
            seen.elapsed = time.perf_counter() - started
        _ACTIVE.remove(seen)
        hooks.close()
        current = asyncio.current_task()
        seen.tasks_left = [
            task
            for task in asyncio.all_tasks() - tasks_before
            if not task.done() and task is not current and not is_kernel_task(task)
        ]
        seen.generators_left = [
            generator
            for generator in _async_generators(loop) - generators_before
            if generator.ag_frame is not None and not generator.ag_running
        ]
        default = getattr(loop, "_default_executor", None)  # made by the first to_thread: the loop's own
        seen.pools_open = [p for p in seen.pools_open if p is not default and not _is_shut_down(p)]


async def stop_what_was_left(seen: Seen) -> list[asyncio.Task[Any]]:
    """Stop the tasks, close the generators, connections and pools the watched block left; return the tasks
    that ignored cancellation (parked, see :func:`~support.exercises.stopping.stop_tasks`).

    Connections are closed first: a server's handler waiting on one then ends by itself. Cancelled instead,
    it would make asyncio log "Exception in callback" (Python 3.11 reads the exception of a cancelled
    handler task).
    """
    for writer in seen.writers:
        if not writer.transport.is_closing():
            writer.transport.abort()
    seen.close_all()
    for _ in range(3):
        await asyncio.sleep(0)  # the handlers see their connections closed
    refused = await stop_tasks([task for task in seen.tasks_left if not task.done()])
    for generator in seen.generators_left:
        if generator.ag_frame is None or generator.ag_running:
            continue  # finished meanwhile, or being closed by the task that reads it
        closing = asyncio.ensure_future(generator.aclose())
        done, _ = await asyncio.wait([closing], timeout=0.3)
        if not done:  # its `finally` awaits something that never comes
            refused += await stop_tasks([closing])
        elif not closing.cancelled():
            closing.exception()  # "async generator ignored GeneratorExit": the checker has said what it needs to
    seen.close_all()
    return refused


def coroutine_names(messages: list[str]) -> list[str]:
    """``["to_thread"]`` from ``["coroutine 'to_thread' was never awaited"]``."""
    names = []
    for message in messages:
        _, _, rest = message.partition("'")
        name, _, _ = rest.partition("'")
        names.append(name.rsplit(".", 1)[-1] if name else message)
    return names


def describe(value: object) -> str:
    """A short name for something an answer left behind, for a hint."""
    if inspect.iscoroutine(value):
        return f"coroutine {value.__qualname__}"
    return type(value).__name__
