"""When the client is the bottleneck: N simultaneous downloads with five HTTP client set-ups.

The download lessons show that one asyncio process can wait on a thousand requests at once: against the
delayed flag site (every answer comes after a fixed delay ``d``) a burst of N requests should take about one
``d``, whatever N. That holds only while the client's own work per request stays small. httpx's connection
pool (httpcore) re-examines every pooled connection each time a request starts or ends, and builds a list of
all connections for each idle one it meets (upstream report encode/httpx#3215), so its CPU time grows much
faster than N: past a couple of hundred connections open at once, the *client*, not the server, sets the
wall time. This module is the harness of the benchmark that measures it (``benchmarks/bench_http_clients.py``);
lesson 10 (``notebooks/10_how_async_works.ipynb``) charts its saved results and sends a smaller burst with
code of its own.

Five ways to send the same burst (:data:`KINDS`):

``httpx``          one ``httpx.AsyncClient`` whose pool holds all N connections (limits sized to N), and
                   keeps them all alive when idle
``httpx-few-idle`` the same, but keeping at most 20 idle connections alive (httpx's own default for
                   ``max_keepalive_connections``): the others are closed as they finish, so the pool's
                   per-idle-connection bookkeeping stays small
``httpx-split``    several ``AsyncClient`` s, ``per_client`` connections each (100 by default): each
                   pool stays small, so its bookkeeping stays cheap
``httpx-aiohttp``  the httpx API on aiohttp's connection pool (``httpx_aiohttp.HttpxAiohttpClient``)
``aiohttp``        an ``aiohttp.ClientSession`` with a ``TCPConnector(limit=N)``

:func:`measure` sends one burst (every request started at once, no semaphore, unless ``limit`` caps the
requests in flight as flags2's ``-m`` does; N may exceed the number of countries, so the flag codes repeat)
and returns a :class:`Result`: wall time, CPU time of this process (``time.process_time``; the flag site
runs in its own process, so its work is not counted), and how many answers were ``200 OK``. Client set-up
and close are inside the measurement: a script pays for them too. Run each measurement in a fresh event
loop (:func:`run` does) so one burst's leftovers cannot slow the next.

:func:`save_results` / :func:`load_results` keep a sweep as JSON (``benchmarks/bench_http_clients.py`` writes
``benchmarks/results/http_clients.json``); :func:`plot_results` draws wall and CPU time per kind against N
with :func:`support.plots.bursts_chart`, the chart the lesson draws from the saved file.

It lives in ``benchmarks/``, outside the rooms of ``support/``: it may use any of them, and none uses it.
"""

from __future__ import annotations

import asyncio
import gc
import json
import math
import statistics
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from support.lab.flag_server import BASE_PATH
from support.open_files import raise_open_file_limit
from support.workbook import reports

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "DEFAULT_PER_CLIENT",
    "DEFAULT_REQUEST_TIMEOUT",
    "FEW_IDLE",
    "KINDS",
    "Result",
    "failure_kinds",
    "flag_urls",
    "load_results",
    "measure",
    "median_results",
    "plot_results",
    "run",
    "save_results",
]

KINDS: tuple[str, ...] = ("httpx", "httpx-few-idle", "httpx-split", "httpx-aiohttp", "aiohttp")
# httpx's default number of idle connections kept alive, used by "httpx-few-idle".
FEW_IDLE = 20
DEFAULT_PER_CLIENT = 100  # connections per httpx client in "httpx-split"
#: Generous on purpose: a slow client should show up as a long wall time, not as a pile of timeouts.
DEFAULT_REQUEST_TIMEOUT = 60.0


@dataclass(frozen=True)
class Result:
    """One burst: ``n`` requests with client set-up ``kind``, all at once or at most ``limit`` in flight.

    ``wall`` and ``cpu`` are seconds (``cpu`` is this process only); ``ok`` counts ``200 OK`` answers (bodies
    read in full) and ``failed`` everything else, so ``ok + failed == n``. ``errors`` says what the failures
    were (``"HTTP 418"``, an exception's class name) so a failed run explains itself. ``limit`` is ``None``
    for the all-at-once bursts this module is about, or the semaphore's size for a capped run (flags2's
    ``-m``).
    """

    kind: str
    n: int
    wall: float
    cpu: float
    ok: int
    failed: int
    errors: dict[str, int] = field(default_factory=dict)
    limit: int | None = None

    @property
    def cpu_share(self) -> float:
        """CPU time over wall time: near 1.0 means the client was busy all along, i.e. the bottleneck."""
        return self.cpu / self.wall if self.wall > 0 else 0.0


# --- the burst ----------------------------------------------------------------------------------------------


def flag_urls(url: str, n: int) -> list[str]:
    """``n`` GIF URLs on the flag site at ``url``, cycling through the country codes when ``n`` exceeds them.

    ``url`` is the site's base (``Service.url``) or the chapter's ``BASE_URL`` ending in ``/flags``.
    """
    from support.lab.flag_data import countries

    base = url.rstrip("/")
    if not base.endswith(BASE_PATH):
        base += BASE_PATH
    codes = [c.cc.lower() for c in countries()]
    return [f"{base}/{cc}/{cc}.gif" for cc in (codes[i % len(codes)] for i in range(n))]


