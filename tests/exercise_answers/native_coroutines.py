"""Answers to the exercises of lesson 02: ``first_found``, ``probe_within`` and ``fingerprint_all``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence

from support.exercises.native_coroutines import check_fingerprint_all, check_first_found, check_probe_within
from support.lab.dns_server import Result

from . import Cases, Wrong

Probe = Callable[[str], Awaitable[Result]]
Fingerprint = Callable[[str], str]


# --- Exercise 1: first_found ------------------------------------------------------------------------------


async def first_found(domains: Sequence[str], probe: Probe) -> Result | None:
    tasks = [asyncio.create_task(probe(domain)) for domain in domains]
    try:
        for next_answer in asyncio.as_completed(tasks):
            result = await next_answer
            if result.found:
                return result
        return None
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def first_found_with_wait(domains: Sequence[str], probe: Probe) -> Result | None:
    """Another right answer: asyncio.wait hands back the finished tasks themselves."""
    pending = {asyncio.create_task(probe(domain)) for domain in domains}
    try:
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            found = [task.result() for task in done if task.result().found]
            if found:
                return found[0]
        return None
    finally:
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)


async def first_found_stub(domains: Sequence[str], probe: Probe) -> Result | None:
    # Your code here: one task per domain, take the answers as they arrive, stop the rest.
    ...


async def first_found_in_list_order(domains: Sequence[str], probe: Probe) -> Result | None:
    for domain in domains:
        result = await probe(domain)
        if result.found:
            return result
    return None


async def first_found_without_cancel(domains: Sequence[str], probe: Probe) -> Result | None:
    for next_answer in asyncio.as_completed([probe(domain) for domain in domains]):
        result = await next_answer
        if result.found:
            return result
    return None


async def first_found_cancel_without_waiting(domains: Sequence[str], probe: Probe) -> Result | None:
    tasks = [asyncio.create_task(probe(domain)) for domain in domains]
    try:
        for next_answer in asyncio.as_completed(tasks):
            result = await next_answer
            if result.found:
                return result
        return None
    finally:
        for task in tasks:
            task.cancel()  # asks them to stop, but returns before they have


async def first_found_after_all(domains: Sequence[str], probe: Probe) -> Result | None:
    tasks = [asyncio.create_task(probe(domain)) for domain in domains]
    for next_answer in asyncio.as_completed(tasks):
        result = await next_answer
        if result.found:
            await asyncio.gather(*tasks)  # "clean up" by letting all of them finish
            return result
    return None


async def first_found_gather(domains: Sequence[str], probe: Probe) -> Result | None:
    results = await asyncio.gather(*(probe(domain) for domain in domains))
    found = [result for result in results if result.found]
    return found[0] if found else None  # the first in the list, not the first to arrive


async def first_found_forgets_await(domains: Sequence[str], probe: Probe) -> Result | None:
    return first_found(domains, probe)  # type: ignore[return-value]


async def first_found_returns_the_name(domains: Sequence[str], probe: Probe) -> Result | None:
    result = await first_found(domains, probe)
    return result.domain if result else None  # type: ignore[return-value]


# --- Exercise 2: probe_within -----------------------------------------------------------------------------


async def probe_within(domains: Sequence[str], probe: Probe, time_limit: float) -> dict[str, bool | None]:
    async def found_in_time(domain: str) -> bool | None:
        try:
            result = await asyncio.wait_for(probe(domain), time_limit)
        except TimeoutError:
            return None
        return result.found

    answers = await asyncio.gather(*(found_in_time(domain) for domain in domains))
    return dict(zip(domains, answers, strict=True))


async def probe_within_stub(
    domains: Sequence[str], probe: Probe, time_limit: float
) -> dict[str, bool | None]:
    # Your code here: a time limit around each probe, and all probes at once.
    ...


async def probe_within_one_deadline(
    domains: Sequence[str], probe: Probe, time_limit: float
) -> dict[str, bool | None]:
    async with asyncio.timeout(time_limit):  # one slow name fails them all
        results = await asyncio.gather(*(probe(domain) for domain in domains))
    return {result.domain: result.found for result in results}


async def probe_within_in_turn(
    domains: Sequence[str], probe: Probe, time_limit: float
) -> dict[str, bool | None]:
    answers: dict[str, bool | None] = {}
    for domain in domains:
        try:
            answers[domain] = (await asyncio.wait_for(probe(domain), time_limit)).found
        except TimeoutError:
            answers[domain] = None
    return answers


async def probe_within_not_cancelling(
    domains: Sequence[str], probe: Probe, time_limit: float
) -> dict[str, bool | None]:
    tasks = {domain: asyncio.create_task(probe(domain)) for domain in domains}
    if tasks:
        await asyncio.wait(tasks.values(), timeout=time_limit)  # leaves the slow ones running
    return {domain: (task.result().found if task.done() else None) for domain, task in tasks.items()}


async def probe_within_false_for_late(
    domains: Sequence[str], probe: Probe, time_limit: float
) -> dict[str, bool | None]:
    answers = await probe_within(domains, probe, time_limit)
    return {domain: bool(found) for domain, found in answers.items()}


async def probe_within_list(
    domains: Sequence[str], probe: Probe, time_limit: float
) -> dict[str, bool | None]:
    answers = await probe_within(domains, probe, time_limit)
    return list(answers.values())  # type: ignore[return-value]


# --- Exercise 3: fingerprint_all --------------------------------------------------------------------------


async def fingerprint_all(names: Sequence[str], fingerprint: Fingerprint) -> dict[str, str]:
    prints = {}
    for name in names:
        prints[name] = fingerprint(name)
        await asyncio.sleep(0)  # a real pause: the loop runs whatever else is ready
    return prints


async def fingerprint_all_in_a_thread(names: Sequence[str], fingerprint: Fingerprint) -> dict[str, str]:
    """Another right answer (lesson 04 teaches it): the whole job in a worker thread."""
    return await asyncio.to_thread(lambda: {name: fingerprint(name) for name in names})


async def fingerprint_all_stub(names: Sequence[str], fingerprint: Fingerprint) -> dict[str, str]:
    # Your code here: the loop from fingerprint_all_blocking, repaired.
    ...


async def fingerprint_all_unchanged(names: Sequence[str], fingerprint: Fingerprint) -> dict[str, str]:
    prints = {}
    for name in names:
        prints[name] = fingerprint(name)
    return prints


async def fingerprint_all_time_sleep(names: Sequence[str], fingerprint: Fingerprint) -> dict[str, str]:
    prints = {}
    for name in names:
        prints[name] = fingerprint(name)
        time.sleep(0)  # noqa: ASYNC251 (the mistake being tested)
    return prints


async def fingerprint_all_sleep_without_await(
    names: Sequence[str], fingerprint: Fingerprint
) -> dict[str, str]:
    prints = {}
    for name in names:
        prints[name] = fingerprint(name)
        asyncio.sleep(0)  # noqa: RUF006 (the mistake: a coroutine object made and dropped)
    return prints


async def _fingerprint_one(name: str, fingerprint: Fingerprint) -> str:
    return fingerprint(name)  # nothing here pauses


async def fingerprint_all_awaits_a_coroutine(
    names: Sequence[str], fingerprint: Fingerprint
) -> dict[str, str]:
    prints = {}
    for name in names:
        prints[name] = await _fingerprint_one(name, fingerprint)
    return prints


async def fingerprint_all_as_tasks(names: Sequence[str], fingerprint: Fingerprint) -> dict[str, str]:
    digests = await asyncio.gather(*(_fingerprint_one(name, fingerprint) for name in names))
    return dict(zip(names, digests, strict=True))


async def fingerprint_all_pause_rarely(names: Sequence[str], fingerprint: Fingerprint) -> dict[str, str]:
    prints = {}
    for i, name in enumerate(names):
        prints[name] = fingerprint(name)
        if i % 25 == 24:
            await asyncio.sleep(0)
    return prints


async def fingerprint_all_forgets_to_return(names: Sequence[str], fingerprint: Fingerprint) -> None:
    prints = {}
    for name in names:
        prints[name] = fingerprint(name)
        await asyncio.sleep(0)


async def fingerprint_all_twice(names: Sequence[str], fingerprint: Fingerprint) -> dict[str, str]:
    prints = {}
    for name in names:
        print_ = fingerprint(name)
        assert print_ == fingerprint(name)  # checking it, and paying twice
        prints[name] = print_
        await asyncio.sleep(0)
    return prints


def fingerprint_all_plain_def(names: Sequence[str], fingerprint: Fingerprint) -> dict[str, str]:
    return {name: fingerprint(name) for name in names}


CASES = [
    Cases(
        check_first_found,
        right=first_found,
        stub=first_found_stub,
        wrong=[
            Wrong(first_found_in_list_order, "awaits the probes one after another", "as_completed"),
            Wrong(first_found_without_cancel, "returns and leaves the other probes running", "kept running"),
            Wrong(
                first_found_cancel_without_waiting,
                "cancels the leftovers but returns before they have stopped",
                "returned before they had stopped",
            ),
            Wrong(
                first_found_after_all,
                "waits for every probe before returning",
                "without waiting for the rest",
            ),
            Wrong(first_found_gather, "gathers all and takes the first in list order", "got slow.dev"),
            Wrong(first_found_forgets_await, "returns a coroutine", "forget `await`"),
            Wrong(
                first_found_returns_the_name,
                "returns the domain string, not the Result",
                "return the probe's",
            ),
        ],
    ),
    Cases(
        check_probe_within,
        right=probe_within,
        stub=probe_within_stub,
        wrong=[
            Wrong(probe_within_one_deadline, "one deadline around all probes", "around each probe"),
            Wrong(probe_within_in_turn, "one probe after another, each with its limit", "took turns"),
            Wrong(probe_within_not_cancelling, "asyncio.wait with a timeout, no cancel", "kept running"),
            Wrong(probe_within_false_for_late, "False instead of None for a late answer", "late ones None"),
            Wrong(probe_within_list, "returns a list instead of a dict", "not list"),
        ],
    ),
    Cases(
        check_fingerprint_all,
        right=fingerprint_all,
        stub=fingerprint_all_stub,
        wrong=[
            Wrong(
                fingerprint_all_unchanged,
                "leaves the blocking loop as it was",
                "nothing in fingerprint_all pauses",
            ),
            Wrong(
                fingerprint_all_time_sleep, "pauses with time.sleep(0)", "time.sleep pauses the whole thread"
            ),
            Wrong(
                fingerprint_all_sleep_without_await, "calls asyncio.sleep(0) without await", "without `await`"
            ),
            Wrong(
                fingerprint_all_awaits_a_coroutine,
                "awaits a helper coroutine that never pauses",
                "only when it really pauses",
            ),
            Wrong(
                fingerprint_all_as_tasks,
                "gathers one task per name, none of which pauses",
                "only when it really pauses",
            ),
            Wrong(fingerprint_all_pause_rarely, "pauses only every 25 names", "too rarely"),
            Wrong(fingerprint_all_forgets_to_return, "forgets to return the dict", "returned None"),
            Wrong(fingerprint_all_twice, "calls fingerprint twice per name", "once per name"),
            Wrong(fingerprint_all_plain_def, "turns it into a plain def", "async def"),
        ],
    ),
]

# The right answers that are not the model answer: each must pass too (tests/test_exercises_native_coroutines.py).
OTHER_RIGHT = [
    (check_first_found, first_found_with_wait),
    (check_fingerprint_all, fingerprint_all_in_a_thread),
]
