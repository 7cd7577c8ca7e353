"""One stopwatch and one duration format for the whole workbook.

Every printed duration goes through :func:`format_duration` (seconds, two decimals, e.g. ``"1.02 s"``) and
every speed-up through :func:`format_ratio` (e.g. ``"9.8×"``). Strict notebook validation masks exactly these
two shapes (see ``tests/sanitize.cfg``), so timings may vary from run to run without failing the checks.

:class:`Timeline` records when each task started and ended, for :func:`support.plots.timeline_chart`;
:func:`spans_from_log` turns a local server's request log into the same :class:`Span` records, and
:func:`in_flight_counts` counts how many were open at once. Nothing here imports matplotlib: the servers use
this module too.

:class:`Status` is the one vocabulary for how something ended (``ok``, ``not found``, ``error``, ``timeout``):
a span's status, a flag site's log, the flags clients' counts and the charts' colours all use its words.
"""

from __future__ import annotations

import contextlib
import functools
import math
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ParamSpec, TypeVar

__all__ = [
    "Span",
    "Status",
    "Stopwatch",
    "Timeline",
    "format_duration",
    "format_ratio",
    "in_flight_counts",
    "percentile",
    "spans_from_log",
    "status_of",
]

P = ParamSpec("P")
T = TypeVar("T")


def format_duration(seconds: float) -> str:
    """Format a duration in seconds with two decimals: ``format_duration(1.0234) == "1.02 s"``."""
    # NaN, infinite or negative: a bug upstream, make it loud.
    if not (math.isfinite(seconds) and seconds >= 0):
        raise ValueError(f"a duration must be a finite non-negative number, got {seconds!r}")
    return f"{seconds:.2f} s"


def format_ratio(ratio: float) -> str:
    """Format a speed-up or slow-down factor with one decimal: ``format_ratio(9.84) == "9.8×"``."""
    if not (math.isfinite(ratio) and ratio >= 0):  # e.g. NaN from 0/0: printing "nan×" would hide the bug
        raise ValueError(f"a ratio must be a finite non-negative number, got {ratio!r}")
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


class Status(StrEnum):
    """How a task, a request or a download ended, in the words the charts colour (:mod:`support.plots`).

    A str: ``Status.NOT_FOUND == "not found"``, so a status read back from JSON compares equal.
    """

    OK = "ok"
    NOT_FOUND = "not found"
    ERROR = "error"
    TIMEOUT = "timeout"


def status_of(exc: BaseException) -> Status:
    """The status of work that raised ``exc``: *timeout* for a :class:`TimeoutError`, *error* for the rest."""
    return Status.TIMEOUT if isinstance(exc, TimeoutError) else Status.ERROR


@dataclass(frozen=True)
class Span:
    """One task's run: its name, its start and end in seconds since the timeline's origin, and how it ended.

    ``status`` is a :class:`Status` word; the scheduler tracer (:mod:`support.tracer`) adds ``running`` and
    ``waiting`` for the slices of one task.
    """

    name: str
    start: float
    end: float
    status: str = Status.OK

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

    def add(self, name: str, start: float, end: float, status: str = Status.OK) -> Span:
        """Record a span measured elsewhere (for example by a server), already relative to the origin."""
        span = Span(name, start, end, status)
        self.spans.append(span)
        return span

    @contextlib.contextmanager
    def span(self, name: str, classify: Callable[[BaseException], str] = status_of) -> Iterator[None]:
        """Record the block as a span called ``name``: *ok*, or ``classify`` of the exception it raised.

        The default, :func:`status_of`, says *timeout* or *error*; a client that knows more about its failures
        (a 404 is *not found*) passes its own.
        """
        start = self.now()
        status: str = Status.OK
        try:
            yield
        except BaseException as exc:
            status = classify(exc)
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


def in_flight_counts(spans: Sequence[Span]) -> tuple[list[float], list[int]]:
    """How many spans were open over time, as a step function: times, and the count just after each.

    A span that ends at the moment another starts is counted as gone first, so back-to-back requests never
    look concurrent. ``max(in_flight_counts(spans)[1])`` is the peak.
    """
    events = sorted(
        [(s.start, 1) for s in spans] + [(s.end, -1) for s in spans]
    )  # at a tie, -1 (an end) first
    times, counts, level = [0.0], [0], 0
    for when, change in events:
        level += change
        times.append(when)
        counts.append(level)
    return times, counts


def spans_from_log(
    records: Iterable[Mapping[str, Any]],
    *,
    origin: float | None = None,
    name: Callable[[str], str] = str,
) -> list[Span]:
    """One :class:`Span` per request in a server's log (``support.lab.flag_server.read_log``), in log order.

    Each record has ``path``, ``start`` and ``end`` (wall-clock seconds, ``time.time()``) and ``outcome``.
    Times become seconds since ``origin``, by default the earliest start, so a chart begins at 0; ``name``
    turns a path into the span's name (the path itself by default). The outcome, a :class:`Status` word,
    is the span's status.
    """
    records = list(records)
    if origin is None:
        origin = min((r["start"] for r in records), default=0.0)
    return [
        Span(
            name(r["path"]),
            r["start"] - origin,
            r["end"] - origin,
            Status(r["outcome"]),
        )
        for r in records
    ]
