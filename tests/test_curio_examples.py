"""The chapter's Curio programs (curio_domainlib, curio_blogdom, curio_domaincheck) against the local DNS server.

Curio 1.6 imports on Python 3.11 only (the workbook installs it there alone), and so do these modules: on 3.12
and later every test here is skipped, in one line, before anything imports them.
"""

from __future__ import annotations

import inspect
import keyword
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

curio = pytest.importorskip("curio", reason="Curio 1.6 imports on Python 3.11 only (installed there alone)")

from support import cli  # noqa: E402 (after the skip: these import Curio)
from support.examples import curio_blogdom, curio_domaincheck, curio_domainlib, domaincheck  # noqa: E402
from support.lab import dns_server, services  # noqa: E402
from support.lab.dns_server import Result  # noqa: E402
from support.timing import Stopwatch  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
DELAY = 0.2
RANGE, SEED = (0.02, 0.4), 3
DOMAINS = [f"{kw}.dev".lower() for kw in keyword.kwlist if len(kw) <= 4]


@pytest.fixture(scope="module")
def slow_dns() -> Iterator[services.Service]:
    service = dns_server.start(delay=DELAY, private=True)
    yield service
    service.stop()


@pytest.fixture(scope="module")
def seeded_dns() -> Iterator[services.Service]:
    service = dns_server.start(delay=RANGE, seed=SEED, private=True)
    yield service
    service.stop()


def _expected(domains: list[str]) -> list[Result]:
    return [Result(d, dns_server.address_for(d) is not None) for d in domains]


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_cli(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", f"support.examples.{module}", *args],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=REPO,
    )


def test_probe_says_what_the_zone_says(slow_dns: services.Service) -> None:
    async def probe_each(domains: list[str]) -> list[Result]:
        return [await curio_domainlib.probe(d, slow_dns) for d in domains]

    domains = ["if.dev", "or.dev", "and.dev", "with.net", "nothing.example"]
    assert curio.run(probe_each(domains)) == _expected(domains)
    assert {r.found for r in _expected(domains)} == {True, False}


def test_multi_probe_yields_in_arrival_order_and_is_concurrent(seeded_dns: services.Service) -> None:
    domains = DOMAINS[:12]

    async def collect() -> list[Result]:
        return [result async for result in curio_domainlib.multi_probe(domains, seeded_dns.url)]

    with Stopwatch() as watch:
        results = curio.run(collect())
    assert sorted(results) == sorted(_expected(domains))
    delays = {d: dns_server.delay_for(d, RANGE, SEED) for d in domains}
    arrival = [delays[r.domain] for r in results]
    # Each answer came after the one before it, give or take scheduling noise: reported as they arrived.
    assert all(later > earlier - 0.03 for earlier, later in zip(arrival, arrival[1:], strict=False))
    assert watch.elapsed < 0.5 * sum(delays.values())  # the waits overlapped


def test_probe_reports_a_dead_server_and_a_silent_one(monkeypatch: pytest.MonkeyPatch) -> None:
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


def test_a_failing_probe_cancels_the_others(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
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
        curio.run(
            curio_blogdom.probe_all(["as.dev", "if.dev", "in.dev", "is.dev", "or.dev"], "dns://127.0.0.1:1")
        )
    assert watch.elapsed < 1
    assert sorted(cancelled) == ["as.dev", "in.dev", "is.dev", "or.dev"]
    assert capsys.readouterr().out == ""


def test_blogdom_main_prints_one_line_per_name(
    seeded_dns: services.Service, capsys: pytest.CaptureFixture[str]
) -> None:
    assert curio_blogdom.main(["--server", seeded_dns.url]) == cli.OK
    lines = capsys.readouterr().out.splitlines()
    assert sorted(line[2:] for line in lines) == sorted(DOMAINS)
    marks = {line[2:]: line[0] == "+" for line in lines}
    assert marks == {r.domain: r.found for r in _expected(DOMAINS)}
    waits = [dns_server.delay_for(line[2:], RANGE, SEED) for line in lines]
    assert all(later > earlier - 0.03 for earlier, later in zip(waits, waits[1:], strict=False))


def test_the_two_domainchecks_share_their_text_and_their_answers(
    seeded_dns: services.Service, capsys: pytest.CaptureFixture[str]
) -> None:
    # The chapter's point: async for over an async generator reads the same on any framework.
    assert inspect.getsource(curio_domaincheck.show_domains) == inspect.getsource(domaincheck.show_domains)
    assert curio_domaincheck.main(["net", "--server", seeded_dns.url]) == cli.OK
    on_curio = capsys.readouterr().out.splitlines()
    assert domaincheck.main(["net", "--server", seeded_dns.url]) == cli.OK
    on_asyncio = capsys.readouterr().out.splitlines()
    assert on_curio[:2] == ["FOUND\t\tNOT FOUND", "=====\t\t========="]
    assert sorted(on_curio) == sorted(on_asyncio)


@pytest.mark.parametrize("module", ["curio_blogdom", "curio_domaincheck"])
def test_no_answer_is_exit_1_with_one_line(module: str) -> None:
    port = _free_udp_port()
    args = ["net"] if module == "curio_domaincheck" else []
    done = _run_cli(module, *args, "--server", f"dns://127.0.0.1:{port}")
    assert done.returncode == cli.FAILED
    assert done.stderr == f"{module}: no answer from dns://127.0.0.1:{port} (ConnectionRefusedError)\n"


@pytest.mark.parametrize("module", ["curio_blogdom", "curio_domaincheck"])
def test_cli_starts_its_own_server_and_names_the_exit_statuses(module: str) -> None:
    args = ["org"] if module == "curio_domaincheck" else []
    done = _run_cli(module, *args)
    assert done.returncode == cli.OK, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("(started a local DNS server on dns://127.0.0.1:") and len(lines) == 1 + 18 + (
        2 if args else 0
    )
    help_text = _run_cli(module, "--help").stdout
    assert "--server SERVER" in help_text
    statuses = [line.split()[0] for line in help_text.split("exit status:")[1].strip().splitlines()]
    assert statuses == ["0", "1", "2", "130"]


@pytest.mark.parametrize(
    ("main", "argv"),
    [
        (curio_blogdom.main, ["--server", "http://127.0.0.1:80"]),
        (curio_domaincheck.main, ["dot net"]),
        (curio_domaincheck.main, []),
    ],
)
def test_bad_arguments_exit_2_in_one_line(
    main: object, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert callable(main)
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == cli.USAGE
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and ": error: " in err


def test_a_late_answer_to_an_earlier_query_is_dropped_and_the_probe_waits_for_its_own() -> None:
    # A probe given up on (a deadline) leaves its answer on the way; a new socket may get the same port and
    # receive it. The probe drops it, as resolvers do, instead of failing with "answers another question".
    import dns.message

    from support.examples import dns_wire

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server:
        server.bind(("127.0.0.1", 0))
        server.settimeout(5)

        def answer_late_then_right() -> None:
            data, client = server.recvfrom(4096)
            mine = dns.message.from_wire(data)
            stray = dns.message.make_response(dns_wire.query("or.dev"))  # another question's answer
            server.sendto(stray.to_wire(), client)
            server.sendto(dns.message.make_response(mine).to_wire(), client)  # then ours: no such address

        import threading

        replying = threading.Thread(target=answer_late_then_right)
        replying.start()
        result = curio.run(curio_domainlib.probe, "if.dev", f"dns://127.0.0.1:{server.getsockname()[1]}")
        replying.join()
    assert result == Result("if.dev", False)
