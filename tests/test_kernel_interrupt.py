"""Interrupt Kernel stops a cell stuck in an await within 1 s, and the kernel keeps its variables.

The kernel is the one the notebook runner starts (the workbook's kernelspec, this environment's Python), so
the start-up ``make venv`` installed (support/workbook/kernel_interrupt.py) is what is tested. Without it,
ipykernel's issue #881 shows: the interrupt is noticed only when the awaited thing ends by itself.
"""

from __future__ import annotations

import asyncio
import os
import queue
import secrets
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager

from support.workbook import kernel_interrupt

INTERRUPT_WITHIN = 1.0  # seconds from Interrupt to the cell's reply: the promise made to learners
START_TIMEOUT = 60.0
REPLY_TIMEOUT = 10.0
WAITING = "waiting now"  # what a stuck cell prints just before it awaits


def _stuck_cells(port: int) -> dict[str, str]:
    """Cells that wait on an idle loop for far longer than the test: a sleep, an event, a silent server."""
    return {
        "sleep": f"import asyncio\nprint({WAITING!r})\nawait asyncio.sleep(60)",
        "event": f"import asyncio\nnever_set = asyncio.Event()\nprint({WAITING!r})\nawait never_set.wait()",
        "readline": (
            "import asyncio\n"
            f"reader, writer = await asyncio.open_connection('127.0.0.1', {port})\n"
            f"print({WAITING!r})\n"
            "await reader.readline()"
        ),
    }


@pytest.fixture
def kernel() -> Iterator[tuple[KernelManager, BlockingKernelClient]]:
    """A fresh kernel as the notebook runner starts it, shut down after the test."""
    manager = KernelManager(kernel_name="python3")
    spec = manager.kernel_spec
    if spec is not None:
        spec.argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    manager.start_kernel()
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=START_TIMEOUT)
        yield manager, client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port on 127.0.0.1 that takes connections (the backlog does) and never sends a byte."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield server.getsockname()[1]


def _reply(client: BlockingKernelClient, msg_id: str, timeout: float) -> dict[str, Any] | None:
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            message = client.get_shell_msg(timeout=left)
        except queue.Empty:
            break
        if message["parent_header"].get("msg_id") == msg_id:
            return message
    return None


