"""The static site (``make site``) in the browser: the front page and one lesson, no broken picture or link.

The site is built afresh into a temporary folder (about 10 s), so ``make e2e`` needs no ``make site`` first
and never checks a stale ``build/site``. A small HTTP server on 127.0.0.1 serves it, as a reader's web host
would. For each page the test waits until every picture has loaded or failed, then follows every link that
stays on the site: the page it names must answer 200, and the anchor after ``#``, if any, must exist on it.
Links to other sites are not followed (no network here), but nothing the page *loads* may come from one.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urldefrag

import pytest
from playwright.sync_api import Page, Request, Response

from support.workbook import site

pytestmark = pytest.mark.e2e

# The front page, and the lesson with the most pictures (plots and the latency table on a log scale).
PAGES = ["index.html", "notebooks/10_how_async_works.html"]

ALL_IMAGES_SETTLED = """async () => {
    const images = [...document.images];
    images.forEach((img) => { img.loading = "eager"; });
    await Promise.all(images.map((img) => img.complete ? null
        : new Promise((done) => { img.addEventListener("load", done); img.addEventListener("error", done); })));
    return images.map((img) => ({src: img.currentSrc || img.src, ok: img.complete && img.naturalWidth > 0}));
}"""


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
        pass


@pytest.fixture(scope="session")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The freshly built site, served on a free port of 127.0.0.1; its base URL ends with "/"."""
    out = site.build(tmp_path_factory.mktemp("site") / "site")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(out)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def _broken_links(page: Page, base: str) -> tuple[list[str], int]:
    """(links on the site that lead nowhere, with why; how many links on the site were followed)."""
    here = urldefrag(page.url).url
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map((a) => a.href)")
    bodies: dict[str, str | None] = {}  # page URL -> its HTML, or None when it did not answer 200
    broken, followed = [], 0
    for href in hrefs:
        if not href.startswith(base):
            continue  # another site, mailto:, javascript:
        followed += 1
        target, fragment = urldefrag(href)
        if target == here:
            found = not fragment or page.evaluate("id => !!document.getElementById(id)", unquote(fragment))
            if not found:
                broken.append(f"{href}: no #{fragment} on this page")
            continue
        if target not in bodies:
            response = page.request.get(target)
            bodies[target] = response.text() if response.status == 200 else None
            if response.status != 200:
                broken.append(f"{href}: HTTP {response.status}")
        body = bodies[target]
        if body is not None and fragment and f'id="{unquote(fragment)}"' not in body:
            broken.append(f"{href}: no #{fragment} on that page")
    return broken, followed


@pytest.mark.parametrize("path", PAGES)
def test_site_page_has_no_broken_picture_or_link(
    web_page: Page, site_url: str, artifacts: Path, path: str
) -> None:
    failed: list[str] = []
    elsewhere: list[str] = []

    def on_response(response: Response) -> None:
        if response.status >= 400:
            failed.append(f"{response.url}: HTTP {response.status}")

    def on_failure(request: Request) -> None:
        failed.append(f"{request.url}: {request.failure}")

    def on_request(request: Request) -> None:
        if not request.url.startswith((site_url, "data:", "blob:")):
            elsewhere.append(request.url)

    web_page.on("response", on_response)
    web_page.on("requestfailed", on_failure)
    web_page.on("request", on_request)
    response = web_page.goto(site_url + path, wait_until="load")
    assert response is not None and response.status == 200, f"{path} did not open"

    images = web_page.evaluate(ALL_IMAGES_SETTLED)
    broken_images = [i["src"] for i in images if not i["ok"]]
    assert not broken_images, f"{path}: pictures that did not load: {broken_images}"
    if path.startswith("notebooks/"):
        assert images, f"{path}: a lesson with stored plots shows no picture"
    broken, followed = _broken_links(web_page, site_url)
    assert not broken, f"{path}: broken links: {broken}"
    assert followed > 10, f"{path}: only {followed} links within the site: navigation missing?"
    assert not failed, f"{path}: requests that failed: {failed}"
    assert not elsewhere, f"{path}: loaded from outside the site (it must work offline): {elsewhere}"
    name = "site-" + Path(path).stem + ".png"
    web_page.screenshot(path=str(artifacts / name), full_page=False)
