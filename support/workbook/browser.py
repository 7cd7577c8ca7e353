"""Look at a local web page the way a learner would: the system's headless Chromium, driven by Playwright.

Lesson 06 shows its search form with results in it. The picture is taken by a real browser that loads the
page from the local server, types a query into the form, presses Enter and waits for the answer to be drawn,
so it shows what the page's own script did, not what we hoped it would do.

Only Debian's Chromium (``apt-get install chromium``, at :data:`CHROMIUM`) is used; Playwright never
downloads a browser here. Both are optional: :func:`unavailable` says, in one line, what is missing, and a
lesson prints that line instead of a picture. Every request for an address other than this machine's
is refused and recorded, so a page that needs the internet shows it (:attr:`Capture.blocked`).
"""

from __future__ import annotations

import importlib.util
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

__all__ = ["CHROMIUM", "FLAGS", "Capture", "capture", "unavailable"]

CHROMIUM = Path("/usr/bin/chromium")
# Headless, as root in a container, offline: no GPU, no first-run pages, no background downloads or sync.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


@dataclass
class Capture:
    """What :func:`capture` saw: the screenshot, the page's visible text, and the requests it refused."""

    path: Path
    text: str
    blocked: list[str] = field(default_factory=list)


def unavailable(chromium: Path = CHROMIUM) -> str | None:
    """None when screenshots can be taken; otherwise one line saying what is missing and how to get it."""
    if importlib.util.find_spec("playwright") is None:
        return "Playwright for Python is not installed (it comes with `make venv`): no screenshot"
    if not (chromium.is_file() and os.access(chromium, os.X_OK)):
        return f"Chromium is not installed at {chromium} (`apt-get install chromium` as root): no screenshot"
    return None


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in {"data", "blob", "about"} or parts.hostname in _LOCAL_HOSTS


async def capture(
    url: str,
    path: str | Path,
    *,
    fill: str | None = None,
    text: str = "",
    wait_for: str | None = None,
    width: int = 800,
    height: int = 600,
    patience: float = 15.0,
    chromium: Path = CHROMIUM,
) -> Capture:
    """Open ``url``, type ``text`` into the field matching CSS selector ``fill`` and press Enter (if given),
    wait until ``wait_for`` text shows (if given), and save a PNG of the page at ``path``.

    An async function: it runs on the notebook's event loop (Playwright's sync API refuses to run inside
    one). Raises ``RuntimeError`` with :func:`unavailable`'s line when the browser cannot be used, and
    Playwright's ``TimeoutError`` when the page never shows ``wait_for`` within ``patience`` seconds (each step).
    """
    missing = unavailable(chromium)
    if missing:
        raise RuntimeError(missing)
    from playwright.async_api import Route, async_playwright

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    blocked: list[str] = []

    async def refuse_remote(route: Route) -> None:
        blocked.append(route.request.url)
        await route.abort()

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(chromium), headless=True, args=list(FLAGS), timeout=patience * 1000
        )
        try:
            page = await browser.new_page(viewport={"width": width, "height": height})
            page.set_default_timeout(patience * 1000)
            await page.route(lambda u: not _is_local(u), refuse_remote)
            await page.goto(url)
            if fill is not None:
                await page.fill(fill, text)
                await page.press(fill, "Enter")
            if wait_for is not None:
                await page.get_by_text(re.compile(re.escape(wait_for))).first.wait_for()
            await page.screenshot(path=str(path), full_page=True)
            shown = await page.inner_text("body")
        finally:
            await browser.close()
    return Capture(path, shown, blocked)
