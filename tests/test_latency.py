"""The latency measurements land in the right decades, and the chart draws them all."""

from __future__ import annotations

import pytest

from support import plots
from support.examples import latency
from support.lab import dns_server, flag_server, services


def test_in_memory_steps_take_nanoseconds() -> None:
    assert 1e-9 < latency.function_call(100_000) < 2e-6
    assert 1e-9 < latency.dict_lookup(100_000) < 2e-6


async def test_network_steps_take_far_longer_than_memory_steps() -> None:
    call = latency.function_call(100_000)
    round_trip = await latency.socket_round_trip(50)
    assert round_trip > 10 * call
    assert round_trip < 0.05


@pytest.fixture(scope="module")
def site() -> services.Service:
    service = flag_server.start("plain", private=True)
    yield service
    services.stop(service)


async def test_http_and_dns_against_the_local_servers(site: services.Service) -> None:
    dns = dns_server.start(delay=0, private=True)
    try:
        http = await latency.http_request(site.url + "/flags/br/br.gif", times=10)
        query = await latency.dns_query(dns, times=10)
    finally:
        services.stop(dns)
    assert 1e-5 < http < 0.5
    assert 1e-5 < query < 0.5


def test_the_textbook_table_is_ordered_from_cache_to_the_other_side_of_the_world() -> None:
    values = list(latency.TEXTBOOK.values())
    assert values == sorted(values)
    assert values[0] < 1e-8 and values[-1] > 0.1


def test_chart_has_a_bar_per_step(tmp_path) -> None:
    fig = latency.chart({"function call": 5e-8, "DNS query": 4e-4})
    bars = fig.axes[0].patches
    assert len(bars) == len(latency.TEXTBOOK) + 2
    assert fig.axes[0].get_xscale() == "log"
    assert plots.save_png(fig, tmp_path / "latency.png").stat().st_size > 1000


def test_the_legend_covers_no_bar() -> None:
    # Both swatches must be seen: over a grey bar, the grey "textbook" swatch would vanish.
    measured = {
        "Python function call": 5e-8,
        "dict lookup": 4e-8,
        "HTTP request": 1.5e-3,
        "DNS query": 1.3e-3,
    }
    fig = latency.chart(measured)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    ax = fig.axes[0]
    legend = ax.get_legend().get_window_extent(renderer)
    overlaps = [bar.get_y() for bar in ax.patches if bar.get_window_extent(renderer).overlaps(legend)]
    assert overlaps == [], "the legend is drawn over a bar"
