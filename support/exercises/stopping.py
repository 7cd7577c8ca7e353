"""Stopping what an answer started, even when it will not stop: the machinery behind every check's time limit.

``task.cancel()`` only asks. An answer that catches the ``CancelledError`` (``except BaseException:``, a bare
``except:``) and goes round its loop again never ends, and neither does a check that awaits it. So
:func:`stop_tasks` asks in three steps, and tells the caller which tasks refused:

1. cancel every task, and give them a moment (``patience``) to run their clean-up;
2. cancel the ones still running again, every few milliseconds: a clean-up that awaits gets cut short, a
   task that caught one cancellation may not catch the next;
3. *park* what is left: detach the task from whatever would wake it (its future's callback, its handle in
   the loop's ready queue), mark it cancelled, and close its coroutine, so that it never runs again. The
   coroutine is kept referenced here for good: were it garbage-collected, Python would close it once more and
   print "coroutine ignored GeneratorExit" in some later cell.

A task is asyncio's only unit of scheduling, so nothing else can be running once every task is stopped or
parked, except the loop's thread itself. An answer that blocks that thread (``time.sleep(60)``, a ``while``
loop with no ``await``) stops every timer, the check's time limit included. :class:`ThreadGuard` watches
from a thread of its own: when the limit is long past and the loop's thread has sat in the same frame of the
learner's code for a while, it raises :class:`Blocked` in that thread. In the main thread (a notebook's
kernel, a test run) it does so with a signal whose handler raises, which also cuts short a blocking system
call: a ``time.sleep(60)``, a ``recv`` on a plain socket waiting for a server that runs on the very loop it
blocks. In another thread it uses ``PyThreadState_SetAsyncExc``, which takes effect at the next bytecode.
(On 3.13.0, one that lands on the jump of a loop with an empty body, ``while ...: pass``, skips every handler
of the frame; a loop whose body calls anything is caught as usual.)
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import signal
import sys
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

from .learner_code import is_learner_file

__all__ = ["Blocked", "ThreadGuard", "park", "stop_tasks"]

# The signal that carries Blocked into the main thread: one no library of ours (Jupyter, pytest) uses.
_SIGNAL = getattr(signal, "SIGUSR2", None)

# The coroutines of parked tasks: referenced for good, so that they are never finalized (see above).
_PARKED: list[object] = []


def _await_chain(coroutine: object) -> list[object]:
    """``coroutine``, what it awaits, what that awaits, and so on down to the innermost."""
    chain: list[object] = []
    while coroutine is not None and len(chain) < 100:
        chain.append(coroutine)
        coroutine = getattr(coroutine, "cr_await", None) or getattr(coroutine, "gi_yieldfrom", None)
    return chain


class _Withdrawn(BaseException):
    """Takes the place of a :class:`Blocked` that came too late, and is caught as soon as it lands."""


def _withdraw_async_exception() -> None:
    """Withdraw a ``Blocked`` still pending in this thread, and leave the interpreter as it was before.

    The obvious way, ``PyThreadState_SetAsyncExc(thread, None)``, leaves Python 3.11's "an asynchronous
    exception is pending" flag set for good: only a thread that takes such an exception clears it. From then
    on the interpreter stops to look at every check point, and a profiler started later (cProfile, the
    task-step tracer, a debugger) spins for ever at the first function it enters. So an exception of our own
    replaces the pending one and lands here, where it is caught: that clears the flag.
    """
    me = ctypes.c_ulong(threading.get_ident())
    try:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(me, ctypes.py_object(_Withdrawn))
        for _ in range(1_000):  # it lands at the next check point: the call's return, or the loop's jump
            pass
    except _Withdrawn:
        return
    ctypes.pythonapi.PyThreadState_SetAsyncExc(me, None)  # never landed: withdraw it the plain way


class Blocked(BaseException):
    """Raised in the loop's thread by :class:`ThreadGuard` when the learner's code held it past the limit.

    A BaseException, like a cancellation, so that an ``except Exception:`` in the answer does not catch it.
    """


def park(task: asyncio.Task[Any]) -> None:
    """Make sure ``task`` never runs again: it ignored every cancellation (see the module docstring)."""
    if task.done():
        return
    waiter = getattr(task, "_fut_waiter", None)
    if waiter is not None:
        for callback, _context in list(getattr(waiter, "_callbacks", None) or []):
            if getattr(callback, "__self__", None) is task:
                waiter.remove_done_callback(callback)
    loop = task.get_loop()
    for handle in list(getattr(loop, "_ready", [])):
        callback = getattr(handle, "_callback", None)
        if getattr(callback, "__self__", None) is task:
            handle.cancel()  # a step already scheduled (a task that yields with sleep(0) is always in here)
    task._log_destroy_pending = False  # type: ignore[attr-defined]
    asyncio.Future.cancel(task)  # the Future's own cancel marks it done; Task.cancel would only ask again
    coroutine = task.get_coro()
    # Every coroutine it awaits is kept: closing runs the `finally` blocks of the checker's code around the
    # answer, and the answer's own coroutine, which ignores that too, must never be finalized.
    _PARKED.extend(_await_chain(coroutine))
    with contextlib.suppress(BaseException):  # "coroutine ignored GeneratorExit", or whatever it raises
        coroutine.close()


async def stop_tasks(
    tasks: Iterable[asyncio.Task[Any]], *, patience: float = 0.2, insist: float = 0.2
) -> list[asyncio.Task[Any]]:
    """Cancel ``tasks`` and wait until they have ended; return those that ignored cancellation (now parked).

    Errors the tasks end with are retrieved, so that none is reported later as "never retrieved". At most
    ``patience + insist`` seconds, plus what the tasks' own clean-up code blocks the loop for.
    """
    tasks = list(tasks)
    pending = [task for task in tasks if not task.done()]
    if pending:
        loop = asyncio.get_running_loop()
        for task in pending:
            task.cancel()
        await asyncio.wait(pending, timeout=patience)
        pending = [task for task in pending if not task.done()]
        deadline = loop.time() + insist
        while pending and loop.time() < deadline:
            for task in pending:
                task.cancel()
            await asyncio.wait(pending, timeout=0.02)
            pending = [task for task in pending if not task.done()]
        for task in pending:
            park(task)
    for task in tasks:
        if task.done() and not task.cancelled():
            task.exception()  # retrieved: nobody else will look at it
    return pending


# Frames that run the learner's code rather than belong to it: the event loop's turn, and the check machinery.
_RUNNERS = {("base_events.py", "_run_once"), ("events.py", "_run"), ("checking.py", "verdict")}


def _learner_frame(frame: FrameType | None) -> FrameType | None:
    """The learner's frame the thread is running now, or None when it is running the loop or the checker.

    From the innermost frame outwards: the first frame of the learner's code, unless a frame of the event
    loop or of the check machinery comes first (the learner's code further out only called them: a script's
    ``asyncio.run(main())``, a cell that calls a checker).
    """
    while frame is not None:
        code = frame.f_code
        if (Path(code.co_filename).name, code.co_name) in _RUNNERS:
            return None
        if is_learner_file(code.co_filename):
            return frame
        frame = frame.f_back
    return None


class ThreadGuard:
    """Frees the thread that runs a check when the learner's code holds it long past the time limit.

    Use around a check, in the thread that runs it::

        with ThreadGuard(after=limit + 0.2) as guard:
            ...
        guard.fired  # True when it had to interrupt the learner's code

    From ``after`` seconds on, it looks at that thread's stack every ``every`` seconds; when it finds the
    same frame of the learner's code twice in a row (the code is stuck there, not passing through), it
    raises :class:`Blocked` in the thread. ``pause()`` and ``resume()`` bracket work of the check's own
    (a type checker, a pool starting) that must not count. Any :class:`Blocked` still pending when the block
    ends is withdrawn, so that it cannot go off in the code that follows.
    """

    def __init__(self, after: float, every: float = 0.05) -> None:
        self.after = after
        self.every = every
        self.fired = False
        self._thread_id = threading.get_ident()
        self._done = threading.Event()
        self._paused = 0.0
        self._paused_since: float | None = None
        self._lock = threading.Lock()
        self._watcher = threading.Thread(target=self._watch, name="exercise-thread-guard", daemon=True)
        self._previous_handler: Any = None
        self._by_signal = (
            _SIGNAL is not None
            and hasattr(signal, "pthread_kill")
            and threading.current_thread() is threading.main_thread()
        )

    def pause(self) -> None:
        with self._lock:
            self._paused_since = time.monotonic()

    def resume(self) -> None:
        with self._lock:
            if self._paused_since is not None:
                self._paused += time.monotonic() - self._paused_since
                self._paused_since = None

    def _due(self, started: float) -> bool:
        with self._lock:
            if self._paused_since is not None:
                return False
            return time.monotonic() - started - self._paused >= self.after

    def _watch(self) -> None:
        started = time.monotonic()
        last: FrameType | None = None
        while not self._done.wait(self.every):
            if not self._due(started):
                continue
            seen = _learner_frame(sys._current_frames().get(self._thread_id))
            if seen is not None and seen is last and not self._done.is_set():
                self.fired = True
                if self._by_signal:
                    signal.pthread_kill(self._thread_id, _SIGNAL)  # type: ignore[arg-type]
                else:
                    ctypes.pythonapi.PyThreadState_SetAsyncExc(
                        ctypes.c_ulong(self._thread_id), ctypes.py_object(Blocked)
                    )
                last = None
                continue
            last = seen
        del last

    def _raise_blocked(self, signum: int, frame: FrameType | None) -> None:
        if not self._done.is_set():
            raise Blocked

    def __enter__(self) -> ThreadGuard:
        if self._by_signal:
            try:
                self._previous_handler = signal.signal(_SIGNAL, self._raise_blocked)  # type: ignore[arg-type]
            except ValueError:  # not the main interpreter's main thread after all
                self._by_signal = False
        self._watcher.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._done.set()
        self._watcher.join()
        if self._by_signal:
            previous = self._previous_handler if self._previous_handler is not None else signal.SIG_DFL
            signal.signal(_SIGNAL, previous)  # type: ignore[arg-type]
        elif self.fired and self._thread_id == threading.get_ident():
            _withdraw_async_exception()
