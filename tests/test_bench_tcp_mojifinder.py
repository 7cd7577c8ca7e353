"""The TCP character finder benchmark, run small: it measures, saves its report, and says how it ended."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_tcp_mojifinder.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_tcp_mojifinder", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_small_run_saves_ratios_against_one_client(
    bench: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "tcp.json"
    assert bench.main(["--clients", "30", "--rounds", "2", "--alone", "10", "--output", str(output)]) == 0
    report = json.loads(output.read_text())
    assert len(report["rounds"]) == 2 and all(r["clients"] == 30 for r in report["rounds"])
    summary = report["median_of_rounds"]
    assert summary["errors"] == 0 and summary["error_ratio"] == 0
    # 30 clients at once cannot each be served faster than one alone, by a wide margin of noise.
    assert summary["p50_ratio"] > 0.5 and summary["p99_ratio"] > 0.3
    for r in report["rounds"]:
        assert r["p99_ms"] >= r["p50_ms"]
    out = capsys.readouterr().out
    assert "p50" in out and "p99" in out and "errors 0" in out
    figures = {f.key: f for f in bench.figures(output)}
    assert set(figures) == {"tcp_mojifinder.p50_ratio", "tcp_mojifinder.p99_ratio", "tcp_mojifinder.errors"}
    assert figures["tcp_mojifinder.p99_ratio"].value == summary["p99_ratio"]
    assert figures["tcp_mojifinder.errors"].value == 0 and figures["tcp_mojifinder.errors"].limit == 0
    assert "N = 30" in figures["tcp_mojifinder.p50_ratio"].label


async def test_a_wrong_answer_counts_as_an_error(bench: ModuleType) -> None:
    from support.examples import tcp_mojifinder
    from support.lab import services

    service = tcp_mojifinder.start()
    try:
        latencies, failures = await bench.burst(service.host, service.port, 5, expected=999)
    finally:
        services.stop(service)
    assert latencies == [] and failures == {"ValueError": 5}


@pytest.mark.parametrize("args", [["--clients", "0"], ["--rounds", "x"], ["--nope"]])
def test_usage_errors_exit_2(bench: ModuleType, args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        bench.main(args)
    assert exit_info.value.code == 2
    assert "error:" in capsys.readouterr().err
