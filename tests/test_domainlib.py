"""domainlib: probe re-exported from the lab, and multi_probe, the async generator lesson 07 teaches."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import inspect
import logging
from collections.abc import Iterator

import pytest

from support.examples import domainlib
from support.lab import dns_server, services
from support.lab.dns_server import Result

RANGE = (0.05, 0.5)
SEED = 17  # the seeded delays, so completion order is known in advance
DELAY = 0.3


@pytest.fixture(scope="module")
def seeded() -> Iterator[services.Service]:
    service = dns_server.start(delay=RANGE, seed=SEED, private=True)
    yield service
    service.stop()


@pytest.fixture(scope="module")
def slow() -> Iterator[services.Service]:
    service = dns_server.start(delay=DELAY, private=True)
    yield service
    service.stop()


def _expected(names: list[str]) -> list[Result]:
    return sorted(Result(name, dns_server.address_for(name) is not None) for name in names)


def _others() -> set[asyncio.Task[object]]:
    return {task for task in asyncio.all_tasks() if task is not asyncio.current_task()}


def test_probe_and_result_are_the_labs_own() -> None:
    assert domainlib.probe is dns_server.probe
    assert domainlib.Result is dns_server.Result
    assert domainlib.ProbeTimeout is dns_server.ProbeTimeout
    assert not hasattr(dns_server, "multi_probe"), "multi_probe moved to domainlib: the lab holds no example"


async def test_multi_probe_is_an_async_generator_that_starts_nothing_when_called() -> None:
    assert inspect.isasyncgenfunction(domainlib.multi_probe)
    before = _others()
    gen = domainlib.multi_probe(["if.dev", "or.dev"], "dns://127.0.0.1:1")
    assert inspect.isasyncgen(gen)
    await asyncio.sleep(0)
    assert _others() == before, "calling it must start no probe: the first async for step does"
    await gen.aclose()


async def test_multi_probe_yields_every_result_as_it_arrives(seeded: services.Service) -> None:
    names = dns_server.keyword_names("dev")
    results = [result async for result in domainlib.multi_probe(names, seeded)]
    assert sorted(results) == _expected(names)
    # Completion order follows the seeded delays, not the order the names were given in.
    delay = {name: dns_server.delay_for(name, RANGE, SEED) for name in names}
    position = {result.domain: i for i, result in enumerate(results)}
    assert [result.domain for result in results] != names
    for a in names:
        for b in names:
            if delay[a] + 0.05 < delay[b]:  # clearly faster must come first; near-ties may swap
                assert position[a] < position[b], (a, delay[a], b, delay[b])


async def test_the_probes_overlap(slow: services.Service) -> None:
    # Every answer takes DELAY; 12 in a row would take 12 x DELAY, at once about one DELAY.
    names = dns_server.keyword_names("net")[:12]
    loop = asyncio.get_running_loop()
    started = loop.time()
    results = [result async for result in domainlib.multi_probe(names, slow)]
    elapsed = loop.time() - started
    one = loop.time()
    await domainlib.probe(names[0], slow)
    one = loop.time() - one
    assert sorted(results) == _expected(names)
    assert elapsed < 4 * one, f"12 probes took {elapsed / one:.1f} times one probe: they did not overlap"


# Alone: the answers all come 0.3 s after their queries; a loop kept off the CPU by other workers meanwhile
# takes them in one step, and no probe is left in flight after the first (seen under make test).
@pytest.mark.alone
async def test_stopping_early_and_closing_cancels_the_probes_in_flight(slow: services.Service) -> None:
    names = dns_server.keyword_names("dev")
    before = _others()
    results = domainlib.multi_probe(names, slow)
    first = await anext(results)
    assert first.domain in names
    assert len(_others() - before) > 1, "the other probes should still be running"
    await results.aclose()  # what `async with contextlib.aclosing(...)` does at the end of its block
    assert _others() - before == set(), "probes left running after the consumer closed the generator"


async def test_aclosing_after_break_leaves_nothing_running(slow: services.Service) -> None:
    before = _others()
    async with contextlib.aclosing(domainlib.multi_probe(dns_server.keyword_names("org"), slow)) as results:
        async for _ in results:
            break
    assert _others() - before == set()


async def test_an_abandoned_generator_keeps_its_probes_until_it_is_collected(
    seeded: services.Service,
) -> None:
    # The symptom lesson 07 shows: without aclose, `break` leaves the generator suspended, probes running.
    # Spread delays (0.05-0.5 s), not one fixed delay: with equal delays every answer lands in one loop step,
    # and on Python 3.13 the others had often finished before the first was handed out (2 runs in 8 failed).
    before = _others()
    results = domainlib.multi_probe(dns_server.keyword_names("org"), seeded)
    async for _ in results:
        break
    await asyncio.sleep(0.01)
    assert len(_others() - before) > 1, "nothing closed the generator, so its probes should still run"
    del results
    gc.collect()
    for _ in range(50):  # the loop closes a collected async generator in a task of its own, soon after
        if not _others() - before:
            break
        await asyncio.sleep(0.01)
    assert _others() - before == set()


async def test_a_failing_probe_cancels_the_others_and_raises_out_of_the_loop(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    cancelled: list[str] = []

    async def flaky_probe(domain: str, server: object) -> Result:
        if domain == "if.dev":
            await asyncio.sleep(0.01)
            raise dns_server.ProbeTimeout("no answer for if.dev")
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            cancelled.append(domain)
            raise
        return Result(domain, True)

    monkeypatch.setattr(domainlib, "probe", flaky_probe)
    names = ["as.dev", "if.dev", "in.dev", "is.dev", "or.dev"]
    got: list[Result] = []
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        with pytest.raises(dns_server.ProbeTimeout, match="if.dev"):
            async for result in domainlib.multi_probe(names, "dns://127.0.0.1:1"):
                got.append(result)
        await asyncio.sleep(0.01)
        gc.collect()
    assert got == []
    assert sorted(cancelled) == ["as.dev", "in.dev", "is.dev", "or.dev"]
    assert not _others()
    assert "never retrieved" not in caplog.text


async def test_no_names_yields_nothing() -> None:
    assert [result async for result in domainlib.multi_probe([], "dns://127.0.0.1:1")] == []
