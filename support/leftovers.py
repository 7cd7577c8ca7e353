"""What a lesson left running: asyncio tasks, threads and child processes, compared with a snapshot.

A lesson takes a :func:`snapshot` in its first cells and, in its clean-up cell, prints :func:`still_running`:
everything started since then that has not ended. After a clean clean-up each count is 0.

    at_start = leftovers.snapshot()
    ...
    services.stop_all()
    print(leftovers.still_running(at_start))   # 0 tasks, 0 threads, 0 processes

What is left out, and why:

- the tasks a Jupyter kernel runs each cell in: ipykernel and IPython create fresh ones for every cell, so
  they would count as "new" though they are the kernel's own;
- idle workers of a thread pool (the ones behind ``asyncio.to_thread``): the pool keeps them waiting for the
  next call, and they end with the pool;
- a thread or process that is on its way out: each is given ``grace`` seconds to end (a service's output
  reader ends just after its server exits);
- pyzmq's garbage-collector thread: the kernel starts it the first time it sends a large output (an image)
  without copying it, and keeps it for good.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Leftovers", "Snapshot", "snapshot", "still_running"]

# Where the coroutines of the kernel's per-cell tasks are defined.
_KERNEL_PACKAGES = (f"{os.sep}ipykernel{os.sep}", f"{os.sep}IPython{os.sep}")
# concurrent.futures.ThreadPoolExecutor names its workers "<prefix>_<n>"; asyncio's default pool is "asyncio".
_POOL_PREFIXES = ("asyncio_", "ThreadPoolExecutor-")
_KERNEL_THREAD_MODULES = ("zmq.",)  # pyzmq's garbage collector, which the kernel starts on a large output


@dataclass(frozen=True)
class Snapshot:
    """The tasks, threads and child processes alive at one moment."""

    tasks: frozenset[asyncio.Task[object]]
    threads: frozenset[threading.Thread]
    processes: frozenset[int]


@dataclass(frozen=True)
class Leftovers:
    """What was started after a snapshot and is still running, by name (tasks, threads) and pid."""

    tasks: list[str]
    threads: list[str]
    processes: list[int]

    def __bool__(self) -> bool:
        return bool(self.tasks or self.threads or self.processes)

    def __str__(self) -> str:
        def count(n: int, what: str) -> str:
            return f"{n} {what}{'' if n == 1 else 'es' if what == 'process' else 's'}"

        return ", ".join(
            [
                count(len(self.tasks), "task"),
                count(len(self.threads), "thread"),
                count(len(self.processes), "process"),
            ]
        )


def is_kernel_task(task: asyncio.Task[Any]) -> bool:
    """A task the Jupyter kernel runs for itself: a cell being run, or a request queued behind it."""
    code = getattr(task.get_coro(), "cr_code", None)
    return code is not None and any(package in code.co_filename for package in _KERNEL_PACKAGES)


def _tasks() -> frozenset[asyncio.Task[object]]:
    try:
        every = asyncio.all_tasks()
    except RuntimeError:  # no loop running in this thread: no tasks
        return frozenset()
    current = asyncio.current_task()
    return frozenset(t for t in every if t is not current and not is_kernel_task(t))


def _child_pids() -> frozenset[int]:
    """Pids of this process's children: from /proc on Linux, from ``ps`` elsewhere (macOS)."""
    tasks = Path("/proc/self/task")
    if tasks.is_dir():
        pids: set[int] = set()
        for task in tasks.iterdir():
            try:
                pids.update(int(pid) for pid in (task / "children").read_text().split())
            except OSError:  # a thread that ended meanwhile, or a kernel without the children file
                continue
        return frozenset(pids)
    listing = subprocess.run(["ps", "-A", "-o", "pid=,ppid="], capture_output=True, text=True, check=False)
    me = os.getpid()
    rows = (line.split() for line in listing.stdout.splitlines())
    return frozenset(int(pid) for pid, ppid in rows if int(ppid) == me)


def snapshot() -> Snapshot:
    """What runs now: the tasks of this thread's loop (if one runs), every thread, every child process."""
    return Snapshot(_tasks(), frozenset(threading.enumerate()), _child_pids())


def still_running(since: Snapshot, *, grace: float = 2.0) -> Leftovers:
    """What was started after ``since`` and is still running, once threads and processes had ``grace`` s to end."""
    deadline = time.monotonic() + grace
    threads = [
        t
        for t in threading.enumerate()
        if t not in since.threads
        and not t.name.startswith(_POOL_PREFIXES)
        and not type(t).__module__.startswith(_KERNEL_THREAD_MODULES)
    ]
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    processes = _child_pids() - since.processes
    while processes and time.monotonic() < deadline:
        time.sleep(0.02)
        processes = _child_pids() - since.processes
    return Leftovers(
        tasks=sorted(t.get_name() for t in _tasks() - since.tasks if not t.done()),
        threads=sorted(t.name for t in threads if t.is_alive()),
        processes=sorted(processes),
    )
