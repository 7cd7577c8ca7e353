"""Screenshots by the system's Chromium: what is missing is said in one line; the rest needs the browser."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support.examples import web_mojifinder
from support.examples.charindex import shared_index
from support.lab import services
from support.workbook import browser

MISSING = browser.unavailable()
needs_chromium = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")
PNG = b"\x89PNG\r\n\x1a\n"


def test_a_missing_browser_is_named_in_one_line(tmp_path: Path) -> None:
    line = browser.unavailable(tmp_path / "no-chromium")
    assert line is not None and "\n" not in line
    assert "Chromium" in line or "Playwright" in line


async def test_capture_refuses_to_start_without_the_browser(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="no screenshot"):
        await browser.capture("http://127.0.0.1:9/", tmp_path / "x.png", chromium=tmp_path / "no-chromium")
    assert not (tmp_path / "x.png").exists()


@pytest.fixture(scope="module")
def site() -> Iterator[services.Service]:
    running = web_mojifinder.start()
    yield running
    services.stop(running)


@needs_chromium
async def test_the_form_shows_the_results_of_a_search(site: services.Service, tmp_path: Path) -> None:
    shot = await browser.capture(
        site.url + "/",
        tmp_path / "form.png",
        fill="input[type=search]",
        text="cat face",
        wait_for="found for",
    )
    expected = shared_index().search("cat face")
    assert f"{len(expected)} found for" in shot.text
    assert all(char in shot.text for char in expected), "every character found is drawn in the page"
    assert shot.blocked == [], "the form asked for something outside this machine"
    assert shot.path.read_bytes().startswith(PNG) and shot.path.stat().st_size > 5_000


@needs_chromium
async def test_the_docs_render_offline(site: services.Service, tmp_path: Path) -> None:
    shot = await browser.capture(site.url + "/docs", tmp_path / "docs.png", wait_for="/search")
    assert shot.blocked == [], f"/docs needs the internet: {shot.blocked}"
    assert "Characters whose names hold every word" in shot.text
    assert "CharName" in shot.text


@needs_chromium
async def test_requests_leaving_the_machine_are_refused_and_listed(tmp_path: Path) -> None:
    page = "data:text/html,<p>hello</p><img src='http://example.invalid/pixel.png'>"
    shot = await browser.capture(page, tmp_path / "p.png", wait_for="hello")
    assert shot.blocked == ["http://example.invalid/pixel.png"]
