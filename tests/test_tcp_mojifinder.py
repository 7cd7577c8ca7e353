"""The chapter-sized TCP character finder: the chapter's protocol and answers, and a supervisor that closes
its clients when it stops (on every Python it runs on: 3.12 and 3.13 made both harder)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator

import pytest

from support.examples import tcp_mojifinder
from support.examples.charindex import InvertedIndex, format_results
from support.examples.tcp_mojifinder import PROMPT, status_line
from support.examples.tcp_mojifinder_hardened import ask
from support.lab import services
from support.open_files import raise_open_file_limit
from support.paths import REPO_ROOT


@pytest.fixture(scope="module")
def index() -> InvertedIndex:
    # Latin, Greek, Cyrillic, arrows, symbols...: thousands of LETTERs, built in a blink.
    return InvertedIndex(0x20, 0x3000)


async def _started(task: asyncio.Task[None], capsys: pytest.CaptureFixture[str]) -> int:
    """The port of a supervisor started as ``task``: read from the one line it prints once it listens."""
    for _ in range(500):
        out = capsys.readouterr().out
        if "Serving the character finder on tcp://127.0.0.1:" in out:
            return int(out.strip().rsplit(":", 1)[1])
        assert not task.done(), task
        await asyncio.sleep(0.01)
    raise AssertionError("the supervisor never said it listens")


@pytest.fixture
async def port(
    index: InvertedIndex, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> AsyncIterator[int]:
    """The taught supervisor, in this test's loop, on a free port; cancelled at the end, as Ctrl-C does."""
    caplog.set_level(logging.WARNING, logger="asyncio")
    task = asyncio.create_task(tcp_mojifinder.supervisor(index, "127.0.0.1", 0))
    yield await _started(task, capsys)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(task, 5)
    # asyncio logs what a connection callback let escape ("Unhandled exception in client_connected_cb").
    assert not [r for r in caplog.records if r.name == "asyncio"], [r.getMessage() for r in caplog.records]


def expected(index: InvertedIndex, query: str) -> list[str]:
    chars = index.search(query)
    return [*format_results(chars), status_line(len(chars)).decode().rstrip("\r\n")]


async def read_reply(reader: asyncio.StreamReader) -> list[str]:
    """Lines up to the next prompt (which is not a line: it ends in a space, not a newline)."""
    data = await asyncio.wait_for(reader.readuntil(PROMPT), 10)
    return data[: -len(PROMPT)].decode().splitlines()


@contextlib.asynccontextmanager
async def session(port: int) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 24)  # room for big answers
    try:
        assert await read_reply(reader) == [], "the first thing the server sends is the prompt"
        yield reader, writer
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def test_a_query_gets_one_line_per_character_and_a_status_line(port: int, index: InvertedIndex) -> None:
    lines = await ask("127.0.0.1", port, "Latin capital letter A")
    assert lines == expected(index, "latin capital letter a")
    assert len(lines) > 2 and lines[-1] == f"{'─' * 12} {len(lines) - 1} found"
    assert lines[0] == "U+0041\tA\tLATIN CAPITAL LETTER A"


async def test_several_queries_in_one_session_and_a_blank_line_only_prompts(
    port: int, index: InvertedIndex
) -> None:
    async with session(port) as (reader, writer):
        writer.write(b"\r\n   \n")
        assert await read_reply(reader) == []
        assert await read_reply(reader) == []
        for query in ["rightwards arrow", "greek small letter alpha", "letter"]:  # "letter": 1000s of lines
            writer.write(query.encode() + b"\r\n")
            assert await read_reply(reader) == expected(index, query)


async def test_an_empty_result_says_0_found_and_the_session_goes_on(port: int, index: InvertedIndex) -> None:
    # The chapter's writelines(<empty generator>) crashed this client's task on Python 3.12 and 3.13.
    async with session(port) as (reader, writer):
        for query in ["zzzz nosuchword", "?!", "rightwards arrow"]:
            writer.write(query.encode() + b"\n")
            assert await read_reply(reader) == expected(index, query)
        assert expected(index, "?!") == [status_line(0).decode().rstrip("\r\n")]


@pytest.mark.parametrize(
    "line", [b"\x1b[A\n", b"\x03\n", b"caf\xe9\n"], ids=["arrow-key", "ctrl-c", "latin-1"]
)
async def test_a_control_character_or_bytes_not_utf8_end_the_session(port: int, line: bytes) -> None:
    # The chapter's protocol: a line that starts with a control character (or does not decode) ends it.
    async with session(port) as (reader, writer):
        writer.write(line)
        assert await asyncio.wait_for(reader.read(), 10) == b"", "the server closed the connection"


async def test_many_clients_at_once_each_get_their_answer(port: int, index: InvertedIndex) -> None:
    queries = ["rightwards arrow", "greek small letter alpha", "zzzz", "latin capital letter a"] * 50
    answers = await asyncio.gather(*(ask("127.0.0.1", port, q) for q in queries))
    assert answers == [expected(index, q) for q in queries]


