"""Checks for the exercises of ``03_concurrent_downloads``.

The learner's download code talks to an ``httpx.AsyncClient`` whose transport is a stand-in flag site
(:class:`FakeFlagSite`, an ``httpx.MockTransport``): it answers in a few milliseconds, knows which codes are
missing, which fail with HTTP 418 and which time out, and counts how many requests it held at once. No server
and no network are needed, and no timing is printed, so the output is the same every run.
"""

from __future__ import annotations

import asyncio
import inspect
import tempfile
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx

from ..examples.flags_common import Outcome, Status
from . import ExerciseFailed, passed, require

__all__ = [
    "BASE_URL",
    "FakeFlagSite",
    "check_fetch_outcome",
    "check_fetch_with_retries",
    "check_save_streamed",
]

BASE_URL = "http://flags.test/flags"  # never resolved: the fake transport answers every request itself
GIF = b"GIF89a" + bytes(range(32))  # enough bytes to tell a flag from an error page

FetchOutcome = Callable[[httpx.AsyncClient, str, str, asyncio.Semaphore], Awaitable[Outcome]]
SaveStreamed = Callable[[Iterable[bytes], Path, str], Any]
FetchWithRetries = Callable[[httpx.AsyncClient, str, int], Awaitable[bytes]]


class FakeFlagSite:
    """A stand-in flag site for an ``httpx.AsyncClient(transport=site.transport())``.

    ``answers`` maps an upper-case country code to a list of what its successive requests get: ``200``,
    ``404``, ``418`` or ``"timeout"`` (``httpx.ReadTimeout`` raised). The last entry repeats; codes not in
    the map get ``200``. Each answer takes ``pause`` seconds, during which the request counts as in flight.
    """

    def __init__(self, answers: Mapping[str, list[int | str]] | None = None, pause: float = 0.02) -> None:
        self.answers = {cc.upper(): list(plan) for cc, plan in (answers or {}).items()}
        self.pause = pause
        self.requests: Counter[str] = Counter()
        self.in_flight = 0
        self.peak = 0

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._handle)

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self.transport(), timeout=1.0)

    async def _handle(self, request: httpx.Request) -> httpx.Response:
        cc = request.url.path.rstrip("/").split("/")[-2].upper()  # /flags/<cc>/<cc>.gif
        plan = self.answers.get(cc, [200])
        answer = plan[min(self.requests[cc], len(plan) - 1)]
        self.requests[cc] += 1
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(self.pause)
        finally:
            self.in_flight -= 1
        if answer == "timeout":
            raise httpx.ReadTimeout("the fake site did not answer in time", request=request)
        if answer == 200:
            return httpx.Response(200, content=GIF, headers={"content-type": "image/gif"})
        return httpx.Response(int(answer), content=b"no flag here\n")


# --- Exercise 1 ---------------------------------------------------------------------------------------------


