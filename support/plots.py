"""The workbook's charts: sequential-vs-concurrent bars, task timelines, requests in flight, await chains,
and the HTTP client benchmark's bursts (read from its saved JSON file: :func:`load_bursts`).

Each function returns a matplotlib ``Figure`` sized for a narrow notebook column (about 6.4 inches wide)
and drawn in one house style. Notebooks show them as PNG (the inline backend's default): nbval skips
images, while SVG would be compared as text and fail. :func:`save_png` writes one to disk for tests
and benchmark reports.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

import matplotlib

if matplotlib.get_backend().lower() not in {"agg", "module://matplotlib_inline.backend_inline"}:
    # Scripts, tests and CI have no screen; the notebook kernel keeps its inline backend.
    matplotlib.use("Agg", force=False)

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import FancyBboxPatch, Rectangle  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter  # noqa: E402

from .timing import Span, Status, format_duration, in_flight_counts  # noqa: E402

if TYPE_CHECKING:
    from .tracer import Trace

__all__ = [
    "bar_chart",
    "sweep_chart",
    "timeline_chart",
    "timelines_chart",
    "in_flight_chart",
    "in_flight_counts",
    "await_chain_chart",
    "Burst",
    "median_bursts",
    "load_bursts",
    "bursts_chart",
    "latency_chart",
    "levels_chart",
    "rate_chart",
    "save_png",
    "WIDTH",
]

WIDTH = 6.4  # inches: fits a JupyterLab column without horizontal scrolling
# A colour for every Status; the scheduler tracer's slices add running and waiting.
_STATUS_COLOURS = {
    Status.OK: "#4C72B0",
    Status.ERROR: "#C44E52",
    Status.TIMEOUT: "#DD8452",
    Status.NOT_FOUND: "#8C8C8C",
    "running": "#4C72B0",
    "waiting": "#D9DEE8",
    # A request's kind rather than its outcome: flags3's two requests per flag, told apart on a timeline.
    "metadata": "#8172B3",
    "image": "#55A868",
}
_BAR_COLOURS = ["#8C8C8C", "#4C72B0", "#55A868", "#DD8452", "#8172B3", "#C44E52"]
_INK = "#555555"  # arrows and their labels
_ARROW = {"arrowstyle": "-|>", "color": _INK, "linewidth": 1}
_BAR_HEADROOM = 0.45  # in bar slots: empty space between the first bar and the title


def _figure(height: float) -> tuple[Figure, Axes]:
    fig, ax = plt.subplots(figsize=(WIDTH, height), layout="constrained")
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def bar_chart(
    timings: Mapping[str, float],
    title: str = "Wall-clock time",
    *,
    unit: str = "s",
    baseline: str | None = None,
) -> Figure:
    """Horizontal bars, one per approach, each labelled with its duration.

    With ``baseline`` (one of the keys), each other bar also shows how many times faster it was.
    """
    if not timings:
        raise ValueError("bar_chart needs at least one timing")
    if baseline is not None and baseline not in timings:
        raise KeyError(f"baseline {baseline!r} is not one of {list(timings)}")
    names = list(timings)
    values = [float(timings[n]) for n in names]
    fig, ax = _figure(0.6 + 0.45 * len(names))
    colours = [_BAR_COLOURS[i % len(_BAR_COLOURS)] for i in range(len(names))]
    bars = ax.barh(names, values, color=colours)
    # First approach on top, the order the lesson introduced them; the extra room above the first bar keeps
    # its label clear of the title.
    ax.set_ylim(len(names) - 0.5, -0.5 - _BAR_HEADROOM)
    ax.set_xlabel(f"time ({unit})")
    ax.set_title(title, loc="left")
    ax.set_xlim(0, max(values) * 1.35 or 1)
    for name, bar, value in zip(names, bars, values, strict=True):
        label = format_duration(value) if unit == "s" else f"{value:.2f} {unit}"
        if baseline is not None and name != baseline and value > 0:
            label += f"  ({timings[baseline] / value:.1f}× faster)"
        ax.annotate(
            label,
            (value, bar.get_y() + bar.get_height() / 2),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=9,
        )
    return fig


def sweep_chart(
    measured: Mapping[float, float],
    title: str,
    *,
    xlabel: str,
    ylabel: str = "wall time (s)",
    ideal: Mapping[float, float] | None = None,
    ideal_label: str = "ideal",
) -> Figure:
    """Wall time against a setting (a concurrency limit, a number of requests), both axes logarithmic.

    Each measured point is labelled with its duration. ``ideal`` draws what the times would be if only
    the server's delay counted, dashed, so the gap between the lines is the client's own cost. The legend
    sits outside the axes, to the right, where it can cover no point; the axes leave room above the
    highest label so it stays clear of the title.
    """
    if not measured:
        raise ValueError("sweep_chart needs at least one measurement")
    xs = sorted(measured)
    ys = [measured[x] for x in xs]
    fig, ax = _figure(2.8)
    if ideal:
        ideal_xs = sorted(ideal)
        ax.plot(ideal_xs, [ideal[x] for x in ideal_xs], linestyle="--", color="#8C8C8C", label=ideal_label)
    ax.plot(xs, ys, marker="o", color=_STATUS_COLOURS[Status.OK], label="measured")
    for x, y in zip(xs, ys, strict=True):
        ax.annotate(format_duration(y), (x, y), xytext=(4, 4), textcoords="offset points", fontsize=8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    lowest = min([*ys, *(ideal or {}).values()])
    ax.set_ylim(lowest / 1.4, max([*ys, *(ideal or {}).values()]) * 2.0)  # headroom for the top label
    ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_xticks(xs, [f"{x:g}" for x in xs])
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, loc="left")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    return fig


def rate_chart(
    measured: Mapping[float, float],
    title: str,
    *,
    xlabel: str,
    ylabel: str,
    ideal: Mapping[float, float] | None = None,
    ideal_label: str = "ideal",
) -> Figure:
    """A rate (pages a second, requests a second) against a setting such as the number of workers.

    The setting's axis is logarithmic (1, 2, 4, 8...), the rate's linear from 0, so a rate that stops growing
    shows as a flat line: the knee. Each point is labelled with its value; ``ideal`` draws, dashed, what the
    rate would be if it grew in proportion to the setting.
    """
    if not measured:
        raise ValueError("rate_chart needs at least one measurement")
    xs = sorted(measured)
    ys = [measured[x] for x in xs]
    fig, ax = _figure(2.8)
    top = max(ys)
    if ideal:
        ideal_xs = sorted(ideal)
        ax.plot(ideal_xs, [ideal[x] for x in ideal_xs], linestyle="--", color="#8C8C8C", label=ideal_label)
    ax.plot(xs, ys, marker="o", color=_STATUS_COLOURS[Status.OK], label="measured")
    for x, y in zip(xs, ys, strict=True):
        ax.annotate(f"{y:.0f}", (x, y), xytext=(-4, 6), textcoords="offset points", fontsize=8, ha="right")
    ax.set_xscale("log")
    ax.set_xticks(xs, [f"{x:g}" for x in xs])
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_ylim(0, top * 1.3)  # the ideal line may climb out of view: the measured points are the story
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, loc="left")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    return fig


def levels_chart(series: Mapping[str, Sequence[Span]], title: str, *, ylabel: str = "at once") -> Figure:
    """How many spans of each series were open at each moment, one step line per series on one time axis.

    A span per item from the moment it entered a queue to the moment it left it draws the queue's length over
    time; a span per request draws the requests in flight.
    """
    if not series or not all(series.values()):
        raise ValueError("levels_chart needs at least one series, and spans in every series")
    fig, ax = _figure(2.6)
    top = 0
    for colour, (label, spans) in zip(_BAR_COLOURS[1:], series.items(), strict=False):
        times, counts = in_flight_counts(spans)
        ax.step(times, counts, where="post", color=colour, label=f"{label} (peak {max(counts)})")
        top = max(top, max(counts))
    ax.set_xlabel("seconds since start")
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, top * 1.15 + 1)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(title, loc="left")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    return fig


def timeline_chart(
    spans: Sequence[Span],
    title: str = "Who ran when",
    *,
    max_rows: int = 40,
    xlabel: str = "seconds since start",
    rows: Literal["span", "name"] = "span",
    xmax: float | None = None,
    what: str = "tasks",
) -> Figure:
    """A Gantt chart: one row per span from its start to its end, coloured by status.

    ``rows="name"`` puts every span with the same name on one row: one row per task, for tasks that run
    in several slices. Beyond ``max_rows`` rows the spans are packed into lanes (a new lane only when every
    lane is busy), so hundreds of requests still fit in a column. ``xmax`` fixes the time axis, so that
    charts meant to be compared share one scale (or draw them together with :func:`timelines_chart`).
    ``what`` names the spans on the lanes' axis label ("120 requests in 10 lanes").
    """
    if not spans:
        raise ValueError("timeline_chart needs at least one span")
    n_rows = len(_row_names(spans, rows)) if rows == "name" else len(spans)
    fig, ax = _figure(min(1.0 + 0.22 * min(n_rows, max_rows + 1), 7.0))
    _draw_timeline(ax, spans, max_rows=max_rows, rows=rows, what=what)
    ax.set_xlabel(xlabel)
    ax.set_title(title, loc="left")
    if xmax is not None:
        ax.set_xlim(0, xmax)
    return fig


def timelines_chart(
    panels: Mapping[str, Sequence[Span]],
    title: str = "",
    *,
    max_rows: int = 40,
    xlabel: str = "seconds since start",
    rows: Literal["span", "name"] = "span",
    what: str = "tasks",
) -> Figure:
    """Several timelines stacked on one time axis: the way to compare them, since the scale is shared.

    Drawn apart, a 2.5 s staircase and a 0.25 s block each fill their own width and look the same size.
    ``what`` names the spans, as in :func:`timeline_chart`.
    """
    if not panels or not all(panels.values()):
        raise ValueError("timelines_chart needs at least one panel, and spans in every panel")
    counts = [
        len(_row_names(spans, rows)) if rows == "name" else min(len(spans), max_rows + 1)
        for spans in panels.values()
    ]
    height = min(0.8 + sum(0.6 + 0.2 * n for n in counts), 9.0)
    fig, axes = plt.subplots(
        len(panels),
        1,
        figsize=(WIDTH, height),
        sharex=True,
        layout="constrained",
        height_ratios=[0.6 + 0.2 * n for n in counts],
        squeeze=False,
    )
    for ax, (name, spans) in zip(axes[:, 0], panels.items(), strict=True):
        ax.spines[["top", "right"]].set_visible(False)
        _draw_timeline(ax, spans, max_rows=max_rows, rows=rows, what=what)
        ax.set_title(name, loc="left", fontsize=10)
    axes[-1, 0].set_xlabel(xlabel)
    axes[0, 0].set_xlim(0, max(s.end for spans in panels.values() for s in spans) * 1.02)
    if title:
        fig.suptitle(title, x=0.02, ha="left")
    return fig


def steps_chart(
    trace: Trace,
    title: str = "When the loop ran each task",
    *,
    xmax: float | None = None,
) -> Figure:
    """One row per task: dark slices when the loop ran its code, light ones while it waited for its turn.

    Drawn from a :class:`support.tracer.Trace`. A blocking call shows as one long dark slice with every other
    row light beside it: nothing else could run.
    """
    spans = trace.spans()
    if not spans:
        raise ValueError("steps_chart needs a trace with steps: create tasks inside `with trace()`")
    return timeline_chart(spans, title, rows="name", xmax=xmax)


def _row_names(spans: Sequence[Span], rows: str) -> list[str]:
    names: list[str] = []
    for span in sorted(spans, key=lambda s: (s.start, s.name)):
        if span.name not in names:
            names.append(span.name)
    return names


def _draw_timeline(ax: Axes, spans: Sequence[Span], *, max_rows: int, rows: str, what: str = "tasks") -> None:
    ordered = sorted(spans, key=lambda s: (s.start, s.name))
    if rows == "name":
        names = _row_names(ordered, rows)
        lanes = [names.index(s.name) for s in ordered]
        labels = names
    else:
        lanes = list(range(len(ordered))) if len(ordered) <= max_rows else _pack_lanes(ordered)
        labels = [s.name for s in ordered]
    n_lanes = max(lanes) + 1
    # A step of a few microseconds still gets a sliver of width, or it would vanish from the chart.
    thinnest = max(1e-3, 0.006 * (max(s.end for s in ordered) - min(s.start for s in ordered)))
    for span, lane in zip(ordered, lanes, strict=True):
        colour = _STATUS_COLOURS.get(span.status, _STATUS_COLOURS[Status.ERROR])
        behind = span.status == "waiting"  # waits are the background; the slices that ran go on top
        # A task's slices often touch (it sleeps again the moment it wakes): a white edge keeps them apart.
        # Not for a tracer's steps: an edge would swallow a sliver of a step.
        edged = rows == "name" and span.status not in {"running", "waiting"}
        ax.barh(
            lane,
            max(span.duration, thinnest),
            left=span.start,
            height=0.7,
            color=colour,
            zorder=1 if behind else 2,
            edgecolor="white" if edged else None,
            linewidth=1.5 if edged else None,
        )
    if rows == "name" or len(ordered) <= max_rows:
        ax.set_yticks(range(n_lanes), labels, fontsize=8)
    else:
        ax.set_ylabel(f"{len(ordered)} {what} in {n_lanes} lanes")
        ax.set_yticks([])
    ax.set_ylim(n_lanes - 0.5, -0.5)  # first row on top
    statuses = sorted({s.status for s in ordered})
    if statuses != ["ok"]:
        handles = [
            Rectangle((0, 0), 1, 1, color=_STATUS_COLOURS.get(s, _STATUS_COLOURS[Status.ERROR]))
            for s in statuses
        ]
        # Outside the plot, to the right: a legend inside would cover bars.
        ax.legend(handles, statuses, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)


def _pack_lanes(ordered: Sequence[Span]) -> list[int]:
    lane_ends: list[float] = []
    lanes = []
    for span in ordered:
        for lane, end in enumerate(lane_ends):
            if end <= span.start:
                lane_ends[lane] = span.end
                lanes.append(lane)
                break
        else:
            lane_ends.append(span.end)
            lanes.append(len(lane_ends) - 1)
    return lanes


def in_flight_chart(spans: Sequence[Span], title: str = "Requests in flight") -> Figure:
    """How many spans (requests) were open at each moment: the shape of concurrency over time."""
    if not spans:
        raise ValueError("in_flight_chart needs at least one span")
    times, counts = in_flight_counts(spans)
    fig, ax = _figure(2.6)
    ax.step(times, counts, where="post", color=_STATUS_COLOURS[Status.OK])
    ax.fill_between(times, counts, step="post", alpha=0.25, color=_STATUS_COLOURS[Status.OK])
    ax.set_xlabel("seconds since start")
    ax.set_ylabel("in flight")
    ax.set_ylim(0, max(counts) * 1.15 + 1)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # requests come whole
    ax.set_title(title, loc="left")
    return fig


def await_chain_chart(
    links: Sequence[tuple[str, str]],
    title: str = "The await chain of a paused task",
    *,
    loop_label: str = "event loop",
    wake_label: str = "when the answer arrives,\nthe loop completes the\nFuture, and the task is\nresumed from the top",
) -> Figure:
    """One paused task's chain of awaits, drawn top to bottom under the event loop that drives it.

    ``links`` are ``(name, owner)`` pairs, from the task's own coroutine down to what the last coroutine
    waits on (a Future). Each is a box coloured by its owner (our code, a library, asyncio: named in the
    legend), joined to the next by an arrow labelled ``await``. The loop's box sits on top: it resumes the
    task at the top of the chain, and a dashed arrow from the bottom back up to it (``wake_label``) shows
    the other half of the cycle: the loop completes the Future when the event arrives.
    """
    if not links:
        raise ValueError("await_chain_chart needs at least one link")
    owners = list(dict.fromkeys(owner for _, owner in links))
    colours = {owner: _BAR_COLOURS[(i + 1) % len(_BAR_COLOURS)] for i, owner in enumerate(owners)}
    rows = len(links) + 1  # the loop, then each link
    fig, ax = plt.subplots(figsize=(WIDTH, 0.9 + 0.42 * rows), layout="constrained")
    ax.set_axis_off()
    ax.set_xlim(0, 10)
    ax.set_ylim(rows - 0.4, -0.6)  # first row on top
    left, width, middle = 0.3, 5.4, 3.0

    def box(y: float, text: str, colour: str, weight: str = "normal") -> None:
        ax.add_patch(
            FancyBboxPatch(
                (left, y - 0.3), width, 0.6, boxstyle="round,pad=0,rounding_size=0.12", color=colour, lw=0
            )
        )
        ax.text(middle, y, text, ha="center", va="center", fontsize=9, color="white", weight=weight)

    def down(y: float, label: str) -> None:
        ax.annotate("", xy=(middle, y + 0.7), xytext=(middle, y + 0.3), arrowprops=_ARROW)
        ax.text(middle + 0.15, y + 0.5, label, fontsize=8, color=_INK, va="center", style="italic")

    box(0, loop_label, "#333333", weight="bold")
    down(0, "resumes the task")
    for y, (name, owner) in enumerate(links, start=1):
        box(y, name, colours[owner])
        if y < len(links):
            down(y, "await")
    ax.annotate(
        "",
        xy=(left + width, 0),
        xytext=(left + width, len(links)),
        arrowprops={**_ARROW, "linestyle": "dashed", "connectionstyle": "bar,fraction=0.1"},
    )
    ax.text(
        left + width + 0.75, len(links) / 2, wake_label, fontsize=8, color=_INK, va="center", style="italic"
    )
    handles = [Rectangle((0, 0), 1, 1, color=colours[owner]) for owner in owners]
    ax.legend(
        handles,
        owners,
        loc="upper left",
        bbox_to_anchor=(0.0, 0.0),
        ncols=len(owners),
        fontsize=8,
        frameon=False,
    )
    return fig


def latency_chart(
    samples: Mapping[str, Sequence[float]],
    title: str = "Latency by percentile",
    marks: Sequence[float] = (50, 99),
) -> Figure:
    """Each series' latencies (seconds) against their percentile, on a log scale, with ``marks`` labelled.

    Read it from left to right: at 50 the typical request, at 99 the slow tail. Two series drawn together
    show how much waiting a crowd of clients adds to each one.
    """
    from .timing import percentile

    if not samples or not all(samples.values()):
        raise ValueError("latency_chart needs at least one non-empty series")
    fig, ax = _figure(3.0)
    points = [i / 2 for i in range(201)]  # 0, 0.5, ..., 100
    for colour, (label, values) in zip(_BAR_COLOURS, samples.items(), strict=False):
        curve = [percentile(values, p) * 1000 for p in points]
        ax.plot(points, curve, color=colour, label=f"{label} ({len(values):,})")
        for mark in marks:
            value = percentile(values, mark) * 1000
            ax.plot([mark], [value], "o", color=colour)
            ax.annotate(
                f"p{mark:g} {value:.3g} ms",
                (mark, value),
                textcoords="offset points",
                xytext=(-4, 6),
                ha="right",
                fontsize=8,
                color=colour,
            )
    ax.set_yscale("log")
    ax.set_xlim(0, 100)
    ax.set_xlabel("percentile of requests")
    ax.set_ylabel("latency (ms)")
    ax.legend(loc="upper left", frameon=False, fontsize=8)
    ax.set_title(title, loc="left")
    return fig


class Burst(NamedTuple):
    """One client set-up's burst of ``n`` requests sent at once: wall and client CPU time, in seconds."""

    kind: str
    n: int
    wall: float
    cpu: float


