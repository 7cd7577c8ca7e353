"""Checks for the exercises of ``02_native_coroutines``.

The learner's functions take the slow operation as an argument (``probe`` for a DNS question,
``fingerprint`` for a piece of CPU work), so the checks can hand them stand-ins whose timings they know:
:class:`FakeDNS` answers after a set delay and takes a moment to clean up when cancelled, and
:class:`BusyWork` keeps the CPU busy for a set time per item. The checks compare what they measure with those
known times (ratios with wide margins, never a fixed number of seconds).
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import textwrap
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from ..lab.dns_server import Result
from ..loop_lag import Heartbeat
from ..timing import Stopwatch
from .checking import awaitable, checker, fail, require
from .learner_code import read_code

__all__ = [
    "BusyWork",
    "FakeDNS",
    "check_fingerprint_all",
    "check_first_found",
    "check_probe_within",
]

Probe = Callable[[str], Awaitable[Result]]
FirstFound = Callable[[Sequence[str], Probe], Awaitable[Result | None]]
ProbeWithin = Callable[[Sequence[str], Probe, float], Awaitable[Mapping[str, bool | None]]]
Fingerprint = Callable[[str], str]
FingerprintAll = Callable[[Sequence[str], Fingerprint], Awaitable[Mapping[str, str]]]


class FakeDNS:
    """A stand-in for the DNS server: ``answers[domain] = (seconds, found)``.

    :meth:`probe` sleeps that long, then returns a :class:`~support.lab.dns_server.Result`. A cancelled probe
    takes ``cleanup`` seconds to stop (like closing a socket), so a check can tell code that waits for the
    cancelled probes from code that only asks them to stop. The fake notes which probes started, finished
    and finished cancelling, and keeps each probe's task so the check can stop what the answer left running.
    """

    def __init__(self, answers: Mapping[str, tuple[float, bool]], cleanup: float = 0.05) -> None:
        self.answers = dict(answers)
        self.cleanup = cleanup
        self.started: list[str] = []
        self.finished: list[str] = []
        self.cancelled: list[str] = []
        self.tasks: dict[str, asyncio.Task[Any]] = {}

    async def probe(self, domain: str) -> Result:
        seconds, found = self.answers.get(domain, (0.0, False))
        self.started.append(domain)
        task = asyncio.current_task()
        if task is not None:
            self.tasks[domain] = task
        try:
            await asyncio.sleep(seconds)
        except asyncio.CancelledError:
            try:
                await asyncio.sleep(self.cleanup)  # stopping takes a moment
            finally:
                self.cancelled.append(domain)
            raise
        self.finished.append(domain)
        return Result(domain, found)

    @property
    def running(self) -> list[str]:
        """Probes that started and have neither finished nor stopped after being cancelled."""
        over = set(self.finished) | set(self.cancelled)
        return [domain for domain in self.started if domain not in over]

    def asked_to_stop(self, domain: str) -> bool:
        """True when the task running ``domain``'s probe has been cancelled (it may not have stopped yet)."""
        task = self.tasks.get(domain)
        return task is not None and (task.cancelling() > 0 or task.cancelled())

    async def stop_all(self) -> None:
        """Cancel whatever the answer left running and wait for it, so nothing outlives the check."""
        me = asyncio.current_task()  # a probe awaited directly, without a task of its own, ran in this one
        leftovers = [task for task in self.tasks.values() if not task.done() and task is not me]
        for task in leftovers:
            task.cancel()
        await asyncio.gather(*leftovers, return_exceptions=True)


def _forgot_await(value: object, what: str) -> None:
    if inspect.isawaitable(value):
        if inspect.iscoroutine(value):
            value.close()  # never started: close it quietly
        else:
            asyncio.ensure_future(value).cancel()
        fail(f"{what} returned {type(value).__name__}, something still to await: did you forget `await`?")


