"""The TCP character finder benchmark, run small: a subject server against a baseline, with the same client."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_tcp_mojifinder.py"
PLAIN = "support.examples.tcp_mojifinder"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_tcp_mojifinder", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_small_run_saves_ratios_against_the_baseline(
    bench: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "tcp.json"
    args = [
        "--clients",
        "30",
        "--rounds",
        "2",
        "--baseline",
        PLAIN,
        "--subject",
        PLAIN,
        "--output",
        str(output),
    ]
    status = bench.main(args)
    report = json.loads(output.read_text())
    assert (report["baseline"], report["subject"], report["note"]) == (PLAIN, PLAIN, "")
    assert len(report["rounds"]) == 2
    for row in report["rounds"]:
        for role in ("baseline", "subject"):
            assert row[role]["errors"] == 0 and row[role]["p99_ms"] >= row[role]["p50_ms"] > 0
    summary = report["summary"]
    assert summary["errors"] == 0 and len(summary["p99_round_ratios"]) == 2
    # The same server twice: the ratio is noise around 1, far from what a real difference would make.
    assert 0.2 < summary["p50_ratio"] < 5 and 0.2 < summary["p99_ratio"] < 5
    assert status == (0 if summary["p99_ratio"] <= bench.GOAL else 1)
    out = capsys.readouterr().out
    assert "p99" in out and "errors 0 + 0" in out
    figures = {f.key: f for f in bench.figures(output)}
    assert set(figures) == {
        "tcp_mojifinder.p99_vs_baseline",
        "tcp_mojifinder.p50_vs_baseline",
        "tcp_mojifinder.errors",
    }
    assert figures["tcp_mojifinder.p99_vs_baseline"].value == summary["p99_ratio"]
    assert figures["tcp_mojifinder.p99_vs_baseline"].limit == bench.GOAL
    assert figures["tcp_mojifinder.p50_vs_baseline"].limit is None
    assert figures["tcp_mojifinder.errors"].value == 0 and figures["tcp_mojifinder.errors"].limit == 0
    assert "N = 30" in figures["tcp_mojifinder.p99_vs_baseline"].label
    assert "of 120" in figures["tcp_mojifinder.errors"].label  # 2 servers x 2 rounds x 30 clients


def test_the_subject_falls_back_to_the_baseline_until_it_exists(bench: ModuleType) -> None:
    assert bench.resolve(PLAIN, "support.examples.charindex") == (PLAIN, "support.examples.charindex", "")
    baseline, subject, note = bench.resolve(PLAIN, "support.examples.no_such_finder")
    assert (baseline, subject) == (PLAIN, PLAIN)
    assert "no_such_finder does not exist yet" in note
    for bad in ["", "../x", "support.examples.no such"]:
        with pytest.raises(ValueError):
            bench.resolve(PLAIN, bad)
    with pytest.raises(ValueError, match="no module"):
        bench.resolve("support.examples.no_such_finder", PLAIN)


def test_each_server_is_a_process_of_its_own(bench: ModuleType) -> None:
    from support.lab import services

    first, second = bench.start_server(PLAIN), bench.start_server(PLAIN)
    try:
        assert first.process.pid != second.process.pid and first.port != second.port
        assert bench.QUERY in "cat face"
    finally:
        services.stop(first)
        services.stop(second)


def test_the_figures_name_both_servers_and_sum_both_servers_errors(bench: ModuleType, tmp_path: Path) -> None:
    rounds = [
        {
            "baseline": {"p50_ms": 10.0, "p99_ms": 20.0, "errors": 1, "failure_kinds": {"TimeoutError": 1}},
            "subject": {"p50_ms": 11.0, "p99_ms": 30.0, "errors": 0, "failure_kinds": {}},
        },
        {
            "baseline": {"p50_ms": 10.0, "p99_ms": 20.0, "errors": 0, "failure_kinds": {}},
            "subject": {"p50_ms": None, "p99_ms": None, "errors": 5, "failure_kinds": {"ValueError": 5}},
        },
    ]
    summary = bench.summarise(rounds)
    assert summary["p99_ratio"] == 1.5 and summary["p50_ratio"] == 1.1  # only the round with both answered
    assert summary["errors"] == 6
    results = tmp_path / "tcp.json"
    report = {"baseline": PLAIN, "subject": PLAIN + "_hardened", "clients": 5, "goal": 1.2, "rounds": rounds}
    results.write_text(json.dumps({**report, "summary": summary}))
    figures = {f.key: f for f in bench.figures(results)}
    p99 = figures["tcp_mojifinder.p99_vs_baseline"]
    assert "tcp_mojifinder_hardened ÷ tcp_mojifinder" in p99.label and p99.value == 1.5
    assert bench.figures(results)[0].key == "tcp_mojifinder.p99_vs_baseline"
    assert figures["tcp_mojifinder.errors"].value == 6


async def test_a_wrong_answer_counts_as_an_error(bench: ModuleType) -> None:
    from support.lab import services

    service = bench.start_server(PLAIN)
    try:
        latencies, failures = await bench.burst(service.host, service.port, 5, expected=999)
    finally:
        services.stop(service)
    assert latencies == [] and failures == {"ValueError": 5}


@pytest.mark.parametrize(
    "args", [["--clients", "0"], ["--rounds", "x"], ["--nope"], ["--subject", "not a module"]]
)
def test_usage_errors_exit_2(bench: ModuleType, args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        bench.main(args)
    assert exit_info.value.code == 2
    assert "error:" in capsys.readouterr().err
