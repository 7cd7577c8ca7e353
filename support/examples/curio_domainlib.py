"""The chapter's domainlib on Curio: probe domain names concurrently in a Curio ``TaskGroup``.

Curio, David Beazley's async framework, runs native coroutines on a kernel of its own, with no asyncio
inside. Its ``TaskGroup`` came years before asyncio's: tasks are spawned into the group, ``async for task in
group`` hands back each task as it finishes (what ``asyncio.as_completed`` does), and leaving the ``async
with`` block waits for every task, or cancels those left when one fails. Start a program with
``curio.run(main)``.

The chapter's probe asks the system resolver with ``curio.socket.getaddrinfo``. Our lessons run offline
against the local server of :mod:`support.lab.dns_server`, and ``getaddrinfo`` cannot be told to ask it. So
:func:`probe` sends a real DNS query over UDP through Curio's own socket, and reads the reply with dnspython
(:mod:`support.examples.dns_wire`). No answer in ``PROBE_TIMEOUT`` seconds is the lab's ``ProbeTimeout``;
nothing listening on the port, a ``ConnectionRefusedError``.

Curio 1.6, its last release, imports on Python 3.11 only (3.12 removed a name it reads from
``multiprocessing.connection``), so this module does too; the workbook installs Curio on 3.11 only.
``curio_blogdom`` and ``curio_domaincheck`` are the command-line programs built on it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable

import curio
import curio.socket

from support.examples import dns_wire
from support.lab.dns_server import PROBE_TIMEOUT, ProbeTimeout, Result, ServerSpec, server_address

__all__ = ["Result", "multi_probe", "probe"]

# A failed probe's error reaches whoever reads its task's result; Curio's kernel would log it too, traceback and
# all, so a command line's one-line error would come with a page of Curio's.
logging.getLogger("curio.kernel").setLevel(logging.CRITICAL)


async def probe(domain: str, server: ServerSpec) -> Result:
    host, port = server_address(server)
    question = dns_wire.query(domain)
    async with curio.socket.socket(dns_wire.family_for(host), curio.socket.SOCK_DGRAM) as sock:
        await sock.connect((host, port))  # a connected UDP socket only accepts datagrams from the server
        await sock.send(question.to_wire())
        try:
            async with curio.timeout_after(PROBE_TIMEOUT):
                data = await sock.recv(dns_wire.MAX_REPLY)
                while dns_wire.is_stray(question, data):  # a late answer to an earlier query on this port
                    data = await sock.recv(dns_wire.MAX_REPLY)
        except curio.TaskTimeout:
            raise ProbeTimeout(f"no DNS answer for {domain!r} from {server} in {PROBE_TIMEOUT} s") from None
    return dns_wire.read_reply(question, data)


async def multi_probe(domains: Iterable[str], server: ServerSpec) -> AsyncIterator[Result]:
    async with curio.TaskGroup() as group:
        for domain in domains:
            await group.spawn(probe, domain, server)
        async for task in group:  # tasks in the order they finish
            yield task.result  # the probe's Result, or its exception raised here