@checker("Exercise 1", todo="fill in first_found above, then run this cell")
async def check_first_found(first_found: FirstFound) -> str:
    """``first_found(domains, probe)``: probe all at once, return the first Result that resolves, stop the rest.

    "Stop" means cancelled *and* finished cancelling by the time ``first_found`` returns: the fake probes
    take a moment to clean up, so an answer that only calls ``cancel()`` leaves them still stopping.
    """
    require(inspect.iscoroutinefunction(first_found), "first_found must be defined with `async def`.")
    # slow.dev resolves but answers late; quick.dev answers first but does not resolve; mid.dev wins.
    answers = {
        "slow.dev": (0.40, True),
        "quick.dev": (0.05, False),
        "mid.dev": (0.12, True),
        "late.dev": (0.60, True),
    }
    dns = FakeDNS(answers)
    try:
        call = awaitable(
            first_found(list(answers), dns.probe), "first_found must be defined with `async def`."
        )
        with Stopwatch() as watch:
            result = await call
        leftovers = dns.running  # at the moment first_found returned, before anything else runs
        never_stopped = [domain for domain in leftovers if not dns.asked_to_stop(domain)]
    finally:
        await dns.stop_all()
    require(
        result is not None, "got None, but mid.dev resolves: return the first Result whose .found is true."
    )
    _forgot_await(result, "first_found")
    require(isinstance(result, Result), f"return the probe's Result, not {result!r}.")
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
    winner, next_best = answers["mid.dev"][0], answers["slow.dev"][0]
    require(
        watch.elapsed < (winner + next_best) / 2,
        "you returned the right name, but only after slower answers came in: return as soon as a name "
        "resolves, without waiting for the rest.",
    )
    require(
        not never_stopped,
        f"{', '.join(sorted(never_stopped))} kept running after you returned: make tasks with "
        "asyncio.create_task, then cancel() the ones still running (a try/finally is a good place).",
    )
    require(
        not leftovers,
        f"you cancelled {', '.join(sorted(leftovers))} but returned before they had stopped: after cancel(), "
        "wait for the tasks (await asyncio.gather(*tasks, return_exceptions=True)).",
    )
    nothing = FakeDNS({"a.dev": (0.02, False), "b.dev": (0.04, False)})
    try:
        none_found = await awaitable(
            first_found(["a.dev", "b.dev"], nothing.probe), "first_found must be async."
        )
        no_names = await awaitable(first_found([], nothing.probe), "first_found must be async.")
    finally:
        await nothing.stop_all()
    _forgot_await(none_found, "first_found")
    require(none_found is None, f"no name resolves, so the answer is None; got {none_found!r}.")
    require(no_names is None, f"first_found([], probe) should return None, got {no_names!r}.")
    return "mid.dev answered first among names that resolve; the slower probes were cancelled and had stopped"


@checker("Exercise 2", todo="fill in probe_within above, then run this cell")
async def check_probe_within(probe_within: ProbeWithin) -> str:
    """``probe_within(domains, probe, time_limit)``: all at once; True/False per answer, None when too late."""
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
    dns = FakeDNS(answers, cleanup=0.0)
    try:
        call = awaitable(probe_within(list(answers), dns.probe, time_limit), "probe_within must be async.")
        with Stopwatch() as watch:
            try:
                got = await call
            except TimeoutError:
                fail(
                    "probe_within raised TimeoutError: one slow name must not spoil the others. Put the "
                    "timeout around each probe (asyncio.wait_for or asyncio.timeout), and turn a "
                    "TimeoutError into None."
                )
        leftovers = dns.running
    finally:
        await dns.stop_all()
    require(got is not None, "probe_within returned None: return a dict {domain: True, False or None}.")
    _forgot_await(got, "probe_within")
    require(isinstance(got, Mapping), f"return a dict {{domain: found}}, not {type(got).__name__}.")
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
        watch.elapsed < 2 * time_limit,
        f"the probes took turns: with a {time_limit} s limit each, all together should take about "
        f"{time_limit} s. Start them all at once (asyncio.gather).",
    )
    require(
        not leftovers,
        f"{', '.join(sorted(leftovers))} kept running after the time limit: let asyncio.wait_for or "
        "asyncio.timeout cancel each probe at its limit"
        + (" (asyncio.wait does not)." if read_code(probe_within).calls("asyncio.wait") else "."),
    )
    empty = await awaitable(probe_within([], dns.probe, time_limit), "probe_within must be async.")
    require(
        isinstance(empty, Mapping) and dict(empty) == {},
        f"probe_within([], ...) should return {{}}, got {empty!r}.",
    )
    return "2 answers in time, 3 late ones turned into None and cancelled, all within one time limit"


