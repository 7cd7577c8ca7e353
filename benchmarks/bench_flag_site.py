"""Does the flag site cost more than the barest asyncio server, when N clients download at once?

The download lesson claims that one asyncio process keeps a thousand requests waiting at once, a burst taking
about one server delay ``d`` whatever N. How close a burst comes to ``d`` depends on the machine: accepting,
reading and answering N connections costs CPU time in the server and in the client, on cores the two share.
So the figure here is not the burst's time over ``d`` but the flag site's time over that of a bare
``asyncio.start_server`` (``benchmarks/bare_http_server.py``: read to the blank line, sleep ``d``, answer a
fixed small response), measured in the same run, with the same client, the two taking turns. Whatever the
machine and its load cost both, the ratio mostly cancels; what is left is the site's own cost per
connection (HTTP parsing, routing, its log), which must stay small: the goal is site ÷ bare ≤ 1.10 at every
N, with no request refused or failed on either server.

Both servers run in their own processes (the site in ``--mode delay`` with a fixed delay). The client sends
each burst over plain asyncio streams, no client library, so its own cost stays small: N connections opened
together, each sending one minimal HTTP/1.1 GET with ``Connection: close`` and checking for ``200 OK``. Each
round times one burst on each server, alternating which goes first; a round's ratio compares two bursts
taken seconds apart, and the figure is the median of the rounds'.

Run: ``.venv/bin/python benchmarks/bench_flag_site.py [--sizes 1000 2000 5000] [--delay 1.0] [--rounds 3]``.
Writes ``benchmarks/results/flag_site.json``; exit status 0 when every ratio meets the goal and nothing
failed, 1 otherwise, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a plain checkout too

from benchmarks import client_bench  # noqa: E402
from support.lab import flag_server, services  # noqa: E402
from support.lab.flag_data import countries  # noqa: E402
from support.open_files import raise_open_file_limit  # noqa: E402
from support.workbook import reports  # noqa: E402
from support.workbook.bench_report import Figure  # noqa: E402

__all__ = ["GOAL", "burst", "fetch", "figures", "main", "summarise"]

RESULTS = Path(__file__).resolve().parent / "results" / "flag_site.json"
SIZES = (1000, 2000, 5000)
GOAL = 1.10  # the site may take at most 10 % longer than the bare server for the same burst
#: A ratio near 1 moves little with the machine's load: 15 % worse than the previous report is a regression.
TOLERANCE = 0.15
BARE_MODULE = "benchmarks.bare_http_server"
SERVERS = ("bare", "site")


def figures(results: Path = RESULTS) -> list[Figure]:
    """The report's headline figures from a saved run: site ÷ bare for each N, and the failed requests."""
    report = json.loads(results.read_text())
    out = [
        Figure(
            key=f"flag_site.n{row['n']}_vs_bare",
            label=f"site ÷ bare server, N = {row['n']:,}",
            value=float(row["ratio"]),
            tolerance=TOLERANCE,
            limit=float(report.get("goal", GOAL)),
        )
        for row in report["sizes"]
    ]
    requests = sum(row["requests"] for row in report["sizes"])
    out.append(
        Figure(
            key="flag_site.failures",
            label=f"requests refused or failed, of {requests:,} (site and bare)",
            value=float(sum(row["failures"]["site"] + row["failures"]["bare"] for row in report["sizes"])),
            limit=0.0,
            count=True,
        )
    )
    return out


async def fetch(host: str, port: int, path: str) -> int:
    """GET ``path`` on a fresh connection and return the status code; the whole response is read."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        response = await reader.read()  # Connection: close, so the server's EOF ends the response
    finally:
        writer.close()
    status_line = response.partition(b"\r\n")[0].split()
    return int(status_line[1]) if len(status_line) >= 2 and status_line[0].startswith(b"HTTP/") else 0


async def burst(host: str, port: int, paths: Sequence[str]) -> tuple[float, Counter[str]]:
    """Start every fetch at once; return the wall time and a count of failures by kind (empty when all 200)."""
    t0 = time.perf_counter()
    outcomes = await asyncio.gather(*(fetch(host, port, p) for p in paths), return_exceptions=True)
    elapsed = time.perf_counter() - t0
    return elapsed, client_bench.failure_kinds(outcomes)


def summarise(n: int, rounds: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One size's row: the median of the rounds' site ÷ bare ratios, the failures of each server, the times.

    Each round holds ``{"bare": {"elapsed_s", "failures"}, "site": {...}}``. A round's ratio is its two
    bursts' times divided; the median of the rounds' ratios keeps one burst slowed by a neighbour's job from
    setting the figure.
    """
    ratios = [r["site"]["elapsed_s"] / r["bare"]["elapsed_s"] for r in rounds]
    return {
        "n": n,
        "requests": 2 * n * len(rounds),
        "ratio": round(statistics.median(ratios), 3),
        "round_ratios": [round(x, 3) for x in ratios],
        "failures": {s: sum(sum(r[s]["failure_kinds"].values()) for r in rounds) for s in SERVERS},
        "rounds": list(rounds),
    }


