"""Fixtures for the browser tests: one JupyterLab and one Chromium per session, a fresh page per test.

Every test in this folder that needs the browser is marked ``e2e``. ``make unit`` deselects them (they take
minutes) and says in one line how to run them, or how to get Chromium when it is missing. ``make e2e`` runs
them; the table of each notebook's Run-All time is printed at the end and kept in ``build/e2e/summary.txt``
beside the screenshots.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page

from .browser import chromium, chromium_missing
from .lab import Lab, running_lab
from .report import ARTIFACTS, NOTEBOOKS, recorded, table


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """``build/e2e/``, emptied of the last run's screenshots."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in [*ARTIFACTS.glob("*.png"), ARTIFACTS / "summary.txt"]:
        old.unlink(missing_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    missing = chromium_missing()
    if missing:
        pytest.skip(missing)
    with chromium(tmp_path_factory.mktemp("chromium-profile")) as context:
        yield context


@pytest.fixture(scope="session")
def lab(browser: BrowserContext, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """JupyterLab on a copy of notebooks/; the repository's notebooks must be byte for byte as before."""
    before = _fingerprints()
    with running_lab(NOTEBOOKS, tmp_path_factory.mktemp("lab")) as server:
        yield server
    changed = sorted(name for name, digest in _fingerprints().items() if before.get(name) != digest)
    assert not changed, f"running in the lab changed notebooks in the repository: {changed}"


def _fingerprints() -> dict[str, str]:
    return {
        path.relative_to(NOTEBOOKS).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in NOTEBOOKS.rglob("*.ipynb")
    }


@pytest.fixture
def page(browser: BrowserContext, lab: Lab) -> Iterator[Page]:
    """A new tab; closed afterwards, and every kernel shut down, so tests don't share a kernel."""
    tab = browser.new_page()
    try:
        yield tab
    finally:
        tab.close()
        lab.shut_down_kernels()


@pytest.fixture
def web_page(browser: BrowserContext) -> Iterator[Page]:
    """A new tab for a page that is not JupyterLab (a service's form, the static site): no lab is started."""
    tab = browser.new_page()
    try:
        yield tab
    finally:
        tab.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests get ten minutes each, not the three of pyproject.toml's ``timeout``.

    A Run-All may take its own five (RUN_ALL_TIMEOUT_S), and the first test also starts JupyterLab or builds
    the static site in its fixtures, which pytest-timeout counts in.
    """
    for item in items:
        if item.get_closest_marker("e2e") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(600))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    # The line saying `make unit` left these tests out is printed by tests/conftest.py, which sees the count
    # under pytest-xdist too (this file is loaded by the workers only).
    rows = recorded()
    if rows:
        text = table(rows)
        terminalreporter.section("Run All in the browser")
        terminalreporter.write_line(text)
        if ARTIFACTS.is_dir():
            (ARTIFACTS / "summary.txt").write_text(text + "\n", encoding="utf-8")
