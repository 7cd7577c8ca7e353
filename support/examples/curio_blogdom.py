"""The chapter's blogdom on Curio: every short keyword name probed at once, in one Curio ``TaskGroup``.

The same question as :mod:`support.examples.blogdom` (which ``<keyword>.dev`` names are taken?), asked the way
the chapter's Curio version asks it: each probe is spawned into a ``TaskGroup``, ``async for`` over the group
reports each answer as it arrives, and ``curio.run`` starts the program. The probes go to the local DNS server
over UDP (:func:`support.examples.curio_domainlib.probe`). Lesson 08 teaches ``probe_all`` in an editable cell;
a test keeps the two the same.

Run it: ``python -m support.examples.curio_blogdom [--server dns://127.0.0.1:PORT]``, on Python 3.11 only
(Curio 1.6 does not import on 3.12+). Without ``--server`` it starts a local DNS server for the run. Exit
status: 0 every name answered, 1 the server did not answer, 2 usage error, 130 Ctrl-C.
"""

import keyword
import signal
import sys

import curio

from support import cli
from support.examples import curio_domainlib
from support.lab import dns_server

MAX_KEYWORD_LEN = 4


async def probe_all(domains: list[str], server: str) -> None:
    async with curio.TaskGroup() as group:  # <1>
        for domain in domains:
            await group.spawn(curio_domainlib.probe, domain, server)  # <2>
        async for task in group:  # <3>
            domain, found = task.result  # <4>
            print("+" if found else " ", domain)


def main(argv: list[str] | None = None) -> int:
    parser = cli.Parser(prog="python -m support.examples.curio_blogdom", description="blogdom, on Curio")
    parser.add_argument("--server", type=dns_server.server_url, help="DNS server (default: a local one)")
    domains = [f"{kw}.dev".lower() for kw in keyword.kwlist if len(kw) <= MAX_KEYWORD_LEN]
    with dns_server.for_command("curio_blogdom", parser.parse_args(argv).server) as server:
        curio.run(probe_all, domains, server)  # <5>
    return cli.OK


if __name__ == "__main__":
    try:
        status = main()
    except KeyboardInterrupt:  # a Ctrl-C outside the work, e.g. while a server stops
        status = cli.INTERRUPTED
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a late Ctrl-C, as Python exits, changes nothing
    sys.exit(status)
