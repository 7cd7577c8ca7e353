"""The hardened TCP character finder: its protocol, and real sockets that misbehave while it keeps serving."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from support.examples import tcp_mojifinder_hardened as hardened
from support.examples.charindex import InvertedIndex, format_results
from support.examples.tcp_mojifinder_hardened import PROMPT, ask, status_line
from support.lab import services

MAX_LINE = 64
IDLE = 0.5  # seconds: long enough for a busy machine to send a line, short enough to wait for in a test


@pytest.fixture(scope="module")
def index() -> InvertedIndex:
    # Latin, Greek, Cyrillic, arrows, symbols...: thousands of LETTERs, built in a blink.
    return InvertedIndex(0x20, 0x3000)


@dataclass
class Running:
    host: str
    port: int
    log: list[str] = field(default_factory=list)


@pytest.fixture
async def server(index: InvertedIndex, caplog: pytest.LogCaptureFixture) -> AsyncIterator[Running]:
    """The real server in this test's loop, with a small line limit and a short idle timeout."""
    log: list[str] = []
    ready: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    stop = asyncio.Event()
    caplog.set_level(logging.WARNING, logger="asyncio")
    task = asyncio.create_task(
        hardened.serve(
            "127.0.0.1",
            0,
            index=index,
            idle_timeout=IDLE,
            max_line=MAX_LINE,
            log=log.append,
            ready=ready.set_result,
            stop=stop,
        )
    )
    url = await asyncio.wait_for(ready, 10)
    port = int(url.rsplit(":", 1)[1])
    running = Running("127.0.0.1", port, log)
    yield running
    stop.set()
    await asyncio.wait_for(task, 10)
    # asyncio logs what a connection callback let escape ("Unhandled exception in client_connected_cb").
    assert not [r for r in caplog.records if r.name == "asyncio"], [r.getMessage() for r in caplog.records]


def expected(index: InvertedIndex, query: str) -> list[str]:
    chars = index.search(query)
    return [*format_results(chars), status_line(len(chars)).decode().rstrip("\r\n")]


async def still_serves(server: Running, index: InvertedIndex) -> None:
    assert await ask(server.host, server.port, "greek small letter alpha") == expected(
        index, "greek small letter alpha"
    )


async def read_reply(reader: asyncio.StreamReader) -> list[str]:
    """Lines up to the next prompt (which is not a line: it ends in a space, not a newline)."""
    data = await asyncio.wait_for(reader.readuntil(PROMPT), 10)
    return data[: -len(PROMPT)].decode().splitlines()


@contextlib.asynccontextmanager
async def session(server: Running) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    reader, writer = await asyncio.open_connection(server.host, server.port)
    try:
        assert await read_reply(reader) == [], "the first thing the server sends is the prompt"
        yield reader, writer
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def test_a_query_gets_one_line_per_character_and_a_status_line(
    server: Running, index: InvertedIndex
) -> None:
    lines = await ask(server.host, server.port, "Latin capital letter A")
    assert lines == expected(index, "latin capital letter a")
    assert len(lines) > 2 and lines[-1].endswith(f" {len(lines) - 1} found")
    assert lines[0].split("\t")[1] == "A"


async def test_several_queries_in_one_session_and_a_blank_line_only_prompts(
    server: Running, index: InvertedIndex
) -> None:
    async with session(server) as (reader, writer):
        writer.write(b"\r\n   \n")
        await writer.drain()
        assert await read_reply(reader) == []
        assert await read_reply(reader) == []
        for query in ["rightwards arrow", "greek small letter alpha"]:
            writer.write(query.encode() + b"\r\n")
            assert await read_reply(reader) == expected(index, query)


async def test_an_empty_result_says_0_found_and_the_session_goes_on(
    server: Running, index: InvertedIndex
) -> None:
    async with session(server) as (reader, writer):
        writer.write(b"zzzz nosuchword\n")
        assert await read_reply(reader) == [status_line(0).decode().rstrip("\r\n")]
        writer.write(b"?!\n")  # no word at all
        assert (await read_reply(reader))[-1].endswith(" 0 found")
        writer.write(b"rightwards arrow\n")
        assert await read_reply(reader) == expected(index, "rightwards arrow")


