"""Lesson 06's web form, in the browser: search for "cat face" and see the results rendered.

The service is lesson 06's FastAPI app, ``python -m support.examples.web_mojifinder``, started on a free port
on 127.0.0.1 with ``services.start`` as the lesson does. Its front page is a single page whose script asks
``/search`` and fills a table without reloading. The test types the query as a learner would, presses Enter,
and compares the rows the page drew with what the index itself answers; then saves
``build/e2e/06-web-form.png``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from support.examples import web_mojifinder
from support.examples.charindex import shared_index
from support.lab import services
from support.lab.services import Service

pytestmark = pytest.mark.e2e

QUERY = "cat face"


@pytest.fixture
def finder() -> Iterator[Service]:
    service = services.start(web_mojifinder.__name__, "--port", "0", private=True)
    try:
        yield service
    finally:
        services.stop(service)


def test_lesson06_web_form_finds_cat_face(web_page: Page, finder: Service, artifacts: Path) -> None:
    expected = sorted(shared_index().search(QUERY))
    assert "\N{CAT FACE}" in expected and len(expected) > 1  # the index itself, before the page is asked

    web_page.goto(f"{finder.url}/")
    expect(web_page).to_have_title("Character finder")
    web_page.evaluate("window.notReloaded = true")  # gone if submitting the form reloads the page
    search = web_page.get_by_role("searchbox")
    search.fill(QUERY)
    search.press("Enter")

    status = web_page.locator("#status")
    expect(status).to_have_text(f"{len(expected)} found for “{QUERY}”", timeout=15_000)
    rows = web_page.locator("#results tbody tr")
    expect(rows).to_have_count(len(expected))
    assert web_page.locator("#results").is_visible()
    # (code, char, name), as the learner sees them
    drawn = [tuple(rows.nth(i).locator("td").all_inner_texts()) for i in range(rows.count())]
    assert drawn == [(f"U+{ord(c):04X}", c, unicodedata.name(c)) for c in expected]
    assert ("U+1F431", "🐱", "CAT FACE") in drawn
    assert web_page.evaluate("window.notReloaded === true"), "the form reloaded the page"
    web_page.screenshot(path=str(artifacts / "06-web-form.png"), full_page=True)
