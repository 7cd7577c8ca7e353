"""The per-process limit on open files, raised once for the many-connections lessons and benchmarks.

Every open connection is a file descriptor, and many systems start processes with a soft limit of 1024
(macOS: 256), which a burst of 1000 connections plus the interpreter's own files exceeds. Servers and
clients that open hundreds of connections call :func:`raise_open_file_limit` first.
"""

from __future__ import annotations

__all__ = ["raise_open_file_limit"]


def raise_open_file_limit(needed: int) -> int:
    """Raise the soft ``RLIMIT_NOFILE`` towards the hard limit if it is below ``needed``; return the new one.

    Goes as high as allowed (other code in the process needs descriptors too), else just to ``needed``:
    macOS refuses a soft limit above its per-process maximum even when the hard limit is higher.
    """
    try:
        import resource
    except ImportError:  # Windows has no such limit
        return needed
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return soft
    for target in (needed if hard == resource.RLIM_INFINITY else hard, needed):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            break
        except (ValueError, OSError):
            continue
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]
