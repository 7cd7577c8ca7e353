"""The background-service helper: start once, answer, stop, and never leak a server.

Every test here stops what it starts (the ``toy`` fixture keeps the list) and asserts only on its own services:
other test files may have servers of their own running in this process at the same time. What is about the
whole process (``stop_all``, interpreter exit) runs in a child process of its own.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.lab import services

REPO = Path(__file__).resolve().parent.parent

# A minimal server that follows the contract in docs/CONTRIBUTING-services.md, with ways to misbehave.
TOY_SERVER = textwrap.dedent(
    """
    import argparse, signal, socket, sys, time
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--crash", action="store_true")
    parser.add_argument("--ignore-sigterm", action="store_true")
    parser.add_argument("--listen-after", type=float, default=0.0)
    parser.add_argument("--tag", default="")
    args = parser.parse_args()
    if args.crash:
        print("about to fail on purpose", flush=True)
        sys.exit(3)
    if args.ignore_sigterm:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    sock = socket.socket()
    sock.bind(("127.0.0.1", args.port))
    # Announced before it listens when asked to: the starter must wait for the port, not trust the line.
    print(f"Serving toy on http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    time.sleep(args.listen_after)
    sock.listen()
    while True:
        conn, _ = sock.accept()
        conn.sendall(b"hello\\n")
        conn.close()
    """
)


class Toy:
    """Starts the toy server through ``services`` and remembers what it started, to stop exactly that."""

    module = "toy_server"

    def __init__(self) -> None:
        self.started: list[services.Service] = []

    def start(self, *args: str, **options: Any) -> services.Service:
        service = services.start(self.module, *args, **options)
        self.started.append(service)
        return service


@pytest.fixture
def toy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Toy]:
    (tmp_path / "toy_server.py").write_text(TOY_SERVER)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(tmp_path), str(REPO)]))
    toy = Toy()
    yield toy
    for service in toy.started:
        services.stop(service)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); count it as gone.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split()[2] == "Z")


def _is_running(service: services.Service) -> bool:
    return any(s is service for s in services.running())


def _hello(service: services.Service) -> bytes:
    with socket.create_connection((service.host, service.port), timeout=2) as conn:
        return conn.recv(100)


def _run_starter(script: str, env: dict[str, str]) -> list[int]:
    """Run ``script`` in a fresh interpreter (its own service registry) and return the pids it printed."""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    return [int(word) for word in done.stdout.split()]


def _wait_gone(pid: int, timeout: float) -> bool:
    """Wait for a process that is not our child to end: a pidfd turns readable then (Linux), else poll."""
    if hasattr(os, "pidfd_open"):
        try:
            fd = os.pidfd_open(pid)
        except ProcessLookupError:
            return True
        try:
            select.select([fd], [], [], timeout)
        finally:
            os.close(fd)
        return not _pid_alive(pid)
    deadline = time.monotonic() + timeout
    while _pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not _pid_alive(pid)


@pytest.fixture
def starter_env(toy: Toy) -> dict[str, str]:
    return dict(os.environ)  # the toy fixture has put the toy and the repo on PYTHONPATH


# --- start ---------------------------------------------------------------------------------------------------


def test_start_returns_a_url_that_answers(toy: Toy) -> None:
    service = toy.start()
    assert service.url.startswith("http://127.0.0.1:")
    assert service.port > 0 and service.host == "127.0.0.1"
    assert _hello(service) == b"hello\n"


def test_starting_again_returns_the_running_service(toy: Toy) -> None:
    first = toy.start("--tag", "a")
    again = toy.start("--tag", "a")
    other = toy.start("--tag", "b")
    assert again is first
    assert other.process.pid != first.process.pid
    assert _is_running(first) and _is_running(other)


def test_a_private_start_gets_a_server_of_its_own(toy: Toy) -> None:
    shared = toy.start("--tag", "p")
    mine = toy.start("--tag", "p", private=True)
    also_mine = toy.start("--tag", "p", private=True)
    assert len({shared.process.pid, mine.process.pid, also_mine.process.pid}) == 3
    assert toy.start("--tag", "p") is shared, "a private server is never handed to someone else"
    services.stop(mine)
    assert not _pid_alive(mine.process.pid) and shared.alive and also_mine.alive
    assert _is_running(also_mine) and not _is_running(mine)


def test_start_waits_until_the_port_accepts_connections(toy: Toy) -> None:
    # The toy prints its URL, then listens only 0.5 s later: connecting at once must work all the same.
    service = toy.start("--listen-after", "0.5")
    assert _hello(service) == b"hello\n"


def test_a_server_that_exits_at_once_is_reported_with_its_own_words(toy: Toy) -> None:
    with pytest.raises(services.ServiceError) as raised:
        toy.start("--crash", ready_timeout=30)
    message = str(raised.value)
    assert "exited with status 3" in message and "about to fail on purpose" in message
    assert "within" not in message, "it did not time out: it ended"


def test_a_taken_port_is_reported_at_once_with_the_servers_message() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        # A later --port wins over the --port 0 that services passes first.
        with pytest.raises(services.ServiceError) as raised:
            services.start("support.lab.flag_server", "--port", str(port), private=True)
    first_line = str(raised.value).splitlines()[0]
    assert "exited with status 1" in first_line
    assert f"cannot listen on 127.0.0.1:{port}" in first_line


# --- stop ----------------------------------------------------------------------------------------------------


def _pids_tagged(tag: str) -> list[int]:
    """The live processes whose command line holds ``--tag tag`` (Linux: read from /proc)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            words = cmdline.read_bytes().split(b"\0")
        except OSError:  # it ended while we looked
            continue
        if tag.encode() in words and _pid_alive(int(cmdline.parent.name)):
            found.append(int(cmdline.parent.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="finds the process through /proc")
def test_a_server_that_never_accepts_and_ignores_sigterm_is_killed_and_reported(toy: Toy) -> None:
    # It announces a URL, never listens and shrugs off SIGTERM: the starter must give up and kill it all the same.
    tag = f"deaf-{os.getpid()}-{time.monotonic_ns()}"
    with pytest.raises(services.ServiceError, match="does not accept connections"):
        toy.start("--tag", tag, "--listen-after", "600", "--ignore-sigterm", ready_timeout=0.3)
    assert _pids_tagged(tag) == [], "the server outlived a start that gave up on it"


def test_stop_ends_the_process_and_start_makes_a_new_one(toy: Toy) -> None:
    first = toy.start()
    pid = first.process.pid
    first.stop()
    assert not _pid_alive(pid)
    assert not _is_running(first)
    second = toy.start()
    assert second.process.pid != pid and second.alive


def test_a_dead_service_is_started_afresh(toy: Toy) -> None:
    first = toy.start()
    first.process.kill()
    first.process.wait()
    second = toy.start()
    assert second is not first and second.alive


def test_a_server_that_ignores_sigterm_is_killed(toy: Toy) -> None:
    service = toy.start("--ignore-sigterm")
    services.stop(service, timeout=0.2)
    assert service.process.returncode == -signal.SIGKILL
    assert not _pid_alive(service.process.pid)


def test_stop_all_counts_and_stops_everything(starter_env: dict[str, str]) -> None:
    # In a child process: stop_all() stops every server of its process, and this one has other tests' servers.
    script = (
        "from support.lab import services\n"
        "started = [services.start('toy_server', '--tag', str(i)) for i in range(3)]\n"
        "started[0].process.kill(); started[0].process.wait()\n"  # a dead one is not counted
        "print(services.stop_all(), *(s.process.pid for s in started))\n"
    )
    count, *pids = _run_starter(script, starter_env)
    assert count == 2
    assert not any(_pid_alive(pid) for pid in pids)


def test_output_is_complete_once_stopped(toy: Toy) -> None:
    service = toy.start()
    services.stop(service)
    assert service.output == [f"Serving toy on {service.url}"]


# --- a server never outlives its starter ---------------------------------------------------------------------


def test_services_are_gone_as_soon_as_their_starter_exits(starter_env: dict[str, str]) -> None:
    script = "from support.lab import services; print(services.start('toy_server').process.pid)"
    [pid] = _run_starter(script, starter_env)
    # No waiting: the starter's exit handler stopped the server, and waited for it, before the starter ended.
    assert not _pid_alive(pid), "the server outlived the process that started it"


def test_services_stop_themselves_when_their_starter_is_killed(starter_env: dict[str, str]) -> None:
    # A killed kernel runs no exit handlers: the server must notice on its own and stop.
    script = (
        "import time; from support.lab import services; s = services.start('toy_server');"
        "print(s.process.pid, flush=True); time.sleep(60)"
    )
    starter = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=starter_env
    )
    try:
        assert starter.stdout is not None
        pid = int(starter.stdout.readline())
        assert _pid_alive(pid)
        starter.kill()
        starter.wait()
        assert _wait_gone(pid, 10), "the server outlived the process that started it"
    finally:
        starter.kill()
        if starter.stdout is not None:
            starter.stdout.close()


# --- addresses -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "address"), [("localhost", "127.0.0.1"), ("127.0.0.2", "127.0.0.2"), ("0:0:0:0:0:0:0:1", "::1")]
)
def test_loopback_host_gives_the_numeric_address(host: str, address: str) -> None:
    assert services.loopback_host(host) == address


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.1", "example.com", ""])
def test_loopback_host_refuses_anything_reachable_from_outside(host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        services.loopback_host(host)


@pytest.mark.parametrize(
    ("host", "family", "in_url"),
    [("127.0.0.1", socket.AF_INET, "127.0.0.1"), ("::1", socket.AF_INET6, "[::1]")],
)
def test_one_helper_gives_the_family_and_the_url_spelling(
    host: str, family: socket.AddressFamily, in_url: str
) -> None:
    assert services.socket_family(host) == family
    assert services.url_host(host) == in_url
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))  # the family really takes that address


