"""The crawler of lesson 11 (``support.examples.crawl``): its pieces, a whole crawl, its deadline and its CLI."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.examples.crawl import canonical, crawl, links_in, on_site
from support.lab import crawl_site, services
from support.lab.crawl_site import make_site
from support.timing import Status

PAGES = 60  # a small site: every test crawls it in well under a second


@pytest.fixture(scope="module")
def plain() -> Iterator[services.Service]:
    service = crawl_site.start("plain", pages=PAGES, private=True)
    yield service
    services.stop(service)


@pytest.fixture(scope="module")
def faulty() -> Iterator[services.Service]:
    service = crawl_site.start("faulty", delay=0.01, slow_page=2.0, pages=PAGES, private=True)
    yield service
    services.stop(service)


def test_canonical_gives_one_spelling_per_page() -> None:
    page = "http://h:1/guide/3"
    spellings = ["/guide/7", "http://h:1/guide/7", "/guide/7#notes", "7", "./7", "../guide/7", "/guide/7/"]
    assert {canonical(href, page) for href in spellings} == {"http://h:1/guide/7"}
    assert canonical("..", page) == canonical("/", page) == "http://h:1/"


def test_on_site_means_same_scheme_host_and_port() -> None:
    root = "http://h:1/"
    assert on_site("http://h:1/a", root)
    assert not on_site("http://h:2/a", root)
    assert not on_site("https://h:1/a", root)
    assert not on_site("mailto:me@h", root)


def test_links_in_reads_every_anchor_and_nothing_else() -> None:
    html = '<p><a href="/a#x">a</a> <a>no href</a> <img src="/img.png"> <a href="b/">b</a></p>'
    assert links_in(html, "http://h:1/dir/page") == {"http://h:1/a", "http://h:1/dir/b"}


async def test_a_crawl_finds_every_reachable_page_and_follows_nothing_off_the_site(
    plain: services.Service,
) -> None:
    site = make_site(PAGES)
    crawl_site.clear_log(plain)
    before = asyncio.all_tasks()
    result = await crawl(plain.url + "/", workers=6)
    assert asyncio.all_tasks() - before == set(), "every worker has ended"
    assert result.finished and result.found == len(result.pages)
    assert all(on_site(url, plain.url + "/") for url in result.pages), (
        "no URL of another site was ever queued"
    )
    assert len(result.pages) == len(site.reachable()) + len(site.broken())
    statuses = {url.removeprefix(plain.url): page.status for url, page in result.pages.items()}
    assert {path for path, status in statuses.items() if status == Status.OK} == site.reachable()
    assert {path for path, status in statuses.items() if status == Status.NOT_FOUND} == site.broken()
    fetched = Counter(record["path"] for record in crawl_site.read_log(plain))
    assert set(fetched) == site.reachable() | site.broken(), "nothing else asked of the site"
    assert max(fetched.values()) == 1, "each page once"


async def test_max_depth_stops_following_links_past_it(plain: services.Service) -> None:
    result = await crawl(plain.url + "/", workers=4, max_depth=1)
    assert max(page.depth for page in result.pages.values()) == 1
    assert len(result.pages) == 1 + len(set(make_site(PAGES).targets("/")))


async def test_a_deadline_stops_every_worker_and_keeps_what_came_in(faulty: services.Service) -> None:
    before = asyncio.all_tasks()
    result = await crawl(faulty.url + "/", workers=8, deadline=0.5, request_timeout=5)
    assert not result.finished
    assert 0 < len(result.pages) < result.found
    assert asyncio.all_tasks() - before == set()


async def test_a_request_timeout_turns_the_page_that_never_answers_into_a_timeout(
    faulty: services.Service,
) -> None:
    site = make_site(PAGES)
    result = await crawl(faulty.url + "/", workers=8, request_timeout=0.3, deadline=10)
    assert result.finished
    assert result.pages[faulty.url + site.stalled].status == Status.TIMEOUT


def _cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "support.examples.crawl", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_cli_help_and_usage_errors_in_one_line() -> None:
    assert "--deadline" in _cli("--help").stdout
    for args in (["http://example.com/"], ["ftp://127.0.0.1/"], ["--workers", "0", "http://127.0.0.1:1/"]):
        done = _cli(*args)
        assert done.returncode == 2, args
        assert done.stderr.count("\n") == 1 and "error:" in done.stderr, done.stderr


def test_cli_exits_1_when_pages_fail_and_says_how_many(plain: services.Service) -> None:
    done = _cli(plain.url + "/", "-q")
    site = make_site(PAGES)
    assert done.returncode == 1
    line = done.stdout.strip().splitlines()[-1]
    assert f"{len(site.reachable()) + len(site.broken())} pages from" in line
    assert f"{len(site.reachable())} ok, {len(site.broken())} not found, 0 errors, 0 timeouts" in line


def test_cli_exits_0_when_every_page_is_fetched(plain: services.Service) -> None:
    site = make_site(PAGES)
    start = min(p for p in site.reachable() if p != "/" and set(site.targets(p)) <= site.pages.keys())
    done = _cli(plain.url + start, "-q", "--max-depth", "1")
    assert done.returncode == 0, done.stdout
    assert f"{1 + len(set(site.targets(start)) - {start})} pages from" in done.stdout


def test_cli_deadline(faulty: services.Service) -> None:
    done = _cli(faulty.url + "/", "-q", "--deadline", "0.5")
    assert done.returncode == 1
    assert "the deadline (0.5 s) stopped the crawl" in done.stdout


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process")
def test_cli_ctrl_c_exits_130(faulty: services.Service) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "support.examples.crawl", faulty.url + "/", "-q"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    try:
        # Wait until it is crawling: the faulty site's slow pages keep it busy for seconds.
        time.sleep(1.5)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130, err
    assert "Traceback" not in err


# --- the lesson and the module, in step -----------------------------------------------------------------------

LESSON = Path(__file__).resolve().parent.parent / "notebooks" / "11_coordinating_tasks.ipynb"


def _lesson_code() -> dict[str, Any]:
    """The lesson's crawler pieces and its final crawler, run from the notebook's own cells."""
    cells = [
        "".join(c["source"]) for c in json.loads(LESSON.read_text())["cells"] if c["cell_type"] == "code"
    ]
    setup = next(cell for cell in cells if "leftovers.snapshot()" in cell)
    imports = [line for line in setup.splitlines() if line.startswith(("import ", "from "))]
    wanted = [cell for cell in cells if cell.startswith(("def canonical(", "SHUT_DOWN ="))]
    assert len(wanted) == 2, "the lesson's pieces and its final crawler are where this test expects them"
    namespace: dict[str, Any] = {}
    exec("\n".join([*imports, *wanted]), namespace)  # noqa: S102 (our own notebook's code)
    return namespace


def test_the_lesson_reads_links_as_the_module_does() -> None:
    lesson = _lesson_code()
    origin = "http://127.0.0.1:8010"
    site = make_site()
    for page, hrefs in site.pages.items():
        for href in hrefs:
            href = href.replace("@ORIGIN@", origin)
            assert lesson["canonical"](href, origin + page) == canonical(href, origin + page)
            url = canonical(href, origin + page)
            assert lesson["on_site"](url, origin + "/") == on_site(url, origin + "/")


async def test_the_lessons_final_crawler_finds_what_the_modules_finds(plain: services.Service) -> None:
    lesson = _lesson_code()
    root = plain.url + "/"
    theirs = await lesson["crawl_within"](root, workers=6, deadline=30)
    ours = await crawl(root, workers=6, deadline=30)
    assert theirs == {url: str(page.status) for url, page in ours.pages.items()}
    near = await lesson["crawl_within"](root, workers=6, max_depth=1)
    assert {url.removeprefix(plain.url) for url in near} == {"/", *make_site(PAGES).targets("/")}