async def test_stopping_the_supervisor_closes_its_clients(
    index: InvertedIndex, capsys: pytest.CaptureFixture[str]
) -> None:
    # Python 3.11 would leave them connected to a server that no longer listens; since 3.12 a cancelled
    # serve_forever() waits for every client to leave, so the server would not stop at all.
    task = asyncio.create_task(tcp_mojifinder.supervisor(index, "127.0.0.1", 0))
    port = await _started(task, capsys)
    at_prompt = await asyncio.open_connection("127.0.0.1", port)
    mid_line = await asyncio.open_connection("127.0.0.1", port)
    mid_line[1].write(b"greek sma")  # half a query: the server waits for the rest of the line
    for reader, _ in (at_prompt, mid_line):
        assert await read_reply(reader) == []
    task.cancel()
    try:
        done, _ = await asyncio.wait([task], timeout=5)
        assert done, "the supervisor did not stop within 5 s while clients were connected"
        for reader, writer in (at_prompt, mid_line):
            assert await asyncio.wait_for(reader.read(), 5) == b"", "the client was not closed"
            writer.close()
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection("127.0.0.1", port)
    finally:
        if not task.done():  # a broken supervisor: end it, so the test fails without hanging
            for _, writer in (at_prompt, mid_line):
                writer.close()
            await asyncio.wait([task], timeout=5)


# --- the command line, in its own process -----------------------------------------------------------------


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "support.examples.tcp_mojifinder", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_help_exits_0() -> None:
    result = _run("--help")
    assert result.returncode == 0 and "--port" in result.stdout and "exit status" in result.stdout


@pytest.mark.parametrize("args", [["--port", "70000"], ["--port", "x"], ["--host", "0.0.0.0"], ["--nope"]])
def test_usage_errors_exit_2_with_one_line(args: list[str]) -> None:
    result = _run(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "error:" in result.stderr


def test_a_taken_port_exits_1() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = _run("--port", str(taken.getsockname()[1]))
    assert result.returncode == 1
    assert "cannot listen" in result.stderr and "Traceback" not in result.stderr


@pytest.fixture
def service() -> Iterator[services.Service]:
    running = tcp_mojifinder.start(private=True)
    yield running
    services.stop(running)


async def test_a_thousand_clients_at_once_are_all_answered(service: services.Service) -> None:
    # The listen backlog holds a burst of connects that the loop has not accepted yet.
    raise_open_file_limit(1000 + 256)
    answers = await asyncio.gather(*(ask(service.host, service.port, "cat face") for _ in range(1000)))
    assert {len(lines) for lines in answers} == {11}
    assert answers[0][0] == "U+1F431\t\N{CAT FACE}\tCAT FACE"


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_a_signal_stops_it_with_status_0_and_closes_its_clients(
    service: services.Service, stop: signal.Signals
) -> None:
    reader, writer = await asyncio.open_connection(service.host, service.port)
    assert await read_reply(reader) == []
    started = time.monotonic()
    service.process.send_signal(stop)
    assert await asyncio.wait_for(reader.read(), 5) == b"", "the client was not closed"
    writer.close()
    assert await asyncio.to_thread(service.process.wait, 5) == 0
    assert time.monotonic() - started < 5
    services.stop(service)  # it has exited: this reads its output to the end
    assert "Server shut down." in service.output, "the chapter's last line, after a signal as after Ctrl-C"
    # A stop that cancels the clients' tasks prints these on 3.11 and 3.12. (Any traceback is not the test: the
    # taught version logs a client's reset, and the port probe of services.start may be one.)
    noise = [line for line in service.output if "CancelledError" in line or "Exception in callback" in line]
    assert not noise, "\n".join(service.output)


async def test_it_serves_on_the_ipv6_loopback_too() -> None:
    service = services.start("support.examples.tcp_mojifinder", "--host", "::1", private=True)
    try:
        assert service.url.startswith("tcp://[::1]:")
        lines = await ask("::1", service.port, "cat face")
        assert lines[-1].endswith(" 10 found")
    finally:
        services.stop(service)


def test_start_returns_the_running_server() -> None:
    first = tcp_mojifinder.start()
    assert first.url.startswith("tcp://127.0.0.1:") and tcp_mojifinder.start() is first


# --- the same on every Python 3.11+ this machine has (3.12 and 3.13 are where the chapter's version broke) ---

OTHER_PYTHONS = ["python3.11", "python3.12", "python3.13"]


def _runnable(command: str) -> bool:
    path = shutil.which(command)
    return bool(path) and subprocess.run([path, "-c", ""], capture_output=True).returncode == 0  # type: ignore[list-item]


@pytest.mark.parametrize("python", OTHER_PYTHONS)
def test_on_other_pythons_an_empty_answer_and_a_stop_with_a_client_connected(python: str) -> None:
    if not _runnable(python):
        pytest.skip(f"{python} is not runnable here (with pyenv: PYENV_VERSION=3.12.1:3.13.0)")
    server = subprocess.Popen(
        [python, "-m", "support.examples.tcp_mojifinder", "--port", "0"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline().strip().rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
            assert client.recv(100) == PROMPT
            client.sendall(b"zzzz\n")
            reply = b""
            while not reply.endswith(PROMPT):
                chunk = client.recv(1000)
                assert chunk, f"the server closed the connection after {reply!r}"
                reply += chunk
            assert reply == status_line(0) + PROMPT
            server.send_signal(signal.SIGINT)
            assert client.recv(100) == b"", "the client was not closed"
            assert server.wait(10) == 0
        assert "Traceback" not in server.stdout.read()
    finally:
        server.kill()
        server.wait()
