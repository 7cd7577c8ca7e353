"""Does hardening the TCP character finder cost its clients latency when a thousand ask at once?

Lesson 06 teaches a character finder over plain TCP (``support.examples.tcp_mojifinder``) and then a hardened
one (``support.examples.tcp_mojifinder_hardened``: limits, timeouts, clients that misbehave). The hardening
must not make an ordinary client wait longer. Both servers run in their own processes; the same client, in
this process, sends the same burst to each in turn: ``--clients`` clients connect at once, each reads the
prompt, asks for ``cat face`` and reads up to the status line (``... 10 found``). A client's latency runs
from opening its connection to reading that line. Each round times one burst on each server, alternating
which goes first, and divides the subject's p99 (and p50) by the baseline's; the figures are the medians of
the rounds' ratios, and the clients that got no right answer from either server. Whatever the machine's load
does to both servers, the ratio mostly cancels. The goal: the subject's p99 at most 1.2 times the baseline's,
and no failure.

A server is a module name. It is started with its own ``start(private=True)`` when it has one, else as
``python -m <module> --port 0``; either way it must print a ``tcp://HOST:PORT`` line once it listens (see
``support.lab.services``). Until the hardened module exists, the subject falls back to the baseline module
(two processes of it), and the report says so.

Run: ``.venv/bin/python benchmarks/bench_tcp_mojifinder.py [--clients 1000] [--rounds 15] [--baseline MODULE]
[--subject MODULE]``. Writes ``benchmarks/results/tcp_mojifinder.json``. Exit status: 0 when the goal is met
and every client got its answer, 1 otherwise, 2 on a usage error, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import importlib
import importlib.util
import inspect
import json
import statistics
import sys
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a plain checkout too

from support.examples.charindex import InvertedIndex  # noqa: E402
from support.lab import services  # noqa: E402
from support.open_files import raise_open_file_limit  # noqa: E402
from support.timing import percentile  # noqa: E402
from support.workbook import reports  # noqa: E402
from support.workbook.bench_report import Figure  # noqa: E402

__all__ = ["GOAL", "ask", "burst", "figures", "main", "resolve", "start_server", "summarise", "timed_ask"]

RESULTS = Path(__file__).resolve().parent / "results" / "tcp_mojifinder.json"
BASELINE = "support.examples.tcp_mojifinder"
SUBJECT = "support.examples.tcp_mojifinder_hardened"
QUERY = "cat face"
PROMPT = b"?> "
GOAL = 1.2  # the subject's p99 may be at most 20 % above the baseline's
# p99 of a burst moves with the machine's load even as a ratio: a figure regresses only past 50 % worse.
RATIO_TOLERANCE = 0.5
ROLES = ("baseline", "subject")


def figures(results: Path = RESULTS) -> list[Figure]:
    """The report's headline figures from a saved run: the subject's p99 and p50 over the baseline's (medians
    of the rounds), and how many clients of either server got no right answer (the goal is none)."""
    report = json.loads(results.read_text())
    summary, clients = report["summary"], report["clients"]
    names = f"{_short(report['subject'])} ÷ {_short(report['baseline'])}"
    out = [
        Figure(
            key=f"tcp_mojifinder.{pct}_vs_baseline",
            label=f"{pct} latency, {names}, N = {clients:,}",
            value=float(summary[f"{pct}_ratio"]),
            tolerance=RATIO_TOLERANCE,
            limit=float(report.get("goal", GOAL)) if pct == "p99" else None,
            unit="×",
        )
        for pct in ("p99", "p50")
        if summary[f"{pct}_ratio"] is not None  # None: no round had answers from both servers
    ]
    out.append(
        Figure(
            key="tcp_mojifinder.errors",
            label=f"clients without a right answer, of {2 * clients * len(report['rounds']):,} (both servers)",
            value=float(summary["errors"]),
            limit=0.0,
            count=True,
        )
    )
    return out


def _short(module: str) -> str:
    return module.rsplit(".", 1)[-1]


def resolve(baseline: str, subject: str) -> tuple[str, str, str]:
    """The modules to compare, and a note: the subject falls back to the baseline while it does not exist."""
    for module in (baseline, subject):
        if not module or module.startswith(".") or not all(part.isidentifier() for part in module.split(".")):
            raise ValueError(f"not a module name: {module!r}")
    if importlib.util.find_spec(baseline) is None:
        raise ValueError(f"no module {baseline}")
    if importlib.util.find_spec(subject) is None:
        return baseline, baseline, f"{subject} does not exist yet: {baseline} measured against itself"
    return baseline, subject, ""


def start_server(module: str) -> services.Service:
    """A fresh server of ``module``'s own, through its ``start(private=True)`` or ``python -m module``."""
    start = getattr(importlib.import_module(module), "start", None)
    if callable(start) and "private" in inspect.signature(start).parameters:
        service: services.Service = start(private=True)
        return service
    return services.start(module, private=True)


