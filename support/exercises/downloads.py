"""Checks for the exercises of ``03_concurrent_downloads``.

The learner's code talks to an ``httpx.AsyncClient`` whose transport is a stand-in flag site
(:class:`FakeFlagSite`, an ``httpx.MockTransport``): it answers in milliseconds, knows which codes are missing,
which fail with HTTP 418 and which time out, and counts the requests it holds at once. No server and no
network are needed, and no timing is printed, so each verdict line is the same on every run.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any

import httpx

from ..examples.flags_common import Outcome, Status, flag_url
from ..timing import Stopwatch
from .checking import checker, fail, no_leftovers, require
from .learner_code import read_code

__all__ = [
    "BASE_URL",
    "FakeFlagSite",
    "check_fetch_outcome",
    "check_fetch_with_retries",
    "check_status_codes",
]

BASE_URL = "http://flags.test/flags"  # never resolved: the fake transport answers every request itself
GIF = b"GIF89a" + bytes(range(32))  # enough bytes to tell a flag from an error page

Answer = int | str  # a status code, or "timeout"


class FakeFlagSite:
    """A stand-in flag site for ``httpx.AsyncClient(transport=site.transport())``.

    ``answers`` maps an upper-case country code to what its successive requests get: ``200``, ``404``,
    ``418`` or ``"timeout"`` (``httpx.ReadTimeout`` raised). The last entry repeats; codes not in the map get
    ``200``. Each answer takes ``pause`` seconds (``slow_pause`` for the codes in ``slow``), during which the
    request counts as in flight: ``peak`` is the most requests held at once, ``slow_peak`` the most slow
    ones.
    """

    def __init__(
        self,
        answers: Mapping[str, Sequence[Answer]] | None = None,
        pause: float = 0.02,
        slow: Iterable[str] = (),
        slow_pause: float = 0.3,
    ) -> None:
        self.answers = {cc.upper(): list(plan) for cc, plan in (answers or {}).items()}
        self.pause, self.slow, self.slow_pause = pause, {cc.upper() for cc in slow}, slow_pause
        self.requests: Counter[str] = Counter()
        self.in_flight = self.peak = self.slow_in_flight = self.slow_peak = 0

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._handle)

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self.transport(), timeout=1.0)

    async def _handle(self, request: httpx.Request) -> httpx.Response:
        cc = request.url.path.rstrip("/").split("/")[-2].upper()  # /flags/<cc>/<cc>.gif
        plan = self.answers.get(cc, [200])
        answer = plan[min(self.requests[cc], len(plan) - 1)]
        self.requests[cc] += 1
        slow = cc in self.slow
        self.in_flight += 1
        self.slow_in_flight += slow
        self.peak = max(self.peak, self.in_flight)
        self.slow_peak = max(self.slow_peak, self.slow_in_flight)
        try:
            await asyncio.sleep(self.slow_pause if slow else self.pause)
        finally:
            self.in_flight -= 1
            self.slow_in_flight -= slow
        if answer == "timeout":
            raise httpx.ReadTimeout("the fake site did not answer in time", request=request)
        if answer == 200:
            return httpx.Response(200, content=GIF, headers={"content-type": "image/gif"})
        return httpx.Response(int(answer), content=b"no flag here\n")


# --- guards every checker uses ------------------------------------------------------------------------------


def _require_coroutine_function(function: Callable[..., Any], name: str, parameters: str) -> None:
    """Stop with a hint unless ``function`` is an ``async def`` that takes the parameters the prompt names."""
    require(inspect.iscoroutinefunction(function), f"{name} must be defined with `async def`.")
    count = parameters.count(",") + 1
    try:
        inspect.signature(function).bind(*range(count))
    except TypeError:
        fail(f"{name} must take {count} arguments: {name}({parameters}).")


def _discard(value: object) -> None:
    """Close a coroutine (or cancel a future) nobody will await, so Python does not warn about it later."""
    if inspect.iscoroutine(value):
        value.close()
    elif inspect.isawaitable(value):
        asyncio.ensure_future(value).cancel()


def _require_value(value: object, name: str) -> None:
    """Stop with a hint when ``name`` returned None or something still to await (a forgotten ``await``)."""
    require(value is not None, f"{name} returned None: did you forget the `return`?")
    if inspect.isawaitable(value):
        _discard(value)
        fail(f"{name} returned {type(value).__name__}, something still to await: did you forget `await`?")


# --- Exercise 1 ---------------------------------------------------------------------------------------------

FetchOutcome = Callable[[httpx.AsyncClient, str, str, asyncio.Semaphore], Awaitable[Outcome]]
_OUTCOMES = {
    "BR": Status.OK,
    "CN": Status.OK,
    "DE": Status.OK,
    "IN": Status.OK,
    "JP": Status.OK,
    "NG": Status.OK,
    "US": Status.OK,
    "QQ": Status.NOT_FOUND,
    "XX": Status.NOT_FOUND,
    "EG": Status.ERROR,
    "PK": Status.ERROR,
    "RU": Status.TIMEOUT,
}
_FAILURES: dict[str, list[Answer]] = {"QQ": [404], "XX": [404], "EG": [418], "PK": [418], "RU": ["timeout"]}


@checker("Exercise 1", todo="fill in fetch_outcome above, then run this cell")
async def check_fetch_outcome(fetch_outcome: FetchOutcome) -> str:
    """``fetch_outcome(client, cc, base_url, semaphore)``: one flag's :class:`Outcome`, within the semaphore."""
    _require_coroutine_function(fetch_outcome, "fetch_outcome", "client, cc, base_url, semaphore")
    site, semaphore = FakeFlagSite(_FAILURES), asyncio.Semaphore(3)
    async with site.client() as client, no_leftovers():
        try:
            outcomes = await asyncio.gather(
                *(fetch_outcome(client, cc, BASE_URL, semaphore) for cc in _OUTCOMES)
            )
        except httpx.HTTPError as exc:
            fail(
                f"fetch_outcome let {type(exc).__name__} out of the function: catch httpx.HTTPError and return "
                "the failure as an Outcome (flags_common.failed(cc, exc) makes one)."
            )
    for outcome in outcomes:
        _discard(outcome)
    for cc, outcome in zip(_OUTCOMES, outcomes, strict=True):
        _require_value(outcome, "fetch_outcome")
        require(isinstance(outcome, Outcome), f"return an Outcome for each flag, not {outcome!r:.60}.")
        require(outcome.cc == cc, f"the Outcome for {cc} says cc={outcome.cc!r}: pass the code through.")
        wrong_ok = " (a 404 or 418 answer is no flag: call response.raise_for_status())"
        require(
            outcome.status == _OUTCOMES[cc],
            f"{cc} should be {_OUTCOMES[cc]!s}, your Outcome says {outcome.status!s}"
            + (wrong_ok if outcome.status == Status.OK else "."),
        )
    require(
        site.requests == Counter(dict.fromkeys(_OUTCOMES, 1)),
        f"each flag should be requested once; the site saw {dict(site.requests)}.",
    )
    require(
        site.peak <= 3,
        f"the site held {site.peak} requests at once, but the semaphore allows 3: make the request inside "
        "`async with semaphore:`.",
    )
    require(
        site.peak == 3, f"only {site.peak} request(s) at a time: hold the semaphore for the request only."
    )
    return "7 OK, 2 not found, 2 errors, 1 timeout, never more than 3 requests at once"


