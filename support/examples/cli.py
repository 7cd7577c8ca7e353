"""What every example's command line shares: its exit status, one-line usage errors, and Ctrl-C.

Every example CLI (the flag clients, blogdom, and the ones later lessons add) ends with the same statuses,
so a shell script or a test can tell what happened without reading the output:

===== ===========================================================================================
0     everything worked
1     something failed (a flag not downloaded, a name not probed); the summary says how many
2     usage error: a bad option or destination, told in one line on stderr, before any request
130   interrupted by Ctrl-C (128 + SIGINT, what shells report), however many times it is pressed
===== ===========================================================================================

Use :class:`Parser` for the options, :func:`run_async` instead of ``asyncio.run`` for the work, and
``if __name__ == "__main__": cli.run(main)`` as the entry point.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import functools
import os
import signal
import sys
from collections.abc import Callable, Coroutine
from typing import Any, NoReturn, TypeVar

__all__ = [
    "EXIT_STATUS_HELP",
    "FAILED",
    "INTERRUPTED",
    "OK",
    "USAGE",
    "Parser",
    "exit_status",
    "run",
    "run_async",
]

OK, FAILED, USAGE, INTERRUPTED = 0, 1, 2, 130
EXIT_STATUS_HELP = """exit status:
  0    all OK
  1    {failed}
  2    usage error: one line on stderr, nothing done
  130  interrupted (Ctrl-C)"""

T = TypeVar("T")


def exit_status(failures: int) -> int:
    """0 when nothing failed, else 1."""
    return FAILED if failures else OK


class Parser(argparse.ArgumentParser):
    """``argparse`` with the workbook's conventions: the exit statuses in ``--help``, and usage errors as
    one line on stderr (no usage block, no traceback) with status 2.

    ``failed`` says what status 1 means for this program. The help has a fixed width, so it reads the same in
    every terminal and in a lesson's stored output; the description and the exit statuses are kept as written.
    """

    def __init__(self, *, prog: str, description: str, failed: str = "some failed") -> None:
        super().__init__(
            prog=prog,
            description=description,
            epilog=EXIT_STATUS_HELP.format(failed=failed),
            formatter_class=functools.partial(argparse.RawDescriptionHelpFormatter, width=96),
        )

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE, f"{self.prog}: error: {message} (see --help)\n")


# --- Ctrl-C -------------------------------------------------------------------------------------------------
# Under run(), the first Ctrl-C stops the work cleanly: an asyncio run is cancelled (every task is cancelled
# and awaited, as asyncio.run does it), synchronous code gets KeyboardInterrupt. Any later Ctrl-C, during
# that clean-up or after the work is over, ends the process at once with 130: it is never a traceback, and
# never Python's own "killed by SIGINT" (-2), which is what an uncaught KeyboardInterrupt, or a Ctrl-C while
# the interpreter shuts down (it puts the default handler back), would give.

_interrupts = 0
_running: tuple[asyncio.AbstractEventLoop, asyncio.Task[Any]] | None = None


def _on_interrupt(signum: int, frame: object) -> None:
    global _interrupts
    _interrupts += 1
    if _interrupts > 1:
        _exit_now()
    if _running is not None:
        loop, task = _running
        loop.call_soon_threadsafe(task.cancel)  # wakes the loop even if it sleeps in select()
        return
    raise KeyboardInterrupt


def _exit_now() -> NoReturn:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # the interrupted code may have been writing to it
            stream.flush()
    os._exit(INTERRUPTED)


def _ignore_interrupts() -> None:
    # The last exit function: what is left is tearing down modules, quick and unable to hang, and a Ctrl-C
    # there would meet the default handler again and kill the process (-2) instead of letting it exit.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coro)``; under :func:`run`, a Ctrl-C cancels ``coro`` and, once it has unwound, raises
    ``KeyboardInterrupt`` here. Called outside :func:`run` (a test, a notebook's thread), it is
    ``asyncio.run``.
    """

    async def tracked() -> T:
        global _running
        _running = asyncio.get_running_loop(), asyncio.current_task()  # type: ignore[assignment]
        try:
            return await coro
        finally:
            _running = None

    try:
        return asyncio.run(tracked())
    except asyncio.CancelledError:
        if _interrupts:
            raise KeyboardInterrupt from None
        raise


def run(main: Callable[[], int]) -> NoReturn:
    """The entry point: ``if __name__ == "__main__": cli.run(main)``. Exits with ``main()``'s status, or 130
    if Ctrl-C is pressed at any moment, once or several times.
    """
    global _interrupts
    signal.signal(signal.SIGINT, _on_interrupt)
    atexit.register(_ignore_interrupts)
    try:
        status = main()
    except KeyboardInterrupt:
        status = INTERRUPTED
    _interrupts = max(_interrupts, 1)  # the work is over: a Ctrl-C now, while Python shuts down, exits 130
    sys.exit(status)