async def ask(host: str, port: int, query: str) -> list[str]:
    """Connect, read the prompt, send one query, and return the answer's lines up to the status line.

    The benchmark's own client, the same for every server measured: it needs only the protocol (a ``?> ``
    prompt, one line per character, a status line ending in ``found``). A reply of ``error: ...`` or
    ``bye: ...`` raises ``ValueError``; a connection closed early raises ``ConnectionError``.
    """
    reader, writer = await asyncio.open_connection(host, port)
    try:
        await reader.readuntil(PROMPT)
        writer.write(query.encode() + b"\n")
        await writer.drain()
        lines: list[str] = []
        while True:
            raw = await reader.readline()
            if not raw:
                raise ConnectionError(f"the server closed the connection after {len(lines)} lines")
            line = raw.decode().rstrip("\r\n")
            if line.startswith(("error: ", "bye: ")):
                raise ValueError(line)
            lines.append(line)
            if line.endswith(" found"):
                return lines
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


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


def _timed(service: services.Service, clients: int, expected: int) -> dict[str, Any]:
    gc.collect()  # the previous burst's garbage is not this one's cost
    latencies, failures = asyncio.run(burst(service.host, service.port, clients, expected))
    return {
        "p50_ms": round(percentile(latencies, 50) * 1e3, 3) if latencies else None,
        "p99_ms": round(percentile(latencies, 99) * 1e3, 3) if latencies else None,
        "errors": sum(failures.values()),
        "failure_kinds": dict(failures),
    }


def summarise(rounds: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Medians of the rounds' subject ÷ baseline ratios (rounds where both got answers) and the errors."""
    summary: dict[str, Any] = {}
    for pct in ("p50", "p99"):
        key = f"{pct}_ms"
        ratios = [
            r["subject"][key] / r["baseline"][key] for r in rounds if r["subject"][key] and r["baseline"][key]
        ]
        summary[f"{pct}_ratio"] = round(statistics.median(ratios), 3) if ratios else None
        summary[f"{pct}_round_ratios"] = [round(x, 3) for x in ratios]
    summary["errors"] = sum(r[role]["errors"] for r in rounds for role in ROLES)
    return summary


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
        epilog="exit status: 0 when the goal is met and every client got its answer, 1 otherwise, 2 on a usage"
        " error, 130 when interrupted",
    )
    parser.add_argument("--clients", type=_positive, default=1000, help="clients in a burst (default 1000)")
    parser.add_argument("--rounds", type=_positive, default=15, help="bursts on each server (default 15)")
    parser.add_argument("--baseline", default=BASELINE, help="module of the server compared against")
    parser.add_argument(
        "--subject", default=SUBJECT, help="module of the server measured (falls back to the baseline)"
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to save the JSON results")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        baseline, subject, note = resolve(args.baseline, args.subject)
    except ValueError as exc:
        parser.error(str(exc))
    if note:
        print(f"note: {note}", flush=True)
    raise_open_file_limit(args.clients + 256)
    expected = len(InvertedIndex(0x1F400, 0x1F650).search(QUERY))  # every cat face lives in that range
    servers: dict[str, services.Service] = {}
    rounds = []
    try:
        try:
            servers = {
                role: start_server(module) for role, module in zip(ROLES, (baseline, subject), strict=True)
            }
            for service in servers.values():  # warm up: connections, caches, the index
                _timed(service, 20, expected)
            for i in range(args.rounds):
                row = {}
                for role in ROLES if i % 2 == 0 else ROLES[::-1]:  # who goes first alternates
                    row[role] = _timed(servers[role], args.clients, expected)
                rounds.append(row)
                b, s = row["baseline"], row["subject"]
                print(
                    f"round {i + 1}: {args.clients} clients at once: p99 baseline {b['p99_ms']} ms, subject"
                    f" {s['p99_ms']} ms; p50 baseline {b['p50_ms']} ms, subject {s['p50_ms']} ms; errors"
                    f" {b['errors']} + {s['errors']}"
                    + "".join(
                        f" {role} {row[role]['failure_kinds']}" for role in ROLES if row[role]["errors"]
                    ),
                    flush=True,
                )
        finally:
            for service in servers.values():
                services.stop(service)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    summary = summarise(rounds)
    ok = summary["errors"] == 0 and summary["p99_ratio"] is not None and summary["p99_ratio"] <= GOAL
    report = {
        "benchmark": "TCP character finder, a subject server against a baseline, many clients at once",
        **reports.machine(),
        "query": QUERY,
        "client": "asyncio streams: connect, read the prompt, one query, read to the status line, close",
        "baseline": baseline,
        "subject": subject,
        "note": note,
        "clients": args.clients,
        "goal": GOAL,
        "rounds": rounds,
        "summary": summary,
        "passed": ok,
    }
    reports.write_json(report, args.output)
    print(
        f"{'PASS' if ok else 'FAIL'}: median of {args.rounds} rounds, {args.clients} clients: p99"
        f" {_short(subject)} ÷ {_short(baseline)} {summary['p99_ratio']} (goal ≤ {GOAL}), p50"
        f" {summary['p50_ratio']}; errors {summary['errors']}; wrote {args.output}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
