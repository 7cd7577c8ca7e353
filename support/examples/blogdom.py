"""The chapter's domain prober: which short Python keywords are still free as ``.dev`` blog addresses?

It asks a DNS server about ``<keyword>.dev`` for every Python keyword of at most four letters, all at once,
and prints each answer as it arrives: ``+`` for a name that resolves (taken), a blank for one that does not
(perhaps free). The chapter asks the system resolver (``loop.getaddrinfo``); this workbook has no internet,
so the questions go to the local server of :mod:`support.lab.dns_server` instead. Lesson 02 teaches
``probe_all_at_once`` in an editable cell; a test keeps the two the same.

Run it: ``python -m support.examples.blogdom [--server dns://127.0.0.1:PORT]``. Without ``--server`` it starts a
local DNS server for the run and stops it at the end. Exit status: 0 every name answered, 1 the server did not
answer, 2 usage error (one line on stderr), 130 Ctrl-C.
"""

import asyncio
import keyword
import signal
import sys

from support import cli
from support.lab import dns_server

MAX_KEYWORD_LEN = 4  # <1>


async def probe_all_at_once(domains: list[str], probe: dns_server.Probe) -> None:
    tasks = [asyncio.create_task(probe(domain), name=domain) for domain in domains]  # <2>
    try:
        for next_answer in asyncio.as_completed(tasks):  # <3>
            domain, found = await next_answer  # <4>
            print("+" if found else " ", domain)  # <5>
    finally:
        for task in tasks:  # <6>
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)  # <7>


def main(argv: list[str] | None = None) -> int:
    parser = cli.Parser(prog="python -m support.examples.blogdom", description="Which .dev names are taken?")
    parser.add_argument("--server", type=dns_server.server_url, help="DNS server (default: a local one)")
    domains = [f"{kw}.dev".lower() for kw in keyword.kwlist if len(kw) <= MAX_KEYWORD_LEN]  # <8>
    with dns_server.for_command("blogdom", parser.parse_args(argv).server) as server:  # <9>
        asyncio.run(probe_all_at_once(domains, lambda domain: dns_server.probe(domain, server)))  # <10>
    return cli.OK


if __name__ == "__main__":
    try:
        status = main()
    except KeyboardInterrupt:  # a Ctrl-C outside the work, e.g. while a server stops
        status = cli.INTERRUPTED
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a late Ctrl-C, as Python exits, changes nothing
    sys.exit(status)