class BusyWork:
    """A stand-in for CPU-heavy work: each call keeps the CPU busy ``seconds`` long, then returns a digest.

    It spins on the clock instead of computing, so each item costs the same on a fast or a slow machine.
    It counts its calls, so a check can tell whether every item was done exactly once.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.calls = 0

    def __call__(self, name: str) -> str:
        self.calls += 1
        until = time.perf_counter() + self.seconds
        while time.perf_counter() < until:
            pass
        return self.digest(name)

    @staticmethod
    def digest(name: str) -> str:
        return f"#{sum(map(ord, name)):05d}"


class _CountedPauses:
    """Awaits a coroutine on the caller's task and counts how often it handed the loop a turn.

    The heartbeat alone cannot tell "pauses too rarely" from "never pauses": a timer that fell due during a
    long stretch needs two turns of the loop before its task runs (one to fire, one to resume the task), so
    a coroutine that pauses once every 25 items may let no tick through at all. The count of real pauses
    tells the two apart.
    """

    def __init__(self, coroutine: Awaitable[Any]) -> None:
        self.coroutine = coroutine
        self.pauses = 0

    def __await__(self) -> Any:
        steps = self.coroutine.__await__()
        value: Any = None
        error: BaseException | None = None
        while True:
            try:
                yielded = steps.send(value) if error is None else steps.throw(error)
            except StopIteration as stop:
                return stop.value
            self.pauses += 1
            try:
                value, error = (yield yielded), None
            except BaseException as exc:  # cancellation and the like go on into the coroutine
                value, error = None, exc


def _awaits_and_blocking_sleeps(function: Callable[..., Any]) -> tuple[int, bool, bool]:
    """(how many ``await``s, whether it calls ``time.sleep``, whether it calls ``asyncio.sleep`` unawaited).

    Read from the function's source; (-1, False, False) when there is no source to read.
    """
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return -1, False, False
    awaited = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Await)}
    awaits = len(awaited)
    time_sleep = bare_sleep = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "sleep":
            owner = node.func.value
            if isinstance(owner, ast.Name) and owner.id == "time":
                time_sleep = True
            if isinstance(owner, ast.Name) and owner.id == "asyncio" and id(node) not in awaited:
                bare_sleep = True
    return awaits, time_sleep, bare_sleep


@checker("Exercise 3", todo="fill in fingerprint_all above, then run this cell")
async def check_fingerprint_all(fingerprint_all: FingerprintAll) -> str:
    """``fingerprint_all(names, fingerprint)`` computes every fingerprint and lets other tasks run meanwhile.

    A heartbeat ticks every 5 ms while the answer works through 50 names of 8 ms of CPU each. The longest
    stretch without a tick, as a share of the whole job, tells a repaired coroutine (a few items at most)
    from one that holds the loop for the whole job, or for long stretches of it.
    """
    require(
        inspect.iscoroutinefunction(fingerprint_all),
        "fingerprint_all must stay a coroutine function: `async def`.",
    )
    names = [f"name{i:02d}.dev" for i in range(50)]
    work = BusyWork(0.008)
    async with Heartbeat() as heartbeat:
        call = _CountedPauses(
            awaitable(fingerprint_all(names, work), "fingerprint_all must be defined with `async def`.")
        )
        start = time.perf_counter()
        result = await call
        end = time.perf_counter()
    require(result is not None, "fingerprint_all returned None: return the dict {name: fingerprint}.")
    _forgot_await(result, "fingerprint_all")
    require(isinstance(result, Mapping), f"return a dict {{name: fingerprint}}, not {type(result).__name__}.")
    expected = {name: BusyWork.digest(name) for name in names}
    require(
        dict(result) == expected,
        "the dict should map each name to fingerprint(name), for every name given: "
        f"{len(result)} entries came back for {len(names)} names"
        + ("" if set(result) != set(expected) else ", and some values differ"),
    )
    require(
        work.calls == len(names),
        f"fingerprint was called {work.calls} times for {len(names)} names: once per name is enough.",
    )
    stalled = heartbeat.max_lag / (end - start)  # the longest the loop kept everybody else waiting
    awaits, time_sleep, bare_sleep = _awaits_and_blocking_sleeps(fingerprint_all)
    if stalled > 0.25:
        share = "the whole job" if stalled > 0.75 else f"about {round(stalled * 10) * 10} % of the job"
        if time_sleep:
            fail(
                f"the heartbeat stopped for {share}: time.sleep pauses the whole thread, event loop "
                "included. Use `await asyncio.sleep(0)`, which pauses only this coroutine."
            )
        if bare_sleep:
            fail(
                f"the heartbeat stopped for {share}: asyncio.sleep(0) without `await` only makes a "
                "coroutine object and throws it away. Write `await asyncio.sleep(0)`."
            )
        # One pause is the wait for other work (a gather of tasks that never pause); two or more are the
        # answer handing the loop a turn now and then, too rarely.
        if stalled <= 0.75 or 1 < call.pauses < len(names) // 2:
            fail(
                f"other tasks still waited for {share} at a stretch: your code pauses, but too rarely. "
                "Give the loop a turn after every name."
            )
        if awaits > 0:
            fail(
                "the heartbeat stopped for the whole job although your code awaits: an await lets other "
                "tasks run only when it really pauses, and tasks or coroutines that never pause run "
                "straight through. Put `await asyncio.sleep(0)` inside the loop, after each name."
            )
        fail(
            "the heartbeat stopped for the whole job: nothing in fingerprint_all pauses, so the loop "
            "cannot run anything else until it returns. Give the loop a turn after each name: "
            "`await asyncio.sleep(0)`."
        )
    empty = await awaitable(fingerprint_all([], work), "fingerprint_all must be defined with `async def`.")
    require(
        isinstance(empty, Mapping) and dict(empty) == {},
        f"fingerprint_all([], ...) should return {{}}, got {empty!r}.",
    )
    return f"{len(names)} fingerprints right, and the heartbeat kept ticking while they were computed"
