"""The local web site lesson 11's crawler crawls: a few hundred linked pages, the same for the same seed.

``python -m support.lab.crawl_site`` serves a made-up documentation site: a home page, six sections, and pages
that link to each other the way real pages do. Everything a crawler must cope with is in it, on purpose:

- cycles: every page links back home and to its section, and pages link to each other at random;
- one page spelt many ways: ``/guide/7``, ``http://127.0.0.1:PORT/guide/7``, ``/guide/7#notes``, ``7``,
  ``./7``, ``../guide/7`` and ``/guide/7/`` (a trailing slash, answered with a redirect to the real address);
- links out of the site (another host, another port on this host, ``mailto:``...), which a crawler must never
  follow: the lessons run offline;
- links to pages that do not exist (404), and pages that exist but that nothing links to (drafts);
- a ``/robots.txt`` that asks crawlers to keep out of the drafts;
- in ``faulty`` mode, a few slow pages and one page that never answers.

Modes (``--mode``):

========== ===================================================================================================
``plain``  answer at once
``slow``   hold each page back ``--delay`` seconds (default 0.02; a range ``LOW:HIGH`` is fixed per page by
           the seed)
``faulty`` as slow, plus ``SLOW_PAGES`` pages that take ``--slow-page`` seconds (default 1) and one page,
           ``Site.stalled``, that never answers until the client gives up or the server stops
========== ===================================================================================================

The graph is :func:`make_site` of ``--pages`` and ``--seed``: :meth:`Site.reachable` says which pages a
correct crawl finds. Every request is logged (path, start, end, status, outcome, detail), served at
``GET /_log`` and cleared by ``DELETE /_log``, as on the flag site: :func:`read_log`, :func:`clear_log`.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import posixpath
import random
import time
import urllib.request
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from support import cli
from support.lab import asgi_server, services
from support.lab.services import Service
from support.timing import Status

__all__ = [
    "DEFAULT_PAGES",
    "MODES",
    "OFF_SITE",
    "SECTIONS",
    "SLOW_PAGES",
    "Site",
    "clear_log",
    "main",
    "make_site",
    "read_log",
    "start",
]

MODES = ("plain", "slow", "faulty")
SECTIONS = ("guide", "howto", "library", "reference", "blog", "faq")
DEFAULT_PAGES = 300  # content pages; with home and the section pages the site is a few hundred
DEFAULT_SEED = 2015  # the year "A Web Crawler With asyncio Coroutines" came out
SLOW_PAGES = 4
_DEFAULT_DELAY = {"slow": 0.02, "faulty": 0.02}
_DEFAULT_SLOW_PAGE = 1.0
_MAX_DELAY = 60.0
_MAX_PAGES = 5000
_LOG_MAX = 20_000
_ORIGIN = "@ORIGIN@"  # stands for http://host:port in a page's text until the page is served
#: Links out of the site: other hosts, another port on this host, other schemes. None may ever be fetched.
OFF_SITE = (
    "https://docs.python.org/3/library/asyncio-queue.html",
    "https://peps.python.org/pep-0492/",
    "http://example.com/",
    "//cdn.example.net/fonts.css",
    "http://127.0.0.1:9/guide/1",
    "mailto:webmaster@example.com",
    "ftp://ftp.example.org/pub/",
    "javascript:void(0)",
)
_WORDS = (
    "queue worker task loop await event lock future socket page link crawl fetch parse "
    "timeout deadline cancel signal buffer stream channel limit budget retry schedule"
).split()


@dataclass(frozen=True)
class Site:
    """The pages (canonical path -> the hrefs it links to, as written) and what is special about some of them.

    A canonical path has no trailing slash (except ``/``), no fragment and no query: ``/guide/7``.
    """

    pages: dict[str, tuple[str, ...]]
    titles: dict[str, str]
    stalled: str
    slow: frozenset[str]
    drafts: frozenset[str]

    def targets(self, path: str) -> list[str]:
        """The canonical on-site paths ``path`` links to (existing or not), in the order of its links."""
        found = []
        for href in self.pages[path]:
            target = resolve(href, path)
            if target is not None:
                found.append(target)
        return found

    def depths(self) -> dict[str, int]:
        """Every page reachable from home by following on-site links, with its fewest clicks from home.

        Links to pages that do not exist are followed too (a crawler must ask to know), so those paths are
        here as well: :meth:`reachable` keeps the pages, :meth:`broken` the rest.
        """
        depth = {"/": 0}
        todo = deque(["/"])
        while todo:
            path = todo.popleft()
            if path not in self.pages:
                continue  # a 404 has no links
            for target in self.targets(path):
                if target not in depth:
                    depth[target] = depth[path] + 1
                    todo.append(target)
        return depth

    def reachable(self) -> set[str]:
        """The pages a correct crawl from home fetches with a 200."""
        return {path for path in self.depths() if path in self.pages}

    def broken(self) -> set[str]:
        """On-site paths that some reachable page links to but that do not exist: each answers 404."""
        return {path for path in self.depths() if path not in self.pages}


def resolve(href: str, page: str) -> str | None:
    """The canonical path ``href`` on ``page`` points to, or None when it leads out of the site."""
    if href.startswith(_ORIGIN):
        href = href[len(_ORIGIN) :]
    elif ":" in href.split("/", 1)[0] or href.startswith("//"):
        return None  # another scheme or another host
    href = href.split("#", 1)[0]
    if not href:
        return page
    base = page if page.endswith("/") else posixpath.dirname(page).rstrip("/") + "/"
    # normpath drops the ".." that would climb above the root, as a browser does.
    return posixpath.normpath(posixpath.join(base, href)).rstrip("/") or "/"


def _spell(rng: random.Random, target: str, page: str) -> str:
    """One of the many ways a page may write a link to ``target``."""
    way = rng.choice(["absolute", "absolute", "full", "fragment", "slash", "relative", "relative", "dotted"])
    if way == "full":
        return _ORIGIN + target
    if way == "fragment":
        return f"{target}#{rng.choice(_WORDS)}"
    if way == "slash" and target != "/":
        return target + "/"
    if way in ("relative", "dotted"):
        base = page if page == "/" else posixpath.dirname(page)
        relative = posixpath.relpath(target, base)
        if way == "dotted":
            relative = "./" + relative if not relative.startswith("..") else "../../" + target.lstrip("/")
        return relative
    return target


def make_site(pages: int = DEFAULT_PAGES, seed: int = DEFAULT_SEED) -> Site:
    """The site of ``pages`` content pages for ``seed``: the same arguments always give the same site."""
    if not 2 * len(SECTIONS) <= pages <= _MAX_PAGES:
        raise ValueError(f"pages must be from {2 * len(SECTIONS)} to {_MAX_PAGES}, not {pages}")
    rng = random.Random(seed)
    per_section = {s: pages // len(SECTIONS) + (i < pages % len(SECTIONS)) for i, s in enumerate(SECTIONS)}
    content = [f"/{s}/{n}" for s in SECTIONS for n in range(1, per_section[s] + 1)]
    links: dict[str, list[str]] = {}
    titles: dict[str, str] = {"/": "Home"}
    links["/"] = [f"/{s}" for s in SECTIONS] + rng.sample(content, 3)
    for section in SECTIONS:
        path = f"/{section}"
        titles[path] = section.capitalize()
        first = [f"{path}/{n}" for n in range(1, min(5, per_section[section]) + 1)]
        links[path] = ["/", *first, *(f"/{s}" for s in SECTIONS if s != section)]
    for path in content:
        section, n = path[1:].split("/")
        number = int(n)
        titles[path] = f"{section.capitalize()} {number}: {' '.join(rng.sample(_WORDS, 3))}"
        out = ["/", f"/{section}", *rng.sample(content, rng.randint(1, 4))]
        if number < per_section[section]:
            out.insert(2, f"/{section}/{number + 1}")  # older posts, next chapter: the site's long paths
        if number > 1:
            out.append(f"/{section}/{number - 1}")
        links[path] = out
    drafts = frozenset(f"/{s}/draft-{n}" for s in SECTIONS[:2] for n in (1, 2))  # served, never linked
    for path in drafts:
        titles[path] = "Draft"
        links[path] = ["/"]
    written: dict[str, tuple[str, ...]] = {}
    for path, targets in links.items():
        hrefs = [_spell(rng, target, path) for target in targets]
        if path not in drafts and rng.random() < 0.06:  # a link to a page that is gone
            hrefs.insert(rng.randrange(len(hrefs) + 1), f"/{rng.choice(SECTIONS)}/{rng.randint(900, 999)}")
        if path not in drafts and (path == "/" or rng.random() < 0.2):
            hrefs.insert(rng.randrange(len(hrefs) + 1), rng.choice(OFF_SITE))
        written[path] = tuple(hrefs)
    linked = [p for p in content if p not in drafts]
    special = rng.sample(linked, SLOW_PAGES + 1)
    return Site(written, titles, special[0], frozenset(special[1:]), drafts)


def render(site: Site, path: str) -> str:
    """The page at ``path`` as HTML, with ``@ORIGIN@`` where the server's address goes."""
    rng = random.Random(path)
    title = html.escape(site.titles[path])
    items = "\n".join(
        f'  <li><a href="{html.escape(href)}">{html.escape(href.replace(_ORIGIN, "") or "this page")}</a></li>'
        for href in site.pages[path]
    )
    text = "\n".join(
        "<p>" + " ".join(rng.choice(_WORDS) for _ in range(rng.randint(40, 90))) + ".</p>"
        for _ in range(rng.randint(2, 8))
    )
    return (
        f'<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8"><title>{title}</title></head>\n'
        f'<body>\n<h1 id="top">{title}</h1>\n{text}\n<ul>\n{items}\n</ul>\n</body>\n</html>\n'
    )


