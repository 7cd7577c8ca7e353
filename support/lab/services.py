"""Start the workbook's local servers in the background, once, and stop them all at the end.

Every "remote" service a lesson talks to (the flag site, the DNS server, ...) is a real server in its own
process, bound to 127.0.0.1 on a free port. A separate process keeps it alive across notebook cells, keeps
its CPU use out of the kernel's measurements, and lets the notebook kill it for sure.

``start()`` is idempotent: calling it again with the same module and arguments (a re-run cell, a second
test) returns the running service instead of leaking a second one. Everything still running is stopped at
interpreter exit.
"""

from __future__ import annotations

import atexit
import ipaddress
import os
import re
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from support.paths import REPO_ROOT

__all__ = ["Service", "ServiceError", "loopback_host", "start", "stop", "stop_all", "running"]

# The line a server prints once it listens, e.g. "Serving flags on http://127.0.0.1:40123".
_URL_LINE = re.compile(
    r"\b(?P<url>(?P<scheme>[a-z]+)://(?P<host>127\.0\.0\.1|localhost|\[::1\]):(?P<port>\d+))"
)


class ServiceError(RuntimeError):
    """A service did not start: the message carries what it printed, so the cause is visible."""


@dataclass
class Service:
    """A running local server: where it listens and the process behind it."""

    module: str
    args: tuple[str, ...]
    url: str
    process: subprocess.Popen[str] = field(repr=False)
    output: list[str] = field(default_factory=list, repr=False)

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or "127.0.0.1"

    @property
    def port(self) -> int:
        port = urlsplit(self.url).port
        assert port is not None, self.url
        return port

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        stop(self)

    def __str__(self) -> str:
        return f"{self.module} at {self.url}"


_running: dict[tuple[str, tuple[str, ...]], Service] = {}
_lock = threading.Lock()


def loopback_host(host: str) -> str:
    """The numeric loopback address for ``host`` (``localhost`` is 127.0.0.1); raises ValueError otherwise.

    The servers are teaching props: they must never be reachable from another machine.
    """
    if host == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"{host!r} is not a loopback address such as 127.0.0.1 or ::1") from None
    if not address.is_loopback:
        raise ValueError(f"{host} is reachable from other machines; only loopback addresses are allowed")
    return str(address)


def running() -> list[Service]:
    """The services started by this process that are still alive."""
    with _lock:
        return [s for s in _running.values() if s.alive]


def start(module: str, *args: str, ready_timeout: float = 30.0) -> Service:
    """Run ``python -m <module> --port 0 <args>`` and return it once it answers.

    The same module with the same arguments is started only once per process; a service that died is
    started afresh.
    """
    key = (module, tuple(args))
    with _lock:
        service = _running.get(key)
        if service is not None and service.alive:
            return service
        service = _launch(module, tuple(args), ready_timeout)
        _running[key] = service
        return service


def stop(service: Service, timeout: float = 5.0) -> None:
    """Stop one service: SIGTERM, then SIGKILL if it does not exit in time."""
    with _lock:
        for key, value in list(_running.items()):
            if value is service:
                del _running[key]
    _terminate(service.process, timeout)


def stop_all() -> int:
    """Stop every service this process started; return how many were running."""
    with _lock:
        services = list(_running.values())
        _running.clear()
    alive = sum(s.alive for s in services)
    for service in services:
        _terminate(service.process, 5.0)
    return alive


def _launch(module: str, args: tuple[str, ...], ready_timeout: float) -> Service:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    # The repo on the path lets `-m support.x` work even where the package is not installed (a plain checkout).
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env["WORKBOOK_PARENT_PID"] = str(os.getpid())
    # Through the watchdog wrapper: the server ends itself if this process dies without stopping it.
    command = [sys.executable, "-m", "support.lab._supervised", module, "--port", "0", *args]
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,  # a Ctrl-C in the terminal or kernel interrupt is not sent to the server
    )
    output: list[str] = []
    found: list[str] = []
    ready = threading.Event()

    def pump() -> None:
        # Drains the pipe for the server's whole life, so a chatty server never blocks on a full pipe.
        assert process.stdout is not None
        with process.stdout:  # closed at EOF, when the server exits: no ResourceWarning for the pipe
            for line in process.stdout:
                if len(output) < 1000:
                    output.append(line.rstrip("\n"))
                if not found and (match := _URL_LINE.search(line)):
                    found.append(match.group("url"))
                    ready.set()
        ready.set()

    threading.Thread(target=pump, name=f"{module}-output", daemon=True).start()
    deadline = time.monotonic() + ready_timeout
    if not ready.wait(ready_timeout) or not found:
        _terminate(process, 2.0)
        shown = "\n".join(output[-20:]) or "(no output)"
        raise ServiceError(f"{module} did not report a URL within {ready_timeout:.0f} s:\n{shown}")
    url = found[0]
    if urlsplit(url).scheme in {"http", "https", "tcp"}:
        _wait_for_connect(url, deadline, process, output)
    return Service(module, args, url, process, output)


def _wait_for_connect(url: str, deadline: float, process: subprocess.Popen[str], output: list[str]) -> None:
    parts = urlsplit(url)
    while True:
        try:
            with socket.create_connection((parts.hostname, parts.port), timeout=1.0):
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                _terminate(process, 2.0)
                shown = "\n".join(output[-20:]) or "(no output)"
                raise ServiceError(f"{url} does not accept connections:\n{shown}") from None
            time.sleep(0.02)


def _terminate(process: subprocess.Popen[str], timeout: float) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


atexit.register(stop_all)
