"""blogdom: the chapter's domain prober, against the local DNS server."""

from __future__ import annotations

import asyncio
import gc
import keyword
import logging
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from support import cli
from support.examples import blogdom
from support.lab import dns_server, services
from support.lab.dns_server import Result
from support.lab.services import Service
from support.timing import Stopwatch

REPO = Path(__file__).resolve().parent.parent
PROG = "python -m support.examples.blogdom"
RANGE, SEED = (0.02, 0.6), 29  # seeded per-name delays: the order of the answers is known in advance
DOMAINS = [f"{kw}.dev".lower() for kw in keyword.kwlist if len(kw) <= 4]


@pytest.fixture(scope="module")
def dns() -> Iterator[Service]:
    service = dns_server.start(delay=RANGE, seed=SEED, private=True)
    yield service
    services.stop(service)


def _marked(domain: str) -> str:
    """The line blogdom prints for ``domain``, read off the zone: ``+`` when the name resolves."""
    return f"{'+' if dns_server.address_for(domain) else ' '} {domain}"


def _in_arrival_order(lines: list[str]) -> None:
    wait = {domain: dns_server.delay_for(domain, RANGE, SEED) for domain in DOMAINS}
    printed = [line[2:] for line in lines]
    assert printed != DOMAINS, "printed in the order asked, not the order answered"
    for i, a in enumerate(printed):
        for b in printed[i + 1 :]:
            assert wait[b] + 0.05 > wait[a], f"{a} ({wait[a]:.2f} s) came before {b} ({wait[b]:.2f} s)"


def test_the_names_are_the_short_keywords_under_dev() -> None:
    assert blogdom.MAX_KEYWORD_LEN == 4
    assert len(DOMAINS) == 18 and DOMAINS[:2] == ["none.dev", "true.dev"]


async def test_each_answer_is_printed_as_it_arrives_and_all_at_once(
    dns: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    with Stopwatch() as watch:
        await blogdom.probe_all_at_once(DOMAINS, lambda domain: dns_server.probe(domain, dns))
    lines = capsys.readouterr().out.splitlines()
    assert sorted(lines, key=lambda line: line[2:]) == sorted(map(_marked, DOMAINS), key=lambda x: x[2:])
    _in_arrival_order(lines)
    slowest = max(dns_server.delay_for(domain, RANGE, SEED) for domain in DOMAINS)
    total = sum(dns_server.delay_for(domain, RANGE, SEED) for domain in DOMAINS)
    assert watch.elapsed < slowest + (total - slowest) / 3, "the probes did not overlap"


async def test_the_tasks_are_named_after_their_domain(capsys: pytest.CaptureFixture[str]) -> None:
    names: list[str] = []

    async def probe(domain: str) -> Result:
        task = asyncio.current_task()
        assert task is not None
        names.append(task.get_name())
        return Result(domain, True)

    await blogdom.probe_all_at_once(["if.dev", "or.dev"], probe)
    assert sorted(names) == ["if.dev", "or.dev"]
    assert sorted(capsys.readouterr().out.splitlines()) == ["+ if.dev", "+ or.dev"]


async def test_a_failing_probe_cancels_the_others_and_loses_no_error(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    cancelled: list[str] = []

    async def flaky_probe(domain: str) -> Result:
        if domain in ("if.dev", "in.dev"):  # two failures: the second one must not be "never retrieved"
            await asyncio.sleep(0.01)
            raise dns_server.ProbeTimeout(f"no answer for {domain}")
        if domain == "as.dev":
            return Result(domain, False)
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            cancelled.append(domain)
            raise
        return Result(domain, True)

    domains = ["as.dev", "if.dev", "in.dev", "is.dev", "or.dev"]
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        with Stopwatch() as watch, pytest.raises(dns_server.ProbeTimeout):
            await blogdom.probe_all_at_once(domains, flaky_probe)
        await asyncio.sleep(0.01)
        gc.collect()
    assert watch.elapsed < 1, "it waited for the slow probes instead of cancelling them"
    assert sorted(cancelled) == ["is.dev", "or.dev"]  # stopped, and waited for, before the error came out
    assert not [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert "never retrieved" not in caplog.text
    assert capsys.readouterr().out == "  as.dev\n"  # what arrived before the failure was printed


def test_main_prints_one_line_per_name(dns: Service, capsys: pytest.CaptureFixture[str]) -> None:
    assert blogdom.main(["--server", dns.url]) == cli.OK
    lines = capsys.readouterr().out.splitlines()
    assert sorted(lines, key=lambda line: line[2:]) == sorted(map(_marked, DOMAINS), key=lambda x: x[2:])
    _in_arrival_order(lines)


def test_a_server_that_does_not_answer_is_exit_1_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(dns_server, "PROBE_TIMEOUT", 0.3)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:  # bound, but never answers
        silent.bind(("127.0.0.1", 0))
        host, port = silent.getsockname()
        with pytest.raises(SystemExit) as exit_info:
            blogdom.main(["--server", f"dns://{host}:{port}"])
    assert exit_info.value.code == cli.FAILED
    err = capsys.readouterr().err
    assert err == f"blogdom: no answer from dns://{host}:{port} (ProbeTimeout)\n"


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--server", "http://127.0.0.1:80"], "expected dns://ADDRESS:PORT"),
        (["--server", "dns://localhost:53"], "does not appear to be an IPv4 or IPv6 address"),
        (["--server", "dns://127.0.0.1:99999"], "dns://127.0.0.1:99999"),
        (["--server"], "expected one argument"),
        (["dev"], "unrecognized arguments: dev"),
        (["--no-such-option"], "unrecognized arguments"),
    ],
)
def test_bad_arguments_are_one_line_usage_errors(
    argv: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        blogdom.main(argv)
    assert exit_info.value.code == cli.USAGE
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.splitlines()) == 1, captured.err
    assert captured.err.startswith(f"{PROG}: error: ") and says in captured.err


def _run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "support.examples.blogdom", *args],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=REPO,
    )


def test_cli_help_names_the_option_and_the_exit_statuses() -> None:
    done = _run_cli("--help")
    assert done.returncode == 0 and done.stdout.startswith(f"usage: {PROG} ")
    assert "--server SERVER" in done.stdout
    statuses = [line.split()[0] for line in done.stdout.split("exit status:")[1].strip().splitlines()]
    assert statuses == ["0", "1", "2", "130"]


def test_cli_starts_its_own_server_when_none_is_given() -> None:
    done = _run_cli()
    assert done.returncode == cli.OK, done.stderr
    first, *lines = done.stdout.splitlines()
    assert first.startswith("(started a local DNS server on dns://127.0.0.1:")
    assert sorted(lines, key=lambda line: line[2:]) == sorted(map(_marked, DOMAINS), key=lambda x: x[2:])


def test_cli_usage_error_has_no_traceback() -> None:
    done = _run_cli("--server", "localhost")
    assert done.returncode == cli.USAGE
    assert done.stdout == "" and len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr


def test_cli_ctrl_c_exits_130() -> None:
    slow = dns_server.start(delay=3, private=True)  # every answer takes 3 s: Ctrl-C comes first
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "support.examples.blogdom", "--server", slow.url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        time.sleep(1.0)  # started, and the probes are out
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    finally:
        slow.stop()
    assert process.returncode == cli.INTERRUPTED
    assert "Traceback" not in err and out == ""
