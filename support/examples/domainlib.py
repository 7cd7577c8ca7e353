"""The chapter's domainlib: ask about one domain name with ``probe``, or about many with ``multi_probe``.

``probe`` is the lab's own (:func:`support.lab.dns_server.probe`): it asks the local DNS server and returns a
``Result(domain, found)``. It is imported here so that a program needs one import for both, as the chapter's
domaincheck does.

``multi_probe`` is what lesson 07 teaches, in an editable cell that a test keeps the same as this code: an
*asynchronous generator*. Calling it runs nothing; the first ``async for`` step starts one task per name, and
each step after that hands out whichever answer arrived next. A probe that fails raises out of the
``async for``, after the others were cancelled. A consumer that stops early should close the generator at
once (``contextlib.aclosing`` or ``await gen.aclose()``): that runs its ``finally``, which cancels the probes
still in flight and waits for them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable

from support.lab.dns_server import ProbeTimeout, Result, ServerSpec, probe

__all__ = ["ProbeTimeout", "Result", "multi_probe", "probe"]


async def multi_probe(domains: Iterable[str], server: ServerSpec) -> AsyncIterator[Result]:
    in_flight = [asyncio.create_task(probe(domain, server)) for domain in domains]  # <1>
    try:
        for next_answer in asyncio.as_completed(in_flight):  # <2>
            yield await next_answer  # <3>
    finally:
        for task in in_flight:  # <4>
            task.cancel()
        await asyncio.gather(*in_flight, return_exceptions=True)  # <5>
