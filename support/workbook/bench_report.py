"""One benchmark report: headline figures, each set beside the previous run's, judged, written and charted.

``make bench`` runs every script in ``benchmarks/`` and hands their headline figures to this module. A
figure is a ratio measured within one run (wall time over the server's delay, a speed-up, a server's time
over a baseline server's under the same load), never bare seconds, because the machines we run on are shared
and their speed varies. Each figure carries its own
rule (:class:`Figure`): which direction is better, how much worse than the previous report it may get before
it counts as a regression (``tolerance``, relative), and optionally an absolute goal (``limit``). A
regression or a missed goal is marked in the report and makes ``make bench`` fail.

The previous report's figures are kept in ``benchmarks/results/report.json`` (committed), so every report
shows the last one beside it. The README's performance table is rendered from that same file, between two
markers (:data:`README_START`, :data:`README_END`), and a test fails when they disagree.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from matplotlib.artist import Artist
from matplotlib.figure import Figure as MplFigure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from support import plots

__all__ = [
    "Figure",
    "README_END",
    "README_START",
    "Section",
    "chart",
    "judge",
    "readme_table",
    "render_report",
    "replace_readme_section",
    "BAD",
    "failed_benchmarks",
]

README_START = "<!-- bench-report:start (generated from benchmarks/results/report.json by make bench) -->"
README_END = "<!-- bench-report:end -->"
Better = Literal["lower", "higher"]
MARK = {
    "ok": "ok",
    "new": "new",
    "regressed": "✘ regressed",
    "over goal": "✘ misses goal",
}
BAD = ("regressed", "over goal")  # the statuses that make `make bench` fail


@dataclass(frozen=True)
class Figure:
    """One headline number of one benchmark, with the rule it is judged by.

    ``key`` is stable across runs (it is how this run finds the previous value); ``value`` is a ratio;
    ``better`` says which way is good; ``tolerance`` how much worse than the previous report still passes
    (0.3: up to 30 % worse, for noise on a shared machine); ``limit`` an absolute goal, or None.
    """

    key: str
    label: str
    value: float
    better: Better = "lower"
    tolerance: float = 0.3
    limit: float | None = None
    unit: str = ""  # appended when shown: "×" for a speed-up, "" for a plain ratio such as T/d
    count: bool = False  # a number of things (errors, say): shown as a whole number

    def show(self, value: float | None = None) -> str:
        value = self.value if value is None else value
        if self.count:
            return f"{value:.0f}{self.unit}"
        digits = 2 if value < 10 else 1 if value < 100 else 0
        return f"{value:.{digits}f}{self.unit}"

    def goal(self) -> str:
        if self.limit is None:
            return "-"
        return f"≤ {self.show(self.limit)}" if self.better == "lower" else f"≥ {self.show(self.limit)}"


@dataclass
class Section:
    """One benchmark script's part of the report: what it measures, how it ran, and its figures."""

    name: str
    title: str
    script: str
    about: str
    arrives_with: str = ""  # for a benchmark a later lesson adds: shown while its script does not exist
    figures: list[Figure] = field(default_factory=list)
    exit_code: int | None = None  # None: not run (missing script, or a report rendered from saved results)
    seconds: float | None = None
    chart: str | None = None  # path of the section's chart, relative to the report


def judge(figure: Figure, previous: float | None) -> str:
    """ "ok", "new" (nothing to compare with), "regressed" (worse than ``previous`` beyond the tolerance)
    or "over goal" (past ``limit``). A missed goal is reported first: it matters whatever came before."""
    if figure.limit is not None:
        missed = figure.value > figure.limit if figure.better == "lower" else figure.value < figure.limit
        if missed:
            return "over goal"
    if previous is None or previous <= 0:
        return "new"
    if figure.better == "lower":
        worse = figure.value > previous * (1 + figure.tolerance)
    else:
        worse = figure.value < previous / (1 + figure.tolerance)
    return "regressed" if worse else "ok"


def failed_benchmarks(sections: Sequence[Section]) -> list[str]:
    """The scripts that exited non-zero (a failed request, a missed bound of their own, a crash)."""
    return [s.script for s in sections if s.exit_code not in (None, 0)]


