"""Answers to the exercises of lesson 03: ``fetch_outcome``, ``status_codes``, ``fetch_with_retries``."""

from __future__ import annotations

import asyncio
import time

import httpx

from support.examples.flags_common import Outcome, Status, failed, flag_url
from support.exercises.downloads import check_fetch_outcome, check_fetch_with_retries, check_status_codes

from . import Cases, Wrong

# --- Exercise 1: fetch_outcome ------------------------------------------------------------------------------


async def fetch_outcome(
    client: httpx.AsyncClient, cc: str, base_url: str, semaphore: asyncio.Semaphore
) -> Outcome:
    try:
        async with semaphore:
            response = await client.get(flag_url(base_url, cc))
        response.raise_for_status()
    except httpx.HTTPError as exc:
        return failed(cc, exc)
    return Outcome(cc, Status.OK)


async def fetch_outcome_stub(
    client: httpx.AsyncClient, cc: str, base_url: str, semaphore: asyncio.Semaphore
) -> Outcome:
    # Your code here: the request inside `async with semaphore:`, failures returned as an Outcome.
    ...


async def outcome_without_semaphore(
    client: httpx.AsyncClient, cc: str, base_url: str, semaphore: asyncio.Semaphore
) -> Outcome:
    try:
        response = await client.get(flag_url(base_url, cc))
        response.raise_for_status()
    except httpx.HTTPError as exc:
        return failed(cc, exc)
    return Outcome(cc, Status.OK)


async def outcome_lets_errors_out(
    client: httpx.AsyncClient, cc: str, base_url: str, semaphore: asyncio.Semaphore
) -> Outcome:
    async with semaphore:
        response = await client.get(flag_url(base_url, cc))
    response.raise_for_status()
    return Outcome(cc, Status.OK)


async def outcome_without_status_check(
    client: httpx.AsyncClient, cc: str, base_url: str, semaphore: asyncio.Semaphore
) -> Outcome:
    try:
        async with semaphore:
            await client.get(flag_url(base_url, cc))
    except httpx.HTTPError as exc:
        return failed(cc, exc)
    return Outcome(cc, Status.OK)


async def outcome_missing_import(
    client: httpx.AsyncClient, cc: str, base_url: str, semaphore: asyncio.Semaphore
) -> Outcome:
    try:
        async with semaphore:
            response = await client.get(flag_url(base_url, cc))
        response.raise_for_status()
    except httpx.HTTPError as exc:
        return failed(cc, exc)
    return Outcome(cc, Statuss.OK)  # type: ignore[name-defined]  # noqa: F821


async def outcome_forgets_await(
    client: httpx.AsyncClient, cc: str, base_url: str, semaphore: asyncio.Semaphore
) -> Outcome:
    return fetch_outcome(client, cc, base_url, semaphore)  # type: ignore[return-value]


def outcome_not_async(
    client: httpx.AsyncClient, cc: str, base_url: str, semaphore: asyncio.Semaphore
) -> Outcome:
    return Outcome(cc, Status.OK)


# --- Exercise 2: status_codes -------------------------------------------------------------------------------


async def status_codes(client: httpx.AsyncClient, urls: list[str], limit: int) -> dict[str, int]:
    semaphore = asyncio.Semaphore(limit)

    async def status(url: str) -> int:
        async with semaphore:
            response = await client.get(url)
        return response.status_code

    async with asyncio.TaskGroup() as group:
        tasks = {url: group.create_task(status(url)) for url in urls}
    return {url: task.result() for url, task in tasks.items()}


async def status_codes_stub(client: httpx.AsyncClient, urls: list[str], limit: int) -> dict[str, int]:
    # Your code here: one semaphore, one task per URL in a TaskGroup, then the dict.
    ...


async def codes_unbounded(client: httpx.AsyncClient, urls: list[str], limit: int) -> dict[str, int]:
    responses = await asyncio.gather(*(client.get(url) for url in urls))
    return {url: response.status_code for url, response in zip(urls, responses, strict=True)}


async def codes_semaphore_per_task(client: httpx.AsyncClient, urls: list[str], limit: int) -> dict[str, int]:
    async def status(url: str) -> int:
        async with asyncio.Semaphore(limit):  # a new semaphore each time: it never makes anyone wait
            response = await client.get(url)
        return response.status_code

    async with asyncio.TaskGroup() as group:
        tasks = {url: group.create_task(status(url)) for url in urls}
    return {url: task.result() for url, task in tasks.items()}


async def codes_one_at_a_time(client: httpx.AsyncClient, urls: list[str], limit: int) -> dict[str, int]:
    semaphore = asyncio.Semaphore(limit)
    codes = {}
    for url in urls:
        async with semaphore:
            codes[url] = (await client.get(url)).status_code
    return codes


