"""The chapter's domainlib: ask about one domain name with ``probe``, or about many with ``multi_probe``.

``probe`` is the lab's own (:func:`support.lab.dns_server.probe`): it asks the local DNS server and returns a
``Result(domain, found)``. It is re-exported here so that a program needs one import for both.

``multi_probe`` is what lesson 06 teaches: an *asynchronous generator*. Calling it runs nothing; the first
``async for`` step starts one task per name, and each step after that hands out whichever answer arrived
next, so results come in the order the server answers, not the order the names were given. The probes run
concurrently because the generator makes tasks, not because anyone iterates it with ``async for``: a
generator that awaited each probe in turn would be just as sequential in a comprehension.

A consumer that stops early (``break``, ``return``, an error) should close the generator at once, with
``async with contextlib.aclosing(multi_probe(...))`` or ``await gen.aclose()``: that runs its ``finally``,
which cancels the probes still in flight and waits for them. Left alone, the generator is closed only when
it is garbage-collected, by a task the event loop schedules then.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable

from support.lab.dns_server import DEFAULT_URL, ProbeTimeout, Result, ServerSpec, probe

__all__ = ["ProbeTimeout", "Result", "multi_probe", "probe"]


async def multi_probe(domains: Iterable[str], server: ServerSpec = DEFAULT_URL) -> AsyncIterator[Result]:
    """Probe every name in ``domains`` at once; yield each :class:`Result` as soon as its answer arrives.

    A probe that fails (:class:`ProbeTimeout`, an ``OSError``) raises out of the ``async for`` at the step
    that would have yielded it; the other probes are cancelled first.
    """
    in_flight = [asyncio.create_task(probe(domain, server)) for domain in domains]
    try:
        for next_answer in asyncio.as_completed(in_flight):
            yield await next_answer  # whichever probe finishes next
    finally:
        # Reached when every answer was handed out, on an error, and when the consumer closes us early.
        for task in in_flight:
            task.cancel()  # no effect on the probes already done
        await asyncio.gather(*in_flight, return_exceptions=True)  # let them stop; no error left unretrieved
