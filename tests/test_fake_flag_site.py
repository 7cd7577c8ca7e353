"""The stand-in flag site that lesson 03's checkers use counts what a real server would see."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from support.exercises.downloads import FakeFlagSite


async def test_fake_site_counts_requests_and_the_peak_in_flight() -> None:
    site = FakeFlagSite({"XX": [404]}, pause=0.01)
    async with site.client() as client:
        answers = await asyncio.gather(*(client.get(f"http://x/flags/{cc}/{cc}.gif") for cc in ("br", "xx")))
        assert [r.status_code for r in answers] == [200, 404]
        assert site.peak == 2 and site.in_flight == 0
        assert site.requests == {"BR": 1, "XX": 1}


async def test_fake_site_peak_follows_a_semaphore_exactly() -> None:
    site = FakeFlagSite(pause=0.01)
    semaphore = asyncio.Semaphore(3)

    async def get(cc: str) -> None:
        async with semaphore:
            await client.get(f"http://x/flags/{cc}/{cc}.gif")

    async with site.client() as client:
        await asyncio.gather(*(get(f"a{i}") for i in range(10)))
    assert site.peak == 3 and sum(site.requests.values()) == 10


async def test_fake_site_follows_each_codes_plan_and_repeats_the_last_answer() -> None:
    site = FakeFlagSite({"US": ["timeout", 418, 200]}, pause=0.0, slow=["US"], slow_pause=0.0)
    url = "http://x/flags/us/us.gif"
    async with site.client() as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.get(url)
        assert [(await client.get(url)).status_code for _ in range(3)] == [418, 200, 200]
    assert site.requests["US"] == 4 and site.slow_peak == 1