async def codes_in_batches(client: httpx.AsyncClient, urls: list[str], limit: int) -> dict[str, int]:
    codes = {}
    for start in range(0, len(urls), limit):
        batch = urls[start : start + limit]
        responses = await asyncio.gather(*(client.get(url) for url in batch))
        codes.update((url, r.status_code) for url, r in zip(batch, responses, strict=True))
    return codes


async def codes_raise_for_status(client: httpx.AsyncClient, urls: list[str], limit: int) -> dict[str, int]:
    semaphore = asyncio.Semaphore(limit)

    async def status(url: str) -> int:
        async with semaphore:
            response = await client.get(url)
        response.raise_for_status()
        return response.status_code

    async with asyncio.TaskGroup() as group:
        tasks = {url: group.create_task(status(url)) for url in urls}
    return {url: task.result() for url, task in tasks.items()}


async def codes_without_waiting(client: httpx.AsyncClient, urls: list[str], limit: int) -> dict[str, int]:
    semaphore = asyncio.Semaphore(limit)
    codes: dict[str, int] = {}

    async def status(url: str) -> None:
        async with semaphore:
            codes[url] = (await client.get(url)).status_code

    for url in urls:
        asyncio.create_task(status(url))  # the mistake: nobody waits for these tasks
    return codes


async def codes_limit_minus_one(client: httpx.AsyncClient, urls: list[str], limit: int) -> dict[str, int]:
    return await status_codes(client, urls, limit - 1)


async def codes_as_a_list(client: httpx.AsyncClient, urls: list[str], limit: int) -> list[int]:
    return list((await status_codes(client, urls, limit)).values())


async def codes_store_responses(client: httpx.AsyncClient, urls: list[str], limit: int) -> dict:
    semaphore = asyncio.Semaphore(limit)

    async def response(url: str) -> httpx.Response:
        async with semaphore:
            return await client.get(url)

    async with asyncio.TaskGroup() as group:
        tasks = {url: group.create_task(response(url)) for url in urls}
    return {url: task.result() for url, task in tasks.items()}


async def codes_missing_import(client: httpx.AsyncClient, urls: list[str], limit: int) -> dict[str, int]:
    semaphore = asyncio.Semaphore(limit)

    async def status(url: str) -> int:
        async with semaphore:
            response = await client.get(url)
        return response.status_code

    async with TaskGroup() as group:  # type: ignore[name-defined]  # noqa: F821  (never imported)
        tasks = {url: group.create_task(status(url)) for url in urls}
    return {url: task.result() for url, task in tasks.items()}


# --- Exercise 3: fetch_with_retries -------------------------------------------------------------------------


async def fetch_with_retries(client: httpx.AsyncClient, url: str, attempts: int, pause: float) -> bytes:
    for attempt in range(1, attempts + 1):
        try:
            response = await client.get(url)
            response.raise_for_status()
            return response.content
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code == 404 or attempt == attempts:
                raise
        except httpx.TimeoutException:
            if attempt == attempts:
                raise
        await asyncio.sleep(pause)
    raise ValueError(f"attempts must be 1 or more, not {attempts}")


async def fetch_with_retries_stub(client: httpx.AsyncClient, url: str, attempts: int, pause: float) -> bytes:
    # Your code here: a loop of at most `attempts` requests, with a pause between them.
    ...


async def retries_never(client: httpx.AsyncClient, url: str, attempts: int, pause: float) -> bytes:
    response = await client.get(url)
    response.raise_for_status()
    return response.content


async def retries_404_too(client: httpx.AsyncClient, url: str, attempts: int, pause: float) -> bytes:
    for attempt in range(1, attempts + 1):
        try:
            response = await client.get(url)
            response.raise_for_status()
            return response.content
        except httpx.HTTPError:
            if attempt == attempts:
                raise
        await asyncio.sleep(pause)
    raise ValueError(attempts)


async def retries_one_too_many(client: httpx.AsyncClient, url: str, attempts: int, pause: float) -> bytes:
    return await fetch_with_retries(client, url, attempts + 1, pause)


async def retries_blocking_sleep(client: httpx.AsyncClient, url: str, attempts: int, pause: float) -> bytes:
    for attempt in range(1, attempts + 1):
        try:
            response = await client.get(url)
            response.raise_for_status()
            return response.content
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code == 404 or attempt == attempts:
                raise
        except httpx.TimeoutException:
            if attempt == attempts:
                raise
        time.sleep(pause)  # noqa: ASYNC251  (the mistake this answer is here to show)
    raise ValueError(attempts)


async def retries_without_pause(client: httpx.AsyncClient, url: str, attempts: int, pause: float) -> bytes:
    return await fetch_with_retries(client, url, attempts, 0)