_Fetch = Callable[[str], Awaitable[int]]


async def _burst(urls: Sequence[str], fetch: _Fetch, limit: int | None) -> list[int | BaseException]:
    if limit is None:
        return await asyncio.gather(*(fetch(u) for u in urls), return_exceptions=True)
    semaphore = asyncio.Semaphore(limit)

    async def capped(url: str) -> int:
        async with semaphore:
            return await fetch(url)

    return await asyncio.gather(*(capped(u) for u in urls), return_exceptions=True)


def _import_client(kind: str) -> None:
    # Imported on demand so that importing this module (a report reading saved results) stays cheap.
    import importlib

    for module in {
        "httpx": ["httpx"],
        "httpx-few-idle": ["httpx"],
        "httpx-split": ["httpx"],
        "aiohttp": ["aiohttp"],
    }.get(kind, ["httpx", "aiohttp", "httpx_aiohttp"]):
        importlib.import_module(module)


async def _run_httpx(
    urls: Sequence[str],
    n_clients: int,
    per_client: int,
    limit: int | None,
    request_timeout: float,
    keepalive: int | None = None,
) -> list[Any]:
    import httpx

    idle = per_client if keepalive is None else min(keepalive, per_client)
    limits = httpx.Limits(max_connections=per_client, max_keepalive_connections=idle)
    clients = [httpx.AsyncClient(limits=limits, timeout=request_timeout) for _ in range(n_clients)]
    try:
        fetch = _httpx_fetcher(clients[0]) if n_clients == 1 else _least_loaded(clients)
        return await _burst(urls, fetch, limit)
    finally:
        for client in clients:
            await client.aclose()


async def _run_httpx_aiohttp(
    urls: Sequence[str], pool: int, limit: int | None, request_timeout: float
) -> list[Any]:
    import httpx
    from httpx_aiohttp import HttpxAiohttpClient

    # The transport hands max_connections to aiohttp's TCPConnector(limit=...); left unset it would be 100.
    limits = httpx.Limits(max_connections=pool, max_keepalive_connections=pool)
    async with HttpxAiohttpClient(limits=limits, timeout=request_timeout) as client:
        return await _burst(urls, _httpx_fetcher(client), limit)


def _httpx_fetcher(client: Any) -> _Fetch:
    async def fetch(url: str) -> int:
        response = await client.get(url)  # reads the whole body
        return int(response.status_code)  # the client is typed Any: say what comes back

    return fetch


def _least_loaded(clients: Sequence[Any]) -> _Fetch:
    """Send each request through the client with the fewest requests in flight.

    Round robin by request number is not enough once a semaphore admits requests as others finish: answers
    do not come back evenly, one pool would get more than its share and queue requests inside it, the case
    httpx's pool handles worst. With ``k`` pools of ``p`` connections and at most ``k * p`` requests in
    flight, the least loaded pool always has a free connection.
    """
    in_flight = [0] * len(clients)

    async def fetch(url: str) -> int:
        i = min(range(len(clients)), key=in_flight.__getitem__)
        in_flight[i] += 1
        try:
            response = await clients[i].get(url)
            return int(response.status_code)
        finally:
            in_flight[i] -= 1

    return fetch


async def _run_aiohttp(
    urls: Sequence[str], pool: int, limit: int | None, request_timeout: float
) -> list[Any]:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=pool)
    session_timeout = aiohttp.ClientTimeout(total=request_timeout)
    async with aiohttp.ClientSession(connector=connector, timeout=session_timeout) as session:

        async def fetch(url: str) -> int:
            async with session.get(url) as response:
                await response.read()  # the whole body, as httpx's get() reads it
                return response.status

        return await _burst(urls, fetch, limit)