# --- Exercise 2 ---------------------------------------------------------------------------------------------

StatusCodes = Callable[[httpx.AsyncClient, list[str], int], Awaitable[dict[str, int]]]
_LIMIT = 4
_CODES = ["AR", "BR", "CA", "DE", "EG", "FR", "GH", "IN", "JP", "KE", "MX", "NG"]
_SLOW = ["AR", "EG", "JP"]  # one in each batch of four: batches would wait for them one after another
_ANSWERS: dict[str, list[Answer]] = {"CA": [404], "GH": [418], "KE": [404]}


def _only_status_errors(exc: BaseException) -> bool:
    if isinstance(exc, BaseExceptionGroup):
        return all(_only_status_errors(e) for e in exc.exceptions)
    return isinstance(exc, httpx.HTTPStatusError)


@checker("Exercise 2", todo="fill in status_codes above, then run this cell")
async def check_status_codes(status_codes: StatusCodes) -> str:
    """``status_codes(client, urls, limit)``: every URL's status code, at most ``limit`` requests at once.

    The fake site counts the requests it holds: the peak must be exactly ``limit``, and every request done
    when the function returns. Three slow answers, one in each group of ``limit``, tell a semaphore (the
    slow ones overlap) from batches of ``limit`` (each batch waits for its slow one).
    """
    _require_coroutine_function(status_codes, "status_codes", "client, urls, limit")
    urls = [flag_url(BASE_URL, cc) for cc in _CODES]
    expected = {url: _ANSWERS.get(cc, [200])[0] for url, cc in zip(urls, _CODES, strict=True)}
    site = FakeFlagSite(_ANSWERS, slow=_SLOW)
    async with site.client() as client, no_leftovers():
        try:
            result = await status_codes(client, list(urls), _LIMIT)
        except (httpx.HTTPStatusError, BaseExceptionGroup) as exc:
            if not _only_status_errors(exc):
                raise
            fail("a 404 or a 418 is an answer too: record response.status_code, don't raise_for_status().")
        unfinished = site.in_flight + sum(not site.requests[cc] for cc in _CODES)
    require(
        not unfinished,
        f"status_codes returned while {unfinished} of {len(urls)} requests were unfinished: wait for every "
        "task before returning (a TaskGroup's `async with` block does).",
    )
    _require_value(result, "status_codes")
    require(isinstance(result, dict), f"return a dict {{url: status code}}, not {type(result).__name__}.")
    require(
        site.peak <= _LIMIT,
        f"the site had {site.peak} requests in flight at once, but the limit was {_LIMIT}: create one "
        "asyncio.Semaphore(limit) for all the tasks, and make each request inside `async with semaphore:`.",
    )
    require(
        site.peak > 1,
        "the requests went one at a time: start one task per URL (in a TaskGroup), and let the semaphore "
        "hold back all but `limit` of them.",
    )
    require(
        site.peak == _LIMIT, f"at most {site.peak} requests were in flight, but the limit allows {_LIMIT}."
    )
    require(
        site.slow_peak == len(_SLOW),
        f"the requests went in batches of {_LIMIT}: each batch waited for its slowest request while the other "
        "slots stayed empty. With a semaphore, the next request starts as soon as any one finishes.",
    )
    require(
        site.requests == Counter(dict.fromkeys(_CODES, 1)),
        f"each URL should be requested once; the site saw {dict(site.requests)}.",
    )
    wrong = next((url for url in urls if result.get(url) != expected[url]), None)
    require(
        wrong is None,
        f"for {wrong} the site answered {expected.get(wrong or '')}, your dict says "
        f"{result.get(wrong or '')!r:.60}: store response.status_code under its URL.",
    )
    require(len(result) == len(urls), f"return one entry per URL, {len(urls)} in all, not {len(result)}.")
    return f"{len(urls)} status codes, exactly {_LIMIT} requests in flight at the peak, all finished"