# --- the command line every server shares --------------------------------------------------------------------


@pytest.fixture
def keep_sigterm() -> Iterator[None]:
    """``listen`` makes SIGTERM a KeyboardInterrupt for the server's process: put this process's back."""
    before = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, before)


@pytest.mark.usefixtures("keep_sigterm")
def test_listen_gives_a_listening_socket_and_its_url() -> None:
    url, sock = services.listen(["--port", "0"], "python -m toy", 8080, "A toy.")
    with sock:
        port = sock.getsockname()[1]
        assert url == f"http://127.0.0.1:{port}" and port != 0
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass  # accepted by the kernel: the socket listens
    assert signal.getsignal(signal.SIGTERM) is signal.default_int_handler


@pytest.mark.usefixtures("keep_sigterm")
def test_listen_on_a_taken_port_exits_1_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(SystemExit) as exit_info:
            services.listen(["--port", str(taken.getsockname()[1])], "python -m toy.server", 8080, "A toy.")
    assert exit_info.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("server: cannot listen on 127.0.0.1:")


@pytest.mark.parametrize("argv", [["--host", "0.0.0.0"], ["--port", "-1"], ["extra"]])
def test_listen_refuses_a_bad_command_line_with_status_2(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        services.listen(argv, "python -m toy", 8080, "A toy.")
    assert exit_info.value.code == 2
