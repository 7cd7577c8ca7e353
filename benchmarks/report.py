"""Run every benchmark in one go and write one report: ``make bench``.

Runs each ``benchmarks/bench_*.py`` with its defaults, in its own process, one after the other; reads each
one's headline figures (its ``figures()`` function, from the results it just saved); sets every figure beside
the previous report's (kept in ``benchmarks/results/report.json``); and writes ``benchmarks/report.md``, one
chart per benchmark in ``benchmarks/charts/``, the new ``report.json`` and the README's performance table.
Exits 1 when a benchmark failed, a figure regressed past its tolerance or missed its goal (all marked ✘ in
the report), 2 on a usage error, 130 when interrupted.

A benchmark that a later lesson adds joins by being a ``benchmarks/bench_<name>.py`` that saves
``benchmarks/results/<name>.json`` and defines ``figures(path) -> list[Figure]``; the report keeps a place for
the planned ones while their scripts do not exist yet.

Run: ``.venv/bin/python benchmarks/report.py [--readme-only | --render-only]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a plain checkout too

from support import plots  # noqa: E402
from support.workbook import bench_report, reports  # noqa: E402
from support.workbook.bench_report import Section  # noqa: E402

__all__ = ["SECTIONS", "main", "sections"]

HERE = ROOT / "benchmarks"
RESULTS = HERE / "results"
REPORT_JSON = RESULTS / "report.json"
REPORT_MD = HERE / "report.md"
CHARTS = HERE / "charts"
README = ROOT / "README.md"
COMMAND = "make bench"

# The report's parts, in reading order. A bench_*.py not listed here is added after them.
SECTIONS = [
    Section(
        "flag_site",
        "Flag site",
        "benchmarks/bench_flag_site.py",
        "N simultaneous downloads (d = 1 s), one lean asyncio-streams client with a fresh connection per request,"
        " from the flag site in delay mode and from a bare `asyncio.start_server` that sleeps d and answers, the"
        " two taking turns in the same run: the site's burst time over the bare server's (median of 5 rounds;"
        " 1.0 means the site costs nothing over the barest asyncio server), and the requests refused or failed.",
    ),
    Section(
        "http_clients",
        "HTTP clients",
        "benchmarks/bench_http_clients.py",
        "N = 1000 simultaneous downloads from one process (d = 1 s) with five client set-ups, medians of 3"
        " bursts: wall time over the delay. Lesson 10 explains why httpx's pool is the bottleneck. Detailed"
        " chart: [results/http_clients.png](results/http_clients.png).",
    ),
    Section(
        "dns",
        "DNS server",
        "benchmarks/bench_dns.py",
        "200 concurrent probes against the local DNS server with a delay d = 0.5 s per answer: T/d.",
    ),
    Section(
        "flags_download",
        "Flag downloads",
        "benchmarks/bench_flags_download.py",
        "All flags with flags2 (`-m 1000`) against the sequential client, delay-mode site d = 0.5 s: the speed-up"
        " (sequential timed on 20 flags and scaled per flag).",
    ),
    Section(
        "tcp_mojifinder",
        "TCP mojifinder",
        "benchmarks/bench_tcp_mojifinder.py",
        "N = 1,000 clients ask lesson 06's TCP character finder for `cat face` at once, the hardened server and"
        " the taught one taking turns in the same run, 15 rounds, with the same client: the hardened server's"
        " p99 and p50 latency over the taught one's (medians of the rounds), and the clients either server left"
        " without a right answer (the goal is none).",
        arrives_with="arrives with lesson 06 (servers)",
    ),
    Section(
        "loop_lag",
        "Event-loop lag",
        "benchmarks/bench_loop_lag.py",
        "The same CPU-bound job (a sum of 3,000,000 squares) beside a heartbeat ticking every 5 ms, four ways:"
        " on the loop (doing nothing), in a process pool, on a local Dask cluster, vectorised with NumPy. Each"
        " option's longest heartbeat lag over the in-loop job's wall time (the share of the job the loop was"
        " frozen; lesson 10), and NumPy's speed-up.",
        arrives_with="arrives with lesson 10 (when async does not help)",
    ),
]


def _module(script: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{script.stem}", script)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {script}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sections() -> list[Section]:
    """The planned sections plus any benchmark script they do not name, fresh (no figures yet)."""
    planned = [Section(s.name, s.title, s.script, s.about, s.arrives_with) for s in SECTIONS]
    named = {s.script for s in planned}
    for script in sorted(HERE.glob("bench_*.py")):
        relative = script.relative_to(ROOT).as_posix()
        if relative not in named:
            name = script.stem.removeprefix("bench_")
            doc = (_module(script).__doc__ or name).strip().splitlines()[0]
            planned.append(Section(name, name.replace("_", " ").capitalize(), relative, doc))
    return planned


def _results_path(section: Section) -> Path:
    return RESULTS / f"{section.name}.json"


def _read_figures(section: Section, newer_than: float = 0.0) -> list[bench_report.Figure]:
    """The section's figures from its saved results; none when there are none, or only older than ``newer_than``
    (a benchmark that crashed before saving must not pass off its previous run as this one)."""
    script, results = ROOT / section.script, _results_path(section)
    if not script.exists() or not results.exists() or results.stat().st_mtime < newer_than:
        return []
    return list(_module(script).figures(_results_path(section)))


def _run(section: Section) -> None:
    print(f"== {section.script}", flush=True)
    started = time.perf_counter()
    section.exit_code = subprocess.run(
        [sys.executable, str(ROOT / section.script)], cwd=ROOT, check=False
    ).returncode
    section.seconds = round(time.perf_counter() - started, 1)
    print(f"== {section.script}: exit {section.exit_code} after {section.seconds:.0f} s", flush=True)


def _machine() -> str:
    m = reports.machine()
    return f"{m['cpus']} CPUs, Python {m['python']}"


def update_readme(report: dict) -> bool:
    """Rewrite the README's performance table from ``report``; True when the README changed."""
    text = README.read_text(encoding="utf-8")
    updated = bench_report.replace_readme_section(text, bench_report.readme_table(report))
    if updated != text:
        README.write_text(updated, encoding="utf-8")
    return updated != text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--readme-only", action="store_true", help="only rewrite the README's table from the saved report"
    )
    mode.add_argument(
        "--render-only",
        action="store_true",
        help="run nothing: rewrite the report, charts and README from the saved results and report (a"
        " benchmark the saved run did not include joins with the results it saved on its own)",
    )
    args = parser.parse_args(argv)
    saved = bench_report.load(REPORT_JSON)
    if (args.readme_only or args.render_only) and saved is None:
        print(f"no saved report at {REPORT_JSON}: run make bench first", file=sys.stderr)
        return 2
    if args.readme_only:
        print("README updated" if update_readme(saved) else "README already matches the report")
        return 0

    parts = sections()
    joining: set[str] = set()
    started, started_at = time.perf_counter(), time.time()
    if args.render_only:  # the saved run again, judged against what it was judged against then
        previous = {
            row["key"]: row["previous"] for row in saved["figures"] if row.get("previous") is not None
        }
        previous_when, when, started_at = saved["previous_when"], saved["when"], 0.0
        for section in parts:
            ran = next((b for b in saved["benchmarks"] if b["script"] == section.script), {})
            section.exit_code, section.seconds = ran.get("exit_code"), ran.get("seconds")
            if section.exit_code is None and _results_path(section).exists():
                joining.add(section.name)  # not in the saved run: its own saved results, marked as such
    else:
        if saved is not None:
            previous, previous_when = bench_report.previous_figures(saved), saved["when"]
        else:  # the first report: compare with what each benchmark saved last
            previous = {f.key: f.value for s in parts for f in _read_figures(s)}
            dates = [str(json.loads(p.read_text()).get("when", ""))[:10] for p in RESULTS.glob("*.json")]
            previous_when = f"{max(dates, default='?')}, each benchmark on its own"
        for section in parts:
            if (ROOT / section.script).exists():
                _run(section)
        when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    total = time.perf_counter() - started if not args.render_only else float(saved.get("total_seconds", 0))
    for section in parts:
        if section.exit_code is not None or section.name in joining:
            section.figures = _read_figures(section, newer_than=started_at)
            if section.figures:
                path = plots.save_png(bench_report.chart(section, previous), CHARTS / f"{section.name}.png")
                section.chart = path.relative_to(HERE).as_posix()

    machine = saved["machine"] if args.render_only else _machine()
    meta = {"when": when, "previous_when": previous_when, "machine": machine, "command": COMMAND}
    REPORT_MD.write_text(bench_report.render_report(parts, previous, **meta), encoding="utf-8")
    report = bench_report.report_json(parts, previous, **meta)
    report["total_seconds"] = round(total, 1)
    reports.write_json(report, REPORT_JSON)
    update_readme(report)
    bad = [row for row in report["figures"] if row["status"] in bench_report.BAD]
    failed = bench_report.failed_benchmarks(parts)
    for row in bad:
        print(f"✘ {row['section_title']}: {row['label']} = {row['value']:.2f} ({row['status']})")
    print(
        f"{'FAIL' if bad or failed else 'OK'}: {len(report['figures'])} figures, {len(bad)} marked ✘,"
        f" {len(failed)} benchmark(s) failed; all benchmarks took {total:.0f} s; wrote {REPORT_MD.relative_to(ROOT)}"
    )
    return 1 if bad or failed else 0


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except KeyboardInterrupt:
        raise SystemExit(130) from None
