"""The chapter's domaincheck on Curio: the same two columns, FOUND and NOT FOUND, from Curio's ``multi_probe``.

``show_domains`` is the very text of :func:`support.examples.domaincheck.show_domains` (a test checks it):
``async for`` over an async generator reads the same whichever framework runs it. Only two lines differ from
the asyncio program: ``multi_probe`` comes from :mod:`support.examples.curio_domainlib`, and ``curio.run``
starts the program instead of ``asyncio.run``.

Run it: ``python -m support.examples.curio_domaincheck TLD [--server dns://127.0.0.1:PORT]``, on Python 3.11
only (Curio 1.6 does not import on 3.12+). Exit status as domaincheck's: 0, 1, 2 or 130.
"""

import keyword
import signal
import sys

import curio

from support import cli
from support.examples.curio_domainlib import multi_probe
from support.lab import dns_server


async def show_domains(tld: str, server: str) -> None:
    domains = [f"{kw}.{tld}".lower() for kw in keyword.kwlist if len(kw) <= 4]  # <1>
    print("FOUND\t\tNOT FOUND")  # <2>
    print("=====\t\t=========")
    async for domain, found in multi_probe(domains, server):  # <3>
        print(domain if found else f"\t\t{domain}")  # <4>


def main(argv: list[str] | None = None) -> int:
    parser = cli.Parser(prog="python -m support.examples.curio_domaincheck", description="On Curio")
    parser.add_argument("tld", type=dns_server.parse_tld, metavar="TLD", help="e.g. net, dev or com.br")
    parser.add_argument("--server", type=dns_server.server_url, help="DNS server (default: a local one)")
    args = parser.parse_args(argv)
    with dns_server.for_command("curio_domaincheck", args.server) as server:
        curio.run(show_domains, args.tld, server)  # <5>
    return cli.OK


if __name__ == "__main__":
    try:
        status = main()
    except KeyboardInterrupt:  # a Ctrl-C outside the work, e.g. while a server stops
        status = cli.INTERRUPTED
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a late Ctrl-C, as Python exits, changes nothing
    sys.exit(status)
