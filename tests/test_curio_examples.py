"""The chapter's Curio programs (curio_domainlib, curio_blogdom) against the local DNS server.

Curio 1.6 imports on Python 3.11 only, so the tests that run Curio skip elsewhere; on 3.12+ the CLI must
still answer --help and say in one line why it cannot probe.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.examples import curio_blogdom
from support.examples.blogdom import keyword_domains
from support.lab import dns_server, services
from support.lab.dns_server import Result
from support.timing import Stopwatch

REPO = Path(__file__).resolve().parent.parent
DELAY = 0.2
needs_curio = pytest.mark.skipif(
    sys.version_info >= (3, 12), reason="Curio 1.6 does not import on Python 3.12+ (installed on 3.11 only)"
)


@pytest.fixture(scope="module")
def slow_dns() -> Iterator[services.Service]:
    service = dns_server.start(delay=DELAY, private=True)
    yield service
    service.stop()


@pytest.fixture(scope="module")
def seeded_dns() -> Iterator[services.Service]:
    service = dns_server.start(delay="0.02:0.4", seed=3, private=True)
    yield service
    service.stop()


def _expected(domains: list[str]) -> list[Result]:
    return [Result(d, dns_server.address_for(d) is not None) for d in domains]


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "support.examples.curio_blogdom", *args],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=REPO,
    )


@needs_curio
def test_probe_says_what_the_zone_says(slow_dns: services.Service) -> None:
    import curio

    from support.examples import curio_domainlib

    async def probe_each(domains: list[str]) -> list[Result]:
        return [await curio_domainlib.probe(d, slow_dns) for d in domains]

    domains = ["if.dev", "or.dev", "and.dev", "with.net", "nothing.example"]
    assert curio.run(probe_each(domains)) == _expected(domains)
    assert {r.found for r in _expected(domains)} == {True, False}


@needs_curio
def test_multi_probe_yields_in_arrival_order_and_is_concurrent(seeded_dns: services.Service) -> None:
    import curio

    from support.examples import curio_domainlib

    domains = keyword_domains(max_len=3)

    async def collect() -> list[Result]:
        return [result async for result in curio_domainlib.multi_probe(domains, seeded_dns.url)]

    with Stopwatch() as watch:
        results = curio.run(collect())
    assert sorted(results) == sorted(_expected(domains))
    delays = {d: dns_server.delay_for(d, (0.02, 0.4), 3) for d in domains}
    arrival = [delays[r.domain] for r in results]
    # Each answer came after the one before it, give or take scheduling noise: reported as they arrived.
    assert all(later > earlier - 0.03 for earlier, later in zip(arrival, arrival[1:], strict=False))
    assert watch.elapsed < 0.5 * sum(delays.values())  # the waits overlapped


@needs_curio
def test_probe_reports_a_dead_server_and_a_silent_one(monkeypatch: pytest.MonkeyPatch) -> None:
    import curio

    from support.examples import curio_domainlib

    with pytest.raises(ConnectionRefusedError):
        curio.run(curio_domainlib.probe("if.dev", ("127.0.0.1", _free_udp_port())))
    silent = dns_server.start(delay=2.0, private=True)
    try:
        monkeypatch.setattr(curio_domainlib, "PROBE_TIMEOUT", 0.1)
        with Stopwatch() as watch, pytest.raises(dns_server.ProbeTimeout):
            curio.run(curio_domainlib.probe("if.dev", silent))
        assert watch.elapsed < 1.0
    finally:
        silent.stop()


@needs_curio
def test_a_failing_probe_cancels_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    import curio

    from support.examples import curio_domainlib

    cancelled: list[str] = []

    async def flaky_probe(domain: str, server: object) -> Result:
        if domain == "if.dev":
            await curio.sleep(0.01)
            raise dns_server.ProbeTimeout("no answer for if.dev")
        try:
            await curio.sleep(5)
        except curio.CancelledError:
            cancelled.append(domain)
            raise
        return Result(domain, True)

    monkeypatch.setattr(curio_domainlib, "probe", flaky_probe)
    with Stopwatch() as watch, pytest.raises(dns_server.ProbeTimeout):
        curio.run(curio_blogdom.probe_all(keyword_domains(max_len=2), "dns://127.0.0.1:1"))
    assert watch.elapsed < 1
    assert sorted(cancelled) == ["as.dev", "in.dev", "is.dev", "or.dev"]


@needs_curio
def test_main_prints_one_line_per_name_then_a_summary(
    slow_dns: services.Service, capsys: pytest.CaptureFixture[str]
) -> None:
    assert curio_blogdom.main(["--server", slow_dns.url, "--max-len", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    domains = keyword_domains(max_len=3)
    assert sorted(line[2:] for line in lines[:-1]) == sorted(domains)
    assert [line.startswith("+") for line in sorted(lines[:-1], key=lambda x: x[2:])] == [
        r.found for r in sorted(_expected(domains))
    ]
    found = sum(r.found for r in _expected(domains))
    assert lines[-1].startswith(f"{len(domains)} names probed at once with Curio: {found} resolve, ")


@needs_curio
def test_main_exits_1_when_nobody_answers(capsys: pytest.CaptureFixture[str]) -> None:
    assert curio_blogdom.main(["--server", f"dns://127.0.0.1:{_free_udp_port()}", "--max-len", "2"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("curio_blogdom: no answer from dns://127.0.0.1:") and err.count("\n") == 1


@needs_curio
def test_cli_starts_its_own_server_when_none_is_given() -> None:
    done = _run_cli("--max-len", "2", "--delay", "0.01", "--seed", "1")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("(started a local DNS server on dns://127.0.0.1:")
    assert len(lines) == 1 + 5 + 1


@pytest.mark.skipif(sys.version_info < (3, 12), reason="checks what happens where Curio cannot run")
def test_on_python_3_12_and_later_it_says_so_in_one_line() -> None:
    assert not curio_blogdom.CURIO_RUNS
    with pytest.raises(ImportError):
        import support.examples.curio_domainlib  # noqa: F401
    done = _run_cli("--max-len", "2")
    assert done.returncode == 1
    assert done.stderr == f"curio_blogdom: {curio_blogdom.NO_CURIO}\n" and not done.stdout


def test_curio_runs_exactly_where_it_is_installed() -> None:
    assert curio_blogdom.CURIO_RUNS == (sys.version_info < (3, 12))


def test_cli_help_works_on_every_python() -> None:
    done = _run_cli("--help")
    assert done.returncode == 0
    assert "--server URL" in done.stdout and "Python 3.11" in done.stdout


@pytest.mark.parametrize(
    "argv", [["--server", "http://127.0.0.1:80"], ["--max-len", "0"], ["--delay", "slow"]]
)
def test_bad_arguments_exit_2_on_every_python(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        curio_blogdom.main(argv)
    assert exit_info.value.code == 2
    assert "error:" in capsys.readouterr().err
