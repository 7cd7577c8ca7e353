"""The background-service helper: start once, answer, stop, and never leak a server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from support.lab import services

# A minimal server that follows the contract in docs/CONTRIBUTING-services.md.
TOY_SERVER = textwrap.dedent(
    """
    import argparse, socket, sys, time
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--crash", action="store_true")
    parser.add_argument("--tag", default="")
    args = parser.parse_args()
    if args.crash:
        print("about to fail on purpose", flush=True)
        sys.exit(3)
    sock = socket.create_server(("127.0.0.1", args.port))
    print(f"Serving toy on http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    while True:
        conn, _ = sock.accept()
        conn.sendall(b"hello\\n")
        conn.close()
    """
)


@pytest.fixture
def toy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    (tmp_path / "toy_server.py").write_text(TOY_SERVER)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    yield "toy_server"
    services.stop_all()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); count it as gone.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split()[2] == "Z")


def test_start_returns_a_url_that_answers(toy: str) -> None:
    service = services.start(toy)
    assert service.url.startswith("http://127.0.0.1:")
    assert service.port > 0 and service.host == "127.0.0.1"
    with socket.create_connection((service.host, service.port), timeout=2) as conn:
        assert conn.recv(100) == b"hello\n"


def test_starting_again_returns_the_running_service(toy: str) -> None:
    first = services.start(toy, "--tag", "a")
    again = services.start(toy, "--tag", "a")
    other = services.start(toy, "--tag", "b")
    assert again is first
    assert again.process.pid == first.process.pid
    assert other.process.pid != first.process.pid
    assert len(services.running()) == 2


def test_stop_ends_the_process_and_start_makes_a_new_one(toy: str) -> None:
    first = services.start(toy)
    pid = first.process.pid
    first.stop()
    assert not _pid_alive(pid)
    assert services.running() == []
    second = services.start(toy)
    assert second.process.pid != pid and second.alive


def test_a_dead_service_is_started_afresh(toy: str) -> None:
    first = services.start(toy)
    first.process.kill()
    first.process.wait()
    second = services.start(toy)
    assert second is not first and second.alive


def test_stop_all_counts_and_stops_everything(toy: str) -> None:
    started = [services.start(toy, "--tag", str(i)) for i in range(3)]
    assert services.stop_all() == 3
    assert not any(_pid_alive(s.process.pid) for s in started)


def test_a_server_that_fails_reports_its_output(toy: str) -> None:
    with pytest.raises(services.ServiceError, match="about to fail on purpose"):
        services.start(toy, "--crash", ready_timeout=10)


def test_services_are_stopped_at_interpreter_exit(toy: str, tmp_path: Path) -> None:
    script = "from support.lab import services; s = services.start('toy_server'); print(s.process.pid)"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(Path(__file__).parent.parent)]))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=30)
    assert done.returncode == 0, done.stderr
    pid = int(done.stdout.split()[-1])
    deadline = time.monotonic() + 5
    while _pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _pid_alive(pid)


def test_services_stop_themselves_when_their_starter_is_killed(toy: str, tmp_path: Path) -> None:
    # A killed kernel runs no exit handlers: the server must notice on its own and stop.
    script = (
        "import time; from support.lab import services; s = services.start('toy_server');"
        "print(s.process.pid, flush=True); time.sleep(60)"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(Path(__file__).parent.parent)]))
    starter = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert starter.stdout is not None
        pid = int(starter.stdout.readline())
        assert _pid_alive(pid)
        starter.kill()
        starter.wait()
        deadline = time.monotonic() + 10
        while _pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _pid_alive(pid), "the server outlived the process that started it"
    finally:
        starter.kill()


@pytest.mark.parametrize(
    ("host", "address"), [("localhost", "127.0.0.1"), ("127.0.0.2", "127.0.0.2"), ("0:0:0:0:0:0:0:1", "::1")]
)
def test_loopback_host_gives_the_numeric_address(host: str, address: str) -> None:
    assert services.loopback_host(host) == address


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.1", "example.com", ""])
def test_loopback_host_refuses_anything_reachable_from_outside(host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        services.loopback_host(host)