# --- the server ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Options:
    """One configuration of the site, every default filled in: equal options, equal value."""

    mode: str
    delay: tuple[float, float]
    slow_page: float
    pages: int
    seed: int

    @classmethod
    def resolve(
        cls,
        mode: str,
        delay: str | float | tuple[float, float] | None,
        slow_page: str | float | None,
        pages: str | int | None,
        seed: int | None,
    ) -> _Options:
        """Fill in the mode's defaults and check every value; raises ValueError (a ``cli.BadValue``)."""
        if mode not in MODES:
            raise cli.BadValue(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        return cls(
            mode,
            cli.parse_delay(_DEFAULT_DELAY.get(mode, 0.0) if delay is None else delay, _MAX_DELAY),
            cli.seconds_up_to(_MAX_DELAY)(_DEFAULT_SLOW_PAGE if slow_page is None else slow_page),
            cli.whole_number_up_to(_MAX_PAGES)(DEFAULT_PAGES if pages is None else pages),
            DEFAULT_SEED if seed is None else int(seed),
        )

    def to_args(self) -> list[str]:
        """The command line for this configuration, every option spelt out one way."""
        return [
            *("--mode", self.mode),
            *("--delay", cli.format_delay(self.delay)),
            *("--slow-page", repr(self.slow_page)),
            *("--pages", str(self.pages)),
            *("--seed", str(self.seed)),
        ]


class _CrawlSite:
    """The site as a raw ASGI app: a stalled page is no Response, and pages need the server's own address."""

    def __init__(self, options: _Options, site: Site) -> None:
        self.options = options
        self.site = site
        self.log: deque[dict[str, Any]] = deque(maxlen=_LOG_MAX)
        self.closing = asyncio.Event()  # set at shutdown, so that held requests end now
        self._bodies: dict[str, bytes] = {}

    def _body(self, path: str, origin: str) -> bytes:
        if path not in self._bodies:
            self._bodies[path] = render(self.site, path).replace(_ORIGIN, origin).encode()
        return self._bodies[path]

    def robots(self) -> bytes:
        """The site's robots.txt: keep out of the drafts (every draft's address starts with one of these)."""
        prefixes = sorted({path.rsplit("-", 1)[0] + "-" for path in self.site.drafts})
        return ("User-agent: *\n" + "".join(f"Disallow: {prefix}\n" for prefix in prefixes)).encode()

    def _pause(self, path: str) -> float:
        if self.options.mode == "faulty" and path in self.site.slow:
            return self.options.slow_page
        return random.Random(f"{self.options.seed}|{path}").uniform(*self.options.delay)

    async def __call__(
        self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]
    ) -> None:
        path, start = scope["path"], time.time()
        status, outcome, detail = None, Status.ERROR, "shut down"
        try:
            if self.options.mode == "faulty" and path == self.site.stalled:
                outcome, detail = await self._stall(receive)
                return
            pause = self._pause(path) if path in self.site.pages or path == "/robots.txt" else 0.0
            if pause and await self._closing_within(pause):
                return
            host, port = scope["server"]
            origin = f"http://{services.url_host(host)}:{port}"
            headers = [(b"content-type", b"text/html; charset=utf-8")]
            if path in self.site.pages:
                status, outcome, detail, body = 200, Status.OK, "OK", self._body(path, origin)
            elif path == "/robots.txt":
                status, outcome, detail, body = 200, Status.OK, "OK", self.robots()
                headers[0] = (b"content-type", b"text/plain; charset=utf-8")
            elif path.endswith("/") and path.rstrip("/") in self.site.pages:
                status, outcome, detail = 301, Status.OK, "redirect"
                headers.append((b"location", (origin + path.rstrip("/")).encode()))
                body = b""
            else:
                status, outcome, detail = 404, Status.NOT_FOUND, "HTTP 404 Not Found"
                body = b"<!doctype html>\n<title>Not found</title><p>No such page.</p>\n"
            headers.append((b"content-length", str(len(body)).encode()))
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
        finally:
            self.log.append(
                {
                    "path": path,
                    "start": start,
                    "end": time.time(),
                    "status": status,
                    "outcome": str(outcome),
                    "detail": detail,
                }
            )

    async def _closing_within(self, seconds: float) -> bool:
        try:
            async with asyncio.timeout(seconds):
                await self.closing.wait()
        except TimeoutError:
            return False
        return True

    async def _stall(self, receive: Callable[..., Any]) -> tuple[Status, str]:
        """Answer nothing until the client leaves or the server stops: what a client's timeout is for."""
        gone = asyncio.ensure_future(_disconnected(receive))
        closing = asyncio.ensure_future(self.closing.wait())
        try:
            await asyncio.wait({gone, closing}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            gone.cancel()
            closing.cancel()
        return Status.TIMEOUT, "client gave up" if gone.done() and not gone.cancelled() else "stalled"


async def _disconnected(receive: Callable[..., Any]) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def _make_app(options: _Options) -> tuple[Any, _CrawlSite]:
    site = _CrawlSite(options, make_site(options.pages, options.seed))

    async def app(scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            return
        path, method = scope["path"], scope["method"]
        if path == "/_log" and method == "DELETE":
            site.log.clear()
            await _answer(send, 204, b"", b"text/plain")
        elif path == "/_log":
            await _answer(send, 200, json.dumps(list(site.log)).encode(), b"application/json")
        elif path == "/health":
            o = options
            config = {"mode": o.mode, "delay": list(o.delay), "pages": o.pages, "seed": o.seed}
            await _answer(send, 200, json.dumps({"status": "ok", **config}).encode(), b"application/json")
        else:
            await site(scope, receive, send)

    return app, site


async def _answer(send: Callable[..., Any], status: int, body: bytes, kind: bytes) -> None:
    headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m support.lab.crawl_site", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--mode", choices=MODES, default="plain", help="how to misbehave (default: plain)")
    parser.add_argument(
        "--host", type=cli.checked(services.loopback_host), default="127.0.0.1", help="loopback address"
    )
    parser.add_argument("--port", type=cli.port, default=8010, help="0 picks a free port (default: 8010)")
    parser.add_argument("--delay", type=cli.delay(_MAX_DELAY), help="seconds per page, or low:high")
    parser.add_argument("--slow-page", type=cli.seconds_up_to(_MAX_DELAY), help="seconds for the slow pages")
    parser.add_argument(
        "--pages", type=cli.whole_number_up_to(_MAX_PAGES), help="content pages (default 300)"
    )
    parser.add_argument("--seed", type=int, help=f"the site's seed (default {DEFAULT_SEED})")
    args = parser.parse_args(argv)
    try:
        args.options = _Options.resolve(args.mode, args.delay, args.slow_page, args.pages, args.seed)
    except ValueError as exc:
        parser.error(str(exc))
    return args


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGINT or SIGTERM; exit status 0 then (1 when the port cannot be bound)."""
    args = parse_args(argv)
    app, site = _make_app(args.options)
    return asgi_server.serve(
        app, args.host, args.port, what=f"crawl site ({args.mode})", on_shutdown=site.closing.set
    )


def start(
    mode: str = "plain",
    *,
    delay: str | float | tuple[float, float] | None = None,
    slow_page: float | None = None,
    pages: int | None = None,
    seed: int | None = None,
    private: bool = False,
) -> Service:
    """Run the site in the background on a free port (once per configuration) and return it.

    Options left as None take the mode's defaults; bad values raise ValueError before any process starts.
    ``make_site(pages, seed)`` with the same values is the graph it serves.
    """
    options = _Options.resolve(mode, delay, slow_page, pages, seed)
    return services.start("support.lab.crawl_site", *options.to_args(), private=private)


def read_log(service: Service, timeout: float = 30.0) -> list[dict[str, Any]]:
    """The site's request log (``GET /_log``): path, start, end, HTTP status, outcome and detail of each."""
    with urllib.request.urlopen(service.url + "/_log", timeout=timeout) as response:
        log: list[dict[str, Any]] = json.load(response)
        return log


def clear_log(service: Service, timeout: float = 30.0) -> None:
    """Empty the site's request log (``DELETE /_log``)."""
    request = urllib.request.Request(service.url + "/_log", method="DELETE")
    urllib.request.urlopen(request, timeout=timeout).close()


if __name__ == "__main__":
    raise SystemExit(main())
