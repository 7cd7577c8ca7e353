"""The chapter's domaincheck: which short Python keywords are taken under a top-level domain, in two columns.

For every Python keyword of at most four letters it asks whether ``<keyword>.<TLD>`` resolves, all at once
through :func:`support.examples.domainlib.multi_probe`, and prints each name as its answer arrives: names
that resolve in the FOUND column, the others under NOT FOUND. The questions go to the workbook's local DNS
server (:mod:`support.lab.dns_server`), never to the internet.

Run it: ``python -m support.examples.domaincheck TLD [--server dns://127.0.0.1:PORT]``. Without ``--server``
it starts a local DNS server for the run (``--delay``, ``--seed``) and stops it at the end. Exit status: 0
every name answered, 1 a probe got no answer, 2 usage error (one line on stderr), 130 Ctrl-C.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Callable, Iterable

from support import cli
from support.examples import probe_cli
from support.examples.blogdom import MAX_KEYWORD_LEN, keyword_domains
from support.examples.domainlib import Result, multi_probe
from support.lab.dns_server import ServerSpec

__all__ = ["check_domains", "format_row", "header", "main"]

DEFAULT_DELAY = "0.05:0.3"  # for the server started when none is given: slow enough to watch the order
GAP = 4  # spaces between the longest name and the NOT FOUND column


def header(width: int) -> list[str]:
    """The two column titles, underlined: the NOT FOUND column starts at ``width``."""
    return [f"{'FOUND':<{width}}NOT FOUND", f"{'=====':<{width}}========="]


def format_row(result: Result, width: int) -> str:
    """A name that resolves at the left edge, one that does not indented to the NOT FOUND column."""
    return result.domain if result.found else " " * width + result.domain


async def check_domains(
    domains: Iterable[str], server: ServerSpec, report: Callable[[str], object] = print
) -> list[Result]:
    """Print the two columns for ``domains`` (through ``report``), a row per answer as it arrives."""
    names = list(domains)
    width = max(len("FOUND"), *map(len, names)) + GAP
    for line in header(width):
        report(line)
    results = []
    async for result in multi_probe(names, server):
        results.append(result)
        report(format_row(result, width))
    return results


def _parser() -> cli.Parser:
    parser = cli.Parser(
        prog="python -m support.examples.domaincheck",
        description=(
            "Which <keyword>.<TLD> names resolve, for the Python keywords of at most four letters: names\n"
            "that resolve under FOUND, the others under NOT FOUND, each printed as its answer arrives."
        ),
        failed="a probe got no answer from the DNS server",
    )
    parser.add_argument(
        "tld", type=probe_cli.parse_tld, metavar="TLD", help="top-level domain, e.g. net, dev or com.br"
    )
    probe_cli.add_server_options(parser, max_len=MAX_KEYWORD_LEN, delay=DEFAULT_DELAY)
    return parser


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: the two columns, then one summary line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    domains = keyword_domains(args.tld, args.max_len)
    if not domains:
        parser.error(f"no Python keyword has at most {args.max_len} letters")

    def show(line: str) -> None:
        print(line, flush=True)

    outcome = probe_cli.run(
        "domaincheck", args, lambda server: asyncio.run(check_domains(domains, server, report=show))
    )
    if isinstance(outcome, int):
        return outcome
    results, watch = outcome
    found = sum(result.found for result in results)
    print(
        f"{len(results)} names under .{args.tld}: {found} found, {len(results) - found} not found ({watch})"
    )
    return cli.OK


if __name__ == "__main__":
    try:
        status = main()
    except KeyboardInterrupt:  # a Ctrl-C outside the work, e.g. while a server stops
        status = cli.INTERRUPTED
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a late Ctrl-C, as Python exits, changes nothing
    sys.exit(status)
