"""The benchmark report: figures judged against the previous report, and the README table generated from it."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

from support import plots
from support.workbook import bench_report
from support.workbook.bench_report import Figure, Section

ROOT = Path(__file__).resolve().parent.parent
REPORT_JSON = ROOT / "benchmarks" / "results" / "report.json"


def _module(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_test_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_lower_is_better_figure_regresses_only_past_its_tolerance() -> None:
    fig = Figure("k", "T/d", 1.30, tolerance=0.25)
    assert bench_report.judge(fig, 1.10) == "ok"  # 18 % worse: noise on a shared machine
    assert bench_report.judge(fig, 1.00) == "regressed"  # 30 % worse
    assert bench_report.judge(fig, 2.00) == "ok"  # better is never a regression
    assert bench_report.judge(fig, None) == "new"


def test_a_higher_is_better_figure_regresses_when_it_drops() -> None:
    fig = Figure("k", "speed-up", 100.0, better="higher", tolerance=0.3, unit="×")
    assert bench_report.judge(fig, 125.0) == "ok"
    assert bench_report.judge(fig, 140.0) == "regressed"
    assert bench_report.judge(fig, 60.0) == "ok"


def test_a_missed_goal_is_marked_whatever_came_before() -> None:
    assert bench_report.judge(Figure("k", "T/d", 1.6, limit=1.5), 1.7) == "over goal"
    assert bench_report.judge(Figure("k", "x", 40.0, better="higher", limit=50.0), None) == "over goal"
    assert bench_report.judge(Figure("k", "T/d", 1.5, limit=1.5), None) == "new"  # on the bound passes


def _sections() -> list[Section]:
    measured = Section(
        "flag_site",
        "Flag site",
        "benchmarks/bench_flag_site.py",
        "N downloads at once.",
        figures=[
            Figure("flag_site.n100", "T/d, N = 100", 1.04, limit=1.5),
            Figure("flag_site.n1000", "T/d, N = 1,000", 1.9, limit=1.5),
        ],
        exit_code=1,
        seconds=50.0,
        chart="charts/flag_site.png",
    )
    planned = Section(
        "mojifinder",
        "TCP mojifinder",
        "benchmarks/bench_mojifinder.py",
        "p50/p99.",
        arrives_with="arrives with lesson 06",
    )
    return [measured, planned]


def test_the_report_marks_what_failed_and_keeps_a_place_for_later_benchmarks() -> None:
    text = bench_report.render_report(
        _sections(),
        {"flag_site.n100": 1.10},
        when="today",
        previous_when="yesterday",
        machine="2 CPUs",
        command="make bench",
    )
    assert "| Flag site | T/d, N = 100 | 1.04 | 1.10 | -5 % | 30% worse | ≤ 1.50 | ok |" in text
    assert "| Flag site | T/d, N = 1,000 | 1.90 | - | - | 30% worse | ≤ 1.50 | ✘ misses goal |" in text
    assert "1 figure(s) marked ✘. Failed (exit status not 0): `benchmarks/bench_flag_site.py`." in text
    assert (
        "## TCP mojifinder" in text
        and "*Not measured yet*: `benchmarks/bench_mojifinder.py` arrives with lesson 06" in text
    )
    assert "![Flag site: this run beside the previous one](charts/flag_site.png)" in text


def test_the_readme_table_comes_from_the_saved_report() -> None:
    report = bench_report.report_json(
        _sections(),
        {"flag_site.n100": 1.10},
        when="today",
        previous_when="yesterday",
        machine="2 CPUs",
        command="make bench",
    )
    table = bench_report.readme_table(report)
    assert "| Flag site | T/d, N = 100 | 1.04 | 1.10 | ≤ 1.50 | ok |" in table
    assert "| Flag site | T/d, N = 1,000 | 1.90 | - | ≤ 1.50 | ✘ misses goal |" in table
    assert table.endswith("Failed in that run (exit status not 0): `benchmarks/bench_flag_site.py`.")
    assert [row["key"] for row in report["figures"]] == ["flag_site.n100", "flag_site.n1000"]
    assert bench_report.figures_from(report["figures"]) == _sections()[0].figures


def test_replace_readme_section_swaps_only_the_text_between_the_markers() -> None:
    readme = f"intro\n{bench_report.README_START}\nold table\n{bench_report.README_END}\nafter\n"
    updated = bench_report.replace_readme_section(readme, "new table")
    assert updated == f"intro\n{bench_report.README_START}\nnew table\n{bench_report.README_END}\nafter\n"
    assert bench_report.readme_section(updated) == "new table"
    with pytest.raises(ValueError, match="no"):
        bench_report.replace_readme_section("a README without markers", "table")


def test_the_chart_draws_this_run_and_the_previous_one(tmp_path: Path) -> None:
    fig = bench_report.chart(_sections()[0], {"flag_site.n100": 1.10})
    ax = fig.axes[0]
    assert len(ax.patches) == 4  # two figures, each this run and the previous report
    assert [t.get_text() for t in ax.get_yticklabels()] == ["T/d, N = 100", "T/d, N = 1,000"]
    assert plots.save_png(fig, tmp_path / "chart.png").stat().st_size > 0


# The committed report and README.


def test_the_readme_performance_table_matches_the_saved_report() -> None:
    report = bench_report.load(REPORT_JSON)
    assert report is not None, "no benchmarks/results/report.json: run `make bench`"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert bench_report.readme_section(readme) == bench_report.readme_table(report), (
        "README's performance table differs from benchmarks/results/report.json: run `make bench-readme`"
    )


def test_the_report_page_shows_the_saved_figures() -> None:
    report = bench_report.load(REPORT_JSON)
    assert report is not None
    text = (ROOT / "benchmarks" / "report.md").read_text(encoding="utf-8")
    assert report["when"] in text
    for row in report["figures"]:
        fig = bench_report.figures_from([row])[0]
        line = f"| {row['section_title']} | {fig.label} | {fig.show()} |"
        assert line in text, f"report.md does not show {line}"
    for chart in re.findall(r"\]\((charts/[^)]+\.png)\)", text):
        assert (ROOT / "benchmarks" / chart).is_file(), f"report.md shows {chart}, which is missing"


def test_every_benchmark_defines_the_figures_the_saved_report_holds() -> None:
    runner = _module(ROOT / "benchmarks" / "report.py")
    report = bench_report.load(REPORT_JSON)
    assert report is not None
    saved = {row["key"] for row in report["figures"]}
    from_results = set()
    for section in runner.sections():
        script = ROOT / section.script
        if script.exists():
            results = ROOT / "benchmarks" / "results" / f"{section.name}.json"
            assert results.exists(), f"{section.script} saved no results/{section.name}.json"
            figures = _module(script).figures(results)
            assert figures, f"{section.script}: figures() found nothing in its results"
            from_results |= {f.key for f in figures}
    assert from_results == saved, (
        "the saved report and the benchmarks' own results disagree: run `make bench`"
    )
    planned = {s.name for s in runner.SECTIONS if not (ROOT / s.script).exists()}
    assert {"tcp_mojifinder", "loop_lag"} - {s.name for s in runner.SECTIONS} == set()
    assert planned <= {"tcp_mojifinder", "loop_lag"}


def test_a_count_is_shown_as_a_whole_number_and_a_ratio_with_decimals() -> None:
    count = bench_report.Figure(key="x.errors", label="errors", value=3.0, limit=0.0, count=True)
    ratio = bench_report.Figure(key="x.ratio", label="T/d", value=1.234, limit=1.5)
    assert (count.show(), count.goal()) == ("3", "≤ 0")
    assert (ratio.show(), ratio.goal()) == ("1.23", "≤ 1.50")