# --- Exercise 3 ---------------------------------------------------------------------------------------------

FetchWithRetries = Callable[[httpx.AsyncClient, str, int, float], Awaitable[bytes]]
_PAUSE = 0.1  # between attempts: long enough that a blocked event loop shows, short enough for class
_RETRY_PLANS: dict[str, list[Answer]] = {
    "CN": [200],
    "IN": [418, 200],
    "US": ["timeout", 418, 200],
    "ID": [418, 418, 418, 200],
    "XX": [404, 200],
}


async def _fetch(fetch: FetchWithRetries, client: httpx.AsyncClient, cc: str) -> object:
    """What ``fetch`` gave for ``cc`` with 3 attempts: the body, or the HTTP error it raised."""
    try:
        return await fetch(client, flag_url(BASE_URL, cc), 3, _PAUSE)
    except httpx.HTTPError as exc:
        return exc


async def _with_heartbeat(call: Awaitable[object]) -> tuple[object, float]:
    """Await ``call`` while a task ticks every 5 ms; also return the longest the loop went without a tick."""
    last, longest = [time.perf_counter()], [0.0]

    async def beat() -> None:
        while True:
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            longest[0], last[0] = max(longest[0], now - last[0]), now

    beater = asyncio.create_task(beat())
    try:
        result = await call
    finally:
        beater.cancel()
    return result, max(longest[0], time.perf_counter() - last[0])