def median_bursts(rows: Iterable[Mapping[str, Any]]) -> list[Burst]:
    """One :class:`Burst` per (kind, n): the median wall and CPU time of its repeats.

    Only the all-at-once rows count (no ``limit``, or ``limit`` None): a capped run answers another question.
    Kinds keep the order they first appear in, each one's sizes in increasing order.
    """
    groups: dict[tuple[str, int], list[Mapping[str, Any]]] = {}
    for row in rows:
        if row.get("limit") is None:
            groups.setdefault((str(row["kind"]), int(row["n"])), []).append(row)
    order = {kind: i for i, kind in enumerate(dict.fromkeys(kind for kind, _ in groups))}
    return [
        Burst(
            kind,
            n,
            statistics.median(float(r["wall"]) for r in group),
            statistics.median(float(r["cpu"]) for r in group),
        )
        for (kind, n), group in sorted(groups.items(), key=lambda item: (order[item[0][0]], item[0][1]))
    ]


def load_bursts(path: str | Path) -> list[Burst]:
    """The all-at-once bursts in a saved client benchmark (``benchmarks/results/http_clients.json``), as medians.

    Reads the JSON file itself, so a lesson can chart saved results without importing the benchmark's harness.
    """
    return median_bursts(json.loads(Path(path).read_text(encoding="utf-8"))["results"])


