"""The charts, drawn from fake timings so the tests are fast and exact."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402

from support import plots  # noqa: E402
from support.timing import Span  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _texts(fig: Figure) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_bar_chart_labels_each_bar_with_duration_and_speedup(tmp_path: Path) -> None:
    fig = plots.bar_chart({"sequential": 10.0, "concurrent": 1.0}, baseline="sequential")
    labels = _texts(fig)
    assert "10.00 s" in labels
    assert "1.00 s  (10.0× faster)" in labels
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["sequential", "concurrent"]
    assert fig.get_size_inches()[0] == pytest.approx(plots.WIDTH)
    path = plots.save_png(fig, tmp_path / "bars.png")
    assert path.read_bytes()[:8] == PNG_MAGIC


def test_bar_chart_rejects_empty_and_unknown_baseline() -> None:
    with pytest.raises(ValueError):
        plots.bar_chart({})
    with pytest.raises(KeyError):
        plots.bar_chart({"a": 1.0}, baseline="b")


def test_timeline_chart_one_row_per_task_in_start_order(tmp_path: Path) -> None:
    spans = [Span("late", 0.5, 1.0), Span("early", 0.0, 1.0), Span("failed", 0.2, 0.4, "error")]
    fig = plots.timeline_chart(spans)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["early", "failed", "late"]
    bars = ax.patches
    assert [(b.get_x(), round(b.get_width(), 6)) for b in bars] == [(0.0, 1.0), (0.2, 0.2), (0.5, 0.5)]
    assert ax.get_legend() is not None, "mixed statuses need a legend"
    assert plots.save_png(fig, tmp_path / "t.png").read_bytes()[:8] == PNG_MAGIC


def test_timeline_chart_packs_many_tasks_into_lanes() -> None:
    # 100 back-to-back tasks in two interleaved chains need exactly 2 lanes.
    spans = [Span(f"a{i}", i, i + 1) for i in range(50)] + [
        Span(f"b{i}", i + 0.5, i + 1.5) for i in range(50)
    ]
    fig = plots.timeline_chart(spans, max_rows=20)
    ax = fig.axes[0]
    assert {round(b.get_y() + b.get_height() / 2) for b in ax.patches} == {0, 1}
    assert "100 tasks in 2 lanes" in ax.get_ylabel()


def test_in_flight_counts_follow_starts_and_ends() -> None:
    spans = [Span("a", 0.0, 2.0), Span("b", 1.0, 3.0), Span("c", 2.0, 2.5)]
    times, counts = plots.in_flight_counts(spans)
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
    assert max(counts) == 2


def test_in_flight_chart_and_empty_inputs() -> None:
    fig = plots.in_flight_chart([Span("a", 0.0, 1.0)])
    assert fig.axes[0].get_ylabel() == "in flight"
    assert all(tick == int(tick) for tick in fig.axes[0].get_yticks()), "whole requests only"
    for chart in (plots.timeline_chart, plots.in_flight_chart):
        with pytest.raises(ValueError):
            chart([])


def test_timeline_chart_rows_by_name_puts_a_tasks_slices_on_one_row() -> None:
    spans = [Span("A", 0.0, 1.0), Span("B", 1.0, 2.0), Span("A", 2.0, 3.0), Span("C", 0.5, 0.6)]
    fig = plots.timeline_chart(spans, rows="name")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["A", "C", "B"]
    rows = sorted((round(b.get_y() + b.get_height() / 2), b.get_x()) for b in ax.patches)
    assert rows == [(0, 0.0), (0, 2.0), (1, 0.5), (2, 1.0)]


def test_timeline_chart_rows_by_name_keeps_touching_slices_apart() -> None:
    # A task that sleeps again the moment it wakes has slices that touch: an edge shows where one ends.
    spans = [Span("A", 0.0, 1.0), Span("A", 1.0, 3.0), Span("B", 0.0, 2.0)]
    by_name = plots.timeline_chart(spans, rows="name").axes[0].patches
    by_span = plots.timeline_chart(spans).axes[0].patches
    assert all(b.get_edgecolor() == (1.0, 1.0, 1.0, 1.0) and b.get_linewidth() > 0 for b in by_name)
    assert all(b.get_linewidth() == 0 or b.get_edgecolor() != (1.0, 1.0, 1.0, 1.0) for b in by_span)


def test_timeline_chart_xmax_fixes_the_scale() -> None:
    fig = plots.timeline_chart([Span("a", 0.0, 0.25)], xmax=2.5)
    assert fig.axes[0].get_xlim() == (0.0, 2.5)


def test_timelines_chart_shares_one_time_axis() -> None:
    staircase = [Span(f"s{i}", i * 0.25, (i + 1) * 0.25) for i in range(10)]
    block = [Span(f"c{i}", 0.0, 0.25) for i in range(10)]
    fig = plots.timelines_chart({"Sequential": staircase, "Concurrent": block}, "Ten sleeps")
    top, bottom = fig.axes
    assert top.get_xlim() == bottom.get_xlim()
    assert top.get_xlim()[1] >= 2.5, "the concurrent panel is drawn on the sequential one's scale"
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["Sequential", "Concurrent"]
    with pytest.raises(ValueError):
        plots.timelines_chart({"empty": []})


def test_the_status_legend_sits_outside_the_bars() -> None:
    fig = plots.timeline_chart([Span("a", 0.0, 1.0), Span("b", 0.0, 1.0, "error")])
    legend = fig.axes[0].get_legend()
    assert legend is not None
    fig.canvas.draw()
    legend_box = legend.get_window_extent()
    axes_box = fig.axes[0].get_window_extent()
    assert legend_box.x0 >= axes_box.x1 - 1, "a legend inside the axes covers bars"


def test_steps_chart_draws_running_and_waiting_slices_per_task() -> None:
    from support.tracer import Step, Trace

    trace = Trace(origin=0.0, steps=[Step("a", 0.0, 0.01), Step("b", 0.01, 0.5), Step("a", 0.5, 0.51)])
    fig = plots.steps_chart(trace)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]
    colours = {tuple(round(c, 3) for c in b.get_facecolor()) for b in ax.patches}
    assert len(colours) == 2, "running and waiting slices have their own colours"
    assert len(ax.patches) == 4  # a: run, wait, run; b: run
    with pytest.raises(ValueError):
        plots.steps_chart(Trace())


def test_await_chain_chart_draws_one_box_per_link_under_the_loop(tmp_path: Path) -> None:
    links = [
        ("probe", "ours"),
        ("Resolver.resolve", "dnspython"),
        ("udp", "dnspython"),
        ("Future", "asyncio"),
    ]
    fig = plots.await_chain_chart(links, loop_label="event loop")
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert texts[0] == "event loop"
    assert [t for t in texts if t in {name for name, _ in links}] == [name for name, _ in links]
    assert texts.count("await") == len(links) - 1, "one arrow between each link and the next"
    boxes = [p for p in ax.patches if p.get_width() > 1]
    assert len(boxes) == len(links) + 1
    by_owner = {name: boxes[i + 1].get_facecolor() for i, (name, _) in enumerate(links)}
    assert by_owner["Resolver.resolve"] == by_owner["udp"] != by_owner["probe"] != by_owner["Future"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["ours", "dnspython", "asyncio"]
    taller = plots.await_chain_chart(links * 2)
    assert taller.get_size_inches()[1] > fig.get_size_inches()[1]
    assert plots.save_png(fig, tmp_path / "chain.png").read_bytes()[:8] == PNG_MAGIC


def test_await_chain_chart_needs_links() -> None:
    with pytest.raises(ValueError):
        plots.await_chain_chart([])
