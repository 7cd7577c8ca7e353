"""The chapter's domain prober: which short Python keywords are still free as ``.dev`` blog addresses?

It asks a DNS server about ``<keyword>.dev`` for every Python keyword of at most four letters, all at once,
and prints each answer as it arrives: ``+`` marks a name that resolves (taken), a blank a name that does not
(perhaps free). The chapter asks the system resolver (``loop.getaddrinfo``); this workbook has no internet,
so the questions go to the local server of :mod:`support.lab.dns_server` instead.

Run it: ``python -m support.examples.blogdom [--server dns://127.0.0.1:PORT] [--sequential]``. Without ``--server``
it starts a local DNS server for the run (``--delay``, ``--seed``) and stops it at the end. It exits like every
example CLI (:mod:`support.examples.cli`): 0 every name probed, 1 a probe failed, 2 usage error, 130 Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import keyword
import signal
import sys
from collections.abc import Callable, Iterable

from support import cli
from support.examples import probe_cli
from support.lab import dns_server
from support.lab.dns_server import Result, ServerSpec
from support.timing import Timeline

__all__ = [
    "MAX_KEYWORD_LEN",
    "format_result",
    "keyword_domains",
    "main",
    "probe_concurrently",
    "probe_sequentially",
]

MAX_KEYWORD_LEN = 4  # short names make good blog addresses
DEFAULT_DELAY = "0.05:0.3"  # for the server started when none is given: slow enough to watch

Report = Callable[[Result], object]


def keyword_domains(tld: str = "dev", max_len: int = MAX_KEYWORD_LEN) -> list[str]:
    """``<keyword>.<tld>`` for each Python keyword of at most ``max_len`` letters, lower-cased, in kwlist order."""
    return [f"{word.lower()}.{tld}" for word in keyword.kwlist if len(word) <= max_len]


def format_result(result: Result) -> str:
    """``"+ if.dev"`` for a name that resolves, ``"  or.dev"`` for one that does not."""
    return f"{'+' if result.found else ' '} {result.domain}"


async def probe_sequentially(
    domains: Iterable[str],
    server: ServerSpec,
    *,
    report: Report | None = None,
    timeline: Timeline | None = None,
) -> list[Result]:
    """Probe one name at a time: the next question is sent only after the previous answer came back."""
    results = []
    for domain in domains:
        result = await _probe(domain, server, timeline)
        results.append(result)
        if report is not None:
            report(result)
    return results


async def probe_concurrently(
    domains: Iterable[str],
    server: ServerSpec,
    *,
    report: Report | None = None,
    timeline: Timeline | None = None,
) -> list[Result]:
    """Send every question at once; return (and report) the answers in the order they arrive.

    If one probe fails, its error propagates after the probes still running have been cancelled.
    """
    tasks = [asyncio.create_task(_probe(domain, server, timeline)) for domain in domains]
    results = []
    try:
        for next_answer in asyncio.as_completed(tasks):
            result = await next_answer  # waits for whichever probe finishes next
            results.append(result)
            if report is not None:
                report(result)
    finally:
        for task in tasks:
            task.cancel()  # does nothing to a finished task; stops the others if we leave early
        # Wait until the cancelled ones have stopped; their errors count as seen, none is logged as lost.
        await asyncio.gather(*tasks, return_exceptions=True)
    return results


async def _probe(domain: str, server: ServerSpec, timeline: Timeline | None) -> Result:
    """One probe, recorded on ``timeline`` (if any) as "ok" when the name resolves, "not found" otherwise."""
    if timeline is None:
        return await dns_server.probe(domain, server)
    start, status = timeline.now(), "error"
    try:
        result = await dns_server.probe(domain, server)
        status = "ok" if result.found else "not found"
        return result
    finally:
        timeline.add(domain, start, timeline.now(), status)


def _parser() -> argparse.ArgumentParser:
    parser = cli.Parser(
        prog="python -m support.examples.blogdom",
        description="Probe <keyword>.<tld> names for short Python keywords; '+' marks names that resolve.",
        failed="a probe failed: no answer from the server",
    )
    parser.add_argument(
        "--tld",
        type=probe_cli.parse_tld,
        default="dev",
        help="top-level domain to probe (default %(default)s)",
    )
    parser.add_argument("--sequential", action="store_true", help="one name at a time, to compare")
    probe_cli.add_server_options(parser, max_len=MAX_KEYWORD_LEN, delay=DEFAULT_DELAY)
    return parser


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: print one line per name as its answer arrives, then a summary; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    domains = keyword_domains(args.tld, args.max_len)
    if not domains:
        parser.error(f"no Python keyword has at most {args.max_len} letters")
    probe_all = probe_sequentially if args.sequential else probe_concurrently

    def show(result: Result) -> None:
        print(format_result(result), flush=True)

    outcome = probe_cli.run(
        "blogdom", args, lambda server: asyncio.run(probe_all(domains, server, report=show))
    )
    if isinstance(outcome, int):
        return outcome
    results, watch = outcome
    found = sum(result.found for result in results)
    how = "one at a time" if args.sequential else "at once"
    print(f"{len(results)} names probed {how}: {found} resolve, {len(results) - found} do not ({watch})")
    return cli.OK


if __name__ == "__main__":
    try:
        status = main()
    except KeyboardInterrupt:  # a Ctrl-C outside the work, e.g. while a server stops
        status = cli.INTERRUPTED
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a late Ctrl-C, as Python exits, changes nothing
    sys.exit(status)
