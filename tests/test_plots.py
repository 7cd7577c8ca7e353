"""The charts, drawn from fake timings so the tests are fast and exact."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402

from support import plots, timing  # noqa: E402
from support.timing import Span  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    """Each test's figures are closed after it: pyplot keeps them all, and warns past twenty."""
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


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
    requests = plots.timelines_chart({"a": spans, "b": spans[:60]}, max_rows=20, what="requests")
    assert [ax.get_ylabel() for ax in requests.axes] == ["100 requests in 2 lanes", "60 requests in 2 lanes"]


def test_plots_draws_in_flight_with_the_timing_step_function() -> None:
    # One step function, kept in support.timing so the flag server can count without matplotlib.
    assert plots.in_flight_counts is timing.in_flight_counts


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


def test_flags3_request_kinds_have_colours_of_their_own() -> None:
    fig = plots.timeline_chart([Span("BR name", 0.0, 1.0, "metadata"), Span("BR flag", 1.0, 2.0, "image")])
    ax = fig.axes[0]
    colours = [tuple(round(c, 3) for c in b.get_facecolor()) for b in ax.patches]
    error = plots.timeline_chart([Span("x", 0.0, 1.0, "error")]).axes[0].patches[0].get_facecolor()
    assert len(set(colours)) == 2, "metadata and image requests look different"
    assert tuple(round(c, 3) for c in error) not in colours, "neither is drawn as an error"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["image", "metadata"]


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


