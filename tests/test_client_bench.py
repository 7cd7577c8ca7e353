"""The client benchmark's harness (``benchmarks/client_bench.py``), on small bursts against the real local flag site.

Small N keeps this fast; the point is that every kind really downloads, that failures are counted instead of
raised, and that saved results and the chart come back as the lesson expects. The big sweep lives in
``benchmarks/bench_http_clients.py``.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import matplotlib
import pytest

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402

from support import plots  # noqa: E402
from support.lab import flag_server, services  # noqa: E402
from support.lab.flag_data import countries  # noqa: E402

N = 20
REPO = Path(__file__).resolve().parent.parent
if (
    str(REPO) not in sys.path
):  # the harness sits in benchmarks/, beside support/, not in the installed package
    sys.path.insert(0, str(REPO))

from benchmarks import client_bench  # noqa: E402
from benchmarks.client_bench import KINDS, Result  # noqa: E402


@pytest.fixture(scope="module")
def site() -> Iterator[services.Service]:
    """The flag site with a small delay, so the requests of a burst really overlap."""
    service = flag_server.start("delay", delay=0.05, private=True)
    yield service
    services.stop(service)


@pytest.fixture(scope="module")
def teapot() -> Iterator[services.Service]:
    """A flag site that answers every request with HTTP 418."""
    service = flag_server.start("errors", delay=0.0, error_rate=1.0, private=True)
    yield service
    services.stop(service)


def _served(service: services.Service) -> Counter[str]:
    """What the site itself says it did, by detail: the count to check a client's own count against."""
    return Counter(entry["detail"] for entry in flag_server.read_log(service))


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_downloads_every_flag(site: services.Service, kind: str) -> None:
    flag_server.clear_log(site)
    result = client_bench.run(kind, site.url, N)
    assert (result.kind, result.n) == (kind, N)
    assert (result.ok, result.failed, result.errors) == (N, 0, {})
    assert _served(site) == {"OK": N}  # N requests reached the site, and each was answered
    assert result.wall >= 0.05  # at least one server delay: the requests really went out


def test_accepts_the_chapters_base_url(site: services.Service) -> None:
    flag_server.clear_log(site)
    result = client_bench.run("aiohttp", flag_server.flags_url(site), 5)
    assert result.ok == 5 and _served(site) == {"OK": 5}


@pytest.mark.parametrize("kind", KINDS)
def test_server_errors_are_counted_not_raised(teapot: services.Service, kind: str) -> None:
    flag_server.clear_log(teapot)
    result = client_bench.run(kind, teapot.url, N)
    assert _served(teapot) == {"HTTP 418 I'm a teapot": N}
    assert (result.ok, result.failed) == (0, N)
    assert result.errors == {"HTTP 418": N}


def test_dropped_connections_are_counted_by_exception() -> None:
    service = flag_server.start("drop", error_rate=1.0, private=True)
    # aiohttp sends a GET again, once, when the server hung up without answering; httpx does not.
    attempts = {"httpx": 1, "aiohttp": 2}
    try:
        for kind, tries in attempts.items():
            flag_server.clear_log(service)
            result = client_bench.run(kind, service.url, 10)
            assert _served(service) == {"dropped": 10 * tries}
            assert (result.ok, result.failed) == (0, 10)
            assert result.errors and all(not name.startswith("HTTP ") for name in result.errors), (
                result.errors
            )
    finally:
        services.stop(service)


def test_cpu_share_is_cpu_time_over_wall_time() -> None:
    assert Result("httpx", 10, wall=2.0, cpu=0.5, ok=10, failed=0).cpu_share == 0.25
    assert Result("httpx", 10, wall=0.0, cpu=0.5, ok=10, failed=0).cpu_share == 0.0


