"""Checks for the exercises of ``02_native_coroutines``.

The learner's functions take the probe coroutine function as an argument, so the checks can hand them a
stand-in DNS (:class:`FakeDNS`) whose answer times are known: the checks then compare durations against
those times (ratios with wide margins, never exact numbers) and see which probes were cancelled.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from ..lab.dns_server import Result
from ..timing import Stopwatch
from . import ExerciseFailed, passed, require

__all__ = ["FakeDNS", "check_delay", "check_first_found", "check_probe_within"]

Probe = Callable[[str], Awaitable[Result]]
FirstFound = Callable[[Sequence[str], Probe], Awaitable[Result | None]]
ProbeWithin = Callable[[Sequence[str], Probe, float], Awaitable[Mapping[str, bool | None]]]


class FakeDNS:
    """A stand-in for the DNS server: ``answers[domain] = (seconds, found)``.

    :meth:`probe` sleeps that long, then returns a :class:`~support.lab.dns_server.Result`. The fake notes which
    probes started, finished and were cancelled, so a check can tell whether leftovers were stopped.
    """

    def __init__(self, answers: Mapping[str, tuple[float, bool]]) -> None:
        self.answers = dict(answers)
        self.started: list[str] = []
        self.finished: list[str] = []
        self.cancelled: list[str] = []

    async def probe(self, domain: str) -> Result:
        seconds, found = self.answers.get(domain, (0.0, False))
        self.started.append(domain)
        try:
            await asyncio.sleep(seconds)
        except asyncio.CancelledError:
            self.cancelled.append(domain)
            raise
        self.finished.append(domain)
        return Result(domain, found)

    @property
    def running(self) -> list[str]:
        """Probes that started and have neither finished nor been cancelled."""
        over = set(self.finished) | set(self.cancelled)
        return [domain for domain in self.started if domain not in over]


async def _run(call: Awaitable[Any], exercise: str) -> tuple[Any, float]:
    """Await the learner's coroutine; turn their exceptions into a hint instead of a traceback to decode."""
    require(inspect.isawaitable(call), f"{exercise}: define the function with `async def`.")
    with Stopwatch() as watch:
        try:
            value = await call
        except ExerciseFailed:
            raise
        except Exception as exc:
            raise ExerciseFailed(f"{exercise}: your code raised {type(exc).__name__}: {exc}") from exc
    return value, watch.elapsed


async def _settle() -> None:
    # A cancelled task learns it was cancelled the next time the loop runs it: give it that chance.
    await asyncio.sleep(0.05)


async def check_first_found(first_found: FirstFound) -> None:
    """``first_found(domains, probe)``: probe all at once, return the first Result that resolves, cancel the rest."""
    require(inspect.iscoroutinefunction(first_found), "first_found must be defined with `async def`.")
    # slow.dev resolves but answers last; quick.dev answers first but does not resolve; mid.dev wins.
    answers = {
        "slow.dev": (0.40, True),
        "quick.dev": (0.05, False),
        "mid.dev": (0.12, True),
        "late.dev": (0.60, True),
    }
    dns = FakeDNS(answers)
    result, elapsed = await _run(first_found(list(answers), dns.probe), "first_found")
    await _settle()
    leftovers = dns.running
    require(
        result is not None, "got None, but mid.dev resolves: return the first Result whose .found is true."
    )
    require(isinstance(result, tuple) and hasattr(result, "found"), f"return a Result, not {result!r}.")
    require(
        result.domain != "slow.dev",
        "got slow.dev, the first in the list; mid.dev answered sooner. Probe all names at once and take "
        "the answers as they arrive (asyncio.as_completed).",
    )
    require(
        result == Result("mid.dev", True), f"expected Result(domain='mid.dev', found=True), got {result!r}."
    )
    require(
        set(dns.started) == set(answers),
        f"only {sorted(dns.started)} were probed: start a probe for every domain.",
    )
    require(
        elapsed < 0.35,
        "you returned the right name, but only after slower answers came in: return as soon as a name "
        "resolves, without waiting for the rest.",
    )
    require(
        not leftovers,
        f"{', '.join(sorted(leftovers))} kept running after you returned: make tasks with "
        "asyncio.create_task, then cancel() the ones still running (a try/finally is a good place).",
    )
    nothing = FakeDNS({"a.dev": (0.02, False), "b.dev": (0.04, False)})
    result, _ = await _run(first_found(["a.dev", "b.dev"], nothing.probe), "first_found")
    require(result is None, f"no name resolves, so the answer is None; got {result!r}.")
    result, _ = await _run(first_found([], nothing.probe), "first_found")
    require(result is None, f"first_found([], probe) should return None, got {result!r}.")
    passed("Exercise 1", "mid.dev answered first among names that resolve; the slower probes were cancelled")


