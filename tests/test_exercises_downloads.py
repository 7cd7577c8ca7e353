"""The checkers of lesson 03 pass the model answers and fail typical wrong ones with a useful hint."""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import httpx
import pytest

from support.examples.flags_common import Outcome, Status, failed, flag_url
from support.exercises import ExerciseFailed
from support.exercises.downloads import (
    FakeFlagSite,
    check_fetch_outcome,
    check_fetch_with_retries,
    check_save_streamed,
)

# --- Exercise 1: fetch_outcome ------------------------------------------------------------------------------


async def fetch_outcome_right(
    client: httpx.AsyncClient, cc: str, base_url: str, semaphore: asyncio.Semaphore
) -> Outcome:
    try:
        async with semaphore:
            response = await client.get(flag_url(base_url, cc))
        response.raise_for_status()
    except httpx.HTTPError as exc:
        return failed(cc, exc)
    return Outcome(cc, Status.OK)


async def fetch_outcome_unbounded(
    client: httpx.AsyncClient, cc: str, base_url: str, semaphore: asyncio.Semaphore
) -> Outcome:
    try:
        response = await client.get(flag_url(base_url, cc))
        response.raise_for_status()
    except httpx.HTTPError as exc:
        return failed(cc, exc)
    return Outcome(cc, Status.OK)


async def fetch_outcome_raises(
    client: httpx.AsyncClient, cc: str, base_url: str, semaphore: asyncio.Semaphore
) -> Outcome:
    async with semaphore:
        response = await client.get(flag_url(base_url, cc))
    response.raise_for_status()
    return Outcome(cc, Status.OK)


async def fetch_outcome_no_status_check(
    client: httpx.AsyncClient, cc: str, base_url: str, semaphore: asyncio.Semaphore
) -> Outcome:
    try:
        async with semaphore:
            await client.get(flag_url(base_url, cc))
    except httpx.HTTPError as exc:
        return failed(cc, exc)
    return Outcome(cc, Status.OK)


async def test_fetch_outcome_right(capsys: pytest.CaptureFixture[str]) -> None:
    await check_fetch_outcome(fetch_outcome_right)
    assert capsys.readouterr().out.startswith("✔ Exercise 1 passed")


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (fetch_outcome_unbounded, "async with semaphore"),
        (fetch_outcome_raises, "return the failure as an Outcome"),
        (fetch_outcome_no_status_check, "raise_for_status"),
    ],
)
async def test_fetch_outcome_wrong(answer, hint: str) -> None:
    with pytest.raises(ExerciseFailed, match=hint):
        await check_fetch_outcome(answer)


async def test_fetch_outcome_not_async() -> None:
    def plain(client, cc, base_url, semaphore):
        return Outcome(cc, Status.OK)

    with pytest.raises(ExerciseFailed, match="async def"):
        await check_fetch_outcome(plain)


# --- Exercise 2: save_streamed ------------------------------------------------------------------------------


def save_streamed_right(chunks: Iterable[bytes], dest: Path, filename: str) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest, prefix=f".{filename}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as file:
            for chunk in chunks:
                file.write(chunk)
        os.replace(tmp, dest / filename)
    except BaseException:
        os.unlink(tmp)
        raise
    return dest / filename


def save_streamed_direct(chunks: Iterable[bytes], dest: Path, filename: str) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    with open(dest / filename, "wb") as file:
        for chunk in chunks:
            file.write(chunk)
    return dest / filename


def save_streamed_leaves_tmp(chunks: Iterable[bytes], dest: Path, filename: str) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    tmp = dest / f"{filename}.part"
    with open(tmp, "wb") as file:
        for chunk in chunks:
            file.write(chunk)
    tmp.replace(dest / filename)
    return dest / filename


def save_streamed_swallows(chunks: Iterable[bytes], dest: Path, filename: str) -> Path | None:
    try:
        return save_streamed_right(chunks, dest, filename)
    except ConnectionError:
        return None


def test_save_streamed_right(capsys: pytest.CaptureFixture[str]) -> None:
    check_save_streamed(save_streamed_right)
    assert capsys.readouterr().out.startswith("✔ Exercise 2 passed")


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (save_streamed_direct, "overwrote the good br.gif"),
        (save_streamed_leaves_tmp, "left \\['br.gif.part'\\] behind"),
        (save_streamed_swallows, "let its exception propagate"),
    ],
)
def test_save_streamed_wrong(answer, hint: str) -> None:
    with pytest.raises(ExerciseFailed, match=hint):
        check_save_streamed(answer)


# --- Exercise 3: fetch_with_retries -------------------------------------------------------------------------


async def fetch_with_retries_right(client: httpx.AsyncClient, url: str, attempts: int) -> bytes:
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
    raise AssertionError("unreachable")


async def fetch_with_retries_once(client: httpx.AsyncClient, url: str, attempts: int) -> bytes:
    response = await client.get(url)
    response.raise_for_status()
    return response.content


async def fetch_with_retries_404_too(client: httpx.AsyncClient, url: str, attempts: int) -> bytes:
    for attempt in range(1, attempts + 1):
        try:
            response = await client.get(url)
            response.raise_for_status()
            return response.content
        except httpx.HTTPError:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


async def fetch_with_retries_one_too_many(client: httpx.AsyncClient, url: str, attempts: int) -> bytes:
    return await fetch_with_retries_right(client, url, attempts + 1)


async def test_fetch_with_retries_right(capsys: pytest.CaptureFixture[str]) -> None:
    await check_fetch_with_retries(fetch_with_retries_right)
    assert capsys.readouterr().out.startswith("✔ Exercise 3 passed")


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (fetch_with_retries_once, "try again while attempts are left"),
        (fetch_with_retries_404_too, "a 404 will not change"),
        (fetch_with_retries_one_too_many, "give up"),
    ],
)
async def test_fetch_with_retries_wrong(answer, hint: str) -> None:
    with pytest.raises(ExerciseFailed, match=hint):
        await check_fetch_with_retries(answer)


async def test_fake_site_counts_what_it_held() -> None:
    site = FakeFlagSite({"XX": [404]}, pause=0.01)
    async with site.client() as client:
        answers = await asyncio.gather(*(client.get(f"http://x/flags/{cc}/{cc}.gif") for cc in ("br", "xx")))
    assert [r.status_code for r in answers] == [200, 404]
    assert site.peak == 2 and site.requests == {"BR": 1, "XX": 1}
