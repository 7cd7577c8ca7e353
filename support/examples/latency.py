"""How long things take, from a CPU cache to a network round trip: a textbook table and what we can measure here.

Asynchronous programming pays off because the slow steps of a program are *very* slow next to the fast ones:
a read from a CPU cache takes about a nanosecond, an answer from across the world a tenth of a second, a
hundred million times longer. :data:`TEXTBOOK` holds the figures usually quoted for a typical server (the
"latency numbers every programmer should know", compiled around 2010 by Jeff Dean and Peter Norvig, rounded;
our own selection). The measuring functions take what this machine can show without a network: a Python
function call, a dict lookup, a round trip through a local socket, an HTTP request to the local flag site and
a DNS query to the local DNS server, each the median of many, in seconds. :func:`chart` draws both on one
logarithmic axis.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import timeit
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "TEXTBOOK",
    "chart",
    "dict_lookup",
    "dns_query",
    "function_call",
    "http_request",
    "median_of",
    "socket_round_trip",
]

#: Seconds per step, the usual figures for a server of around 2010, rounded (not measured here).
TEXTBOOK: dict[str, float] = {
    "L1 cache reference": 0.5e-9,
    "L2 cache reference": 7e-9,
    "main memory reference": 100e-9,
    "read 4 KB at random from an SSD": 150e-6,
    "round trip within a data centre": 500e-6,
    "disk seek": 10e-3,
    "packet California → Netherlands → back": 150e-3,
}


def _noop() -> None:
    pass


def function_call(number: int = 1_000_000) -> float:
    """Seconds per call of a Python function that does nothing (timeit's own loop included)."""
    return min(timeit.repeat(_noop, number=number, repeat=3)) / number


def dict_lookup(number: int = 1_000_000) -> float:
    """Seconds per lookup of a string key in a dict of a thousand (timeit's own loop included)."""
    table = {f"key{i}": i for i in range(1000)}
    return (
        min(timeit.repeat("table[key]", globals={"table": table, "key": "key500"}, number=number, repeat=3))
        / number
    )


async def median_of(step: Callable[[], Awaitable[Any]], times: int) -> float:
    """Median seconds of ``times`` awaits of ``step()``, one after another, after one untimed warm-up."""
    await step()
    durations = []
    for _ in range(times):
        started = time.perf_counter()
        await step()
        durations.append(time.perf_counter() - started)
    return statistics.median(durations)


async def socket_round_trip(times: int = 500) -> float:
    """Seconds for one byte to go to a local echo server and back, over a TCP connection on 127.0.0.1.

    Client and server run on this event loop, so each round trip includes the loop's own work on both ends.
    """

    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(1):
            writer.write(data)
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)

        async def round_trip() -> None:
            writer.write(b"x")
            await reader.readexactly(1)

        try:
            return await median_of(round_trip, times)
        finally:
            writer.close()
            await writer.wait_closed()


async def http_request(url: str, times: int = 200) -> float:
    """Seconds for one ``GET url`` with httpx over a kept-alive connection, the body read in full."""
    import httpx

    async with httpx.AsyncClient() as client:

        async def get() -> None:
            response = await client.get(url)
            response.raise_for_status()

        return await median_of(get, times)


async def dns_query(server: Any, domain: str = "if.dev", times: int = 200) -> float:
    """Seconds for one DNS question about ``domain`` to the local DNS server ``server``, and its answer."""
    from support.lab import dns_server

    async def query() -> None:
        await dns_server.probe(domain, server)

    return await median_of(query, times)


_TICKS = {1e-9: "1 ns", 1e-6: "1 µs", 1e-3: "1 ms", 1.0: "1 s"}


def chart(measured: Mapping[str, float], textbook: Mapping[str, float] = TEXTBOOK, title: str = "") -> Figure:
    """Every step as a bar on one logarithmic time axis, fastest on top: textbook grey, measured here blue."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    from support.plots import WIDTH  # support.plots picks a headless backend outside notebooks first

    rows = sorted(
        [(s, name, False) for name, s in textbook.items()] + [(s, name, True) for name, s in measured.items()]
    )
    fig, ax = plt.subplots(figsize=(WIDTH, 0.8 + 0.32 * len(rows)), layout="constrained")
    ax.spines[["top", "right"]].set_visible(False)
    colours = ["#4C72B0" if here else "#B8B8B8" for _, _, here in rows]
    names = [f"{name} (here)" if here else name for _, name, here in rows]
    ax.barh(names, [s for s, _, _ in rows], left=1e-10, color=colours)
    ax.set_xscale("log")
    ax.set_xlim(1e-10, 2.0)
    ax.set_xticks(list(_TICKS), list(_TICKS.values()))
    ax.invert_yaxis()
    ax.tick_params(axis="y", labelsize=8)
    ax.set_xlabel("time per step (log scale: each tick is 1000× the one before)")
    ax.set_title(title or "Latency: textbook figures and what this machine measured", loc="left")
    ax.legend(
        handles=[
            Patch(color="#B8B8B8", label="textbook (about 2010)"),
            Patch(color="#4C72B0", label="measured here"),
        ],
        fontsize=8,
        frameon=False,
        loc="upper right",  # the short bars of the fastest steps leave that corner empty
    )
    return fig