async def retries_swallow_the_last_error(
    client: httpx.AsyncClient, url: str, attempts: int, pause: float
) -> bytes | None:
    try:
        return await fetch_with_retries(client, url, attempts, pause)
    except httpx.HTTPStatusError as exc:
        if exc.response.status_code == 404:
            raise
        return None


async def retries_forget_timeouts(client: httpx.AsyncClient, url: str, attempts: int, pause: float) -> bytes:
    for attempt in range(1, attempts + 1):
        try:
            response = await client.get(url)
            response.raise_for_status()
            return response.content
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code == 404 or attempt == attempts:
                raise
        await asyncio.sleep(pause)
    raise ValueError(attempts)


async def retries_missing_import(client: httpx.AsyncClient, url: str, attempts: int, pause: float) -> bytes:
    for attempt in range(1, attempts + 1):
        try:
            response = await client.get(url)
            response.raise_for_status()
            return response.content
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code == 404 or attempt == attempts:
                raise
        except httpx.TimeoutException:
            if attempt == attempts:
                raise
        await sleep(pause)  # type: ignore[name-defined]  # noqa: F821  (never imported)
    raise ValueError(attempts)


async def retries_without_pause_parameter(client: httpx.AsyncClient, url: str, attempts: int) -> bytes:
    return await fetch_with_retries(client, url, attempts, 0.1)


CASES = [
    Cases(
        check_fetch_outcome,
        right=fetch_outcome,
        stub=fetch_outcome_stub,
        wrong=[
            Wrong(
                outcome_without_semaphore,
                "requests without taking the semaphore",
                "but the semaphore allows 3",
            ),
            Wrong(
                outcome_lets_errors_out, "lets a 404 raise instead of returning it", "let HTTPStatusError out"
            ),
            Wrong(outcome_without_status_check, "never calls raise_for_status", "raise_for_status()"),
            Wrong(
                outcome_missing_import,
                "a typo in a name: only the error and the line, no other advice",
                "your code raised NameError: name 'Statuss' is not defined, at line",
            ),
            Wrong(outcome_forgets_await, "returns a coroutine", "forget `await`"),
            Wrong(outcome_not_async, "writes a plain def", "async def"),
        ],
    ),
    Cases(
        check_status_codes,
        right=status_codes,
        stub=status_codes_stub,
        wrong=[
            Wrong(codes_unbounded, "gathers every request at once", "had 12 requests in flight at once"),
            Wrong(
                codes_semaphore_per_task,
                "a new semaphore inside each task",
                "one asyncio.Semaphore(limit) for all",
            ),
            Wrong(codes_one_at_a_time, "awaits each request in the loop", "went one at a time"),
            Wrong(codes_in_batches, "gathers batches of `limit` requests", "went in batches of 4"),
            Wrong(
                codes_raise_for_status,
                "raises on a 404 inside the TaskGroup",
                "a 404 or a 418 is an answer too",
            ),
            Wrong(
                codes_without_waiting, "creates tasks and returns without waiting", "returned while 12 of 12"
            ),
            Wrong(
                codes_limit_minus_one,
                "a semaphore one smaller than the limit",
                "at most 3 requests were in flight",
            ),
            Wrong(codes_as_a_list, "returns a list of codes", "return a dict"),
            Wrong(
                codes_store_responses, "stores the responses, not their codes", "store response.status_code"
            ),
            Wrong(
                codes_missing_import,
                "TaskGroup used without importing it: only the error and the line",
                "your code raised NameError: name 'TaskGroup' is not defined, at line",
            ),
        ],
    ),
    Cases(
        check_fetch_with_retries,
        right=fetch_with_retries,
        stub=fetch_with_retries_stub,
        wrong=[
            Wrong(retries_never, "one request, no retry", "IN fails once (HTTP 418), then answers"),
            Wrong(retries_404_too, "retries a 404 as well", "a 404 will not change"),
            Wrong(retries_one_too_many, "one request more than `attempts`", "3 requests at most; ID got 4"),
            Wrong(retries_blocking_sleep, "waits with time.sleep", "the event loop stood still"),
            Wrong(retries_without_pause, "asks again at once", "wait `pause` seconds"),
            Wrong(retries_swallow_the_last_error, "returns None after the last failure", "raise its error"),
            Wrong(retries_forget_timeouts, "retries error statuses but not timeouts", "US fails twice"),
            Wrong(
                retries_missing_import,
                "sleep used without importing it: only the error and the line",
                "your code raised NameError: name 'sleep' is not defined, at line",
            ),
            Wrong(retries_without_pause_parameter, "leaves out the pause parameter", "must take 4 arguments"),
        ],
    ),
]
