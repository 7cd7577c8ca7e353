"""One stopwatch and one duration format for the whole workbook.

Every printed duration goes through :func:`format_duration` (seconds, two decimals, e.g. ``"1.02 s"``) and
every speed-up through :func:`format_ratio` (e.g. ``"9.8×"``). Strict notebook validation masks exactly these
two shapes (see ``tests/sanitize.cfg``), so timings may vary from run to run without failing the checks.

:class:`Timeline` records when each task started and ended, for :func:`support.plots.timeline_chart`.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import ParamSpec, TypeVar

__all__ = ["Span", "Stopwatch", "Timeline", "format_duration", "format_ratio", "percentile"]

P = ParamSpec("P")
T = TypeVar("T")


def format_duration(seconds: float) -> str:
    """Format a duration in seconds with two decimals: ``format_duration(1.0234) == "1.02 s"``."""
    if seconds != seconds or seconds < 0:  # NaN or negative: a bug upstream, make it loud
        raise ValueError(f"a duration must be a non-negative number, got {seconds!r}")
    return f"{seconds:.2f} s"


def format_ratio(ratio: float) -> str:
    """Format a speed-up or slow-down factor with one decimal: ``format_ratio(9.84) == "9.8×"``."""
    if ratio != ratio or ratio < 0:
        raise ValueError(f"a ratio must be a non-negative number, got {ratio!r}")
    return f"{ratio:.1f}×"


def percentile(samples: Iterable[float], p: float) -> float:
    """The ``p``-th percentile of ``samples`` (0 <= p <= 100), interpolating between neighbours.

    ``percentile(latencies, 99)`` is the latency that 99 % of requests beat: the slow tail a user notices
    and an average hides.
    """
    ordered = sorted(samples)
    if not ordered:
        raise ValueError("percentile of no samples")
    if not 0 <= p <= 100:
        raise ValueError(f"p must be between 0 and 100, not {p}")
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


class Stopwatch:
    """Measure wall-clock time with ``time.perf_counter``, as a context manager or by hand.

    >>> with Stopwatch() as watch:
    ...     pass
    >>> watch.elapsed < 1
    True

    ``elapsed`` reads the running time while the watch runs, the final time after it stopped.
    ``str(watch)`` is the duration in the workbook's one format.
    """

    def __init__(self, label: str = "") -> None:
        self.label = label
        self._start: float | None = None
        self._end: float | None = None

    def start(self) -> Stopwatch:
        self._start, self._end = time.perf_counter(), None
        return self

    def stop(self) -> float:
        if self._start is None:
            raise RuntimeError("stop() called on a stopwatch that was never started")
        self._end = time.perf_counter()
        return self.elapsed

    @property
    def elapsed(self) -> float:
        if self._start is None:
            return 0.0
        end = self._end if self._end is not None else time.perf_counter()
        return end - self._start

    def __enter__(self) -> Stopwatch:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __str__(self) -> str:
        return format_duration(self.elapsed)

    def __repr__(self) -> str:
        return f"Stopwatch({self.label!r}, elapsed={self.elapsed:.3f})"

    def report(self, label: str | None = None) -> str:
        """``"<label>: 1.02 s"``, the line lessons print after a measurement."""
        return f"{label or self.label or 'elapsed'}: {self}"


@dataclass(frozen=True)
class Span:
    """One task's run: its name and its start and end in seconds since the timeline's origin."""

    name: str
    start: float
    end: float
    status: str = "ok"

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass
class Timeline:
    """Collect :class:`Span` records relative to one origin, so a chart can show who ran when.

    Use ``with timeline.span("task 3"): ...`` around synchronous or asynchronous work (the ``with`` works
    inside a coroutine too), or wrap a coroutine function with :meth:`track`.
    """

    origin: float = field(default_factory=time.perf_counter)
    spans: list[Span] = field(default_factory=list)

    def now(self) -> float:
        """Seconds since the origin."""
        return time.perf_counter() - self.origin

    def add(self, name: str, start: float, end: float, status: str = "ok") -> Span:
        """Record a span measured elsewhere (for example by a server), already relative to the origin."""
        span = Span(name, start, end, status)
        self.spans.append(span)
        return span

    @contextlib.contextmanager
    def span(self, name: str) -> Iterator[None]:
        start = self.now()
        status = "ok"
        try:
            yield
        except BaseException as exc:
            status = type(exc).__name__
            raise
        finally:
            self.add(name, start, self.now(), status)

    def track(self, name: str, func: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
        """Wrap a coroutine function so each call records a span called ``name``."""

        @functools.wraps(func)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
            with self.span(name):
                return await func(*args, **kwargs)

        return wrapper

    @property
    def total(self) -> float:
        """From the earliest start to the latest end (0 when empty)."""
        if not self.spans:
            return 0.0
        return max(s.end for s in self.spans) - min(s.start for s in self.spans)
