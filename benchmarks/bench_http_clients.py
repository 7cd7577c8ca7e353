"""When is the HTTP client, not the server, what makes N simultaneous downloads slow?

The delayed flag site answers every request after a fixed delay ``d`` (1 s here), so a burst of N requests
sent at once should take about ``d`` whatever N: any extra wall time is the client's own work. This sweep
sends bursts of N = 100, 500 and 1000 flag downloads (all started together, no semaphore) with four client
set-ups from ``benchmarks/client_bench.py`` (one httpx ``AsyncClient``; httpx split over clients of 100
connections; httpx on aiohttp's transport; aiohttp itself), each in a fresh event loop, repeated and
interleaved so drift on the machine hits every kind alike. It records wall time and this process's CPU time
(the flag site runs in its own process), checks every answer is ``200 OK``, and reads the server's own log
to confirm all N requests really were there at once.

Then, because flags2's ``-m`` caps the requests in flight with a semaphore, the largest N runs once more per
cap m (``--caps``, default 100): a capped run's ideal is ``ceil(N/m)`` delays, and the question is whether
the client still adds to that.

Run: ``.venv/bin/python benchmarks/bench_http_clients.py [--sizes 100 500 1000] [--repeat 3] [--caps 100]``.
Prints a table (medians over the repeats, ratios against aiohttp measured in the same run), writes
``benchmarks/results/http_clients.json`` and a chart next to it (``http_clients.png``), and exits 1 if any
request failed.
"""

from __future__ import annotations

import argparse
import json
import math
import shlex
import sys
import time
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a plain checkout too

from benchmarks import client_bench  # noqa: E402
from benchmarks.client_bench import KINDS, Result  # noqa: E402
from support import plots  # noqa: E402
from support.lab import flag_server, services  # noqa: E402
from support.open_files import raise_open_file_limit  # noqa: E402
from support.timing import format_duration, format_ratio  # noqa: E402
from support.workbook import reports  # noqa: E402
from support.workbook.bench_report import Figure  # noqa: E402

__all__ = ["figures", "main", "print_table"]

RESULTS = Path(__file__).resolve().parent / "results" / "http_clients.json"
UPSTREAM_REPORT = "encode/httpx#3215"
PAUSE = 1.0  # seconds between bursts, so the server has closed the last burst's connections


# What each set-up is, in the report's words.
KIND_LABELS = {
    "httpx": "httpx keeping every connection alive",
    "httpx-few-idle": "httpx keeping 20 idle",
    "httpx-split": "httpx split over clients of 100",
    "httpx-aiohttp": "httpx on aiohttp's transport",
    "aiohttp": "aiohttp",
}


def figures(results: Path = RESULTS) -> list[Figure]:
    """The report's headline figures from a saved run: wall time / d at the largest N, all sent at once.

    Client CPU time is most of these figures and varies more than a server delay, hence the wider tolerance.
    """
    delay = float(json.loads(results.read_text())["delay_s"])
    at_once = [r for r in client_bench.median_results(client_bench.load_results(results)) if r.limit is None]
    largest = max(r.n for r in at_once)
    return [
        Figure(
            key=f"http_clients.{r.kind}.n{r.n}",
            label=f"{KIND_LABELS.get(r.kind, r.kind)}: wall/d, N = {r.n:,}",
            value=r.wall / delay,
            tolerance=0.4,
        )
        for r in at_once
        if r.n == largest
    ]


def print_table(results: list[Result], delay: float) -> None:
    """Medians per kind, N and cap, with wall time in delays and both times relative to aiohttp.

    ``wall/ideal`` divides by what a free client would take: one delay when all N go at once, ``ceil(N/m)``
    delays when at most m are in flight. Ratios compare with aiohttp at the same N and cap in the same run.
    """
    merged = client_bench.median_results(results)
    reference = {(r.n, r.limit): r for r in merged if r.kind == "aiohttp"}
    header = (
        f"{'N':>5}{'m':>6}  {'client':<14}{'wall':>9}{'wall/ideal':>11}{'CPU':>9}{'CPU/wall':>9}"
        f"{'wall vs aiohttp':>17}{'CPU vs aiohttp':>16}{'failed':>8}"
    )
    print(header)
    print("-" * len(header))
    for limit, n in sorted({(r.limit or 0, r.n) for r in merged}):
        for r in (r for r in merged if r.n == n and (r.limit or 0) == limit):
            ref = reference.get((r.n, r.limit))
            ideal = delay * math.ceil(n / (r.limit or n))
            wall_ratio = format_ratio(r.wall / ref.wall) if ref and ref.wall > 0 else "-"
            cpu_ratio = format_ratio(r.cpu / ref.cpu) if ref and ref.cpu > 0 else "-"
            print(
                f"{n:>5}{r.limit or 'all':>6}  {r.kind:<14}{format_duration(r.wall):>9}{r.wall / ideal:>11.2f}"
                f"{format_duration(r.cpu):>9}{r.cpu_share:>9.2f}{wall_ratio:>17}{cpu_ratio:>16}{r.failed:>8}"
            )