async def measure(
    kind: str,
    url: str,
    n: int,
    *,
    limit: int | None = None,
    per_client: int = DEFAULT_PER_CLIENT,
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
) -> Result:
    """Send ``n`` simultaneous GETs for flag images to the flag site at ``url`` with ``kind``; time them.

    By default every request starts at once (no semaphore). With ``limit``, an ``asyncio.Semaphore`` lets
    at most that many run at a time, as flags2's ``-m`` does. Either way every pool holds as many
    connections as can be in flight (``min(n, limit)``), so no request waits inside a pool: a slow burst is
    the client's own cost, not a hidden queue. ``per_client`` is the pool size of each client in
    ``"httpx-split"`` (``ceil(pool / per_client)`` clients); ``request_timeout`` (seconds) bounds each
    request.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if n < 1 or per_client < 1 or (limit is not None and limit < 1):
        raise ValueError(f"n, limit and per_client must be at least 1, got {n=}, {limit=}, {per_client=}")
    pool = n if limit is None else min(n, limit)
    raise_open_file_limit(pool + 256)
    urls = flag_urls(url, n)
    _import_client(kind)  # the first burst must not be charged for importing its library
    gc.collect()  # garbage left by an earlier burst must not be collected, and charged, during this one
    wall0, cpu0 = time.perf_counter(), time.process_time()
    if kind == "httpx":
        outcomes = await _run_httpx(urls, 1, pool, limit, request_timeout)
    elif kind == "httpx-few-idle":
        outcomes = await _run_httpx(urls, 1, pool, limit, request_timeout, keepalive=FEW_IDLE)
    elif kind == "httpx-split":
        n_clients = math.ceil(pool / per_client)
        outcomes = await _run_httpx(urls, n_clients, min(per_client, pool), limit, request_timeout)
    elif kind == "httpx-aiohttp":
        outcomes = await _run_httpx_aiohttp(urls, pool, limit, request_timeout)
    else:
        outcomes = await _run_aiohttp(urls, pool, limit, request_timeout)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    errors = failure_kinds(outcomes)
    failed = sum(errors.values())
    return Result(kind, n, wall, cpu, n - failed, failed, dict(errors), limit)


def failure_kinds(outcomes: Iterable[int | BaseException]) -> Counter[str]:
    """How many requests failed, by kind: an exception's class name, or ``"HTTP <status>"`` for a status not 200."""
    return Counter(
        type(o).__name__ if isinstance(o, BaseException) else f"HTTP {o}" for o in outcomes if o != 200
    )


def run(kind: str, url: str, n: int, **options: Any) -> Result:
    """:func:`measure` in a fresh event loop (``asyncio.run``), as every benchmark measurement is taken.

    In a notebook, whose kernel already runs a loop, ``await measure(...)`` instead.
    """
    return asyncio.run(measure(kind, url, n, **options))


# --- results on disk ----------------------------------------------------------------------------------------


def save_results(results: Iterable[Result], path: str | Path, **meta: Any) -> Path:
    """Write ``results`` (and ``meta``, e.g. the delay and the machine) as JSON, atomically.

    A lesson reading the file while a benchmark rewrites it sees the old file or the new one, never half.
    """
    return reports.write_json({**meta, "results": [asdict(r) for r in results]}, path)


def load_results(path: str | Path) -> list[Result]:
    """The results in a file written by :func:`save_results` (its other keys are metadata, read with json)."""
    report = json.loads(Path(path).read_text())
    rows = report["results"] if isinstance(report, Mapping) else report
    return [
        Result(
            kind=str(r["kind"]),
            n=int(r["n"]),
            wall=float(r["wall"]),
            cpu=float(r["cpu"]),
            ok=int(r["ok"]),
            failed=int(r["failed"]),
            errors={str(k): int(v) for k, v in r.get("errors", {}).items()},
            limit=None if r.get("limit") is None else int(r["limit"]),
        )
        for r in rows
    ]


def median_results(results: Iterable[Result]) -> list[Result]:
    """One result per (kind, n, limit): the median wall and CPU time over repeats, failures summed.

    Repeats absorb the odd slow run (another program, a garbage collection); the median ignores it without
    hiding a kind that is slow every time. Ordered by :data:`KINDS` then n.
    """
    groups: dict[tuple[str, int, int | None], list[Result]] = {}
    for r in results:
        groups.setdefault((r.kind, r.n, r.limit), []).append(r)
    merged = []
    for (kind, n, limit), group in groups.items():
        errors: Counter[str] = Counter()
        for r in group:
            errors.update(r.errors)
        merged.append(
            Result(
                kind,
                n,
                statistics.median(r.wall for r in group),
                statistics.median(r.cpu for r in group),
                sum(r.ok for r in group),
                sum(r.failed for r in group),
                dict(errors),
                limit,
            )
        )
    order = {k: i for i, k in enumerate(KINDS)}
    return sorted(merged, key=lambda r: (order.get(r.kind, len(order)), r.kind, r.n, r.limit or 0))


# --- the chart ----------------------------------------------------------------------------------------------


def plot_results(
    results: Iterable[Result],
    *,
    delay: float | None = None,
    title: str = "N simultaneous downloads: wall time and client CPU time",
) -> Figure:
    """Two panels, wall time and client CPU time against N, one line per kind (medians over repeats).

    Only the all-at-once bursts are drawn (``limit is None``); capped runs answer another question.

    With ``delay`` the wall panel also shows the server's delay: the time a burst would take if the client
    cost nothing. A line that climbs with N while the server's delay stays fixed is a client bottleneck.
    """
    from support import plots  # picks a headless backend outside notebooks before pyplot loads

    bursts = [plots.Burst(r.kind, r.n, r.wall, r.cpu) for r in median_results(results) if r.limit is None]
    if not bursts:
        raise ValueError("plot_results needs at least one all-at-once result")
    return plots.bursts_chart(bursts, delay=delay, title=title)
