"""leftovers: what a lesson left running, counted against a snapshot, and what it rightly leaves out."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time

from support import leftovers


async def test_a_task_started_after_the_snapshot_counts_until_it_ends() -> None:
    at_start = leftovers.snapshot()
    task = asyncio.create_task(asyncio.sleep(5), name="sleeper")
    await asyncio.sleep(0)
    found = leftovers.still_running(at_start, grace=0)
    assert found.tasks == ["sleeper"] and found
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert not leftovers.still_running(at_start, grace=0)


async def test_tasks_from_before_the_snapshot_do_not_count() -> None:
    old = asyncio.create_task(asyncio.sleep(5), name="old")
    at_start = leftovers.snapshot()
    try:
        assert leftovers.still_running(at_start, grace=0).tasks == []
    finally:
        old.cancel()
        await asyncio.gather(old, return_exceptions=True)


async def test_the_kernels_own_cell_tasks_do_not_count() -> None:
    # ipykernel runs each cell in fresh tasks whose coroutines live in its package (or IPython's).
    namespace: dict[str, object] = {}
    fake_kernel = os.path.join(os.sep, "site-packages", "ipykernel", "kernelbase.py")
    exec(
        compile(
            "async def shell_main():\n    import asyncio\n    await asyncio.sleep(5)\n", fake_kernel, "exec"
        ),
        namespace,
    )
    at_start = leftovers.snapshot()
    task = asyncio.create_task(namespace["shell_main"](), name="kernel cell")  # type: ignore[operator]
    await asyncio.sleep(0)
    try:
        assert leftovers.still_running(at_start, grace=0).tasks == []
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def test_a_thread_counts_while_it_runs_and_gets_time_to_end() -> None:
    at_start = leftovers.snapshot()
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait, name="worker")
    worker.start()
    try:
        assert leftovers.still_running(at_start, grace=0.05).threads == ["worker"]
    finally:
        stop.set()
    ending = threading.Thread(target=stop.wait, args=(0.2,), name="ending")  # ends by itself within the grace
    ending.start()
    assert leftovers.still_running(at_start, grace=2).threads == []


async def test_idle_pool_workers_do_not_count() -> None:
    at_start = leftovers.snapshot()
    await asyncio.to_thread(sum, [1, 2])
    assert any(t.name.startswith("asyncio_") for t in threading.enumerate())
    assert leftovers.still_running(at_start, grace=0).threads == []


def test_a_child_process_counts_until_it_is_gone() -> None:
    at_start = leftovers.snapshot()
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(10)"])
    try:
        found = leftovers.still_running(at_start, grace=0.05)
        assert found.processes == [child.pid]
        assert str(found) == "0 tasks, 0 threads, 1 process"
    finally:
        child.kill()
        child.wait()
    assert not leftovers.still_running(at_start, grace=1)
    assert str(leftovers.still_running(at_start, grace=0)) == "0 tasks, 0 threads, 0 processes"


def test_the_kernels_zmq_garbage_collector_does_not_count() -> None:
    # A Jupyter kernel starts it the first time it sends a large output without copying, and keeps it.
    from zmq.utils.garbage import GarbageCollector

    at_start = leftovers.snapshot()
    collector = GarbageCollector()
    collector.start()
    try:
        assert collector.thread is not None and collector.thread.is_alive()
        assert not leftovers.still_running(at_start, grace=0).threads
        plain = threading.Thread(target=time.sleep, args=(0.5,))
        plain.start()
        assert leftovers.still_running(at_start, grace=0).threads == [plain.name]
        plain.join()
    finally:
        collector.stop()
