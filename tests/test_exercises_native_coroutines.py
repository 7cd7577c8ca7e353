"""The checkers of lesson 02 pass the model answers and fail typical wrong ones with a useful hint."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import pytest

from support.exercises import ExerciseFailed
from support.exercises.native_coroutines import FakeDNS, check_delay, check_first_found, check_probe_within
from support.lab.dns_server import Result

Probe = Callable[[str], Awaitable[Result]]


def _cancel_leftovers() -> None:
    """Wrong answers may leave probes running; stop them so they do not outlive the test."""
    for task in asyncio.all_tasks() - {asyncio.current_task()}:
        task.cancel()


# --- Exercise 1: first_found ------------------------------------------------------------------------------


async def first_found_right(domains: Sequence[str], probe: Probe) -> Result | None:
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


async def first_found_after_all(domains: Sequence[str], probe: Probe) -> Result | None:
    results = await asyncio.gather(*(probe(domain) for domain in domains))
    found = [r for r in results if r.found]
    return min(found, key=lambda r: r.domain != "mid.dev") if found else None  # right name, too late


async def first_found_stub(domains: Sequence[str], probe: Probe) -> Result | None: ...


@pytest.mark.asyncio
async def test_first_found_passes_the_model_answer(capsys: pytest.CaptureFixture[str]) -> None:
    await check_first_found(first_found_right)
    out = capsys.readouterr().out
    assert out.startswith("✔ Exercise 1 passed") and out.count("\n") == 1


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (first_found_in_list_order, "as_completed"),
        (first_found_without_cancel, "cancel"),
        (first_found_after_all, "without waiting for the rest"),
        (first_found_stub, "got None"),
    ],
)
async def test_first_found_fails_wrong_answers(answer: Any, hint: str) -> None:
    with pytest.raises(ExerciseFailed, match=hint):
        await check_first_found(answer)
    _cancel_leftovers()


@pytest.mark.asyncio
async def test_first_found_needs_async_def() -> None:
    def not_async(domains: Sequence[str], probe: Probe) -> None:
        return None

    with pytest.raises(ExerciseFailed, match="async def"):
        await check_first_found(not_async)  # type: ignore[arg-type]


# --- Exercise 2: probe_within -----------------------------------------------------------------------------


async def probe_within_right(
    domains: Sequence[str], probe: Probe, time_limit: float
) -> dict[str, bool | None]:
    async def one(domain: str) -> bool | None:
        try:
            return (await asyncio.wait_for(probe(domain), time_limit)).found
        except TimeoutError:
            return None

    found = await asyncio.gather(*(one(domain) for domain in domains))
    return dict(zip(domains, found, strict=True))


async def probe_within_with_timeout_block(
    domains: Sequence[str], probe: Probe, time_limit: float
) -> dict[str, bool | None]:
    async def one(domain: str) -> bool | None:
        try:
            async with asyncio.timeout(time_limit):
                return (await probe(domain)).found
        except TimeoutError:
            return None

    return dict(zip(domains, await asyncio.gather(*map(one, domains)), strict=True))


async def probe_within_one_deadline(
    domains: Sequence[str], probe: Probe, time_limit: float
) -> dict[str, bool | None]:
    async with asyncio.timeout(time_limit):  # one slow name fails them all
        results = await asyncio.gather(*(probe(domain) for domain in domains))
    return {r.domain: r.found for r in results}


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
    return {d: (t.result().found if t.done() else None) for d, t in tasks.items()}


async def probe_within_false_for_late(
    domains: Sequence[str], probe: Probe, time_limit: float
) -> dict[str, bool | None]:
    answers = await probe_within_right(domains, probe, time_limit)
    return {d: bool(found) for d, found in answers.items()}


@pytest.mark.asyncio
@pytest.mark.parametrize("answer", [probe_within_right, probe_within_with_timeout_block])
async def test_probe_within_passes_model_answers(answer: Any, capsys: pytest.CaptureFixture[str]) -> None:
    await check_probe_within(answer)
    out = capsys.readouterr().out
    assert out.startswith("✔ Exercise 2 passed") and out.count("\n") == 1


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (probe_within_one_deadline, "around each probe"),
        (probe_within_in_turn, "took turns"),
        (probe_within_not_cancelling, "kept running"),
        (probe_within_false_for_late, "late ones None"),
    ],
)
async def test_probe_within_fails_wrong_answers(answer: Any, hint: str) -> None:
    with pytest.raises(ExerciseFailed, match=hint):
        await check_probe_within(answer)
    _cancel_leftovers()


# --- Exercise 3: Delay ------------------------------------------------------------------------------------


class DelayRight:
    def __init__(self, seconds: float, value: Any = None) -> None:
        self.seconds, self.value = seconds, value

    def __await__(self) -> Any:
        return asyncio.sleep(self.seconds, self.value).__await__()


class DelayStub:
    def __init__(self, seconds: float, value: Any = None) -> None:
        self.seconds, self.value = seconds, value

    def __await__(self) -> Any: ...


class DelayBlocking(DelayRight):
    def __await__(self) -> Any:
        time.sleep(self.seconds)  # blocks the whole loop
        return asyncio.sleep(0, self.value).__await__()


class DelayOneShot(DelayRight):
    def __init__(self, seconds: float, value: Any = None) -> None:
        super().__init__(seconds, value)
        self._coro = asyncio.sleep(seconds, value)  # a coroutine can be awaited once only

    def __await__(self) -> Any:
        return self._coro.__await__()


class DelayAsyncAwait(DelayRight):
    async def __await__(self) -> Any:  # type: ignore[override]
        return await asyncio.sleep(self.seconds, self.value)


@pytest.mark.asyncio
async def test_delay_passes_the_model_answer(capsys: pytest.CaptureFixture[str]) -> None:
    await check_delay(DelayRight)
    out = capsys.readouterr().out
    assert out.startswith("✔ Exercise 3 passed") and out.count("\n") == 1


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (DelayStub, "must return an iterator"),
        (DelayBlocking, "took turns"),
        (DelayOneShot, "twice"),
        (DelayAsyncAwait, "plain `def __await__"),
    ],
)
async def test_delay_fails_wrong_answers(answer: Any, hint: str) -> None:
    with pytest.raises(ExerciseFailed, match=hint):
        await check_delay(answer)


@pytest.mark.asyncio
async def test_delay_must_be_a_class() -> None:
    async def delay(seconds: float, value: Any) -> Any:
        return await asyncio.sleep(seconds, value)

    with pytest.raises(ExerciseFailed, match="class"):
        await check_delay(delay)


# --- the fake DNS itself ----------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_fake_dns_records_what_happened() -> None:
    dns = FakeDNS({"a.dev": (0.01, True), "b.dev": (1.0, False)})
    assert await dns.probe("a.dev") == Result("a.dev", True)
    slow = asyncio.create_task(dns.probe("b.dev"))
    await asyncio.sleep(0.01)
    assert dns.running == ["b.dev"]
    slow.cancel()
    with pytest.raises(asyncio.CancelledError):
        await slow
    assert (dns.finished, dns.cancelled, dns.running) == (["a.dev"], ["b.dev"], [])
    assert await dns.probe("unknown.dev") == Result("unknown.dev", False)
