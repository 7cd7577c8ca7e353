"""A pytest plugin for nbval (``make test``, ``make class-load``): start a kernel again when it dies at start.

A kernel's ports are picked by the Jupyter client (bind to port 0, note the number, let go) and bound by the
kernel a second or two later, once Python has imported it. With eight learners on two cores, each lesson opening
servers and connections, another process can take one of those ports in between; the kernel then exits with
"Address already in use" and nbval fails every cell of the notebook with "Kernel died before replying to
kernel_info". On a hub, Jupyter Server's kernel restarter starts such a kernel again on fresh ports, and the
learner sees a restart. This plugin does the same for nbval, and writes one line per restart to the file
``$WORKBOOK_KERNEL_RESTARTS`` names (pytest captures stderr), which ``class_load`` counts. A kernel that dies
every time still fails the notebook.

Loaded wherever nbval runs (``-p support.workbook.kernel_restart``): by :mod:`support.workbook.class_load`, and
by ``make test`` and ``make nbval``, where one notebook's kernel (solutions/03) died this way in a fresh-clone CI
run on 3.12, with three pytest workers on two cores. Each restart is also a :class:`KernelRestarted` warning, so
pytest's warnings summary shows it.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["ATTEMPTS", "LOG_ENV", "KernelRestarted", "restarting"]

ATTEMPTS = 3  # Jupyter Server's restarter tries 5 times; 3 is plenty for a port taken once
LOG_ENV = "WORKBOOK_KERNEL_RESTARTS"  # the file each restart's line is added to
_DIED = "Kernel died before replying to kernel_info"


class KernelRestarted(UserWarning):
    """A notebook's kernel died before it answered and was started again."""


def _note(line: str) -> None:
    warnings.warn(line, KernelRestarted, stacklevel=3)
    if log := os.environ.get(LOG_ENV):
        with Path(log).open("a", encoding="utf-8") as file:
            file.write(line + "\n")


def restarting(
    start: Callable[..., Any], attempts: int = ATTEMPTS, note: Callable[[str], None] = _note
) -> Callable[..., Any]:
    """``start`` (nbval's ``start_new_kernel``), tried again, up to ``attempts`` in all, when the kernel died
    before it answered; every other error, and the last death, goes through unchanged."""

    def start_again(*args: Any, **kwargs: Any) -> Any:
        for attempt in range(1, attempts + 1):
            try:
                return start(*args, **kwargs)
            except RuntimeError as exc:
                if _DIED not in str(exc) or attempt == attempts:
                    raise
                note(f"kernel start {attempt} of {attempts} died before it answered; starting it again")
        raise AssertionError("unreachable")  # pragma: no cover

    return start_again


def pytest_configure(config: Any) -> None:
    """Wrap nbval's kernel start once per pytest run (RunningKernel looks it up in nbval.kernel each time)."""
    import nbval.kernel  # type: ignore[import-untyped]  # a dev tool, imported only where nbval runs

    if not getattr(nbval.kernel.start_new_kernel, "_restarting", False):
        wrapped = restarting(nbval.kernel.start_new_kernel)
        wrapped._restarting = True  # type: ignore[attr-defined]
        nbval.kernel.start_new_kernel = wrapped