@pytest.mark.parametrize("line", [b"\x1b[A\n", b"cat\x00face\n", b"\x03\n", b"\x7f\n"])
async def test_control_characters_get_an_error_and_the_session_goes_on(
    server: Running, index: InvertedIndex, line: bytes
) -> None:
    async with session(server) as (reader, writer):
        writer.write(line)
        reply = await read_reply(reader)
        assert len(reply) == 1 and reply[0].startswith("error: control characters")
        writer.write(b"rightwards arrow\n")
        assert await read_reply(reader) == expected(index, "rightwards arrow")


@pytest.mark.parametrize("line", [b"\xff\xfe cat\n", b"caf\xe9\n", b"\xff\xf4\xff\xfd\x06\n"])
async def test_bytes_that_are_not_utf8_get_an_error(
    server: Running, index: InvertedIndex, line: bytes
) -> None:
    async with session(server) as (reader, writer):
        writer.write(line)
        assert await read_reply(reader) == ["error: the query is not UTF-8 text"]
        writer.write(b"greek small letter alpha\n")
        assert await read_reply(reader) == expected(index, "greek small letter alpha")


async def test_garbage_bytes_get_replies_and_the_server_keeps_serving(
    server: Running, index: InvertedIndex
) -> None:
    garbage = bytes((i * 7919 + 13) % 256 for i in range(4096))  # every byte value, newlines included
    reader, writer = await asyncio.open_connection(server.host, server.port)
    writer.write(garbage)
    writer.write_eof()
    await writer.drain()
    reply = await asyncio.wait_for(reader.read(), 10)  # everything until the server closes
    writer.close()
    assert reply.startswith(PROMPT) and reply.endswith(PROMPT)
    words = reply.decode(errors="replace")
    assert "error: " in words, "some of those lines must have been refused"
    await still_serves(server, index)


async def test_an_overlong_line_gets_an_error_and_the_rest_of_it_is_dropped(
    server: Running, index: InvertedIndex
) -> None:
    async with session(server) as (reader, writer):
        writer.write(b"cat " * (MAX_LINE * 10) + b"\n")
        assert await read_reply(reader) == [f"error: a query is at most {MAX_LINE} bytes"]
        writer.write(b"greek small letter alpha\n")
        assert await read_reply(reader) == expected(index, "greek small letter alpha")
        fits = b"alpha".ljust(MAX_LINE - 1) + b"\n"
        writer.write(fits)
        assert await read_reply(reader) == expected(index, "alpha")
    assert any(f"line over {MAX_LINE} bytes" in entry for entry in server.log)