def _rotate(kinds: list[str], repeat: int) -> list[str]:
    # A different order each repeat, so no kind always runs right after the slowest one.
    shift = repeat % len(kinds)
    return kinds[shift:] + kinds[:shift]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 500, 1000])
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS))
    parser.add_argument(
        "--repeat", type=int, default=3, help="bursts per kind and N; the table shows medians"
    )
    parser.add_argument("--delay", type=float, default=1.0, help="the flag site's fixed delay d, seconds")
    parser.add_argument("--per-client", type=int, default=client_bench.DEFAULT_PER_CLIENT)
    parser.add_argument(
        "--caps",
        type=int,
        nargs="*",
        default=[100],
        help="after the sweep, run the largest N once more with at most m in flight (flags2's -m), per m",
    )
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    raise_open_file_limit(max(args.sizes) + 256)
    server = flag_server.start("delay", delay=args.delay)
    results: list[Result] = []
    runs: list[dict[str, object]] = []
    # (label, n, cap, kinds): the all-at-once sweep, repeated; then each cap once at the largest N, where
    # "httpx-split" is left out while the cap fits one client's pool (it would be plain "httpx").
    plan = [
        (f"{repeat + 1}/{args.repeat}", n, None, _rotate(args.kinds, repeat))
        for repeat in range(args.repeat)
        for n in args.sizes
    ] + [
        ("cap", max(args.sizes), m, [k for k in args.kinds if k != "httpx-split" or m > args.per_client])
        for m in args.caps
    ]
    started = time.perf_counter()
    try:
        for label, n, cap, kinds in plan:
            for kind in kinds:
                time.sleep(PAUSE)
                flag_server.clear_log(server)
                result = client_bench.run(kind, server.url, n, limit=cap, per_client=args.per_client)
                # Below N: the client could not even get its N requests out within one delay.
                peak = flag_server.peak_in_flight(server)
                results.append(result)
                runs.append(
                    {"kind": kind, "n": n, "limit": cap, "round": label, "server_peak_in_flight": peak}
                )
                print(
                    f"[{label}] N={n:<5} m={cap or 'all':<5} {kind:<14} wall {format_duration(result.wall)}"
                    f"  CPU {format_duration(result.cpu)}  ok {result.ok}  failed {result.failed}"
                    f"{f' {result.errors}' if result.errors else ''}  server peak {peak}",
                    flush=True,
                )
    finally:
        services.stop(server)
    sweep_time = time.perf_counter() - started

    print()
    print(
        f"Delay d = {format_duration(args.delay)}; medians of {args.repeat} bursts (capped runs: one each)."
    )
    print(
        "ideal = d when all N go at once, ceil(N/m) * d with at most m in flight; CPU is the client's only."
    )
    print_table(results, args.delay)
    command = shlex.join(
        [".venv/bin/python", "benchmarks/bench_http_clients.py", *(sys.argv[1:] if argv is None else argv)]
    )
    meta = {
        "benchmark": "N simultaneous flag downloads: httpx vs aiohttp clients",
        **reports.machine(),
        "command": command,
        "versions": {p: version(p) for p in ("httpx", "httpcore", "aiohttp", "httpx-aiohttp", "uvicorn")},
        "delay_s": args.delay,
        "sizes": args.sizes,
        "repeat": args.repeat,
        "caps": args.caps,
        "per_client": args.per_client,
        "request_timeout_s": client_bench.DEFAULT_REQUEST_TIMEOUT,
        "upstream_report": UPSTREAM_REPORT,
        "sweep_s": round(sweep_time, 1),
        "runs": runs,
    }
    client_bench.save_results(results, args.output, **meta)
    png = plots.save_png(
        client_bench.plot_results(results, delay=args.delay), args.output.with_suffix(".png")
    )
    failed = sum(r.failed for r in results)
    low_peaks = [r for r in runs if r["limit"] is None and r["server_peak_in_flight"] != r["n"]]
    if low_peaks:
        print(f"note: {len(low_peaks)} bursts never had all N requests at the server at once")
    print(f"{'FAIL' if failed else 'OK'}: {failed} failed requests; sweep took {sweep_time:.0f} s")
    print(f"wrote {args.output} and {png}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