def _boxes(fig: Figure) -> tuple[object, list[object], object]:
    """The window boxes of the first axes, its labels and its title, after a real draw."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    title = ax.title if ax.title.get_text() else ax._left_title  # loc="left" titles live here
    return (
        ax.get_window_extent(renderer),
        [t.get_window_extent(renderer) for t in ax.texts],
        title.get_window_extent(renderer),
    )


@pytest.mark.parametrize("n_bars", [2, 3, 5])
def test_bar_labels_keep_clear_of_the_title(n_bars: int) -> None:
    timings = {f"approach {i}": 2.18 / (i + 1) for i in range(n_bars)}
    fig = plots.bar_chart(timings, "A title as long as the lessons' titles are", baseline="approach 0")
    axes_box, label_boxes, title_box = _boxes(fig)
    top_label = max(box.y1 for box in label_boxes)
    # At 100 dpi: without headroom the label sat 13 to 19 px under the axes' top, close under the title.
    assert axes_box.y1 - top_label >= 0.2 * fig.dpi, "no headroom above the first bar's label"
    assert title_box.y0 - top_label >= 0.25 * fig.dpi, "the first bar's label crowds the title"


def test_sweep_chart_labels_points_and_keeps_the_legend_off_them() -> None:
    measured = {1: 2.36, 5: 0.54, 20: 0.34, 100: 0.21, 500: 0.22}
    ideal = {cap: max(40 // cap, 1) * 0.05 for cap in measured}
    fig = plots.sweep_chart(measured, "40 flags", xlabel="cap", ideal=ideal)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == ["2.36 s", "0.54 s", "0.34 s", "0.21 s", "0.22 s"]
    assert [line.get_label() for line in ax.get_lines()] == ["ideal", "measured"]
    axes_box, label_boxes, title_box = _boxes(fig)
    assert ax.get_legend().get_window_extent().x0 >= axes_box.x1 - 1, "a legend inside covers points"
    assert title_box.y0 - max(box.y1 for box in label_boxes) >= 2, "the top label touches the title"
    assert max(box.y1 for box in label_boxes) <= axes_box.y1, "a label sticks out of the axes"
    with pytest.raises(ValueError):
        plots.sweep_chart({}, "nothing", xlabel="cap")


def test_latency_chart_draws_one_curve_per_series_with_marks(tmp_path: Path) -> None:
    alone = [0.001 + i * 1e-5 for i in range(50)]
    crowd = [0.01 + i * 1e-4 for i in range(500)]
    fig = plots.latency_chart({"alone": alone, "crowd": crowd}, marks=(50, 99))
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["alone (50)", "crowd (500)"]
    notes = [t.get_text() for t in ax.texts]
    assert sum(n.startswith("p99 ") for n in notes) == 2 and sum(n.startswith("p50 ") for n in notes) == 2
    assert plots.save_png(fig, tmp_path / "lat.png").stat().st_size > 1000
    with pytest.raises(ValueError):
        plots.latency_chart({})
    with pytest.raises(ValueError):
        plots.latency_chart({"empty": []})


def test_rate_chart_labels_each_rate_and_starts_at_zero() -> None:
    fig = plots.rate_chart(
        {1: 40.0, 2: 80.0, 4: 150.0, 8: 160.0},
        "pages a second",
        xlabel="workers",
        ylabel="pages/s",
        ideal={1: 40.0, 8: 320.0},
    )
    ax = fig.axes[0]
    assert ["40", "80", "150", "160"] == _texts(fig)
    assert ax.get_ylim()[0] == 0 and ax.get_ylim()[1] >= 160
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "4", "8"]
    with pytest.raises(ValueError):
        plots.rate_chart({}, "nothing", xlabel="x", ylabel="y")


def test_levels_chart_draws_one_line_per_series_with_its_peak() -> None:
    fig = plots.levels_chart(
        {"unbounded": [Span("a", 0, 2), Span("b", 0.5, 2), Span("c", 1, 2)], "bounded": [Span("a", 0, 1)]},
        "queue length",
    )
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["unbounded (peak 3)", "bounded (peak 1)"]
    with pytest.raises(ValueError):
        plots.levels_chart({"empty": []}, "nothing")


def test_median_bursts_takes_medians_of_the_all_at_once_rows_in_first_seen_order() -> None:
    rows = [
        {"kind": "b", "n": 500, "wall": 3.0, "cpu": 2.0},
        {"kind": "a", "n": 100, "wall": 1.0, "cpu": 0.1, "limit": None},
        {"kind": "b", "n": 100, "wall": 1.5, "cpu": 0.5},
        {"kind": "b", "n": 500, "wall": 9.0, "cpu": 8.0},  # the odd slow repeat: the median ignores it
        {"kind": "b", "n": 500, "wall": 3.2, "cpu": 2.2},
        {"kind": "a", "n": 100, "wall": 7.0, "cpu": 0.3, "limit": 10},  # a capped run: not a burst
    ]
    assert plots.median_bursts(rows) == [
        plots.Burst("b", 100, 1.5, 0.5),
        plots.Burst("b", 500, 3.2, 2.2),
        plots.Burst("a", 100, 1.0, 0.1),
    ]


def test_load_bursts_reads_a_saved_benchmark_file(tmp_path: Path) -> None:
    saved = {
        "delay_s": 1.0,
        "results": [{"kind": "aiohttp", "n": 100, "wall": 1.1, "cpu": 0.2, "limit": None}],
    }
    path = tmp_path / "clients.json"
    path.write_text(json.dumps(saved), encoding="utf-8")
    assert plots.load_bursts(path) == [plots.Burst("aiohttp", 100, 1.1, 0.2)]


def test_bursts_chart_draws_wall_and_cpu_per_kind_and_needs_bursts() -> None:
    bursts = [
        plots.Burst("httpx", 100, 1.2, 0.2),
        plots.Burst("httpx", 500, 6.4, 5.5),
        plots.Burst("x", 100, 1, 0),
    ]
    fig = plots.bursts_chart(bursts, delay=1.0)
    wall_ax, cpu_ax = fig.axes
    assert [line.get_label() for line in wall_ax.get_lines()] == ["httpx", "x", "server delay"]
    assert list(cpu_ax.get_lines()[0].get_ydata()) == [0.2, 5.5]
    assert list(wall_ax.get_xticks()) == [100, 500]
    with pytest.raises(ValueError):
        plots.bursts_chart([])
