"""The local flag site: the chapter's layout, each misbehaviour mode, its log, and robustness to bad clients."""

from __future__ import annotations

import asyncio
import os
import random
import select
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

try:
    import resource
except ImportError:  # Windows
    resource = None  # type: ignore[assignment]

from support import paths
from support.lab import asgi_server, flag_data, flag_server, services
from support.lab.flag_server import flags_url
from support.timing import Status

REPO = Path(__file__).resolve().parent.parent
DELAY = 0.2  # small, so the file stays fast, but far above the server's own overhead
SECRET = b"TOP-SECRET-SENTINEL"


def _start(mode: str, **options: object) -> Iterator[services.Service]:
    """A flag site of this test's own (never one another test also holds), stopped at the end."""
    service = flag_server.start(mode, private=True, **options)  # type: ignore[arg-type]
    yield service
    services.stop(service)


@pytest.fixture(scope="module")
def plain() -> Iterator[services.Service]:
    yield from _start("plain")


@pytest.fixture(scope="module")
def delayed() -> Iterator[services.Service]:
    yield from _start("delay", delay=DELAY)


@pytest.fixture(scope="module")
def errors() -> Iterator[services.Service]:
    yield from _start("errors", delay=0, seed=7)  # the default delay is tested through parse_args


@pytest.fixture(scope="module")
def drop() -> Iterator[services.Service]:
    yield from _start("drop")


@pytest.fixture(scope="module")
def stall() -> Iterator[services.Service]:
    yield from _start("stall", stall_max=1.0)


