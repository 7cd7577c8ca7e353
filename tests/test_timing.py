"""The one stopwatch and the one duration format."""

from __future__ import annotations

import asyncio
import math
import time

import pytest

from support.timing import Span, Stopwatch, Timeline, format_duration, format_ratio


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


@pytest.mark.parametrize("bad", [-0.1, math.nan])
def test_format_duration_rejects_nonsense(bad: float) -> None:
    with pytest.raises(ValueError):
        format_duration(bad)


@pytest.mark.parametrize(("ratio", "text"), [(1, "1.0×"), (9.84, "9.8×"), (0.25, "0.2×"), (102.06, "102.1×")])
def test_format_ratio(ratio: float, text: str) -> None:
    assert format_ratio(ratio) == text


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
    with pytest.raises(RuntimeError):
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
    assert [(s.name, s.status) for s in timeline.spans] == [("boom", "KeyError"), ("ok", "ok")]


def test_span_duration_and_manual_add() -> None:
    timeline = Timeline(origin=0.0)
    span = timeline.add("server", 1.0, 3.5, "error")
    assert span == Span("server", 1.0, 3.5, "error") and span.duration == 2.5
    assert timeline.total == 2.5
    assert Timeline().total == 0.0


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