def _require_body(body: object, cc: str, failures: str) -> None:
    if isinstance(body, httpx.HTTPError):
        fail(f"{cc} fails {failures}, then answers: catch the error and try again while attempts are left.")
    _require_value(body, "fetch_with_retries")
    require(body == GIF, f"{cc}: return the image bytes (response.content), not {body!r:.60}.")


@checker("Exercise 3", todo="fill in fetch_with_retries above, then run this cell")
async def check_fetch_with_retries(fetch_with_retries: FetchWithRetries) -> str:
    """``fetch_with_retries(client, url, attempts, pause)``: retry errors and timeouts after a pause; not a 404."""
    _require_coroutine_function(fetch_with_retries, "fetch_with_retries", "client, url, attempts, pause")
    site = FakeFlagSite(_RETRY_PLANS, pause=0.005)
    async with site.client() as client:
        _require_body(await _fetch(fetch_with_retries, client, "CN"), "CN", "never")
        _require_body(await _fetch(fetch_with_retries, client, "IN"), "IN", "once (HTTP 418)")
        with Stopwatch() as watch:
            body, stall = await _with_heartbeat(_fetch(fetch_with_retries, client, "US"))
        _require_body(body, "US", "twice (a timeout, then HTTP 418)")
        gave_up = await _fetch(fetch_with_retries, client, "ID")
        not_found = await _fetch(fetch_with_retries, client, "XX")
    require(
        site.requests["IN"] == 2 and site.requests["US"] == 3,
        f"IN needs 2 requests and US 3; the site saw {site.requests['IN']} and {site.requests['US']}.",
    )
    require(
        stall < 0.6 * _PAUSE,
        "while your code waited between attempts, the event loop stood still"
        + (
            ": time.sleep() blocks every task; `await asyncio.sleep(pause)` lets them run."
            if read_code(fetch_with_retries).calls("time.sleep")
            else ", and every other task with it: wait with `await asyncio.sleep(pause)`."
        ),
    )
    require(
        watch.elapsed >= 0.9 * 2 * _PAUSE,
        "wait `pause` seconds before each new attempt (await asyncio.sleep(pause)): asking a failing "
        "server again at once only adds to its load.",
    )
    require(site.requests["ID"] <= 3, f"attempts=3 means 3 requests at most; ID got {site.requests['ID']}.")
    require(
        isinstance(gave_up, httpx.HTTPStatusError) and gave_up.response.status_code == 418,
        f"ID fails every time: after the last attempt, raise its error (got {gave_up!r:.60}).",
    )
    require(
        isinstance(not_found, httpx.HTTPStatusError)
        and not_found.response.status_code == 404
        and site.requests["XX"] == 1,
        "a 404 will not change on a second try: raise it at once (exc.response.status_code == 404).",
    )
    return "errors and timeouts retried after a pause that lets other tasks run; a 404 reported at once"
