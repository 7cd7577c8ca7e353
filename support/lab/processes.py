"""Which processes this one has started and are still alive: the proof that a lesson left nothing running.

A lesson that starts servers, a process pool or a Dask cluster counts its child processes at the start and at
the end. :func:`children` names each by what it is (the module a server runs, a pool worker, a Dask worker),
so a leftover says what it was.

One child is left out on purpose: multiprocessing's *resource tracker*, which the first spawned worker starts
and which stays for the life of this process, to clean up after workers that die. It is not a leftover of the
lesson but of the interpreter, and it ends with it.
"""

from __future__ import annotations

import os
from collections import Counter

import psutil

__all__ = ["children", "role"]


def role(command: list[str]) -> str:
    """A readable name for a child process from its command line."""
    text = " ".join(command)
    if "multiprocessing.resource_tracker" in text:
        return "resource tracker"
    if "multiprocessing.forkserver" in text:
        return "fork server"
    if "support.lab._supervised" in text:
        after = (
            command[command.index("support.lab._supervised") + 1 :]
            if "support.lab._supervised" in command
            else []
        )
        return after[0] if after else "a workbook service"
    if "-m" in command and command.index("-m") + 1 < len(command):
        return command[command.index("-m") + 1]
    if "spawn_main" in text:
        return "spawned worker"
    if text.startswith("dask worker"):  # Dask retitles its worker process: "dask worker [tcp://HOST:PORT]"
        return "Dask worker"
    return os.path.basename(command[0]) if command else "?"


_INTERPRETER_HELPERS = {"resource tracker", "fork server"}


def children(pid: int | None = None) -> Counter[str]:
    """How many live child processes (and their children) ``pid`` (default: this process) has, by role.

    multiprocessing's resource tracker and fork server are not counted: see the module's docstring.
    """
    found: Counter[str] = Counter()
    for child in psutil.Process(pid).children(recursive=True):
        try:
            name = role(child.cmdline())
            alive = child.status() != psutil.STATUS_ZOMBIE
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue  # ended while we looked: not running
        if alive and name not in _INTERPRETER_HELPERS:
            found[name] += 1
    return found
