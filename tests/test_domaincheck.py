"""domaincheck: the chapter's two columns, FOUND and NOT FOUND, against the local DNS server."""

from __future__ import annotations

import keyword
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from support import cli
from support.examples import domaincheck
from support.lab import dns_server, services
from support.lab.services import Service

REPO = Path(__file__).resolve().parent.parent
PROG = "python -m support.examples.domaincheck"
HEADER = ["FOUND\t\tNOT FOUND", "=====\t\t========="]


def keyword_domains(tld: str) -> list[str]:
    return [f"{kw}.{tld}".lower() for kw in keyword.kwlist if len(kw) <= 4]


@pytest.fixture(scope="module")
def dns() -> Iterator[Service]:
    service = dns_server.start(delay="0.01:0.1", seed=23, private=True)
    yield service
    services.stop(service)


def _columns(lines: list[str]) -> tuple[list[str], list[str]]:
    """(names in FOUND, names in NOT FOUND), from the header and the rows: the chapter's two tabs."""
    assert lines[:2] == HEADER
    found, missing = [], []
    for line in lines[2:]:
        if line.startswith("\t\t"):
            assert not line[2].isspace(), repr(line)
            missing.append(line[2:])
        else:
            assert not line[0].isspace(), repr(line)
            found.append(line)
    return found, missing


async def test_show_domains_prints_every_name_in_its_column(
    dns: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    await domaincheck.show_domains("net", dns.url)
    found, missing = _columns(capsys.readouterr().out.splitlines())
    domains = keyword_domains("net")
    assert sorted(found) == sorted(d for d in domains if dns_server.address_for(d) is not None)
    assert sorted(missing) == sorted(d for d in domains if dns_server.address_for(d) is None)
    assert found and missing, "the .net zone has both kinds"


def test_main_prints_the_columns(dns: Service, capsys: pytest.CaptureFixture[str]) -> None:
    assert domaincheck.main(["org", "--server", dns.url]) == cli.OK
    found, missing = _columns(capsys.readouterr().out.splitlines())
    assert sorted(found + missing) == sorted(keyword_domains("org"))


def test_rows_come_in_the_order_the_answers_arrive(capsys: pytest.CaptureFixture[str]) -> None:
    delay, seed = (0.02, 0.6), 29
    service = dns_server.start(delay=delay, seed=seed, private=True)
    try:
        assert domaincheck.main(["dev", "--server", service.url]) == cli.OK
    finally:
        services.stop(service)
    lines = capsys.readouterr().out.splitlines()
    _columns(lines)
    printed = [line.strip() for line in lines[2:]]
    wait = {domain: dns_server.delay_for(domain, delay, seed) for domain in keyword_domains("dev")}
    assert sorted(printed) == sorted(wait)
    assert printed != keyword_domains("dev"), "printed in the order asked, not the order answered"
    for i, a in enumerate(printed):
        for b in printed[i + 1 :]:
            assert wait[b] + 0.05 > wait[a], (
                f"{a} (answered after {wait[a]:.2f} s) came before {b} ({wait[b]:.2f} s)"
            )


def test_a_dotted_upper_case_suffix(dns: Service, capsys: pytest.CaptureFixture[str]) -> None:
    assert domaincheck.main(["COM.BR.", "--server", dns.url]) == cli.OK
    found, missing = _columns(capsys.readouterr().out.splitlines())
    assert found == []  # the zone holds no .com.br name
    assert sorted(missing) == sorted(keyword_domains("com.br"))


def test_no_answer_is_exit_1_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(dns_server, "PROBE_TIMEOUT", 0.3)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:  # bound, but never answers
        silent.bind(("127.0.0.1", 0))
        host, port = silent.getsockname()
        with pytest.raises(SystemExit) as exit_info:
            domaincheck.main(["net", "--server", f"dns://{host}:{port}"])
    assert exit_info.value.code == cli.FAILED
    captured = capsys.readouterr()
    assert captured.err == f"domaincheck: no answer from dns://{host}:{port} (ProbeTimeout)\n"
    assert captured.out.splitlines() == HEADER  # the header, and no row


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        ([], "the following arguments are required: TLD"),
        (["bad tld"], "expected a top-level domain"),
        (["net", "extra"], "unrecognized arguments: extra"),
        (["net", "--server", "http://127.0.0.1:8053"], "expected dns://ADDRESS:PORT"),
        (["net", "--server", "dns://localhost:8053"], "does not appear to be an IPv4 or IPv6 address"),
        (["net", "--server", "dns://127.0.0.1:port"], "dns://127.0.0.1:port"),
    ],
)
def test_bad_input_is_a_one_line_usage_error(
    argv: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        domaincheck.main(argv)
    assert exit_info.value.code == cli.USAGE
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.splitlines()) == 1, captured.err
    assert captured.err.startswith(f"{PROG}: error: ") and says in captured.err


def _run_cli(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "support.examples.domaincheck", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
    )


def test_cli_help_names_the_exit_statuses() -> None:
    done = _run_cli("--help")
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.startswith(f"usage: {PROG} ")
    assert "TLD" in done.stdout and "--server SERVER" in done.stdout
    statuses = [line.split()[0] for line in done.stdout.split("exit status:")[1].strip().splitlines()]
    assert statuses == ["0", "1", "2", "130"]


def test_cli_starts_its_own_server_when_none_is_given() -> None:
    done = _run_cli("org")
    assert done.returncode == cli.OK, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("(started a local DNS server on dns://127.0.0.1:")
    found, missing = _columns(lines[1:])
    assert sorted(found + missing) == sorted(keyword_domains("org"))


def test_cli_usage_error_has_no_traceback() -> None:
    done = _run_cli("no such tld")
    assert done.returncode == cli.USAGE
    assert done.stdout == "" and len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr


def test_cli_ctrl_c_exits_130() -> None:
    slow = dns_server.start(delay=3, private=True)  # every answer takes 3 s: Ctrl-C comes first
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "support.examples.domaincheck", "dev", "--server", slow.url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        time.sleep(1.0)  # started, and the probes are out; their answers take 3 s
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    finally:
        slow.stop()
    assert process.returncode == cli.INTERRUPTED
    assert "Traceback" not in err
    assert out.splitlines() == HEADER  # nothing answered: no row