def test_split_uses_one_client_per_share_of_connections(
    site: services.Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpx

    made: list[Any] = []

    class Counting(httpx.AsyncClient):
        def __init__(self, **kwargs: Any) -> None:
            made.append(kwargs["limits"])
            super().__init__(**kwargs)

    monkeypatch.setattr(httpx, "AsyncClient", Counting)
    result = client_bench.run("httpx-split", site.url, N, per_client=6)
    assert result.ok == N
    assert len(made) == 4  # ceil(20 / 6)
    assert {limits.max_connections for limits in made} == {6}


@pytest.mark.parametrize("kind", KINDS)
def test_a_cap_keeps_at_most_m_in_flight(site: services.Service, kind: str) -> None:
    flag_server.clear_log(site)
    result = client_bench.run(kind, site.url, 12, limit=4, per_client=2)
    assert (result.ok, result.limit) == (12, 4)
    assert flag_server.peak_in_flight(site) == 4  # the site's own log: exactly the cap, never more
    assert result.wall >= 3 * 0.05  # three rounds of four, each at least one server delay


def test_measure_rejects_unknown_kind_and_bad_sizes() -> None:
    with pytest.raises(ValueError, match="kind"):
        client_bench.run("requests", "http://127.0.0.1:1", 1)
    with pytest.raises(ValueError):
        client_bench.run("aiohttp", "http://127.0.0.1:1", 0)
    with pytest.raises(ValueError):
        client_bench.run("aiohttp", "http://127.0.0.1:1", 5, limit=0)


def test_flag_urls_cycle_through_the_countries() -> None:
    n_countries = len(countries())
    urls = client_bench.flag_urls("http://127.0.0.1:9/", n_countries + 2)
    assert len(urls) == n_countries + 2
    assert urls[0].startswith("http://127.0.0.1:9/flags/")
    assert urls[n_countries] == urls[0] and urls[n_countries + 1] == urls[1]
    cc = countries()[0].cc.lower()
    assert urls[0] == f"http://127.0.0.1:9/flags/{cc}/{cc}.gif"
    assert client_bench.flag_urls("http://127.0.0.1:9/flags", 1) == urls[:1]


def test_the_docstring_counts_every_set_up() -> None:
    words = {4: "four", 5: "five", 6: "six", 7: "seven"}
    doc = client_bench.__doc__ or ""
    assert f"{words[len(KINDS)]} HTTP client set-ups" in doc.splitlines()[0]
    assert f"{words[len(KINDS)].capitalize()} ways" in doc
    assert all(f"``{kind}``" in doc for kind in KINDS)


def _fake_results() -> list[Result]:
    rows = []
    for kind, cost in zip(KINDS, (6.0, 1.0, 2.0, 0.4, 0.2), strict=True):
        for n in (100, 500, 1000):
            for extra in (0.0, 0.1, 5.0):  # the median ignores the one odd slow repeat
                scale = n / 1000
                rows.append(Result(kind, n, 1.0 + cost * scale + extra, cost * scale + extra, n, 0))
    rows.append(Result("aiohttp", 100, 1.0, 0.01, 99, 1, {"ReadTimeout": 1}))
    rows.append(Result("httpx", 1000, 11.6, 2.6, 1000, 0, {}, limit=100))  # a capped run, as in flags2 -m
    return rows


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    results = _fake_results()
    path = client_bench.save_results(results, tmp_path / "out" / "clients.json", delay_s=1.0)
    assert client_bench.load_results(path) == results
    report = json.loads(path.read_text())
    assert report["delay_s"] == 1.0
    assert not list(path.parent.glob("*.tmp"))


def test_failure_kinds_counts_exceptions_by_class_and_other_statuses_by_code() -> None:
    outcomes = [200, 418, TimeoutError(), 200, 418, ConnectionResetError()]
    assert client_bench.failure_kinds(outcomes) == {
        "HTTP 418": 2,
        "TimeoutError": 1,
        "ConnectionResetError": 1,
    }
    assert client_bench.failure_kinds([200, 200]) == {}


def test_median_results_one_row_per_kind_and_n() -> None:
    merged = client_bench.median_results(_fake_results())
    expected = [(k, n, None) for k in KINDS for n in (100, 500, 1000)]
    expected.insert(3, ("httpx", 1000, 100))  # the capped run sorts after httpx's all-at-once ones
    assert [(r.kind, r.n, r.limit) for r in merged] == expected
    httpx_1000 = next(r for r in merged if r.kind == "httpx" and r.n == 1000 and r.limit is None)
    assert httpx_1000.cpu == pytest.approx(6.1)
    aiohttp_100 = next(r for r in merged if r.kind == "aiohttp" and r.n == 100)
    assert (aiohttp_100.ok, aiohttp_100.failed, aiohttp_100.errors) == (399, 1, {"ReadTimeout": 1})


def test_plot_has_wall_and_cpu_lines_per_kind(tmp_path: Path) -> None:
    # The capped run in the fake results must not join the all-at-once lines.
    fig = client_bench.plot_results(_fake_results(), delay=1.0)
    assert isinstance(fig, Figure)
    assert fig.get_size_inches()[0] == pytest.approx(plots.WIDTH)
    wall_ax, cpu_ax = fig.axes
    assert [line.get_label() for line in wall_ax.get_lines()] == [*KINDS, "server delay"]
    assert [line.get_label() for line in cpu_ax.get_lines()] == list(KINDS)
    httpx_cpu = cpu_ax.get_lines()[0]
    assert list(httpx_cpu.get_xdata()) == [100, 500, 1000]
    assert list(httpx_cpu.get_ydata()) == pytest.approx([0.7, 3.1, 6.1])
    path = plots.save_png(fig, tmp_path / "clients.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_needs_all_at_once_results() -> None:
    with pytest.raises(ValueError):
        client_bench.plot_results([])
    with pytest.raises(ValueError):
        client_bench.plot_results([Result("httpx", 1000, 11.6, 2.6, 1000, 0, {}, limit=100)])


def test_plot_legend_sits_below_the_panels() -> None:
    fig = client_bench.plot_results(_fake_results(), delay=1.0)
    fig.canvas.draw()
    (legend,) = fig.legends
    assert not any(ax.get_legend() for ax in fig.axes), "a legend inside a panel covers its lines"
    legend_top = legend.get_window_extent().y1
    assert all(legend_top <= ax.get_window_extent().y0 for ax in fig.axes)
    assert [t.get_text() for t in legend.get_texts()] == [*KINDS, "server delay"]


def test_the_lessons_loader_reads_what_the_harness_saves(tmp_path: Path) -> None:
    # Lesson 10 reads saved results with support.plots, which must not import this harness: the two agree.
    results = _fake_results()
    path = client_bench.save_results(results, tmp_path / "clients.json", delay_s=1.0)
    expected = [
        plots.Burst(r.kind, r.n, r.wall, r.cpu)
        for r in client_bench.median_results(results)
        if r.limit is None
    ]
    assert plots.load_bursts(path) == expected


def test_the_saved_results_the_lesson_reads_have_every_kind() -> None:
    bursts = plots.load_bursts(REPO / "benchmarks" / "results" / "http_clients.json")
    assert [b.kind for b in bursts] == [kind for kind in KINDS for _ in range(len(bursts) // len(KINDS))]
    assert all(b.wall > 0 and b.cpu > 0 for b in bursts)