def _change(figure: Figure, previous: float | None) -> str:
    if previous is None or previous <= 0:
        return "-"
    percent = round((figure.value / previous - 1) * 100)
    return f"{percent:+d} %" if percent else "±0 %"


def figure_rows(
    sections: Sequence[Section], previous: Mapping[str, float]
) -> list[tuple[Section, Figure, float | None, str]]:
    """(section, figure, previous value, status) for every figure in report order."""
    return [
        (section, fig, previous.get(fig.key), judge(fig, previous.get(fig.key)))
        for section in sections
        for fig in section.figures
    ]


def render_report(
    sections: Sequence[Section],
    previous: Mapping[str, float],
    *,
    when: str,
    previous_when: str | None,
    machine: str,
    command: str,
) -> str:
    """The whole ``benchmarks/report.md``: a summary table, then one part per benchmark with its chart."""
    rows = figure_rows(sections, previous)
    bad = [r for r in rows if r[3] in BAD]
    failed = failed_benchmarks(sections)
    verdict = "All figures within their bounds." if not bad else f"{len(bad)} figure(s) marked ✘."
    if failed:
        verdict += f" Failed (exit status not 0): {', '.join(f'`{s}`' for s in failed)}."
    lines = [
        "# Benchmark report",
        "",
        f"Measured {when} on {machine} with `{command}`; the previous report was measured "
        f"{previous_when or 'never'}. Written by `make bench`: do not edit by hand.",
        "",
        "Every figure is a ratio measured within one run (wall time over the server's delay `d`, a speed-up,",
        "or a server's time over a baseline server's under the same load and client), because the machines",
        "we run on are shared and their speed varies. A figure **regresses**",
        "when it is worse than the previous report's by more than its tolerance, and **misses its goal** when",
        "it is past its bound; either is marked ✘ and makes `make bench` exit 1, as does a benchmark that fails.",
        "",
        f"**{verdict}**",
        "",
        "| benchmark | figure | this run | previous | change | tolerance | goal | status |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for section, fig, before, status in rows:
        lines.append(
            f"| {section.title} | {fig.label} | {fig.show()} | {fig.show(before) if before else '-'}"
            f" | {_change(fig, before)} | {fig.tolerance:.0%} worse | {fig.goal()} | {MARK[status]} |"
        )
    for section in sections:
        lines += ["", f"## {section.title}", "", section.about, ""]
        if section.exit_code is None and not section.figures:
            lines.append(
                f"*Not measured yet*: `{section.script}` {section.arrives_with or 'has not been written yet'}."
                " Its figures join this report as soon as the script exists and defines `figures()`."
            )
            continue
        ran = (
            f"`{section.script}` ran in {section.seconds:.0f} s, exit {section.exit_code}."
            if section.seconds is not None
            else f"`{section.script}` (figures read from its saved results)."
        )
        lines.append(ran)
        if section.chart:
            lines += ["", f"![{section.title}: this run beside the previous one]({section.chart})"]
    return "\n".join(lines) + "\n"


def readme_table(report: Mapping[str, Any]) -> str:
    """The README's performance table, from a saved report (``benchmarks/results/report.json``)."""
    lines = [
        f"Measured {report['when']} on {report['machine']} by `{report['command']}`, each figure beside the "
        f"previous report's ({report.get('previous_when') or 'none'}); the full report with charts is "
        "[`benchmarks/report.md`](benchmarks/report.md).",
        "",
        "| benchmark | figure | this run | previous | goal | status |",
        "|---|---|---|---|---|---|",
    ]
    for row in report["figures"]:
        fig = Figure(**{k: row[k] for k in Figure.__dataclass_fields__ if k in row})
        before = row.get("previous")
        lines.append(
            f"| {row['section_title']} | {fig.label} | {fig.show()} | {fig.show(before) if before else '-'}"
            f" | {fig.goal()} | {MARK[row['status']]} |"
        )
    failed = [b["script"] for b in report["benchmarks"] if b["exit_code"] not in (None, 0)]
    if failed:
        lines += ["", f"Failed in that run (exit status not 0): {', '.join(f'`{s}`' for s in failed)}."]
    return "\n".join(lines)


def report_json(
    sections: Sequence[Section],
    previous: Mapping[str, float],
    *,
    when: str,
    previous_when: str | None,
    machine: str,
    command: str,
) -> dict[str, Any]:
    """What ``benchmarks/results/report.json`` keeps: this run's figures, each with the previous value."""
    return {
        "when": when,
        "previous_when": previous_when,
        "machine": machine,
        "command": command,
        "benchmarks": [
            {"name": s.name, "script": s.script, "exit_code": s.exit_code, "seconds": s.seconds}
            for s in sections
        ],
        "figures": [
            {
                **asdict(fig),
                "section": sec.name,
                "section_title": sec.title,
                "previous": before,
                "status": status,
            }
            for sec, fig, before, status in figure_rows(sections, previous)
        ],
    }


def previous_figures(report: Mapping[str, Any] | None) -> dict[str, float]:
    """key -> value of every figure in a saved report (empty for none)."""
    return {row["key"]: float(row["value"]) for row in (report or {}).get("figures", [])}


def replace_readme_section(readme: str, table: str) -> str:
    """``readme`` with the text between the markers replaced by ``table``; ValueError when a marker is missing."""
    pattern = re.compile(re.escape(README_START) + r".*?" + re.escape(README_END), re.DOTALL)
    if not pattern.search(readme):
        raise ValueError(f"README has no {README_START!r} ... {README_END!r} section")
    return pattern.sub(lambda _: f"{README_START}\n{table}\n{README_END}", readme, count=1)


def readme_section(readme: str) -> str:
    """The text between the markers (without them), stripped."""
    start, end = readme.index(README_START) + len(README_START), readme.index(README_END)
    return readme[start:end].strip()


def chart(section: Section, previous: Mapping[str, float]) -> MplFigure:
    """This run's figures beside the previous report's, a pair of bars per figure; goals as red ticks, and
    this run's bar red where the figure is marked ✘."""
    figs = section.figures
    # A bare Figure, outside pyplot: the report saves it and never shows it.
    plt_fig = MplFigure(figsize=(plots.WIDTH * 1.3, 0.9 + 0.6 * len(figs)), layout="constrained")
    ax = plt_fig.subplots()
    ax.spines[["top", "right"]].set_visible(False)
    ys = list(range(len(figs)))
    now = [f.value for f in figs]
    before = [previous.get(f.key, 0.0) for f in figs]
    colours = ["#C44E52" if judge(f, previous.get(f.key)) in BAD else "#4C72B0" for f in figs]
    ax.barh([y + 0.2 for y in ys], before, height=0.38, color="#C8C8C8")
    bars = ax.barh([y - 0.2 for y in ys], now, height=0.38, color=colours)
    for y, fig, bar in zip(ys, figs, bars, strict=True):
        ax.annotate(
            fig.show(),
            (bar.get_width(), y - 0.2),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
        )
        if fig.limit is not None:
            ax.plot([fig.limit, fig.limit], [y - 0.45, y + 0.45], color="#C44E52", linewidth=1.5)
    legend: list[Artist] = [
        Patch(color="#4C72B0", label="this run"),
        Patch(color="#C8C8C8", label="previous report"),
    ]
    if "#C44E52" in colours:
        legend.insert(1, Patch(color="#C44E52", label="this run, marked ✘"))
    if any(f.limit is not None for f in figs):
        legend.append(Line2D([], [], color="#C44E52", label="goal"))
    ax.set_yticks(ys, [textwrap.fill(f.label, 34) for f in figs], fontsize=8)
    ax.invert_yaxis()
    top = max([*now, *before, *(f.limit or 0 for f in figs)]) or 1
    ax.set_xlim(0, top * 1.2)
    directions = {f.better for f in figs}
    if len(directions) == 1:
        ax.set_xlabel(f"{directions.pop()} is better", fontsize=8)
    ax.set_title(section.title, loc="left")
    ax.legend(handles=legend, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return plt_fig


def load(path: Path) -> dict[str, Any] | None:
    """A saved report, or None when there is none yet."""
    return json.loads(path.read_text()) if path.exists() else None


def figures_from(rows: Iterable[Mapping[str, Any]]) -> list[Figure]:
    """Figures back from their saved form (the extra keys of a report row are ignored)."""
    return [Figure(**{k: row[k] for k in Figure.__dataclass_fields__ if k in row}) for row in rows]