def _paths(n: int) -> list[str]:
    codes = [c.cc.lower() for c in countries()]
    return [f"{flag_server.BASE_PATH}/{cc}/{cc}.gif" for cc in (codes[i % len(codes)] for i in range(n))]


def _cpu_seconds(service: services.Service) -> float:
    """CPU time (user + system) the server's process has used so far."""
    times = psutil.Process(service.process.pid).cpu_times()
    return float(times.user + times.system)


def _timed(service: services.Service, paths: Sequence[str], delay: float) -> dict[str, Any]:
    gc.collect()  # the previous burst's garbage is not this one's cost
    cpu = _cpu_seconds(service)
    # A hung burst must end the benchmark, not the patience of whoever runs it.
    elapsed, failures = asyncio.run(
        asyncio.wait_for(burst(service.host, service.port, paths), delay * 10 + 60)
    )
    cpu = _cpu_seconds(service) - cpu
    return {
        "elapsed_s": round(elapsed, 4),
        "t_over_d": round(elapsed / delay, 3),
        # The server's CPU time per request: its cost, less swayed by the machine's load than wall time.
        "server_cpu_us_per_request": round(cpu / len(paths) * 1e6, 1),
        "failure_kinds": dict(failures),
    }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bench_flag_site.py",
        description=__doc__.splitlines()[0],
        epilog="exit status: 0 when every ratio meets its goal and nothing failed, 1 otherwise, 2 on a usage error",
    )
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=list(SIZES), help="burst sizes (default %(default)s)"
    )
    parser.add_argument(
        "--delay", type=float, default=1.0, help="the servers' delay d in seconds (default 1.0)"
    )
    parser.add_argument("--rounds", type=int, default=5, help="bursts on each server per size (default 5)")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to save the JSON results")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if min(args.sizes) < 1 or args.rounds < 1 or args.delay <= 0:
        parser.error("sizes and rounds must be at least 1, the delay above 0")
    raise_open_file_limit(max(args.sizes) + 256)
    load_before = os.getloadavg()[0]
    site = flag_server.start("delay", delay=args.delay, private=True)
    bare = services.start(BARE_MODULE, "--delay", repr(args.delay), private=True)
    servers = {"bare": bare, "site": site}
    rows = []
    try:
        for n in args.sizes:
            paths = _paths(n)
            rounds = []
            for i in range(args.rounds):
                round_: dict[str, Any] = {}
                for name in SERVERS if i % 2 == 0 else SERVERS[::-1]:  # who goes first alternates
                    if name == "site":
                        flag_server.clear_log(site, timeout=10)
                    round_[name] = _timed(servers[name], paths, args.delay)
                    if name == "site":  # the most requests the site held at once: proof they overlapped there
                        round_[name]["server_peak_in_flight"] = flag_server.peak_in_flight(site, timeout=30)
                rounds.append(round_)
                print(
                    f"N={n:5d} round {i + 1}: bare T/d {round_['bare']['t_over_d']:.2f},"
                    f" site T/d {round_['site']['t_over_d']:.2f}"
                    f" (server CPU per request: bare {round_['bare']['server_cpu_us_per_request']:.0f} µs,"
                    f" site {round_['site']['server_cpu_us_per_request']:.0f} µs;"
                    f" site peak in flight {round_['site']['server_peak_in_flight']}),"
                    f" site ÷ bare {round_['site']['elapsed_s'] / round_['bare']['elapsed_s']:.2f}"
                    + "".join(
                        f"; {s} failed {round_[s]['failure_kinds']}"
                        for s in SERVERS
                        if round_[s]["failure_kinds"]
                    ),
                    flush=True,
                )
            rows.append(summarise(n, rounds))
    finally:
        services.stop(site)
        services.stop(bare)

    failed = sum(r["failures"]["site"] + r["failures"]["bare"] for r in rows)
    ok = all(r["ratio"] <= GOAL for r in rows) and failed == 0
    report = {
        "benchmark": "flag site against a bare asyncio server, simultaneous downloads",
        **reports.machine(),
        "client": "asyncio streams, one connection per request, Connection: close",
        "baseline": BARE_MODULE,
        "delay_s": args.delay,
        "goal": GOAL,
        # Other jobs on the machine slow both servers alike, mostly, but say whether there were any.
        "load_average_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "sizes": rows,
        "passed": ok,
    }
    reports.write_json(report, args.output)
    for r in rows:
        print(
            f"N={r['n']:5d}: site ÷ bare {r['ratio']:.2f} (rounds {r['round_ratios']}), failures {r['failures']}"
        )
    print(f"{'PASS' if ok else 'FAIL'}: goal site ÷ bare ≤ {GOAL} and no failures; wrote {args.output}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
