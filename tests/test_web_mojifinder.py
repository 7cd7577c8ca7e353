"""The web character finder: its JSON answers, its form, offline docs, and a real server under bad input."""

from __future__ import annotations

import asyncio
import re
import socket
import subprocess
import sys
import unicodedata
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from support.examples import web_mojifinder
from support.examples.charindex import InvertedIndex
from support.lab import services

EXTERNAL = re.compile(r"""(?:src|href|url)\s*[=:(]\s*["']?\s*(?:https?:)?//""", re.I)


@pytest.fixture(scope="module")
def index() -> InvertedIndex:
    return InvertedIndex(0x20, 0x3000)


@pytest.fixture
async def client(index: InvertedIndex) -> AsyncIterator[httpx.AsyncClient]:
    """The app itself, called in this process through httpx's ASGI transport: no socket, no server."""
    app = web_mojifinder.create_app(index)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        yield c


@pytest.mark.parametrize("query", ["rightwards arrow", "GREEK small LETTER", "latin-capital a", "a"])
async def test_search_answers_the_index_sorted_by_character(
    client: httpx.AsyncClient, index: InvertedIndex, query: str
) -> None:
    response = await client.get("/search", params={"q": query})
    assert response.status_code == 200
    found = response.json()
    assert [item["char"] for item in found] == sorted(index.search(query))
    assert found, "each of these queries finds something"
    assert all(set(item) == {"char", "name"} for item in found)
    assert all(unicodedata.name(item["char"]) == item["name"] for item in found)


@pytest.mark.parametrize("raw", ["q=", "q=%20%20", "q=zzzz", "q=%FF%FE", "q=%00%1B%5B", "q=%3C%2F%3E"])
async def test_odd_queries_get_an_empty_list(client: httpx.AsyncClient, raw: str) -> None:
    response = await client.get(f"/search?{raw}")
    assert response.status_code == 200 and response.json() == []


async def test_a_missing_query_is_a_422_that_says_where(client: httpx.AsyncClient) -> None:
    missing = await client.get("/search")
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["query", "q"]
    long = await client.get("/search", params={"q": "cat face " * 500})  # any length the server takes in
    assert long.status_code == 200 and len(long.json()) == len(await _json(client, "cat face"))


async def _json(client: httpx.AsyncClient, query: str) -> list[dict[str, str]]:
    response = await client.get("/search", params={"q": query})
    assert response.status_code == 200
    found: list[dict[str, str]] = response.json()
    return found


async def test_only_get_is_allowed_on_search(client: httpx.AsyncClient) -> None:
    assert (await client.post("/search", params={"q": "a"})).status_code == 405
    assert (await client.get("/nothing-here")).status_code == 404


async def test_the_form_is_one_page_with_nothing_from_elsewhere(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = response.text
    assert 'type="search"' in page and "fetch(" in page and "search?q=" in page
    assert not EXTERNAL.search(page), "the form must work offline"
    assert ".innerHTML" not in page, "results are drawn as text, never as markup"


def _references(page: str) -> list[str]:
    return re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", page) + re.findall(
        r"""url\s*:\s*["']([^"']+)["']""", page
    )


@pytest.mark.parametrize("docs", ["/docs", "/redoc"])
async def test_the_docs_reference_no_external_url_and_their_files_are_served(
    client: httpx.AsyncClient, docs: str
) -> None:
    page = (await client.get(docs)).text
    references = _references(page)
    assert references, "the docs page loads its script from somewhere"
    assert not [r for r in references if re.match(r"(https?:)?//", r)], references
    assert not EXTERNAL.search(page)
    assert "cdn" not in page.lower()
    for reference in references:
        response = await client.get(reference)
        assert response.status_code == 200, reference
        assert len(response.content) > 100, reference
    assert '"validatorUrl": null' in page or docs == "/redoc", "no badge asking an outside validator"


