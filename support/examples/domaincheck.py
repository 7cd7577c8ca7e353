"""The chapter's domaincheck: which short Python keywords are taken under a top-level domain, in two columns.

For every Python keyword of at most four letters it asks whether ``<keyword>.<TLD>`` resolves, all at once
through :func:`support.examples.domainlib.multi_probe`, and prints each name as its answer arrives: names that
resolve in the FOUND column, the others under NOT FOUND (two tabs in). The questions go to the workbook's
local DNS server (:mod:`support.lab.dns_server`), never to the internet. Lesson 07 teaches ``show_domains`` in
an editable cell; a test keeps the two the same.

Run it: ``python -m support.examples.domaincheck TLD [--server dns://127.0.0.1:PORT]``. Without ``--server`` it
starts a local DNS server for the run and stops it at the end. Exit status: 0 every name answered, 1 the server
did not answer, 2 usage error (one line on stderr), 130 Ctrl-C.
"""

import asyncio
import keyword
import signal
import sys

from support import cli
from support.examples.domainlib import multi_probe
from support.lab import dns_server


async def show_domains(tld: str, server: str) -> None:
    domains = [f"{kw}.{tld}".lower() for kw in keyword.kwlist if len(kw) <= 4]  # <1>
    print("FOUND\t\tNOT FOUND")  # <2>
    print("=====\t\t=========")
    async for domain, found in multi_probe(domains, server):  # <3>
        print(domain if found else f"\t\t{domain}")  # <4>


def main(argv: list[str] | None = None) -> int:
    parser = cli.Parser(prog="python -m support.examples.domaincheck", description="Which names are taken?")
    parser.add_argument("tld", type=dns_server.parse_tld, metavar="TLD", help="e.g. net, dev or com.br")
    parser.add_argument("--server", type=dns_server.server_url, help="DNS server (default: a local one)")
    args = parser.parse_args(argv)
    with dns_server.for_command("domaincheck", args.server) as server:
        asyncio.run(show_domains(args.tld, server))  # <5>
    return cli.OK


if __name__ == "__main__":
    try:
        status = main()
    except KeyboardInterrupt:  # a Ctrl-C outside the work, e.g. while a server stops
        status = cli.INTERRUPTED
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a late Ctrl-C, as Python exits, changes nothing
    sys.exit(status)
