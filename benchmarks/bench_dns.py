"""Do N concurrent probes against the delayed DNS server finish in about one delay, not N delays?

The lessons claim that asyncio overlaps waiting: 200 probes that each wait ``d`` seconds on the server
should take about ``d`` in total. This script checks that claim end to end (the real server in its own
process, dnspython's asyncio resolver in this one) and fails when the total exceeds ``1.5 * d``.

Run: ``.venv/bin/python benchmarks/bench_dns.py [--probes 200] [--delay 0.5] [--rounds 3]``.
Writes ``benchmarks/results/dns.json`` and exits 1 if any round misses the bound or any probe fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import dns.version

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a plain checkout too

from support.lab import dns_server, services  # noqa: E402
from support.workbook import reports  # noqa: E402
from support.workbook.bench_report import Figure  # noqa: E402

__all__ = ["figures", "main", "names", "run_round"]

RESULTS = Path(__file__).resolve().parent / "results" / "dns.json"
BOUND = 1.5  # allowed total time, in delays


def figures(results: Path = RESULTS) -> list[Figure]:
    """The report's headline figure from a saved run: T/d, the median over the rounds."""
    report = json.loads(results.read_text())
    return [
        Figure(
            key="dns.t_over_d",
            label=f"T/d, {report['probes']} probes, median of {len(report['rounds'])} rounds",
            value=statistics.median(float(r["ratio"]) for r in report["rounds"]),
            tolerance=0.3,
            limit=float(report["bound_ratio"]),
        )
    ]


def names(count: int) -> list[str]:
    """``count`` names: every keyword name (found and free), then free non-keyword names to fill up."""
    pool = dns_server.keyword_names()
    pool += [f"free-{i}.dev" for i in range(max(0, count - len(pool)))]
    return pool[:count]


async def run_round(server: services.Service, domains: list[str]) -> dict[str, float | int]:
    """Probe all ``domains`` at once; count exceptions and answers that contradict the zone."""
    t0 = time.perf_counter()
    outcomes = await asyncio.gather(*(dns_server.probe(d, server) for d in domains), return_exceptions=True)
    elapsed = time.perf_counter() - t0
    errors = sum(isinstance(o, BaseException) for o in outcomes)
    wrong = sum(
        1
        for o in outcomes
        if isinstance(o, dns_server.Result) and o.found != (dns_server.address_for(o.domain) is not None)
    )
    return {"elapsed_s": round(elapsed, 4), "errors": errors, "wrong": wrong}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probes", type=int, default=200)
    parser.add_argument("--delay", type=float, default=0.5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    server = dns_server.start(delay=args.delay)
    domains = names(args.probes)
    try:
        rounds = [asyncio.run(run_round(server, domains)) for _ in range(args.rounds)]
    finally:
        server.stop()

    for number, result in enumerate(rounds, 1):
        ratio = float(result["elapsed_s"]) / args.delay
        result["ratio"] = round(ratio, 3)
        print(
            f"round {number}: {args.probes} probes, delay {args.delay} s: {result['elapsed_s']:.3f} s"
            f" = {ratio:.2f} x delay (sequential would be {args.probes * args.delay:.0f} s);"
            f" errors {result['errors']}, wrong answers {result['wrong']}"
        )
    ok = all(float(r["ratio"]) <= BOUND and r["errors"] == 0 and r["wrong"] == 0 for r in rounds)
    report = {
        "benchmark": "dns concurrent probes",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "dnspython": dns.version.version,
        "probes": args.probes,
        "delay_s": args.delay,
        "bound_ratio": BOUND,
        "sequential_s": args.probes * args.delay,
        "rounds": rounds,
        "worst_ratio": max(float(r["ratio"]) for r in rounds),
        "passed": ok,
    }
    reports.write_json(report, args.output)
    print(
        f"{'PASS' if ok else 'FAIL'}: worst {report['worst_ratio']:.2f} x delay (bound {BOUND}); wrote {args.output}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
