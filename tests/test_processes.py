"""Child processes are named by role; the interpreter's own helpers are left out; ended ones vanish."""

from __future__ import annotations

import subprocess
import sys
import time

from support.lab import processes


def test_roles_from_command_lines() -> None:
    python = sys.executable
    assert processes.role(
        [python, "-m", "support.lab._supervised", "support.lab.flag_server", "--port", "0"]
    ) == ("support.lab.flag_server")
    assert processes.role([python, "-c", "from multiprocessing.resource_tracker import main;main(5)"]) == (
        "resource tracker"
    )
    assert processes.role(
        [python, "-c", "from multiprocessing.spawn import spawn_main; spawn_main(5)"]
    ).startswith("spawned worker")
    assert processes.role([python, "-m", "http.server"]) == "http.server"
    assert processes.role(["/bin/sleep", "5"]) == "sleep"
    # setproctitle's title comes back from psutil as one argument, with the worker's address in it
    assert processes.role(["dask worker [tcp://127.0.0.1:33767]"]) == "Dask worker"


def test_a_child_is_counted_while_it_runs_and_not_after() -> None:
    before = processes.children()
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        time.sleep(0.1)
        during = processes.children()
        assert sum(during.values()) == sum(before.values()) + 1
    finally:
        child.kill()
        child.wait()
    assert processes.children() == before
