"""Run a server module so that it exits when the process that started it is gone.

``support.lab.services`` starts every server through this wrapper: ``python -m support.lab._supervised <module>
<args>``. A kernel that is killed (not shut down) never runs its exit handlers, and a server it started
would otherwise run on for ever, holding its port. A watchdog thread notices that the parent changed
and stops the server as if it had been sent SIGTERM, so it still shuts down cleanly.
"""

from __future__ import annotations

import os
import runpy
import signal
import sys
import threading
import time

_POLL = 0.5  # seconds between checks: cheap, and quick enough for a re-run cell to find its port free
_GRACE = 5.0  # seconds the server gets to stop cleanly before it is ended for sure


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(_POLL)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(_GRACE)
    os._exit(1)


def main() -> None:
    if len(sys.argv) < 2:
        raise SystemExit("usage: python -m support.lab._supervised MODULE [ARGS...]")
    module = sys.argv[1]
    # Popped so that processes this server starts do not watch the wrong parent.
    parent = int(os.environ.pop("WORKBOOK_PARENT_PID", os.getppid()))
    threading.Thread(target=_watch, args=(parent,), name="parent-watchdog", daemon=True).start()
    sys.argv = [module, *sys.argv[2:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
