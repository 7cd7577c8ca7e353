"""Start the workbook's local servers in the background, once, and stop them all at the end.

Every "remote" service a lesson talks to (the flag site, the DNS server, ...) is a real server in its own
process, bound to 127.0.0.1 on a free port. A separate process keeps it alive across notebook cells, keeps
its CPU use out of the kernel's measurements, and lets the notebook kill it for sure.

``start()`` is idempotent: calling it again with the same module and arguments (a re-run cell, a second
test) returns the running service instead of leaking a second one. ``start(..., private=True)`` is the
exception: a fresh server that no later ``start`` hands out, for a caller (a test fixture) that will stop it
and must not stop anyone else's. Everything still running is stopped at interpreter exit.

The servers bind loopback only (:func:`loopback_host`); :func:`socket_family` and :func:`url_host` are the one
place that knows an IPv6 address needs ``AF_INET6`` and brackets in a URL.
"""

from __future__ import annotations

import atexit
import contextlib
import ipaddress
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import NoReturn
from urllib.parse import urlsplit

from support import cli
from support.paths import REPO_ROOT

__all__ = [
    "Service",
    "ServiceError",
    "listen",
    "loopback_host",
    "running",
    "socket_family",
    "start",
    "stop",
    "stop_all",
    "url_host",
]

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
    #: What the server printed (stdout and stderr, first 1000 lines); complete once it has stopped.
    output: list[str] = field(default_factory=list, repr=False)
    #: Started with ``private=True``: never handed to another ``start`` call.
    private: bool = False
    _reader: threading.Thread | None = field(default=None, repr=False, compare=False)

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


_BACKLOG = 2048  # connections the kernel queues for a server before it accepts them: a burst of 1,000
_started: list[Service] = []  # every service this process started and has not stopped, shared or private
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


def socket_family(host: str) -> socket.AddressFamily:
    """``AF_INET6`` for an IPv6 address such as ``::1``, else ``AF_INET``: the family a socket for it needs."""
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def url_host(host: str) -> str:
    """``host`` as a URL spells it: an IPv6 address in brackets (``[::1]``), anything else unchanged."""
    return f"[{host}]" if ":" in host else host


def listen(
    argv: list[str] | None, prog: str, default_port: int, description: str, scheme: str = "http"
) -> tuple[str, socket.socket]:
    """The command line every server shares (``--host``, ``--port``), and a socket bound and listening there.

    Returns the URL and the socket; the server prints its URL line once it is ready to answer. A usage error
    exits with status 2 (one line, from :class:`support.cli.Parser`); a port that cannot be bound exits with
    status 1 and one line saying why, before any URL line. From here on SIGTERM raises KeyboardInterrupt, as
    Ctrl-C does, so the server stops the same way for both (uvicorn catches either, shuts down cleanly, then
    raises it again).
    """
    parser = cli.Parser(prog=prog, description=description, failed="cannot listen on that address and port")
    parser.add_argument(
        "--host", type=cli.checked(loopback_host), default="127.0.0.1", help="(default: %(default)s)"
    )
    parser.add_argument(
        "--port", type=cli.port, default=default_port, help="0 picks a free one (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    try:
        sock = socket.create_server((args.host, args.port), family=socket_family(args.host), backlog=_BACKLOG)
    except OSError as exc:  # the port is taken
        print(
            f"{prog.rsplit('.', 1)[-1]}: cannot listen on {args.host}:{args.port}: {exc.strerror}",
            file=sys.stderr,
        )
        raise SystemExit(cli.FAILED) from None
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    return f"{scheme}://{url_host(args.host)}:{sock.getsockname()[1]}", sock


def running() -> list[Service]:
    """The services started by this process that are still alive."""
    with _lock:
        return [s for s in _started if s.alive]


def start(module: str, *args: str, ready_timeout: float = 30.0, private: bool = False) -> Service:
    """Run ``python -m <module> --port 0 <args>`` and return it once it answers.

    The same module with the same arguments is started only once per process (a service that died is
    started afresh), unless ``private``: then a new server is started, and no later call gets it. Modules'
    own ``start()`` functions spell equal options one way, so equal configurations share a server.
    """
    args = tuple(args)
    with _lock:
        if not private:
            for service in _started:
                if not service.private and (service.module, service.args) == (module, args) and service.alive:
                    return service
        service = _launch(module, args, ready_timeout, private)
        _started.append(service)
        return service


def stop(service: Service, timeout: float = 5.0) -> None:
    """Stop one service: SIGTERM, then SIGKILL if it does not exit within ``timeout`` seconds."""
    with _lock:
        _started[:] = [s for s in _started if s is not service]
    _terminate(service, timeout)


def stop_all() -> int:
    """Stop every service this process started; return how many were running."""
    with _lock:
        services = list(_started)
        _started.clear()
    alive = sum(s.alive for s in services)
    for service in services:
        _terminate(service, 5.0)
    return alive


def _launch(module: str, args: tuple[str, ...], ready_timeout: float, private: bool) -> Service:
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
        ready.set()  # end of output: the server has exited (or closed its stdout), URL or not

    reader = threading.Thread(target=pump, name=f"{module}-output", daemon=True)
    reader.start()
    service = Service(module, args, "", process, output, private, reader)
    deadline = time.monotonic() + ready_timeout
    if not ready.wait(ready_timeout) or not found:
        ended = ready.is_set()
        if ended:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(2.0)  # it closed its output: let it finish exiting, for the status
        _terminate(service, 2.0)
        if ended:
            _fail(service, f"exited with status {process.returncode} before it was ready")
        _fail(service, f"did not report a URL within {ready_timeout:g} s")
    service.url = found[0]
    if urlsplit(service.url).scheme in {"http", "https", "tcp"}:
        _wait_for_connect(service, deadline)
    return service


def _fail(service: Service, what: str) -> NoReturn:
    """Raise ServiceError; the server's last line, usually its own reason, ends the first line of the message."""
    last = service.output[-1] if service.output else "(no output)"
    shown = "\n".join(service.output[-20:]) or "(no output)"
    raise ServiceError(f"{service.module} {what}: {last}\n{shown}")


def _wait_for_connect(service: Service, deadline: float) -> None:
    parts = urlsplit(service.url)
    while True:
        try:
            with socket.create_connection((parts.hostname, parts.port), timeout=1.0):
                return
        except OSError:
            if not service.alive:
                _terminate(service, 2.0)
                _fail(
                    service, f"exited with status {service.process.returncode} before {service.url} accepted"
                )
            if time.monotonic() > deadline:
                _terminate(service, 2.0)
                _fail(service, f"announced {service.url} but it does not accept connections")
            time.sleep(0.02)


def _terminate(service: Service, timeout: float) -> None:
    """SIGTERM, then SIGKILL after ``timeout``; then wait until its output is read to the end."""
    process = service.process
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if service._reader is not None:
        service._reader.join(2.0)  # the pipe ends with the process (unless a child of its own holds it)


atexit.register(stop_all)
