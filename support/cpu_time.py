"""Where a "pure I/O" program spends its CPU time: wall time against process time, and a profile by area.

``time.perf_counter`` runs on while a program waits; ``time.process_time`` counts only the CPU time its own
threads used. Their ratio says how busy the program really was: near 0 it mostly waited, near 1 it was the
bottleneck itself. :class:`Usage` measures both around a block.

A profile taken with the CPU clock (``cProfile.Profile(time.process_time)``) says *which* code used that time;
:func:`by_area` adds it up into a few areas a network client has (TLS, HTTP parsing, JSON, the event loop, ...)
so that they can be compared at a glance.
"""

from __future__ import annotations

import cProfile
import pstats
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

__all__ = ["AREAS", "Usage", "area_of", "by_area", "usage"]


@dataclass
class Usage:
    """Wall and CPU seconds of a block (this process's threads only), filled in when the block ends."""

    wall: float = 0.0
    cpu: float = 0.0

    @property
    def cpu_share(self) -> float:
        """CPU time over wall time: near 0 the block mostly waited, near 1 it computed all along."""
        return self.cpu / self.wall if self.wall > 0 else 0.0


@contextmanager
def usage() -> Iterator[Usage]:
    """``with usage() as used: ...`` then ``used.wall``, ``used.cpu``, ``used.cpu_share``."""
    used = Usage()
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        yield used
    finally:
        used.wall, used.cpu = time.perf_counter() - wall, time.process_time() - cpu


#: The areas :func:`by_area` reports, in this order, each with the markers that put a function in it: a piece
#: of its file's path or of its name (C functions have no file, only a name such as ``_ssl._SSLSocket``).
AREAS: dict[str, tuple[str, ...]] = {
    "TLS (encryption, handshakes)": ("_ssl.", "/ssl.py", "sslproto.py"),
    "HTTP parsing (h11)": ("/h11/",),
    "HTTP client (httpx, httpcore)": ("/httpx/", "/httpcore/", "/anyio/", "/sniffio/"),
    "JSON": ("/json/", "_json"),
    "event loop (asyncio)": ("/asyncio/", "/selectors.py", "select.epoll", "select.kqueue", "_asyncio."),
    "the client's own code": ("/support/",),
    "imports at run time": ("<frozen importlib", "/importlib/"),
}
OTHER = "everything else"


def area_of(filename: str, function: str) -> str:
    """The area of one profiled function, from its file's path and its name (first match in :data:`AREAS`)."""
    where = filename.replace("\\", "/") + " " + function
    for area, markers in AREAS.items():
        if any(marker in where for marker in markers):
            return area
    return OTHER


def by_area(profile: cProfile.Profile) -> dict[str, float]:
    """Seconds of each area's own code (callees not included, so nothing is counted twice), in :data:`AREAS`
    order, then :data:`OTHER`; every area is there, with 0.0 when none of its code ran.

    A built-in function that belongs to no area by its name (``isinstance``, a ``str`` method, ``len``) is
    charged to the areas of the functions that called it, in proportion: the time ``isinstance`` takes inside
    the HTTP client is the HTTP client's.

    From Python 3.12 cProfile watches through ``sys.monitoring``, which sees every thread: calls made by other
    threads land in the same profile, and the callers it notes for a built-in no longer add up to its own time.
    What they leave over goes to :data:`OTHER`, so every second of the profile is still charged once.
    """
    totals = dict.fromkeys([*AREAS, OTHER], 0.0)
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    for (filename, _line, function), (_calls, _primitive, own, _cumulative, callers) in stats.items():
        area = area_of(filename, function)
        if area == OTHER and filename == "~" and callers:
            for (caller_file, _, caller_function), caller_stats in callers.items():
                totals[area_of(caller_file, caller_function)] += caller_stats[2]  # own time under that caller
            totals[OTHER] += own - sum(caller_stats[2] for caller_stats in callers.values())
        else:
            totals[area] += own
    return totals
