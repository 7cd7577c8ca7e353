"""The crawl site of lesson 11: its graph (which pages a crawl must find, and how many), and the server's modes."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from support.examples.crawl import canonical
from support.lab import crawl_site, services
from support.lab.crawl_site import OFF_SITE, SECTIONS, make_site, resolve

SITE = make_site()


def _start(mode: str, **options: object) -> Iterator[services.Service]:
    service = crawl_site.start(mode, private=True, **options)  # type: ignore[arg-type]
    yield service
    services.stop(service)


@pytest.fixture(scope="module")
def plain() -> Iterator[services.Service]:
    yield from _start("plain")


@pytest.fixture(scope="module")
def faulty() -> Iterator[services.Service]:
    yield from _start("faulty", delay=0, slow_page=0.3, pages=60)


# --- the graph ---------------------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_site_and_another_seed_another() -> None:
    assert make_site() == SITE
    assert make_site(seed=1) != SITE
    assert len(make_site(90).reachable()) < len(SITE.reachable())


def test_which_pages_a_crawl_must_find_and_how_many() -> None:
    reachable = SITE.reachable()
    # Home, the six section pages and the 300 content pages, found through the graph's own links.
    assert len(reachable) == 307
    assert reachable == {
        "/",
        *(f"/{s}" for s in SECTIONS),
        *(p for p in SITE.pages if p[1:].count("/") == 1),
    } - (SITE.drafts)
    assert not SITE.drafts & reachable, "drafts are served but linked from nowhere"
    assert len(SITE.broken()) == 14 and not SITE.broken() & SITE.pages.keys()
    assert {SITE.stalled, *SITE.slow} <= reachable
    depths = SITE.depths()
    assert max(depths[p] for p in reachable) == 6


def test_every_page_leads_back_home_so_the_graph_has_cycles() -> None:
    for path in SITE.reachable() - {"/"}:
        assert "/" in SITE.targets(path), path


def test_pages_spell_their_links_many_ways_and_the_crawler_reads_each_as_the_site_means_it() -> None:
    origin = "http://127.0.0.1:8010"
    kinds = set()
    for page, hrefs in SITE.pages.items():
        for href in hrefs:
            meant = resolve(href, page)
            read = canonical(href.replace("@ORIGIN@", origin), origin + page)
            if meant is None:
                assert urlsplit(read).netloc != "127.0.0.1:8010" or urlsplit(read).scheme != "http", href
            else:
                assert read == origin + meant, (page, href)
                kinds.add(
                    "full"
                    if href.startswith("@ORIGIN@")
                    else "fragment"
                    if "#" in href
                    else "slash"
                    if href.endswith("/") and href != "/"
                    else "relative"
                    if not href.startswith("/")
                    else "absolute"
                )
    assert kinds == {"full", "fragment", "slash", "relative", "absolute"}


def test_links_out_of_the_site_are_there_and_lead_nowhere_on_it() -> None:
    linked = {href for hrefs in SITE.pages.values() for href in hrefs}
    assert set(OFF_SITE) <= linked
    assert all(resolve(href, "/guide/3") is None for href in OFF_SITE)


def test_make_site_refuses_sizes_it_cannot_build() -> None:
    with pytest.raises(ValueError):
        make_site(3)


# --- the server --------------------------------------------------------------------------------------------


def test_the_server_answers_pages_redirects_and_404s(plain: services.Service) -> None:
    with httpx.Client(base_url=plain.url) as client:
        home = client.get("/")
        assert home.status_code == 200 and "<title>Home</title>" in home.text
        assert f"{plain.url}/" in home.text or "/guide" in home.text
        slash = client.get("/guide/3/")
        assert slash.status_code == 301 and slash.headers["location"] == f"{plain.url}/guide/3"
        assert client.get(sorted(SITE.broken())[0]).status_code == 404
        assert client.get(sorted(SITE.drafts)[0]).status_code == 200  # served, though nothing links to it
        assert client.get("/health").json()["pages"] == 300
        robots = client.get("/robots.txt")
        assert robots.headers["content-type"].startswith("text/plain")
        assert robots.text == "User-agent: *\nDisallow: /guide/draft-\nDisallow: /howto/draft-\n"


def test_the_log_records_each_request_and_can_be_cleared(plain: services.Service) -> None:
    crawl_site.clear_log(plain)
    httpx.get(plain.url + "/faq/2")
    httpx.get(plain.url + "/nowhere")
    log = crawl_site.read_log(plain)
    assert [(r["path"], r["status"], r["outcome"]) for r in log] == [
        ("/faq/2", 200, "ok"),
        ("/nowhere", 404, "not found"),
    ]
    crawl_site.clear_log(plain)
    assert crawl_site.read_log(plain) == []


def test_faulty_mode_has_slow_pages_and_one_that_never_answers(faulty: services.Service) -> None:
    site = make_site(60)
    slow = sorted(site.slow)[0]
    started = time.perf_counter()
    assert httpx.get(faulty.url + slow).status_code == 200
    assert time.perf_counter() - started >= 0.3
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(faulty.url + site.stalled, timeout=0.3)
    assert httpx.get(faulty.url + "/").status_code == 200


def test_slow_mode_holds_each_page_back() -> None:
    for service in _start("slow", delay=0.2, pages=12):
        started = time.perf_counter()
        httpx.get(service.url + "/guide/1")
        assert time.perf_counter() - started >= 0.2


def test_start_shares_one_server_per_configuration_and_checks_options_first() -> None:
    first = crawl_site.start("plain", pages=12)
    try:
        assert crawl_site.start("plain", delay=0, pages=12, seed=crawl_site.DEFAULT_SEED) is first
    finally:
        services.stop(first)
    with pytest.raises(ValueError):
        crawl_site.start("broken")
    with pytest.raises(ValueError):
        crawl_site.start("slow", delay=-1)
    with pytest.raises(ValueError):
        crawl_site.start("slow", pages=0)


def test_the_command_line_refuses_bad_values_in_one_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "support.lab.crawl_site", "--delay", "soon"], capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "a delay is SECONDS or LOW:HIGH" in done.stderr
