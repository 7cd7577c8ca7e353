"""The loop-lag benchmark's figures and bounds, from a saved result (no benchmark run)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from support.examples.cpu_offload import OPTIONS, Measured
from support.workbook import bench_report

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_loop_lag.py"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_loop_lag", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rounds(pool_lag: float) -> list[list[Measured]]:
    # (seconds, max_lag) per option: the loop is frozen throughout, the others barely.
    shape = [(0.3, 0.29), (0.32, pool_lag), (0.35, 0.003), (0.01, 0.008)]
    return [[Measured(o, 1, s, lag) for o, (s, lag) in zip(OPTIONS, shape, strict=True)] for _ in range(3)]


def _saved(tmp_path: Path, pool_lag: float) -> Path:
    bench = _bench()
    path = tmp_path / "loop_lag.json"
    path.write_text(json.dumps({"summary": bench.summarise(_rounds(pool_lag))}))
    return path


def test_figures_are_ratios_within_one_run(tmp_path: Path) -> None:
    figures = {f.key: f for f in _bench().figures(_saved(tmp_path, 0.002))}
    assert set(figures) == {
        f"loop_lag.{k}" for k in ("loop", "process_pool", "dask", "numpy", "numpy_speedup")
    }
    assert abs(figures["loop_lag.loop"].value - 0.29 / 0.3) < 1e-3
    assert abs(figures["loop_lag.process_pool"].value - 0.002 / 0.3) < 1e-3
    assert abs(figures["loop_lag.numpy_speedup"].value - 30) < 0.5
    assert all(bench_report.judge(f, None) == "new" for f in figures.values())


def test_a_process_pool_that_freezes_the_loop_misses_its_goal(tmp_path: Path) -> None:
    figures = {f.key: f for f in _bench().figures(_saved(tmp_path, 0.1))}
    assert bench_report.judge(figures["loop_lag.process_pool"], None) == "over goal"


def test_a_regression_past_the_tolerance_is_marked(tmp_path: Path) -> None:
    figure = {f.key: f for f in _bench().figures(_saved(tmp_path, 0.002))}["loop_lag.numpy_speedup"]
    assert bench_report.judge(figure, previous=100.0) == "regressed"  # 30× after 100×
    assert bench_report.judge(figure, previous=35.0) == "ok"


def test_the_report_lists_it_with_its_script() -> None:
    spec = importlib.util.spec_from_file_location("report", SCRIPT.with_name("report.py"))
    report = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(report)
    section = next(s for s in report.sections() if s.name == "loop_lag")
    assert section.script == "benchmarks/bench_loop_lag.py"
