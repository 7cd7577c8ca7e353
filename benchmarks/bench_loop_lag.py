"""How long is the event loop frozen while CPU-bound work runs, for each of the chapter's four options?

The same job (:func:`support.examples.cpu_offload.sum_of_squares` of n) runs beside a heartbeat that ticks every
5 ms, four ways, in one run: on the loop itself (doing nothing about it), in a process pool, on a local Dask
cluster through its async client, and vectorised with NumPy. For each we record the job's wall time and the
heartbeat's longest lag; repeated ``--repeat`` times, interleaved, and the medians kept.

Headline figures, each a ratio within one run (bounds in :data:`BOUNDS`):

- for each option, the longest lag over the in-loop job's wall time: the share of the job the loop stayed
  frozen (about 1 for the loop itself: that row checks that the measurement still sees a stall);
- NumPy's speed-up over pure Python on the loop.

Run: ``.venv/bin/python benchmarks/bench_loop_lag.py [-n 3000000] [--repeat 5]``. Writes
``benchmarks/results/loop_lag.json``, prints the table, and exits 1 when a figure is past its bound or the
options disagree on the answer.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a plain checkout too

from support.examples import cpu_offload  # noqa: E402
from support.examples.cpu_offload import OPTIONS, Measured  # noqa: E402
from support.timing import format_duration, format_ratio  # noqa: E402
from support.workbook import reports  # noqa: E402
from support.workbook.bench_report import Figure  # noqa: E402

__all__ = ["BOUNDS", "figures", "main", "summarise"]

RESULTS = Path(__file__).resolve().parent / "results" / "loop_lag.json"
KEYS = {OPTIONS[0]: "loop", OPTIONS[1]: "process_pool", OPTIONS[2]: "dask", OPTIONS[3]: "numpy"}

#: key -> (better, tolerance against the previous report, absolute goal). The offloaded options' shares are a
#: few thousandths, mostly timer noise, so their tolerance is wide and their goal is what matters.
BOUNDS: dict[str, tuple[str, float, float]] = {
    "loop": ("higher", 0.3, 0.8),  # the stall must still be seen: otherwise the heartbeat is broken
    "process_pool": ("lower", 4.0, 0.1),
    "dask": ("lower", 4.0, 0.1),
    "numpy": ("lower", 4.0, 0.25),
    "numpy_speedup": ("higher", 0.5, 5.0),
}


def summarise(rounds: list[list[Measured]]) -> dict[str, dict[str, float]]:
    """Medians per option over the rounds: wall seconds, longest lag, and both over the in-loop job's wall."""
    summary = {}
    loop_wall = statistics.median(r[0].seconds for r in rounds)
    for i, option in enumerate(OPTIONS):
        wall = statistics.median(r[i].seconds for r in rounds)
        lag = statistics.median(r[i].max_lag for r in rounds)
        summary[KEYS[option]] = {
            "wall_s": round(wall, 5),
            "max_lag_s": round(lag, 5),
            "lag_share": round(lag / loop_wall, 4),
            "wall_vs_loop": round(wall / loop_wall, 4),
        }
    return summary


def figures(results: Path = RESULTS) -> list[Figure]:
    """The report's figures from a saved run: each option's frozen share, and NumPy's speed-up."""
    summary = json.loads(results.read_text())["summary"]
    out = []
    for option, key in KEYS.items():
        better, tolerance, limit = BOUNDS[key]
        out.append(
            Figure(
                key=f"loop_lag.{key}",
                label=f"{option}: longest lag / job",
                value=float(summary[key]["lag_share"]),
                better=better,  # type: ignore[arg-type]
                tolerance=tolerance,
                limit=limit,
            )
        )
    better, tolerance, limit = BOUNDS["numpy_speedup"]
    speedup = 1 / float(summary["numpy"]["wall_vs_loop"])
    out.append(
        Figure(
            key="loop_lag.numpy_speedup",
            label="NumPy vs pure Python: speed-up",
            value=speedup,
            better=better,  # type: ignore[arg-type]
            tolerance=tolerance,
            limit=limit,
            unit="×",
        )
    )
    return out


async def _rounds(n: int, repeat: int) -> list[list[Measured]]:
    with cpu_offload.process_pool() as pool:
        async with cpu_offload.local_dask() as client:
            await cpu_offload.warm_up(pool, client)
            return [await cpu_offload.compare(n, pool, client) for _ in range(repeat)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=3_000_000, help="squares per job (at most 3,000,000)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if not 1 <= args.n <= 3_000_000 or args.repeat < 1:
        parser.error("-n must be 1 to 3,000,000 and --repeat at least 1")

    rounds = asyncio.run(_rounds(args.n, args.repeat))
    agree = all(m.value == r[0].value for r in rounds for m in r)
    summary = summarise(rounds)
    print(f"n = {args.n:,}, medians of {args.repeat} rounds; ratios against the job on the loop")
    print(f"{'option':<26}{'job':>9}{'vs loop':>9}{'longest lag':>13}{'lag / loop job':>16}")
    for option in OPTIONS:
        row = summary[KEYS[option]]
        print(
            f"{option:<26}{format_duration(row['wall_s']):>9}{format_ratio(row['wall_vs_loop']):>9}"
            f"{row['max_lag_s'] * 1000:>10.1f} ms{row['lag_share']:>16.3f}"
        )
    report = {
        "benchmark": "event-loop lag under CPU-bound work",
        **reports.machine(),
        "n": args.n,
        "repeat": args.repeat,
        "heartbeat_every_s": 0.005,
        "answers_agree": agree,
        "summary": summary,
        "rounds": [
            [{"option": m.option, "seconds": m.seconds, "max_lag": m.max_lag} for m in r] for r in rounds
        ],
    }
    reports.write_json(report, args.output)
    bad = []
    for figure in figures(args.output):
        missed = figure.value > figure.limit if figure.better == "lower" else figure.value < figure.limit  # type: ignore[operator]
        if missed:
            bad.append(f"{figure.label} = {figure.show()} (goal {figure.goal()})")
    if not agree:
        bad.append("the options did not all compute the same sum")
    print(
        f"{'FAIL' if bad else 'PASS'}: {'; '.join(bad) or 'every figure within its goal'}; wrote {args.output}"
    )
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