async def test_an_overlong_line_sent_in_pieces_is_dropped_too(server: Running, index: InvertedIndex) -> None:
    async with session(server) as (reader, writer):
        for _ in range(20):
            writer.write(b"x" * (MAX_LINE // 2))
            await writer.drain()
            await asyncio.sleep(0.005)
        writer.write(b"tail\nrightwards arrow\n")
        assert await read_reply(reader) == [f"error: a query is at most {MAX_LINE} bytes"]
        assert await read_reply(reader) == expected(index, "rightwards arrow")


async def test_a_client_closing_inside_an_overlong_line_is_closed_quietly(
    server: Running, index: InvertedIndex
) -> None:
    reader, writer = await asyncio.open_connection(server.host, server.port)
    writer.write(b"y" * (MAX_LINE * 3))
    writer.write_eof()
    reply = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    assert reply.startswith(PROMPT)
    await still_serves(server, index)


async def test_an_idle_client_is_told_and_closed(server: Running, index: InvertedIndex) -> None:
    reader, writer = await asyncio.open_connection(server.host, server.port)
    reply = await asyncio.wait_for(reader.read(), IDLE * 20)  # returns at EOF: the server closed
    writer.close()
    assert reply == PROMPT + f"bye: nothing received for {IDLE:g} s".encode() + b"\r\n"
    await still_serves(server, index)


async def test_a_client_that_vanishes_mid_reply_is_dropped_and_others_are_served(
    server: Running, index: InvertedIndex
) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (server.host, server.port))
    _, writer = await asyncio.open_connection(sock=sock)
    writer.write(b"letter\n" * 50)  # answers far larger than the socket buffers
    await writer.drain()
    await asyncio.sleep(0.05)
    # Close with a reset (linger 0), as a crashed client or a pulled cable does, not with a polite FIN.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
    await still_serves(server, index)
    for _ in range(100):
        if any(": gone, its connection broke" in entry for entry in server.log):
            break
        await asyncio.sleep(0.02)
    assert any(": gone, its connection broke" in entry for entry in server.log), server.log


async def test_a_client_that_stops_reading_is_closed_after_the_idle_timeout(
    server: Running, index: InvertedIndex
) -> None:
    # A plain socket the event loop does not watch: nothing reads it, so the buffers fill and drain() waits.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    try:
        sock.connect((server.host, server.port))
        sock.sendall(b"letter\n" * 100)  # megabytes of answers, and never a byte read
        for _ in range(int(IDLE * 40)):
            if any("stopped reading" in entry for entry in server.log):
                break
            await asyncio.sleep(0.05)
        assert any("stopped reading" in entry for entry in server.log), server.log[-3:]
    finally:
        sock.close()
    await still_serves(server, index)


async def test_many_clients_at_once_each_get_their_answer(server: Running, index: InvertedIndex) -> None:
    queries = ["rightwards arrow", "greek small letter alpha", "zzzz", "latin capital letter a"] * 25
    answers = await asyncio.gather(*(ask(server.host, server.port, q) for q in queries))
    assert answers == [expected(index, q) for q in queries]


async def test_stopping_the_server_closes_its_clients(index: InvertedIndex) -> None:
    ready: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    stop = asyncio.Event()
    task = asyncio.create_task(hardened.serve("127.0.0.1", 0, index=index, ready=ready.set_result, stop=stop))
    port = int((await ready).rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    assert await reader.readuntil(PROMPT) == PROMPT
    stop.set()
    # At once, by closing each connection: not after the 2 s that serve() gives a stuck handler before
    # cancelling it.
    await asyncio.wait_for(task, 1.5)
    assert await asyncio.wait_for(reader.read(), 1) == b""
    writer.close()


@pytest.mark.parametrize("query", ["", "   ", "two\nlines"])
async def test_ask_refuses_what_is_not_a_query(query: str) -> None:
    with pytest.raises(ValueError):
        await ask("127.0.0.1", 9, query)


async def test_ask_raises_on_an_error_reply(server: Running) -> None:
    with pytest.raises(ValueError, match="error: control characters"):
        await ask(server.host, server.port, "cat\x07")


# --- the command line, in its own process -----------------------------------------------------------------


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "support.examples.tcp_mojifinder_hardened", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_help_exits_0() -> None:
    result = _run("--help")
    assert result.returncode == 0 and "--idle-timeout" in result.stdout and "exit status" in result.stdout


@pytest.mark.parametrize(
    "args",
    [["--port", "70000"], ["--idle-timeout", "0"], ["--max-line", "-5"], ["--host", "0.0.0.0"], ["--nope"]],
)
def test_usage_errors_exit_2_with_one_line(args: list[str]) -> None:
    result = _run(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "error:" in result.stderr.strip().splitlines()[-1]


def test_a_taken_port_exits_1() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = _run("--port", str(taken.getsockname()[1]))
    assert result.returncode == 1
    assert "cannot listen" in result.stderr and "Traceback" not in result.stderr


async def test_the_background_service_answers_and_stops_with_status_0() -> None:
    service = hardened.start(idle_timeout=30)
    try:
        assert service.url.startswith("tcp://127.0.0.1:")
        assert hardened.start(idle_timeout=30) is service, "the same options give the same server"
        lines = await ask(service.host, service.port, "cat face")
        assert chr(0x1F431) in {line.split("\t")[1] for line in lines[:-1]}
        assert lines[-1].endswith(f" {len(lines) - 1} found")
    finally:
        services.stop(service)
    assert service.process.returncode == 0


def test_start_refuses_bad_options_before_starting() -> None:
    with pytest.raises(ValueError):
        hardened.start(idle_timeout=0)
    with pytest.raises(ValueError):
        hardened.start(max_line=0)
