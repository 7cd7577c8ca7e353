"""How much faster is flags2 (asyncio, up to 1000 requests in flight) than the sequential client?

Both download from the local flag site in delay mode (every answer waits ``d`` seconds, default 0.5), the
situation where concurrency pays: the sequential client waits ``d`` per flag, flags2 waits about ``d`` in all.

flags2 downloads every flag on the site (about 250) with ``concurrency=1000``, the function behind
``python -m support.examples.flags2 -a -m 1000``; it runs ``--repeat`` times and the median counts. Sequentially those
flags would take over two minutes at 0.5 s each, so the sequential client downloads a sample (the 20 default
flags) and its time per flag is scaled to the whole set; output and JSON say that figure is an estimate.

Run: ``.venv/bin/python benchmarks/bench_flags_download.py [--delay 0.5] [--sample 20] [--repeat 3]``.
Writes ``benchmarks/results/flags_download.json``; exits 1 if any download failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a plain checkout too

from support.examples import flags, flags2  # noqa: E402
from support.examples.flags_common import Status, pool_limits, summary  # noqa: E402
from support.lab import flag_server, services  # noqa: E402
from support.lab.flag_data import POP20_CC, countries  # noqa: E402
from support.open_files import raise_open_file_limit  # noqa: E402
from support.timing import Stopwatch, format_duration, format_ratio  # noqa: E402
from support.workbook import reports  # noqa: E402
from support.workbook.bench_report import Figure  # noqa: E402

__all__ = ["figures", "main"]

RESULTS = Path(__file__).resolve().parent / "results" / "flags_download.json"
GOAL = 50.0  # at least this many times faster: far below the ideal (one delay instead of one per flag)


def figures(results: Path = RESULTS) -> list[Figure]:
    """The report's headline figure from a saved run: flags2's speed-up over the sequential client."""
    report = json.loads(results.read_text())
    return [
        Figure(
            key="flags_download.speedup",
            label=f"flags2 -m {report['flags2']['concurrency']} vs sequential, {report['flags']} flags",
            value=float(report["speedup"]),
            better="higher",
            tolerance=0.3,
            limit=GOAL,
            unit="×",
        )
    ]


class _Run(NamedTuple):
    seconds: float
    cpu_seconds: float  # this process only: the server runs in its own
    counts: Counter[Status]
    peak_in_flight: int


def _run_flags2(server: services.Service, codes: list[str], dest: Path, concurrency: int) -> _Run:
    """One flags2 run: wall and client CPU time, counts, and the most requests in flight at once (the site's log)."""
    flag_server.clear_log(server)
    cpu = time.process_time()
    with Stopwatch() as watch:
        counts = asyncio.run(
            flags2.download_many(codes, flag_server.flags_url(server), dest=dest, concurrency=concurrency)
        )
    return _Run(watch.elapsed, time.process_time() - cpu, counts, flag_server.peak_in_flight(server))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=0.5, help="seconds the site waits per answer")
    parser.add_argument(
        "--sample", type=int, default=len(POP20_CC), help="flags the sequential client fetches"
    )
    parser.add_argument("--concurrency", type=int, default=1000, help="flags2's -m")
    parser.add_argument("--repeat", type=int, default=3, help="flags2 runs; the median is reported")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    codes = [c.cc for c in countries()]
    sample = sorted(POP20_CC)[: args.sample] if args.sample <= len(POP20_CC) else codes[: args.sample]
    raise_open_file_limit(args.concurrency + 256)  # a socket per request in flight
    server = flag_server.start("delay", delay=args.delay)
    url = flag_server.flags_url(server)
    print(f"Flag site in delay mode, d = {format_duration(args.delay)} per answer; {len(codes)} flags")
    try:
        with tempfile.TemporaryDirectory(prefix="bench-flags-") as tmp:
            runs = [
                _run_flags2(server, codes, Path(tmp) / f"flags2-{i}", args.concurrency)
                for i in range(args.repeat)
            ]
            for run in runs:
                print(
                    f"  flags2 -a -m {args.concurrency}: {format_duration(run.seconds)}"
                    f" (client CPU {format_duration(run.cpu_seconds)})  {summary(run.counts)};"
                    f" peak {run.peak_in_flight} in flight"
                )
            with Stopwatch() as watch:
                seq_saved = flags.download_many(sample, url, dest=Path(tmp) / "sequential")
    finally:
        services.stop(server)

    async_seconds = statistics.median(r.seconds for r in runs)
    per_flag = watch.elapsed / len(sample)
    estimated = per_flag * len(codes)
    speedup = estimated / async_seconds
    failures = sum(sum(n for s, n in r.counts.items() if s is not Status.OK) for r in runs)
    failures += len(sample) - seq_saved
    print(
        f"  sequential: {format_duration(watch.elapsed)} for a sample of {len(sample)} flags,"
        f" {format_duration(per_flag)} per flag"
    )
    print(
        f"  sequential, all {len(codes)} flags: {format_duration(estimated)}"
        f" (estimated: time per flag in the sample × {len(codes)})"
    )
    print(
        f"flags2 median {format_duration(async_seconds)}: {format_ratio(speedup)} faster than sequential;"
        f" failures: {failures}"
    )

    pool = pool_limits(args.concurrency)
    report = {
        "benchmark": "flag downloads: flags2 (asyncio) vs sequential, delay-mode site",
        **reports.machine(),
        "delay_s": args.delay,
        "flags": len(codes),
        "flags2": {
            "concurrency": args.concurrency,
            "pool": {
                "max_connections": pool.max_connections,
                "max_keepalive_connections": pool.max_keepalive_connections,
            },
            "runs_s": [round(r.seconds, 4) for r in runs],
            "client_cpu_s": [round(r.cpu_seconds, 4) for r in runs],
            "median_s": round(async_seconds, 4),
            "peak_in_flight": [r.peak_in_flight for r in runs],
            "counts": [{str(k): v for k, v in r.counts.items()} for r in runs],
        },
        "sequential": {
            "sample": len(sample),
            "sample_s": round(watch.elapsed, 4),
            "per_flag_s": round(per_flag, 4),
            "estimated_all_s": round(estimated, 2),
            "estimated": True,  # scaled from the sample, not measured over every flag
        },
        "speedup": round(speedup, 2),
        "failures": failures,
    }
    reports.write_json(report, args.output)
    print(f"wrote {args.output}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