async def check_probe_within(probe_within: ProbeWithin) -> None:
    """``probe_within(domains, probe, time_limit)``: all at once; True/False per answer, None when it came too late."""
    require(inspect.iscoroutinefunction(probe_within), "probe_within must be defined with `async def`.")
    answers = {
        "fast.dev": (0.05, True),
        "free.dev": (0.08, False),
        "slow.dev": (0.50, True),
        "slower.dev": (0.60, False),
        "stuck.dev": (3.00, True),
    }
    time_limit = 0.2
    expected = {"fast.dev": True, "free.dev": False, "slow.dev": None, "slower.dev": None, "stuck.dev": None}
    dns = FakeDNS(answers)
    try:
        got, elapsed = await _run(probe_within(list(answers), dns.probe, time_limit), "probe_within")
    except ExerciseFailed as exc:
        if isinstance(exc.__cause__, TimeoutError):
            raise ExerciseFailed(
                "probe_within raised TimeoutError: one slow name must not spoil the others. Put the timeout "
                "around each probe (asyncio.wait_for or asyncio.timeout), and turn a TimeoutError into None."
            ) from None
        raise
    await _settle()
    leftovers = dns.running
    require(got is not None, "probe_within returned None: return a dict {domain: True, False or None}.")
    got = dict(got)
    require(
        list(got) == list(answers),
        f"return one entry per domain, in the order given: expected keys {list(answers)}, got {list(got)}.",
    )
    wrong = {d: got[d] for d in answers if got[d] is not expected[d]}
    require(
        not wrong,
        f"expected {expected}; these differ: {wrong}. Answers in time give True/False, late ones None.",
    )
    require(
        elapsed < 0.45,
        f"the probes took turns: with a {time_limit} s limit each, all together should take about {time_limit} s. "
        "Start them all at once (asyncio.gather).",
    )
    require(
        not leftovers,
        f"{', '.join(sorted(leftovers))} kept running after the timeout: let asyncio.wait_for or "
        "asyncio.timeout cancel them (asyncio.wait does not).",
    )
    empty = await probe_within([], dns.probe, time_limit)
    require(
        empty is not None and dict(empty) == {}, f"probe_within([], ...) should return {{}}, got {empty!r}."
    )
    passed(
        "Exercise 2", "2 answers in time, 3 late ones turned into None and cancelled, all within one timeout"
    )


async def check_delay(delay_class: Callable[[float, Any], Any]) -> None:
    """``await Delay(seconds, value)`` waits ``seconds`` without blocking the loop and returns ``value``."""
    require(inspect.isclass(delay_class), "Delay should be a class (with an __await__ method).")
    require(
        "__await__" in dir(delay_class) and not inspect.iscoroutinefunction(delay_class.__await__),
        "give Delay a plain `def __await__(self)` method (not `async def`) that returns an iterator.",
    )
    one = delay_class(0.1, "tea")
    require(inspect.isawaitable(one), "Delay(...) is not awaitable: it needs an __await__ method.")
    try:
        value, elapsed = await _run(_await(one), "await Delay(0.1, 'tea')")
    except ExerciseFailed as exc:
        if isinstance(exc.__cause__, TypeError):
            raise ExerciseFailed(
                f"{exc}. __await__ must return an iterator: return the one from "
                "asyncio.sleep(self.seconds, self.value).__await__()."
            ) from None
        raise
    require(value == "tea", f"await Delay(0.1, 'tea') should give 'tea', got {value!r}.")
    require(elapsed >= 0.09, "await Delay(0.1, ...) returned at once: it should wait 0.1 s first.")
    try:
        again, _ = await _run(_await(one), "awaiting the same Delay a second time")
    except ExerciseFailed as exc:  # typically "cannot reuse already awaited coroutine"
        again = exc
    require(
        again == "tea",
        "awaiting the same Delay twice should work (a Future can be awaited again; a coroutine cannot): "
        "build a fresh awaitable inside __await__, not in __init__.",
    )
    values, elapsed = await _run(
        asyncio.gather(*(delay_class(0.2, n) for n in range(5))), "gathering five Delay(0.2, n)"
    )
    require(list(values) == list(range(5)), f"gather of Delay(0.2, n) for n in 0..4 gave {values!r}.")
    require(
        elapsed < 0.6,
        "five Delay(0.2) took turns: a blocking wait (time.sleep) stops the loop. Wait the asyncio way.",
    )
    passed("Exercise 3", "Delay is awaitable, reusable, and five of them wait at the same time")


async def _await(awaitable: Any) -> Any:
    return await awaitable