async def check_fetch_outcome(fetch_outcome: FetchOutcome) -> None:
    """``fetch_outcome(client, cc, base_url, semaphore)``: one flag's :class:`Outcome`, within the semaphore."""
    require(inspect.iscoroutinefunction(fetch_outcome), "fetch_outcome must be defined with `async def`.")
    expected = {
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
    plans: dict[str, list[int | str]] = {
        "QQ": [404],
        "XX": [404],
        "EG": [418],
        "PK": [418],
        "RU": ["timeout"],
    }
    site = FakeFlagSite(plans)
    semaphore = asyncio.Semaphore(3)
    async with site.client() as client:
        calls = [fetch_outcome(client, cc, BASE_URL, semaphore) for cc in expected]
        for call in calls:
            if not inspect.isawaitable(call):
                raise ExerciseFailed("fetch_outcome: define the function with `async def`.")
        try:
            outcomes = await asyncio.gather(*calls)
        except Exception as exc:
            raise ExerciseFailed(
                f"fetch_outcome raised {type(exc).__name__}: {exc}. Catch httpx.HTTPError inside the function "
                "and return the failure as an Outcome (flags_common.failed does that), so one bad flag cannot "
                "stop the others."
            ) from exc
    for cc, outcome in zip(expected, outcomes, strict=True):
        require(isinstance(outcome, Outcome), f"return an Outcome for each flag, not {outcome!r}.")
        require(outcome.cc == cc, f"the Outcome for {cc} says cc={outcome.cc!r}: pass the code through.")
        require(
            outcome.status == expected[cc],
            f"{cc} should be {expected[cc].value!r}, your Outcome says {outcome.status!r}"
            + (" (did you call response.raise_for_status()?)" if outcome.status == Status.OK else "."),
        )
    require(
        site.requests == Counter(dict.fromkeys(expected, 1)),
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
    passed("Exercise 1", "7 OK, 2 not found, 2 errors, 1 timeout, never more than 3 requests at once")


# --- Exercise 2 ---------------------------------------------------------------------------------------------


def _broken_download(chunks: int) -> Iterator[bytes]:
    """A body that delivers ``chunks`` pieces and then loses its connection."""
    for _ in range(chunks):
        yield b"GIF89a partial "
    raise ConnectionError("the connection dropped mid-download")


def _leftovers(folder: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


def check_save_streamed(save_streamed: SaveStreamed) -> None:
    """``save_streamed(chunks, dest, filename)``: the whole file or none, never a half-written one."""
    require(callable(save_streamed), "save_streamed must be a function.")
    require(
        not inspect.iscoroutinefunction(save_streamed),
        "save_streamed is plain blocking code (def, not async def): lessons run it with asyncio.to_thread.",
    )
    with tempfile.TemporaryDirectory(prefix="ex03-") as tmp:
        dest = Path(tmp) / "flags"
        pieces = [b"GIF89a", b" first half", b" second half"]
        try:
            returned = save_streamed(iter(pieces), dest, "br.gif")
        except Exception as exc:
            raise ExerciseFailed(
                f"saving a complete download raised {type(exc).__name__}: {exc} "
                "(create the folder first: dest.mkdir(parents=True, exist_ok=True))."
            ) from exc
        target = dest / "br.gif"
        require(target.is_file(), "after a complete download, dest/filename must exist.")
        require(target.read_bytes() == b"".join(pieces), "the saved file must hold every chunk, in order.")
        require(returned == target, f"return the saved file's path (dest / filename), not {returned!r}.")
        require(
            not _leftovers(dest, {"br.gif"}),
            f"after saving, the folder should hold only br.gif, not also {_leftovers(dest, {'br.gif'})}.",
        )

        try:
            save_streamed(_broken_download(2), dest, "br.gif")
        except ConnectionError:
            pass
        else:
            raise ExerciseFailed("when the download fails, let its exception propagate to the caller.")
        require(
            target.read_bytes() == b"".join(pieces),
            "a failed download overwrote the good br.gif from before: write to a temporary file in the same "
            "folder and os.replace() it over the target only once every chunk is written.",
        )
        require(
            not _leftovers(dest, {"br.gif"}),
            f"a failed download left {_leftovers(dest, {'br.gif'})} behind: delete the temporary file when "
            "writing fails (try/except BaseException, unlink, raise).",
        )

        try:
            save_streamed(_broken_download(1), dest, "cn.gif")
        except ConnectionError:
            pass
        require(
            not (dest / "cn.gif").exists(),
            "a failed first download left a half-written cn.gif: readers must never see a partial file.",
        )
        require(not _leftovers(dest, {"br.gif"}), "a failed download left a temporary file behind.")
    passed(
        "Exercise 2", "complete downloads are saved whole; a dropped one leaves the old file and no debris"
    )


# --- Exercise 3 ---------------------------------------------------------------------------------------------


async def check_fetch_with_retries(fetch_with_retries: FetchWithRetries) -> None:
    """``fetch_with_retries(client, url, attempts)``: retry errors and timeouts, never a 404."""
    require(
        inspect.iscoroutinefunction(fetch_with_retries),
        "fetch_with_retries must be defined with `async def`.",
    )
    site = FakeFlagSite(
        {
            "CN": [200],
            "IN": [418, 200],
            "US": ["timeout", 418, 200],
            "ID": [418, 418, 418, 200],
            "XX": [404, 200],
        },
        pause=0.005,
    )

    def url(cc: str) -> str:
        return f"{BASE_URL}/{cc.lower()}/{cc.lower()}.gif"

    async with site.client() as client:
        for cc in ("CN", "IN", "US"):
            try:
                body = await fetch_with_retries(client, url(cc), 3)
            except httpx.HTTPError as exc:
                raise ExerciseFailed(
                    f"{cc} failed with {type(exc).__name__} on an attempt before the last: catch HTTP errors "
                    "(except 404) and timeouts, and try again while attempts are left."
                ) from exc
            except Exception as exc:
                raise ExerciseFailed(f"fetch_with_retries raised {type(exc).__name__}: {exc}") from exc
            require(body == GIF, f"{cc}: return the image bytes (response.content), not {body!r:.60}.")
        require(
            site.requests["IN"] == 2 and site.requests["US"] == 3,
            "IN fails once and US twice before answering: retry after an HTTP error or a timeout "
            f"(the site saw IN {site.requests['IN']}, US {site.requests['US']} time(s)).",
        )
        try:
            await fetch_with_retries(client, url("ID"), 3)
        except httpx.HTTPStatusError as exc:
            require(exc.response.status_code == 418, "after the last attempt, raise its error.")
        except Exception as exc:
            raise ExerciseFailed(
                f"after 3 failed attempts, raise the last HTTPStatusError, not {type(exc).__name__}."
            ) from exc
        else:
            raise ExerciseFailed("ID fails 3 times: with attempts=3, give up and raise the last error.")
        require(site.requests["ID"] == 3, f"attempts=3 means 3 requests; ID got {site.requests['ID']}.")
        try:
            await fetch_with_retries(client, url("XX"), 3)
        except httpx.HTTPStatusError as exc:
            require(exc.response.status_code == 404, "XX: raise the 404 itself.")
        except Exception as exc:
            raise ExerciseFailed(f"XX: raise the 404's HTTPStatusError, not {type(exc).__name__}.") from exc
        else:
            require(
                site.requests["XX"] == 1,
                "XX answered 404, then your code asked again: a 404 will not change on a second try.",
            )
            raise ExerciseFailed("XX does not exist: a 404 must raise, not return a page.")
        require(
            site.requests["XX"] == 1,
            "a 404 will not change on a second try: raise it at once instead of asking again.",
        )
    passed("Exercise 3", "errors and timeouts are retried up to the limit; a 404 is reported at once")