def _wait_for_output(client: BlockingKernelClient, msg_id: str, text: str, timeout: float) -> str:
    """Everything the cell ``msg_id`` printed, once ``text`` is among it."""
    printed = ""
    deadline = time.monotonic() + timeout
    while text not in printed:
        try:
            message = client.get_iopub_msg(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            raise AssertionError(f"{text!r} not printed within {timeout} s; printed: {printed!r}") from None
        if message["parent_header"].get("msg_id") == msg_id and message["msg_type"] == "stream":
            printed += message["content"]["text"]
    return printed


def _run(client: BlockingKernelClient, code: str) -> dict[str, Any]:
    reply = _reply(client, client.execute(code), REPLY_TIMEOUT)
    assert reply is not None, f"no reply to {code!r} within {REPLY_TIMEOUT} s"
    return reply


@pytest.mark.parametrize("case", ["sleep", "event", "readline"])
def test_interrupt_stops_an_await_within_a_second_and_keeps_state(
    case: str, kernel: tuple[KernelManager, BlockingKernelClient], silent_server: int
) -> None:
    manager, client = kernel
    token = secrets.token_hex(8)
    assert _run(client, f"kept = {token!r}")["content"]["status"] == "ok"

    msg_id = client.execute(_stuck_cells(silent_server)[case])
    _wait_for_output(client, msg_id, WAITING, REPLY_TIMEOUT)
    time.sleep(0.3)  # the loop is now asleep in select, the case issue #881 is about
    interrupted = time.monotonic()
    manager.interrupt_kernel()
    reply = _reply(client, msg_id, REPLY_TIMEOUT)
    took = time.monotonic() - interrupted

    assert reply is not None, (
        f"the {case} cell did not end within {REPLY_TIMEOUT} s of Interrupt; is the kernel start-up installed "
        f"({kernel_interrupt.config_path()})? `make venv` writes it"
    )
    assert took < INTERRUPT_WITHIN, f"the {case} cell ended {took:.2f} s after Interrupt"
    content = reply["content"]
    assert content["status"] == "error"
    assert content["ename"] in {"CancelledError", "KeyboardInterrupt"}, content["ename"]

    # The same kernel, its variables intact, still runs cells that await. A request that reaches ipykernel
    # while it is still clearing its queue after the error is answered "aborted", as Run All stops at an
    # error (about 1 run in 4 here, sent the instant the reply came): a learner's next click comes later.
    for _ in range(3):
        after = client.execute("print(kept)\nawait asyncio.sleep(0)\nprint('still awaiting')")
        if (answer := _reply(client, after, REPLY_TIMEOUT)) is None or answer["content"][
            "status"
        ] != "aborted":
            break
        time.sleep(0.2)
    assert answer is not None and answer["content"]["status"] == "ok", answer
    assert token in _wait_for_output(client, after, "still awaiting", REPLY_TIMEOUT)


@pytest.fixture
def waker() -> Iterator[kernel_interrupt._LoopWaker]:
    """The extension's waker on its own, in this process's main thread; the wake-up socket unset after."""
    armed = kernel_interrupt._LoopWaker()
    try:
        yield armed
    finally:
        armed.close()


def test_a_signal_wakes_a_sleeping_loop_once_armed(waker: kernel_interrupt._LoopWaker) -> None:
    # The handler queues its work with call_soon and nothing else, as ipykernel's does: without the waker
    # the loop would sleep on for the whole 5 s timeout below.
    async def main() -> float:
        loop = asyncio.get_running_loop()
        waker.arm()
        woken: asyncio.Future[int] = loop.create_future()
        previous = signal.signal(
            signal.SIGUSR1, lambda signum, _frame: loop.call_soon(woken.set_result, signum)
        )
        try:
            threading.Timer(0.1, os.kill, (os.getpid(), signal.SIGUSR1)).start()
            started = time.monotonic()
            assert await asyncio.wait_for(woken, 5) == signal.SIGUSR1
            return time.monotonic() - started
        finally:
            signal.signal(signal.SIGUSR1, previous)

    assert asyncio.run(main()) < INTERRUPT_WITHIN


def test_arming_leaves_asyncios_own_wakeup_socket_in_place(waker: kernel_interrupt._LoopWaker) -> None:
    # asyncio's add_signal_handler delivers signals through its own wake-up socket: replacing it would
    # silence every such handler a lesson installs.
    async def main() -> str:
        loop = asyncio.get_running_loop()
        ran: asyncio.Future[str] = loop.create_future()
        loop.add_signal_handler(signal.SIGUSR2, ran.set_result, "asyncio's handler ran")
        try:
            waker.arm()
            os.kill(os.getpid(), signal.SIGUSR2)
            return await asyncio.wait_for(ran, 5)
        finally:
            loop.remove_signal_handler(signal.SIGUSR2)

    assert asyncio.run(main()) == "asyncio's handler ran"


def test_the_environment_loads_the_start_up() -> None:
    path = kernel_interrupt.config_path()
    assert path.is_file(), f"{path} is missing: `make venv` writes it"
    assert kernel_interrupt.CONFIG_LINE in path.read_text(encoding="utf-8").splitlines()


def test_writing_the_config_keeps_what_was_there_and_adds_the_line_once(tmp_path: Path) -> None:
    path = kernel_interrupt.config_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text("c.IPKernelApp.exec_lines = ['x = 1']")  # someone's own setting, no final newline
    kernel_interrupt.write_kernel_config(tmp_path)
    kernel_interrupt.write_kernel_config(tmp_path)
    lines = path.read_text().splitlines()
    assert lines[0] == "c.IPKernelApp.exec_lines = ['x = 1']"
    assert lines.count(kernel_interrupt.CONFIG_LINE) == 1
