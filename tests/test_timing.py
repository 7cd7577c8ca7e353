"""The one stopwatch and the one duration format."""

from __future__ import annotations

import asyncio
import math
import time

import pytest

from support.timing import (
    Span,
    Status,
    Stopwatch,
    Timeline,
    format_duration,
    format_ratio,
    in_flight_counts,
    spans_from_log,
)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0.00 s"),
        (0.004, "0.00 s"),
        (0.005001, "0.01 s"),
        (1.0234, "1.02 s"),
        (59.999, "60.00 s"),
        (123.4, "123.40 s"),
    ],
)
def test_format_duration_has_two_decimals_and_seconds(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize("bad", [-0.1, math.nan, math.inf])
def test_format_duration_rejects_nonsense(bad: float) -> None:
    with pytest.raises(ValueError, match=rf"a duration must be a finite non-negative number, got {bad!r}"):
        format_duration(bad)


@pytest.mark.parametrize(
    ("ratio", "text"), [(0, "0.0×"), (1, "1.0×"), (9.84, "9.8×"), (0.25, "0.2×"), (102.06, "102.1×")]
)
def test_format_ratio(ratio: float, text: str) -> None:
    assert format_ratio(ratio) == text


@pytest.mark.parametrize("bad", [-0.1, math.nan, -math.nan, math.inf, 0.0 * math.inf])
def test_format_ratio_rejects_nonsense(bad: float) -> None:
    # A NaN ratio comes from 0/0 timings upstream: printing "nan×" would hide the bug.
    with pytest.raises(ValueError, match=rf"a ratio must be a finite non-negative number, got {bad!r}"):
        format_ratio(bad)


def test_stopwatch_measures_a_sleep() -> None:
    with Stopwatch("nap") as watch:
        time.sleep(0.05)
    assert 0.05 <= watch.elapsed < 1.0
    frozen = watch.elapsed
    time.sleep(0.01)
    assert watch.elapsed == frozen, "a stopped watch must not keep counting"
    assert str(watch) == format_duration(frozen)
    assert watch.report() == f"nap: {format_duration(frozen)}"


def test_stopwatch_reads_while_running_and_refuses_stop_before_start() -> None:
    watch = Stopwatch()
    assert watch.elapsed == 0.0
    with pytest.raises(RuntimeError, match="stop\\(\\) called on a stopwatch that was never started"):
        watch.stop()
    watch.start()
    first = watch.elapsed
    time.sleep(0.01)
    assert watch.elapsed > first


def test_timeline_records_concurrent_spans_that_overlap() -> None:
    timeline = Timeline()

    async def nap(name: str, seconds: float) -> str:
        with timeline.span(name):
            await asyncio.sleep(seconds)
        return name

    async def main() -> list[str]:
        return await asyncio.gather(nap("a", 0.05), nap("b", 0.05), nap("c", 0.05))

    assert asyncio.run(main()) == ["a", "b", "c"]
    spans = {s.name: s for s in timeline.spans}
    assert set(spans) == {"a", "b", "c"}
    assert all(s.duration >= 0.045 for s in spans.values())
    # Concurrent: every span starts before any ends.
    assert max(s.start for s in spans.values()) < min(s.end for s in spans.values())
    assert timeline.total < 0.15


def test_timeline_marks_failures_and_track_wraps_coroutines() -> None:
    timeline = Timeline()

    async def boom() -> None:
        raise KeyError("x")

    async def ok(x: int) -> int:
        return x * 2

    async def main() -> int:
        with pytest.raises(KeyError):
            await timeline.track("boom", boom)()
        return await timeline.track("ok", ok)(21)

    assert asyncio.run(main()) == 42
    assert [(s.name, s.status) for s in timeline.spans] == [("boom", "error"), ("ok", "ok")]


def test_span_duration_and_manual_add() -> None:
    timeline = Timeline(origin=0.0)
    span = timeline.add("server", 1.0, 3.5, "error")
    assert span == Span("server", 1.0, 3.5, "error") and span.duration == 2.5
    assert timeline.total == 2.5
    assert Timeline().total == 0.0


def test_in_flight_counts_follow_starts_and_ends() -> None:
    spans = [Span("a", 0.0, 2.0), Span("b", 1.0, 3.0), Span("c", 2.0, 2.5)]
    times, counts = in_flight_counts(spans)
    # At t=2.0 "a" ends before "c" starts, so the level never reaches 3.
    assert list(zip(times, counts, strict=True)) == [
        (0.0, 0),
        (0.0, 1),
        (1.0, 2),
        (2.0, 1),
        (2.0, 2),
        (2.5, 1),
        (3.0, 0),
    ]


# A flag site's log as GET /_log serves it: wall-clock seconds, outcomes in the Status words.
_LOG = [
    {
        "path": "/flags/br/br.gif",
        "start": 100.5,
        "end": 101.0,
        "status": 200,
        "outcome": "ok",
        "detail": "OK",
    },
    {"path": "/flags/xx/xx.gif", "start": 100.0, "end": 100.25, "status": 404, "outcome": "not found"},
    {"path": "/flags/cn/cn.gif", "start": 100.75, "end": 102.0, "status": 418, "outcome": "error"},
    {"path": "/flags/in/in.gif", "start": 101.0, "end": 103.0, "status": None, "outcome": "timeout"},
    {"path": "/flags/us/us.gif", "start": 101.0, "end": 101.5, "status": None, "outcome": "error"},
]


def test_spans_from_log_start_at_the_first_request_and_keep_the_outcome() -> None:
    assert spans_from_log(_LOG) == [
        Span("/flags/br/br.gif", 0.5, 1.0, "ok"),
        Span("/flags/xx/xx.gif", 0.0, 0.25, "not found"),
        Span("/flags/cn/cn.gif", 0.75, 2.0, "error"),
        Span("/flags/in/in.gif", 1.0, 3.0, "timeout"),
        Span("/flags/us/us.gif", 1.0, 1.5, "error"),
    ]
    assert spans_from_log([]) == []


def test_spans_from_log_take_an_origin_and_a_name() -> None:
    spans = spans_from_log(_LOG, origin=99.0, name=lambda path: path.split("/")[2].upper())
    assert [(s.name, s.start) for s in spans] == [
        ("BR", 1.5),
        ("XX", 1.0),
        ("CN", 1.75),
        ("IN", 2.0),
        ("US", 2.0),
    ]
    assert max(in_flight_counts(spans)[1]) == 3  # CN, IN and US overlap from 101.0 to 101.5


def test_percentile_interpolates_between_sorted_samples() -> None:
    from support.timing import percentile

    samples = [5.0, 1.0, 3.0, 2.0, 4.0]
    assert percentile(samples, 0) == min(samples) and percentile(samples, 100) == max(samples)
    assert percentile(samples, 50) == sorted(samples)[2]
    assert percentile(samples, 25) < percentile(samples, 50) < percentile(samples, 99)
    assert percentile([7.0], 99) == 7.0
    for bad in ([], [1.0]):
        with pytest.raises(ValueError):
            percentile(bad, 101 if bad else 50)


def test_spans_from_log_refuse_an_outcome_outside_the_vocabulary() -> None:
    with pytest.raises(ValueError):
        spans_from_log([{"path": "/flags/br/br.gif", "start": 1.0, "end": 2.0, "outcome": "not_found"}])


def test_a_span_classified_by_the_caller() -> None:
    timeline = Timeline()
    with pytest.raises(LookupError), timeline.span("XX", classify=lambda exc: Status.NOT_FOUND):
        raise LookupError("XX")
    assert [(s.name, s.status) for s in timeline.spans] == [("XX", Status.NOT_FOUND)]


def test_a_span_that_times_out_is_a_timeout_and_any_other_exception_an_error() -> None:
    timeline = Timeline()
    for name, exc in [
        ("slow", TimeoutError()),
        ("broken", OSError("reset")),
        ("stopped", KeyboardInterrupt()),
    ]:
        with pytest.raises(type(exc)), timeline.span(name):
            raise exc
    assert [(s.name, s.status) for s in timeline.spans] == [
        ("slow", Status.TIMEOUT),
        ("broken", Status.ERROR),
        ("stopped", Status.ERROR),
    ]


def test_a_stopwatch_without_a_label_reports_elapsed() -> None:
    with Stopwatch() as watch:
        pass
    assert watch.report() == f"elapsed: {watch}"
    assert watch.report("gather") == f"gather: {watch}"
    assert repr(watch) == f"Stopwatch('', elapsed={watch.elapsed:.3f})"


def test_timeline_now_counts_from_its_origin() -> None:
    before = time.perf_counter()
    timeline = Timeline(origin=before - 100)  # an origin the test sets: 100 s ago
    now = timeline.now()
    after = time.perf_counter()
    assert 100 <= now <= 100 + (after - before)


def test_a_span_added_without_a_status_is_ok() -> None:
    assert Timeline().add("server", 1.0, 2.0).status == Status.OK == "ok"
