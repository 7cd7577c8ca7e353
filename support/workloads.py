"""Work to hand to executors: a CPU-bound count and a blocking wait that leaves a mark when it ends.

They live in a module, not in a notebook cell, because a process pool sends its workers a function *by name*:
each worker imports the function's module and looks the name up. A function defined in a notebook cell
belongs to the kernel's ``__main__``, which a worker started with ``spawn`` cannot import.

Both are deliberately plain: :func:`count_primes` holds the GIL from start to end (pure Python arithmetic),
so threads cannot run two of them at once, and :func:`sleep_then_mark` shows whether a job really went on
after the coroutine awaiting it was cancelled.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

__all__ = ["count_primes", "sleep_then_mark"]


def count_primes(limit: int) -> int:
    """How many primes are below ``limit``, by trial division: slow on purpose, all CPU, no I/O.

    ``count_primes(100) == 25``. Its time grows a little faster than ``limit``; 200,000 takes a few tenths
    of a second on a laptop.
    """
    if limit < 0:
        raise ValueError(f"limit must be 0 or more, not {limit}")
    count = 0
    for n in range(2, limit):
        for divisor in range(2, math.isqrt(n) + 1):
            if n % divisor == 0:
                break
        else:
            count += 1
    return count


def sleep_then_mark(seconds: float, marker: str | Path) -> str:
    """Block for ``seconds`` (a stand-in for a slow blocking call), then create the file ``marker``.

    The file is the job's own evidence that it ran to the end, visible from any thread or process. Returns
    the marker's path as a string.
    """
    time.sleep(seconds)
    path = Path(marker)
    path.touch()
    return str(path)