def _raw(service: services.Service, data: bytes, *, half_close: bool = False, timeout: float = 5.0) -> bytes:
    """Send bytes exactly as given (no client library to tidy them up) and read until the server closes."""
    chunks = []
    with socket.create_connection((service.host, service.port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except (ConnectionResetError, BrokenPipeError):
            pass  # the server may hang up while we still send: that is a refusal too
    return b"".join(chunks)


def _request(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()


def _status(response: bytes) -> int | None:
    parts = response.split(b"\r\n", 1)[0].split()
    return int(parts[1]) if len(parts) >= 2 and parts[0].startswith(b"HTTP/1.") else None


def _log(service: services.Service) -> list[dict[str, object]]:
    return httpx.get(service.url + "/_log").json()


def _forget(service: services.Service) -> None:
    assert httpx.delete(service.url + "/_log").status_code == 204


def _still_serves(service: services.Service) -> None:
    response = httpx.get(service.url + "/health", timeout=5)
    assert response.status_code == 200 and response.json()["status"] == "ok"


# --- command line --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("mode", "port"), [("plain", 8000), ("delay", 8001), ("errors", 8002)])
def test_default_port_follows_the_chapter(mode: str, port: int) -> None:
    assert flag_server.parse_args(["--mode", mode]).port == port
    assert flag_server.parse_args(["--mode", mode, "--port", "0"]).port == 0


def test_drop_and_stall_have_ports_of_their_own() -> None:
    ports = [flag_server.parse_args(["--mode", m]).port for m in flag_server.MODES]
    assert len(set(ports)) == len(ports)
    assert flag_server.parse_args([]).port == 8000 and flag_server.parse_args([]).mode == "plain"


def test_defaults_depend_on_mode() -> None:
    assert flag_server.parse_args([]).delay == (0.0, 0.0)
    assert flag_server.parse_args(["--mode", "delay"]).delay == (0.5, 0.5)
    assert flag_server.parse_args(["--mode", "errors"]).error_rate == 0.25
    assert flag_server.parse_args(["--mode", "drop"]).error_rate == 1.0
    assert flag_server.parse_args(["--mode", "delay", "--delay", "0.1:0.5"]).delay == (0.1, 0.5)


@pytest.mark.parametrize(
    "bad", [["--delay", "abc"], ["--delay", "0.5:0.1"], ["--delay", "-1"], ["--error-rate", "2"]]
)
def test_bad_options_are_refused(bad: list[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        flag_server.parse_args(bad)
    assert exc.value.code == 2


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "10.0.0.1", "example.com", ""])
def test_non_loopback_hosts_are_refused_before_binding(host: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        flag_server.main(["--host", host, "--port", "0"])
    assert exc.value.code == 2
    captured = capsys.readouterr()
    assert "loopback" in captured.err and "Serving" not in captured.out


@pytest.mark.parametrize(
    ("host", "bound"), [("localhost", "127.0.0.1"), ("127.0.0.2", "127.0.0.2"), ("::1", "::1")]
)
def test_loopback_hosts_are_accepted(host: str, bound: str) -> None:
    assert flag_server.parse_args(["--host", host]).host == bound


def test_the_command_line_refuses_a_public_host() -> None:
    command = [sys.executable, "-m", "support.lab.flag_server", "--host", "0.0.0.0", "--port", "0"]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and "loopback" in done.stderr and "Serving" not in done.stdout


# --- plain mode: the chapter's site --------------------------------------------------------------------------


def test_serves_the_flag_images_and_metadata(plain: services.Service) -> None:
    assert flags_url(plain) == plain.url + "/flags"
    gif = httpx.get(flags_url(plain) + "/br/br.gif")
    assert gif.status_code == 200 and gif.headers["content-type"] == "image/gif"
    assert gif.content == (flag_data.flag_dir() / "br" / "br.gif").read_bytes()
    meta = httpx.get(flags_url(plain) + "/br/metadata.json")
    assert meta.status_code == 200 and meta.headers["content-type"].startswith("application/json")
    assert meta.json()["country"] == "Brazil"


def test_the_chapter_client_code_works_unchanged(plain: services.Service) -> None:
    base_url = f"http://localhost:{plain.port}/flags"  # as the chapter's scripts spell it

    async def get_flag(client: httpx.AsyncClient, cc: str) -> bytes:
        url = f"{base_url}/{cc}/{cc}.gif".lower()
        resp = await client.get(url, timeout=6.1, follow_redirects=True)
        resp.raise_for_status()
        return resp.content

    async def get_country(client: httpx.AsyncClient, cc: str) -> str:
        url = f"{base_url}/{cc}/metadata.json".lower()
        resp = await client.get(url, timeout=3.1, follow_redirects=True)
        resp.raise_for_status()
        return resp.json()["country"]

    async def download_all() -> tuple[list[bytes], list[str]]:
        async with httpx.AsyncClient() as client:
            images = await asyncio.gather(*(get_flag(client, cc) for cc in flag_data.POP20_CC))
            names = await asyncio.gather(*(get_country(client, cc) for cc in flag_data.POP20_CC))
        return images, names

    images, names = asyncio.run(download_all())
    assert all(image.startswith(b"GIF8") for image in images) and len(set(images)) == 20
    assert names[:3] == ["China", "India", "United States"]


@pytest.mark.parametrize(
    "path",
    [
        "/flags/xx/xx.gif",
        "/flags/br/xx.gif",
        "/flags/br/ar.gif",
        "/flags/BR/BR.gif",
        "/flags/br/",
        "/flags/",
        "/",
    ],
)
def test_unknown_paths_are_404(plain: services.Service, path: str) -> None:
    assert httpx.get(plain.url + path).status_code == 404


def test_keep_alive_requests_are_not_slowed_by_nagle(plain: services.Service) -> None:
    # With Nagle on, each response on a reused connection waits ~40 ms for the client's delayed ACK.
    with httpx.Client() as client:
        client.get(flags_url(plain) + "/br/br.gif")
        started = time.perf_counter()
        for _ in range(20):
            assert client.get(flags_url(plain) + "/br/br.gif").status_code == 200
        elapsed = time.perf_counter() - started
    assert elapsed < 0.5, f"20 requests on one connection took {elapsed:.2f} s"  # with Nagle: 0.8 s


def test_other_methods_are_refused(plain: services.Service) -> None:
    assert httpx.post(flags_url(plain) + "/br/br.gif").status_code == 405


def test_many_flags_concurrently(plain: services.Service) -> None:
    async def fetch_all() -> list[int]:
        async with httpx.AsyncClient() as client:
            codes = [c.cc.lower() for c in flag_data.countries()]
            responses = await asyncio.gather(
                *(client.get(f"{flags_url(plain)}/{cc}/{cc}.gif") for cc in codes)
            )
        return [r.status_code for r in responses]

    assert set(asyncio.run(fetch_all())) == {200}


# --- the log -------------------------------------------------------------------------------------------------


def test_log_records_flag_requests_with_wall_clock_times(plain: services.Service) -> None:
    _forget(plain)
    assert _log(plain) == []
    before = time.time()
    httpx.get(flags_url(plain) + "/br/br.gif")
    httpx.get(flags_url(plain) + "/xx/xx.gif")
    httpx.get(plain.url + "/health")  # control endpoints stay out of the picture
    entries = _log(plain)
    after = time.time()
    assert [(e["path"], e["status"]) for e in entries] == [
        ("/flags/br/br.gif", 200),
        ("/flags/xx/xx.gif", 404),
    ]
    for entry in entries:
        assert before - 1 <= entry["start"] <= entry["end"] <= after + 1  # type: ignore[operator]
    _forget(plain)
    assert _log(plain) == []


def test_log_helpers_clear_read_and_find_the_peak(delayed: services.Service) -> None:
    flag_server.clear_log(delayed)
    assert flag_server.read_log(delayed) == []
    assert flag_server.peak_in_flight(delayed) == 0

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient() as client:
            return await asyncio.gather(*(client.get(flags_url(delayed) + "/br/br.gif") for _ in range(5)))

    assert [r.status_code for r in asyncio.run(burst())] == [200] * 5
    assert [e["path"] for e in flag_server.read_log(delayed)] == ["/flags/br/br.gif"] * 5
    assert flag_server.peak_in_flight(delayed) == 5  # sent together, each held DELAY: all there at once
    flag_server.clear_log(delayed)
    assert flag_server.read_log(delayed) == []


# --- delay mode ----------------------------------------------------------------------------------------------


def test_delay_mode_waits_before_answering(delayed: services.Service) -> None:
    started = time.perf_counter()
    response = httpx.get(flags_url(delayed) + "/br/br.gif")
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert DELAY * 0.9 <= elapsed < DELAY + 2


def test_delay_mode_overlaps_simultaneous_requests(delayed: services.Service) -> None:
    n = 200

    async def one(cc: str) -> int | None:
        reader, writer = await asyncio.open_connection(delayed.host, delayed.port)
        writer.write(_request(f"/flags/{cc}/{cc}.gif"))
        response = await reader.read()
        writer.close()
        return _status(response)

    async def burst() -> list[int | None]:
        codes = [c.cc.lower() for c in flag_data.countries()]
        return await asyncio.gather(*(one(codes[i % len(codes)]) for i in range(n)))

    _forget(delayed)
    started = time.perf_counter()
    statuses = asyncio.run(burst())
    elapsed = time.perf_counter() - started
    assert statuses == [200] * n
    assert elapsed < DELAY * 10, f"{n} requests took {elapsed:.2f} s: they did not overlap"  # in turn: 40 s
    entries = _log(delayed)
    latest_start = max(e["start"] for e in entries)  # type: ignore[type-var]
    assert sum(e["end"] > latest_start for e in entries) > n // 2  # type: ignore[operator]


def test_delay_range_varies_within_bounds() -> None:
    for service in _start("delay", delay=(0.02, 0.12), seed=3):
        with httpx.Client() as client:
            for country in flag_data.countries()[:15]:
                cc = country.cc.lower()
                assert client.get(f"{flags_url(service)}/{cc}/{cc}.gif").status_code == 200
        durations = [e["end"] - e["start"] for e in _log(service)]  # type: ignore[operator]
        assert len(durations) == 15
        assert min(durations) >= 0.02 * 0.9 and max(durations) < 0.12 + 0.2
        assert max(durations) - min(durations) > 0.02, "a range should not give one fixed delay"


# --- errors mode ---------------------------------------------------------------------------------------------


def _error_paths(service: services.Service, paths: list[str], concurrent: bool) -> set[str]:
    async def fetch_all() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=service.url, timeout=10) as client:
            if concurrent:
                return await asyncio.gather(*(client.get(p) for p in paths))
            return [await client.get(p) for p in paths]

    responses = asyncio.run(fetch_all())
    assert {r.status_code for r in responses} <= {200, 418}
    return {str(r.request.url.path) for r in responses if r.status_code == 418}


def test_errors_mode_answers_a_seeded_fraction_with_418(errors: services.Service) -> None:
    paths = [f"/flags/{c.cc.lower()}/{c.cc.lower()}.gif" for c in flag_data.countries()]
    _forget(errors)
    failed = _error_paths(errors, paths, concurrent=False)
    assert 0.15 <= len(failed) / len(paths) <= 0.35, f"{len(failed)} of {len(paths)} failed"
    outcomes = Counter(e["outcome"] for e in _log(errors))
    assert outcomes == {Status.ERROR: len(failed), Status.OK: len(paths) - len(failed)}
    assert {e["detail"] for e in _log(errors) if e["status"] == 418} == {"HTTP 418 I'm a teapot"}
    # Forgetting restarts the seeded choices: the same requests fail, in whatever order they arrive.
    _forget(errors)
    shuffled = random.Random(1).sample(paths, len(paths))
    assert _error_paths(errors, shuffled, concurrent=True) == failed
    # Without forgetting, a retry is a new draw: some of the failed ones now succeed.
    assert _error_paths(errors, sorted(failed), concurrent=False) != failed


def test_errors_mode_says_it_is_a_teapot(errors: services.Service) -> None:
    _forget(errors)
    responses = [
        httpx.get(f"{flags_url(errors)}/{c.cc.lower()}/metadata.json") for c in flag_data.countries()[:30]
    ]
    teapots = [r for r in responses if r.status_code == 418]
    assert teapots and teapots[0].reason_phrase == "I'm a Teapot"


# --- drop and stall modes ------------------------------------------------------------------------------------


def test_drop_mode_closes_without_answering(drop: services.Service) -> None:
    with pytest.raises(httpx.TransportError):
        httpx.get(flags_url(drop) + "/br/br.gif", timeout=5)
    assert _raw(drop, _request("/flags/br/br.gif")) == b""
    assert [(e["outcome"], e["detail"]) for e in _log(drop)][-2:] == [(Status.ERROR, "dropped")] * 2
    _still_serves(drop)


def test_stall_mode_needs_a_client_timeout(stall: services.Service) -> None:
    _forget(stall)
    started = time.perf_counter()
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(flags_url(stall) + "/br/br.gif", timeout=0.2)
    assert time.perf_counter() - started < 3
    deadline = time.monotonic() + 3
    while not (entries := _log(stall)) and time.monotonic() < deadline:
        time.sleep(0.05)
    # The client's timeout ended it, not the cap.
    assert [(e["outcome"], e["detail"]) for e in entries] == [(Status.TIMEOUT, "client gave up")]
    _still_serves(stall)


def test_stall_mode_gives_up_after_its_cap(stall: services.Service) -> None:
    started = time.perf_counter()
    assert _raw(stall, _request("/flags/br/br.gif"), timeout=10) == b""
    assert 0.95 <= time.perf_counter() - started < 5


def test_stopping_with_a_request_stalled_is_quick_and_clean() -> None:
    service = flag_server.start("stall", stall_max=60, private=True)
    with socket.create_connection((service.host, service.port), timeout=10) as sock:
        sock.sendall(_request("/flags/br/br.gif"))
        time.sleep(0.2)  # let the server take the request before it is told to stop
        started = time.perf_counter()
        services.stop(service)
        assert time.perf_counter() - started < 3
        assert service.process.returncode == 0
        assert sock.recv(100) == b""


# --- hostile and broken clients ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[services.Service, Path, list[Path]]]:
    """A flag site on a private cache with secrets planted where a naive path join would reach."""
    root = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(paths.CACHE_ENV, str(root))
        data = flag_data.flag_dir()
        secrets = [
            root / "secret.txt",
            root / "flags" / "secret.txt",
            data / "secret.txt",
            data / "br" / "secret.txt",
        ]
        for secret in secrets:
            secret.write_bytes(SECRET)
        # A private server: a shared one might have been started before, on the real cache.
        yield from ((s, data, secrets) for s in _start("plain"))


def _traversals(data: Path, secrets: list[Path]) -> list[str]:
    absolute = str(secrets[0])
    return [
        "/flags/../secret.txt",
        "/flags/../../secret.txt",
        "/flags/br/secret.txt",
        "/flags/br/../secret.txt",
        "/flags/br/../../../secret.txt",
        "/flags/%2e%2e/secret.txt",
        "/flags/%2e%2e/%2e%2e/secret.txt",
        "/flags/br/..%2f..%2fsecret.txt",
        "/flags/%2e%2e%2f%2e%2e%2fsecret.txt/metadata.json",
        "/flags/..%5c..%5csecret.txt",
        "/flags/" + absolute,
        "/flags/br/" + absolute.replace("/", "%2f"),
        "/flags/br/%00../secret.txt",
        "/flags/../" + data.name + "/secret.txt",
        "http://127.0.0.1/flags/../../secret.txt",
        absolute,
        "/flags/br/br.gif/../secret.txt",
    ]


def test_path_traversal_never_reaches_a_file(sandbox: tuple[services.Service, Path, list[Path]]) -> None:
    service, data, secrets = sandbox
    assert httpx.get(flags_url(service) + "/br/br.gif").status_code == 200  # it does serve this cache
    for target in _traversals(data, secrets):
        response = _raw(service, _request(target))
        assert _status(response) in {400, 404}, (target, response[:80])
        assert SECRET not in response, target


def test_garbage_bytes_do_not_stop_the_server(plain: services.Service) -> None:
    garbage = [
        bytes(range(256)) * 4,
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(64),  # a TLS hello sent to plain HTTP
        b"HELLO WORLD\r\n\r\n",
        b"GET\r\n\r\n",
        b"GET /flags/br/br.gif HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
        b"GET /flags/br/br.gif HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        b"GET /flags/br/br.gif HTTP/1.1\r\nBad Header\r\n\r\n",
        b"GET /flags/br/br.gif HTTP/1.1\r\n",  # cut off in the middle
        b"\r\n" * 1000,
        random.Random(0).randbytes(4096),
    ]
    for payload in garbage:
        response = _raw(plain, payload, half_close=True)
        assert _status(response) in {None, 400}, (payload[:30], response[:80])
    assert _status(_raw(plain, _request("/flags/br/br.gif"))) == 200


def test_oversize_headers_are_refused_then_service_goes_on(plain: services.Service) -> None:
    huge = b"GET /flags/br/br.gif HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * 100_000 + b"\r\n\r\n"
    assert _status(_raw(plain, huge)) in {None, 400, 431}
    many = b"GET /flags/br/br.gif HTTP/1.1\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(5000)) + b"\r\n"
    assert _status(_raw(plain, many)) in {None, 400, 431}
    # Small enough to arrive in one read, which uvicorn's own limit does not catch.
    one_read = b"GET /flags/br/br.gif HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * 20_000 + b"\r\n\r\n"
    assert _status(_raw(plain, one_read)) in {400, 431}
    long_url = _request("/flags/br/br.gif?" + "q" * 20_000)
    assert _status(_raw(plain, long_url)) in {400, 414, 431}
    assert _status(_raw(plain, _request("/flags/br/br.gif"))) == 200


def test_headers_growing_past_the_limit_in_many_reads_get_431(plain: services.Service) -> None:
    # Never finished and sent a KiB at a time: no single read holds too much, the total does. The answer must
    # come long before the header deadline would end the connection anyway.
    started = time.perf_counter()
    with socket.create_connection((plain.host, plain.port), timeout=5) as sock:
        sock.sendall(b"GET /flags/br/br.gif HTTP/1.1\r\nHost: x\r\nX-Padding: ")
        for _ in range(64):
            if select.select([sock], [], [], 0.005)[0]:
                break  # the server answered: sending more would only make it reset the connection
            sock.sendall(b"a" * 1024)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert _status(answer) == 431, answer[:80]
    assert time.perf_counter() - started < asgi_server.HEADER_TIMEOUT / 2
    _still_serves(plain)


@pytest.mark.parametrize(
    ("request_head", "status"),
    [
        (b"GET /flags/br/br.gif HTTP/1.1\r\n\r\n", 400),  # HTTP/1.1 without Host
        (b"GET /flags/br/br.gif HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),  # two of them
        (b"GET /flags/br/br.gif HTTP/1.0\r\n\r\n", 200),  # HTTP/1.0 needs none
        (b"GET /flags/br/br.gif HTTP/1.1\r\nhost: a\r\nConnection: close\r\n\r\n", 200),
    ],
)
def test_an_http_1_1_request_needs_exactly_one_host(
    plain: services.Service, request_head: bytes, status: int
) -> None:
    assert _status(_raw(plain, request_head, half_close=True)) == status


def test_half_closed_and_idle_connections_do_not_block_others(plain: services.Service) -> None:
    # A complete request then our FIN: the server may answer or hang up, but must do one of them.
    answer = _raw(plain, _request("/flags/br/br.gif"), half_close=True)
    assert _status(answer) in {None, 200}
    assert _raw(plain, b"", half_close=True) == b""
    idle = [socket.create_connection((plain.host, plain.port)) for _ in range(50)]
    try:
        half = idle[0]
        half.sendall(b"GET /flags/br/br.gif HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
        started = time.perf_counter()
        assert _status(_raw(plain, _request("/flags/ar/ar.gif"))) == 200
        assert time.perf_counter() - started < 1
    finally:
        for sock in idle:
            sock.close()
    _still_serves(plain)


def test_health_reports_the_configuration(errors: services.Service) -> None:
    health = httpx.get(errors.url + "/health").json()
    assert health["mode"] == "errors" and health["error_rate"] == 0.25 and health["seed"] == 7
    assert health["files"] == 2 * len(flag_data.countries())


# --- one server per configuration ----------------------------------------------------------------------------


def test_the_same_configuration_spelt_differently_is_one_server() -> None:
    first = flag_server.start("delay")
    try:
        assert flag_server.start("delay", delay=0.5) is first  # the mode's default, made explicit
        assert flag_server.start("delay", delay=(0.5, 0.5), seed=0, error_rate=0) is first
        other = flag_server.start("delay", delay=0.25, private=True)
        assert other is not first
        services.stop(other)
    finally:
        services.stop(first)


def test_start_refuses_bad_options_before_any_process_starts() -> None:
    for bad in [{"delay": -1}, {"delay": "0.5:0.1"}, {"error_rate": 2}, {"stall_max": 0}]:
        with pytest.raises(ValueError):
            flag_server.start("errors", private=True, **bad)  # type: ignore[arg-type]


# --- idle and half-sent requests -----------------------------------------------------------------------------


def _closed_by_server(sock: socket.socket, within: float) -> bool:
    """Read until the server closes the connection (True) or ``within`` seconds pass in silence (False)."""
    sock.settimeout(within)
    try:
        while sock.recv(65536):
            pass
    except (ConnectionResetError, BrokenPipeError):
        pass
    except TimeoutError:
        return False
    return True


def test_connections_that_never_finish_their_headers_are_closed(plain: services.Service) -> None:
    budget = asgi_server.HEADER_TIMEOUT
    unfinished = {
        "idle": b"",
        "half a request line": b"GET /flags/br/br.gi",
        "headers without the final CRLF": b"GET /flags/br/br.gif HTTP/1.1\r\nHost: x\r\n",
    }
    held = {}
    for name, data in unfinished.items():
        held[name] = socket.create_connection((plain.host, plain.port))
        held[name].sendall(data)
    # Slowloris: a header byte every 0.2 s would reset any timer that restarts on each read.
    trickle = held["one byte at a time"] = socket.create_connection((plain.host, plain.port))
    done = threading.Event()

    def drip() -> None:
        for byte in b"GET /flags/br/br.gif HTTP/1.1\r\nX-Slow: " + b"a" * 10_000:
            if done.wait(0.2):
                return
            try:
                trickle.send(bytes([byte]))
            except OSError:
                return

    dripper = threading.Thread(target=drip, daemon=True)
    dripper.start()
    try:
        # A client that is merely slow, well inside the budget, is still served.
        with socket.create_connection((plain.host, plain.port)) as patient:
            time.sleep(budget / 5)
            patient.sendall(_request("/flags/br/br.gif"))
            assert _status(patient.recv(100)) == 200
        still_open = [name for name, sock in held.items() if not _closed_by_server(sock, budget * 6)]
        assert still_open == [], f"still open after {budget * 6:g} s: {still_open}"
    finally:
        done.set()
        dripper.join(5)
        for sock in held.values():
            sock.close()
    _still_serves(plain)


# --- bad bodies ----------------------------------------------------------------------------------------------


_CHUNKED = b"GET /flags/br/br.gif HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"


def test_invalid_chunked_bodies_cost_one_log_line_each() -> None:
    service = flag_server.start("plain", private=True)
    refused = [
        _CHUNKED + b"ZZ\r\nhello\r\n0\r\n\r\n",  # a chunk size that is not hex
        _CHUNKED + b"5\r\nhelloXX\r\n0\r\n\r\n",  # more data than the chunk said
        _CHUNKED.replace(b"/flags/br/br.gif", b"/health") + b"fffffffffffffffffffff\r\n",  # absurd size
        _CHUNKED.replace(b"GET", b"POST") + b"ZZ\r\n",  # to a route that answers 405
    ]
    for payload in refused:
        assert _status(_raw(service, payload)) == 400, payload
    # The body goes wrong only after the answer went out: nothing left to refuse, the connection just ends.
    with socket.create_connection((service.host, service.port), timeout=5) as sock:
        sock.sendall(_CHUNKED + b"5\r\nhello\r\n")
        time.sleep(0.2)
        sock.sendall(b"ZZ\r\n")
        assert _closed_by_server(sock, 5)
    services.stop(service)  # its output is complete once it has stopped
    log = service.output
    assert not [line for line in log if "Traceback" in line or "Exception" in line or "Fatal" in line], log
    assert sum("Invalid HTTP request" in line for line in log) == len(refused) + 1, log


# --- running out of file descriptors -------------------------------------------------------------------------

_LINUX = sys.platform.startswith("linux")


def _serve_with_fd_limit(soft: int, hard: int) -> tuple[subprocess.Popen[str], int]:
    # The limit is set inside the child (preexec_fn is unsafe while this process runs threads).
    code = (
        "import resource, runpy, sys;"
        f"resource.setrlimit(resource.RLIMIT_NOFILE, ({soft}, {hard}));"
        "sys.argv = ['flag_server', '--port', '0'];"
        "runpy.run_module('support.lab.flag_server', run_name='__main__')"
    )
    server = subprocess.Popen(
        [sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert server.stdout is not None
    line = server.stdout.readline()
    assert "Serving" in line, line
    return server, int(line.rsplit(":", 1)[1])


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


@pytest.mark.skipif(not _LINUX, reason="reads /proc")
def test_the_soft_open_file_limit_is_raised_to_the_hard_one() -> None:
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    hard = 4096 if hard == resource.RLIM_INFINITY else min(hard, 4096)
    server, _ = _serve_with_fd_limit(64, hard)
    try:
        limits = Path(f"/proc/{server.pid}/limits").read_text()
        [row] = [line for line in limits.splitlines() if line.startswith("Max open files")]
        assert row.split()[3:5] == [str(hard), str(hard)], row
    finally:
        server.terminate()
        server.communicate(timeout=10)


@pytest.mark.skipif(not _LINUX, reason="reads /proc")
def test_running_out_of_descriptors_logs_a_line_a_second_and_recovers() -> None:
    limit = 64  # soft and hard: nothing to raise, so idle connections can exhaust it
    server, port = _serve_with_fd_limit(limit, limit)
    assert server.stderr is not None
    log: list[str] = []
    reader = threading.Thread(target=lambda: log.extend(server.stderr), daemon=True)  # type: ignore[arg-type]
    reader.start()
    idle: list[socket.socket] = []
    try:
        in_use = len(os.listdir(f"/proc/{server.pid}/fd"))
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(limit - in_use + 40)]
        started, cpu = time.monotonic(), _cpu_seconds(server.pid)
        time.sleep(2.5)  # out of descriptors all along, and less than the header timeout
        window = time.monotonic() - started
        busy = (_cpu_seconds(server.pid) - cpu) / window
        lines = len(log)
        for sock in idle:
            sock.close()
        deadline, status = time.monotonic() + 10, None
        while status != 200 and time.monotonic() < deadline:
            try:
                status = _status(_raw_to(port, _request("/health")))
            except OSError:
                time.sleep(0.1)
        assert status == 200, "no answer after descriptors were freed"
    finally:
        for sock in idle:
            sock.close()
        server.terminate()
        server.wait(10)
        reader.join(5)
    assert 1 <= lines <= window + 2, f"{lines} log lines in {window:.1f} s:\n{''.join(log[:10])}"
    assert "Traceback" not in "".join(log)
    assert busy < 0.25, f"the server used {busy:.0%} of a core while out of descriptors"


def _raw_to(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


# --- what the server imports ---------------------------------------------------------------------------------


def test_peak_in_flight_does_not_import_matplotlib() -> None:
    code = (
        "import sys; from support.lab import flag_server\n"
        "log = [{'path': f'/flags/{i}', 'start': i, 'end': i + 2.5, 'outcome': 'ok'} for i in range(5)]\n"
        "flag_server.read_log = lambda service, timeout=30.0: log\n"
        "print(flag_server.peak_in_flight(None), 'matplotlib' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["3", "False"]  # starts 0..4, each open 2.5 s: at most three at once


def test_the_protocol_overrides_only_what_uvicorn_still_has() -> None:
    # asgi_server subclasses uvicorn's private HttpToolsProtocol; an upgrade that renames a method must fail here.
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    protocol = asgi_server._protocol_class()
    public = {name for name, value in vars(protocol).items() if callable(value) and not name.startswith("_")}
    assert public == set(asgi_server.OVERRIDDEN)
    assert all(callable(getattr(HttpToolsProtocol, name, None)) for name in asgi_server.OVERRIDDEN)


class _Transport(asyncio.Transport):
    """Just enough transport for a protocol to serve one request: it keeps what is written."""

    def __init__(self) -> None:
        super().__init__()
        self.written: list[bytes] = []
        self.closed = False

    def get_extra_info(self, name: str, default: object = None) -> object:
        return {"sockname": ("127.0.0.1", 80), "peername": ("127.0.0.1", 5555)}.get(name, default)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def test_a_closed_connection_leaves_no_reference_cycle() -> None:
    # A cycle through the protocol would keep each connection's objects until the cycle collector ran: with
    # thousands of connections a burst, that is memory and full collections the server pays for.
    import gc
    import weakref

    import uvicorn
    from uvicorn.server import ServerState

    async def app(scope: dict[str, object], receive: object, send: object) -> None:
        assert asgi_server.ABORT in scope["extensions"]  # type: ignore[operator]
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})  # type: ignore[operator]
        await send({"type": "http.response.body", "body": b"ok"})  # type: ignore[operator]

    config = uvicorn.Config(app, http=asgi_server._protocol_class(), lifespan="off", log_level="warning")
    config.load()
    gc.disable()
    try:
        protocol = config.http_protocol_class(config=config, server_state=ServerState(), app_state={})
        transport = _Transport()
        protocol.connection_made(transport)
        protocol.data_received(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        for _ in range(20):  # the app's task runs on the loop
            await asyncio.sleep(0)
        assert transport.closed and b"".join(transport.written).startswith(b"HTTP/1.1 200 OK")
        protocol.connection_lost(None)
        gone = weakref.ref(protocol)
        del protocol
        assert gone() is None, "the protocol outlived its connection: it is part of a reference cycle"
    finally:
        gc.enable()