async def test_the_schema_describes_search_and_its_model(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    assert list(schema["paths"]) == ["/search"]
    assert set(schema["components"]["schemas"]["CharName"]["properties"]) == {"char", "name"}
    assert schema["paths"]["/search"]["get"]["parameters"][0]["name"] == "q"


# --- the real server, in its own process ------------------------------------------------------------------


@pytest.fixture(scope="module")
def service() -> Iterator[services.Service]:
    running = web_mojifinder.start()
    yield running
    services.stop(running)
    assert running.process.returncode == 0, "SIGTERM ends the server with status 0"


async def test_the_service_answers_over_http(service: services.Service) -> None:
    assert service.url.startswith("http://127.0.0.1:")
    assert web_mojifinder.start() is service
    async with httpx.AsyncClient(base_url=service.url) as http:
        found = (await http.get("/search", params={"q": "cat face"})).json()
        assert {"char": chr(0x1F431), "name": "CAT FACE"} in found
        assert [f["char"] for f in found] == sorted(f["char"] for f in found)
        assert (await http.get("/docs")).status_code == 200


async def _raw(service: services.Service, data: bytes, read: bool = True) -> bytes:
    """Send ``data``; return what came back before the server closed the connection.

    A reset is a close too: a server may answer a bad request and close while the client is still sending
    (100 KB of target), and then the client's kernel reports a reset instead of the end of the stream.
    """
    reader, writer = await asyncio.open_connection(service.host, service.port)
    reply = b""
    try:
        writer.write(data)
        await writer.drain()
        while read and (chunk := await asyncio.wait_for(reader.read(65536), 10)):
            reply += chunk
    except ConnectionError:  # reset or broken pipe: the server closed first
        pass
    finally:
        writer.close()
    return reply


async def _still_serves(service: services.Service) -> None:
    async with httpx.AsyncClient(base_url=service.url) as http:
        response = await http.get("/search", params={"q": "rightwards arrow"})
        assert response.status_code == 200 and response.json()


@pytest.mark.parametrize(
    "data",
    [
        bytes((i * 7919 + 13) % 256 for i in range(2048)),
        b"GET /search?q=\xff\xfe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  # a TLS hello, to a plain HTTP server
    ],
    ids=["garbage", "non-utf8-target", "overlong-target", "tls-hello"],
)
async def test_bad_bytes_get_an_answer_or_a_close_and_the_server_goes_on(
    service: services.Service, data: bytes
) -> None:
    reply = await _raw(service, data)
    assert reply == b"" or reply.startswith(b"HTTP/1.1 ")
    await _still_serves(service)


async def test_a_client_that_vanishes_mid_reply_does_not_stop_the_server(service: services.Service) -> None:
    request = b"GET /search?q=letter HTTP/1.1\r\nHost: x\r\n\r\n"  # megabytes of JSON
    for _ in range(5):
        await _raw(service, request, read=False)
    await _still_serves(service)
    assert service.alive


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "support.examples.web_mojifinder", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_help_exits_0() -> None:
    result = _run("--help")
    assert result.returncode == 0 and "/search?q=" in result.stdout and "exit status" in result.stdout


@pytest.mark.parametrize("args", [["--port", "x"], ["--port", "-1"], ["--host", "8.8.8.8"], ["extra"]])
def test_usage_errors_exit_2_with_one_line(args: list[str]) -> None:
    result = _run(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "error:" in result.stderr.strip().splitlines()[-1]


def test_a_taken_port_exits_1() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = _run("--port", str(taken.getsockname()[1]))
    assert result.returncode == 1
    assert "cannot listen" in result.stderr and "Traceback" not in result.stderr


async def test_silent_and_half_sent_requests_do_not_block_others(service: services.Service) -> None:
    silent = await asyncio.open_connection(service.host, service.port)
    half = await asyncio.open_connection(service.host, service.port)
    half[1].write(b"GET /search?q=cat HTTP/1.1\r\nHost: x\r\n")  # headers never finished
    await half[1].drain()
    try:
        await _still_serves(service)
    finally:
        for _, writer in (silent, half):
            writer.close()
