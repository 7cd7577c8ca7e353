"""Interrupt Kernel stops a cell stuck in ``await``: the workbook's kernel start-up (ipykernel issue #881).

Why it is needed: on Interrupt, the kernel's SIGINT handler asks the event loop to cancel the running cell,
but it queues that request without waking the loop. A cell that awaits something idle (``asyncio.sleep(60)``,
an ``Event`` never set, a server that never answers) leaves the loop asleep in ``select``, so the cancel waits
until the sleep would have ended anyway. A cell that blocks (``time.sleep``) or keeps the loop busy is not
affected.

The fix is the standard library's own answer to "a signal must wake a ``select``": :func:`signal.set_wakeup_fd`.
Python then writes a byte to a socket the loop watches whenever a signal arrives, the loop wakes, and the
kernel's own handler runs and cancels the cell at once, as CancelledError, with the kernel's state kept. The
kernel's SIGINT handling is left as it is; nothing polls (no task, no timer: loop-lag and task counts in the
lessons see nothing), and the socket is read only when a signal came.

It is an IPython extension, loaded by every kernel started from the environment: ``make venv`` runs this module,
which writes ``<env>/etc/ipython/ipython_kernel_config.py``, a file IPython reads at each kernel start (the lab's
kernel, the notebook runner's and nbval's alike).
"""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
import threading
from pathlib import Path
from typing import Any

__all__ = [
    "CONFIG_LINE",
    "EXTENSION",
    "config_path",
    "load_ipython_extension",
    "unload_ipython_extension",
    "write_kernel_config",
]

EXTENSION = "support.workbook.kernel_interrupt"  # this module's name, also when run as __main__
# Appended, not assigned: extensions a user configures elsewhere are kept.
CONFIG_LINE = f'c.IPKernelApp.extensions.append("{EXTENSION}")'
_HEADER = "# The workbook's kernel start-up (support/workbook/kernel_interrupt.py): Interrupt stops an await."


class _LoopWaker:
    """A socket pair: Python writes to one end when a signal arrives; the loop watches the other."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._receiver: socket.socket | None = None
        self._sender: socket.socket | None = None

    def arm(self, *_event_info: object) -> None:
        """Before each cell: make sure a signal wakes the loop the cell runs in.

        Done per cell, not once: asyncio resets the wake-up socket when a cell removes the last handler it
        added with ``loop.add_signal_handler``, and the loop a cell runs in is only known while one runs.
        """
        if threading.current_thread() is not threading.main_thread():
            return  # signals reach Python in the main thread only, and set_wakeup_fd works only there
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if loop is not self._loop:
            self._watch(loop)
        assert self._sender is not None
        mine = self._sender.fileno()
        previous = signal.set_wakeup_fd(mine, warn_on_full_buffer=False)
        if previous not in (-1, mine):
            # Someone else's, asyncio's own after ``loop.add_signal_handler``: it wakes the loop too, and its
            # signal handlers depend on it. Theirs stays.
            signal.set_wakeup_fd(previous)

    def _watch(self, loop: asyncio.AbstractEventLoop) -> None:
        self.close()
        self._receiver, self._sender = socket.socketpair()
        self._receiver.setblocking(False)
        self._sender.setblocking(False)  # a signal handler must never block on a full socket
        loop.add_reader(self._receiver, self._drain)
        self._loop = loop

    def _drain(self) -> None:
        # The bytes are signal numbers; the handlers already got them. Waking the loop was the point.
        assert self._receiver is not None
        try:
            self._receiver.recv(4096)
        except (BlockingIOError, InterruptedError):
            pass

    def close(self) -> None:
        """Stop watching: the wake-up socket is unset (if it is ours) and the pair closed."""
        if self._sender is not None and threading.current_thread() is threading.main_thread():
            previous = signal.set_wakeup_fd(-1)
            if previous not in (-1, self._sender.fileno()):
                signal.set_wakeup_fd(previous)
        if self._loop is not None and self._receiver is not None and not self._loop.is_closed():
            self._loop.remove_reader(self._receiver)
        for end in (self._receiver, self._sender):
            if end is not None:
                end.close()
        self._loop = self._receiver = self._sender = None


_waker = _LoopWaker()


def load_ipython_extension(ipython: Any) -> None:
    """IPython's entry point: arm the waker before every cell."""
    ipython.events.register("pre_run_cell", _waker.arm)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext``: stop arming and close the socket pair."""
    ipython.events.unregister("pre_run_cell", _waker.arm)
    _waker.close()


def config_path(prefix: str | Path = sys.prefix) -> Path:
    """The kernel configuration file IPython reads for every kernel run from the environment at ``prefix``."""
    return Path(prefix) / "etc" / "ipython" / "ipython_kernel_config.py"


def write_kernel_config(prefix: str | Path = sys.prefix) -> Path:
    """Add :data:`CONFIG_LINE` to the environment's kernel configuration, once; what was there is kept."""
    path = config_path(prefix)
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    if CONFIG_LINE not in current.splitlines():
        if current and not current.endswith("\n"):
            current += "\n"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{current}{_HEADER}\n{CONFIG_LINE}\n", encoding="utf-8")
    return path


if __name__ == "__main__":
    print(f"Kernel start-up written to {write_kernel_config()}")