_BURST_STYLES = {  # kind: (colour, marker); other kinds get matplotlib's colours and a circle
    "httpx": ("#C44E52", "o"),
    "httpx-few-idle": ("#8172B3", "v"),
    "httpx-split": ("#DD8452", "s"),
    "httpx-aiohttp": ("#4C72B0", "^"),
    "aiohttp": ("#55A868", "D"),
}


def bursts_chart(
    bursts: Sequence[Burst],
    *,
    delay: float | None = None,
    title: str = "N simultaneous downloads: wall time and client CPU time",
) -> Figure:
    """Two panels, wall time and client CPU time against N, one line per kind, in the order of ``bursts``.

    With ``delay`` the wall panel also shows the server's delay: the time a burst would take if the client
    cost nothing. A line that climbs with N while the server's delay stays fixed is a client bottleneck.
    """
    if not bursts:
        raise ValueError("bursts_chart needs at least one burst")
    fig, (wall_ax, cpu_ax) = plt.subplots(1, 2, figsize=(WIDTH, 3.6), layout="constrained", sharex=True)
    for kind in dict.fromkeys(b.kind for b in bursts):
        rows = [b for b in bursts if b.kind == kind]
        colour, marker = _BURST_STYLES.get(kind, (None, "o"))
        style: dict[str, Any] = {"color": colour, "marker": marker, "markersize": 4}
        wall_ax.plot([b.n for b in rows], [b.wall for b in rows], label=kind, **style)
        cpu_ax.plot([b.n for b in rows], [b.cpu for b in rows], label=kind, **style)
    if delay is not None:
        wall_ax.axhline(delay, color="#8C8C8C", linestyle="--", linewidth=1, label="server delay")
    for ax, what in ((wall_ax, "wall time (s)"), (cpu_ax, "client CPU time (s)")):
        ax.spines[["top", "right"]].set_visible(False)
        ax.set_xlabel("simultaneous requests N")
        ax.set_ylabel(what)
        ax.set_ylim(bottom=0)
        ax.set_xticks(sorted({b.n for b in bursts}))
    # Below both panels: inside one, the legend covered the lines it names.
    handles, labels = wall_ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=3, fontsize=8, frameon=False)
    fig.suptitle(title, x=0.01, ha="left", fontsize=11)
    return fig


def save_png(fig: Figure, path: str | Path, dpi: int = 100) -> Path:
    """Write ``fig`` as PNG and close it (so scripts do not accumulate open figures)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=dpi)
    plt.close(fig)
    return path
