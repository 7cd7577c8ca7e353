"""The system's Chromium, driven by Playwright: never a browser Playwright downloads (it cannot, here).

Run as a script, it is ``make e2e``'s first step: it exits 1 with one line saying how to get Chromium when
the browser is missing.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import BrowserContext, sync_playwright

# Debian's package `chromium` puts it here; `playwright install` is never used.
CHROMIUM = Path("/usr/bin/chromium")

# What a headless Chromium needs on a container or CI machine running as root, offline.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# Wide enough for a notebook and its plots side by side with JupyterLab's left bar.
VIEWPORT = {"width": 1280, "height": 900}


def chromium_missing() -> str | None:
    """The one line to show when Chromium is not installed, else None."""
    if CHROMIUM.is_file():
        return None
    return (
        f"browser tests need Chromium at {CHROMIUM}: `apt-get install chromium` (as root), "
        "or `make e2e`, which installs it on CI (.ci/run)"
    )


@contextmanager
def chromium(profile: Path) -> Iterator[BrowserContext]:
    """A Playwright browser context in the system's Chromium, with a fresh profile folder ``profile``.

    A persistent context is how Playwright passes ``--user-data-dir``; a new, empty folder each session
    means no cache, cookies or settings from an earlier run.
    """
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=FLAGS, viewport=VIEWPORT
        )
        try:
            yield context
        finally:
            context.close()


if __name__ == "__main__":
    missing = chromium_missing()
    if missing:
        print(missing, file=sys.stderr)
    sys.exit(1 if missing else 0)
