"""Do N simultaneous downloads from the delayed flag site finish in about one delay, not N delays?

The download lesson claims that one asyncio process can keep a thousand requests waiting at once. This script
checks it end to end: the real flag site in its own process (``--mode delay``, fixed delay ``d``), and here a
burst of N connections opened together, each sending one minimal HTTP/1.1 GET with ``Connection: close`` over
plain asyncio streams (no client library, so the client's own cost stays small) and checking for ``200 OK``.
``T`` is the wall time of the whole burst; the bound is ``T / d <= 1.5`` with no failures.

Run: ``.venv/bin/python benchmarks/bench_flag_site.py [--sizes 100 500 1000] [--delay 1.0]``.
Writes ``benchmarks/results/flag_site.json`` and exits 1 if a burst misses the bound or any request fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import time
import urllib.request
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a plain checkout too

from support import flag_server, services  # noqa: E402
from support.flag_data import countries  # noqa: E402
from support.open_files import raise_open_file_limit  # noqa: E402

__all__ = ["burst", "fetch", "main"]

RESULTS = Path(__file__).resolve().parent / "results" / "flag_site.json"
BOUND = 1.5  # allowed burst time, in delays


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


async def burst(host: str, port: int, paths: list[str]) -> tuple[float, Counter[str]]:
    """Start every fetch at once; return the wall time and a count of failures by kind (empty when all 200)."""
    t0 = time.perf_counter()
    outcomes = await asyncio.gather(*(fetch(host, port, p) for p in paths), return_exceptions=True)
    elapsed = time.perf_counter() - t0
    failures = Counter(
        type(o).__name__ if isinstance(o, BaseException) else f"HTTP {o}" for o in outcomes if o != 200
    )
    return elapsed, failures


def _server_peak(url: str) -> int:
    """Most requests the server held at once, from its own log: proof the burst really overlapped there."""
    with urllib.request.urlopen(url + "/_log", timeout=10) as response:
        log = json.load(response)
    events = sorted([(e["start"], 1) for e in log] + [(e["end"], -1) for e in log])
    peak = current = 0
    for _, step in events:
        current += step
        peak = max(peak, current)
    return peak


def _clear_log(url: str) -> None:
    request = urllib.request.Request(url + "/_log", method="DELETE")
    urllib.request.urlopen(request, timeout=10).close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 500, 1000])
    parser.add_argument("--delay", type=float, default=1.0)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    raise_open_file_limit(max(args.sizes) + 256)
    codes = [c.cc.lower() for c in countries()]
    server = flag_server.start("delay", delay=args.delay)
    parts = urlsplit(server.url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 0
    results = []
    try:
        for n in args.sizes:
            paths = [
                f"{flag_server.BASE_PATH}/{cc}/{cc}.gif" for cc in (codes[i % len(codes)] for i in range(n))
            ]
            _clear_log(server.url)
            # A hung burst must end the benchmark, not the patience of whoever runs it.
            elapsed, failures = asyncio.run(asyncio.wait_for(burst(host, port, paths), args.delay * 10 + 30))
            ratio = elapsed / args.delay
            peak = _server_peak(server.url)
            results.append(
                {
                    "n": n,
                    "elapsed_s": round(elapsed, 4),
                    "ratio": round(ratio, 3),
                    "failures": sum(failures.values()),
                    "failure_kinds": dict(failures),
                    "server_peak_in_flight": peak,
                }
            )
            print(
                f"N={n:5d}: T = {elapsed:.3f} s, T/d = {ratio:.2f} (sequential would be {n * args.delay:.0f} s);"
                f" failures {sum(failures.values())}{f' {dict(failures)}' if failures else ''};"
                f" server peak in flight {peak}"
            )
    finally:
        services.stop(server)

    ok = all(r["ratio"] <= BOUND and r["failures"] == 0 for r in results)
    report = {
        "benchmark": "flag site simultaneous downloads",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "client": "asyncio streams, one connection per request, Connection: close",
        "delay_s": args.delay,
        "bound_ratio": BOUND,
        "bursts": results,
        "worst_ratio": max(r["ratio"] for r in results),
        "passed": ok,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.output.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report, indent=2) + "\n")
    tmp.replace(args.output)  # a lesson reading the results never sees half a file
    print(
        f"{'PASS' if ok else 'FAIL'}: worst T/d {report['worst_ratio']:.2f} (bound {BOUND}); wrote {args.output}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
