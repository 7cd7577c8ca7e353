"""How much slower is the TCP character finder for each client when a thousand ask at once?

The server (``python -m support.examples.tcp_mojifinder``) runs in its own process. A client's latency is the
time from opening its connection to reading the status line of one answer (``cat face``: 10 characters).
First one client asks alone, ``--alone`` times in a row: its median and 99th percentile are the baseline.
Then ``--clients`` clients connect and ask all at once (a burst), ``--rounds`` times. The figures are the
burst's p50 and p99 divided by the lone client's, and the share of clients that got no right answer. The
server answers one client at a time (a search is microseconds of CPU), so in a burst the last client waits
for all the others: p99 grows with N, which is what the lesson shows.

Run: ``.venv/bin/python benchmarks/bench_tcp_mojifinder.py [--clients 1000] [--rounds 3]``.
Writes ``benchmarks/results/tcp_mojifinder.json``. Exit status: 0 when every client got its answer, 1 when
some did not, 2 on a usage error, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a plain checkout too

from support.examples import tcp_mojifinder  # noqa: E402
from support.examples.charindex import InvertedIndex  # noqa: E402
from support.examples.tcp_mojifinder_hardened import ask  # noqa: E402
from support.lab import services  # noqa: E402
from support.open_files import raise_open_file_limit  # noqa: E402
from support.timing import percentile  # noqa: E402
from support.workbook import reports  # noqa: E402
from support.workbook.bench_report import Figure  # noqa: E402

__all__ = ["burst", "figures", "main", "timed_ask"]

RESULTS = Path(__file__).resolve().parent / "results" / "tcp_mojifinder.json"
QUERY = "cat face"
# A lone client's latency is under a millisecond, so the ratios move a lot with the machine's load: a figure
# regresses only when it is more than twice the previous report's.
RATIO_TOLERANCE = 1.0


def figures(results: Path = RESULTS) -> list[Figure]:
    """The report's headline figures from a saved run: the burst's p50 and p99 over one client's alone (medians
    of the rounds), and how many clients in all the rounds got no right answer (the goal is none)."""
    report = json.loads(results.read_text())
    rounds, summary = report["rounds"], report["median_of_rounds"]
    clients = rounds[0]["clients"] if rounds else 0
    out = [
        Figure(
            key=f"tcp_mojifinder.{pct}_ratio",
            label=f"{pct} latency / one client's alone, N = {clients:,}",
            value=float(summary[f"{pct}_ratio"]),
            tolerance=RATIO_TOLERANCE,
            unit="×",
        )
        for pct in ("p50", "p99")
        if summary[f"{pct}_ratio"] is not None  # None: no client of any round got an answer
    ]
    out.append(
        Figure(
            key="tcp_mojifinder.errors",
            label=f"clients without a right answer, of {clients * len(rounds):,}",
            value=float(summary["errors"]),
            limit=0.0,
            count=True,
        )
    )
    return out


async def timed_ask(host: str, port: int, query: str, expected: int) -> float:
    """One client's latency in seconds; raises when the answer is not the expected number of characters."""
    start = time.perf_counter()
    lines = await ask(host, port, query)
    latency = time.perf_counter() - start
    if len(lines) != expected + 1 or not lines[-1].endswith(f" {expected} found"):
        raise ValueError(f"expected {expected} characters, got {lines[-1]!r}")
    return latency


async def burst(host: str, port: int, n: int, expected: int) -> tuple[list[float], Counter[str]]:
    """``n`` clients ask at once: their latencies, and the failures counted by kind."""
    outcomes = await asyncio.gather(
        *(timed_ask(host, port, QUERY, expected) for _ in range(n)), return_exceptions=True
    )
    latencies = [o for o in outcomes if isinstance(o, float)]
    failures = Counter(type(o).__name__ for o in outcomes if isinstance(o, BaseException))
    return latencies, failures


async def alone(host: str, port: int, n: int, expected: int) -> list[float]:
    """One client asking ``n`` times, one after the other."""
    return [await timed_ask(host, port, QUERY, expected) for _ in range(n)]


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bench_tcp_mojifinder.py",
        description=__doc__.splitlines()[0],
        epilog="exit status: 0 when every client got its answer, 1 when some did not, 2 on a usage error, "
        "130 when interrupted",
    )
    parser.add_argument("--clients", type=_positive, default=1000, help="clients in a burst (default 1000)")
    parser.add_argument("--rounds", type=_positive, default=3, help="bursts to run (default 3)")
    parser.add_argument("--alone", type=_positive, default=200, help="lone-client queries (default 200)")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to save the JSON results")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    raise_open_file_limit(args.clients + 256)
    expected = len(InvertedIndex(0x1F400, 0x1F650).search(QUERY))  # every cat face lives in that range
    try:
        server = tcp_mojifinder.start()
        try:
            host, port = server.host, server.port
            asyncio.run(alone(host, port, 20, expected))  # warm up: connections, caches, the index
            single = asyncio.run(alone(host, port, args.alone, expected))
            p50_1, p99_1 = percentile(single, 50), percentile(single, 99)
            print(f"1 client alone, {args.alone} queries: p50 {p50_1 * 1e3:.2f} ms, p99 {p99_1 * 1e3:.2f} ms")
            rounds = []
            for i in range(args.rounds):
                latencies, failures = asyncio.run(burst(host, port, args.clients, expected))
                errors = sum(failures.values())
                row = {
                    "clients": args.clients,
                    "p50_ratio": round(percentile(latencies, 50) / p50_1, 2) if latencies else None,
                    "p99_ratio": round(percentile(latencies, 99) / p99_1, 2) if latencies else None,
                    "p50_ms": round(percentile(latencies, 50) * 1e3, 3) if latencies else None,
                    "p99_ms": round(percentile(latencies, 99) * 1e3, 3) if latencies else None,
                    "errors": errors,
                    "error_ratio": errors / args.clients,
                    "failure_kinds": dict(failures),
                }
                rounds.append(row)
                print(
                    f"round {i + 1}: {args.clients} clients at once: p50 {row['p50_ratio']}× and "
                    f"p99 {row['p99_ratio']}× the lone client's; errors {errors}/{args.clients}"
                    + (f" {dict(failures)}" if failures else "")
                )
        finally:
            services.stop(server)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    complete = [r for r in rounds if r["p50_ratio"] is not None]
    summary = {
        "p50_ratio": statistics.median(r["p50_ratio"] for r in complete) if complete else None,
        "p99_ratio": statistics.median(r["p99_ratio"] for r in complete) if complete else None,
        "errors": sum(r["errors"] for r in rounds),
        "error_ratio": sum(r["errors"] for r in rounds) / (args.clients * args.rounds),
    }
    report = {
        "benchmark": "TCP character finder, many clients at once",
        **reports.machine(),
        "query": QUERY,
        "client": "asyncio streams: connect, read the prompt, one query, read to the status line, close",
        "alone": {"queries": args.alone, "p50_ms": round(p50_1 * 1e3, 3), "p99_ms": round(p99_1 * 1e3, 3)},
        "rounds": rounds,
        "median_of_rounds": summary,
    }
    reports.write_json(report, args.output)
    print(
        f"median of {args.rounds} rounds, {args.clients} clients: p50 {summary['p50_ratio']}×, "
        f"p99 {summary['p99_ratio']}× one client alone; errors {summary['errors']} "
        f"(ratio {summary['error_ratio']:.4f}); wrote {args.output}"
    )
    return 0 if summary["errors"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
