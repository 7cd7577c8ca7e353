"""domaincheck: the chapter's two columns, FOUND and NOT FOUND, against the local DNS server."""

from __future__ import annotations

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
from support.examples.blogdom import keyword_domains
from support.lab import dns_server, services
from support.lab.dns_server import Result
from support.lab.services import Service

REPO = Path(__file__).resolve().parent.parent
PROG = "python -m support.examples.domaincheck"


@pytest.fixture(scope="module")
def dns() -> Iterator[Service]:
    service = dns_server.start(delay="0.01:0.1", seed=23, private=True)
    yield service
    services.stop(service)


def _columns(lines: list[str]) -> tuple[list[str], list[str], int]:
    """(names in FOUND, names in NOT FOUND, where NOT FOUND starts), from the header and the rows."""
    assert lines[0].startswith("FOUND") and lines[0].rstrip().endswith("NOT FOUND")
    assert lines[1].startswith("=====") and lines[1].rstrip().endswith("=========")
    width = lines[0].index("NOT FOUND")
    assert lines[1].index("=========") == width
    found, missing = [], []
    for line in lines[2:]:
        if line.startswith(" "):
            assert line[:width].strip() == "" and not line[width].isspace(), repr(line)
            missing.append(line.strip())
        else:
            found.append(line)
    return found, missing, width


def test_rows_put_each_name_in_its_column() -> None:
    assert domaincheck.format_row(Result("if.net", True), 12) == "if.net"
    assert domaincheck.format_row(Result("or.net", False), 12) == " " * 12 + "or.net"
    assert domaincheck.header(12) == ["FOUND       NOT FOUND", "=====       ========="]


def test_main_prints_every_name_in_its_column_then_a_summary(
    dns: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    assert domaincheck.main(["net", "--server", dns.url]) == cli.OK
    lines = capsys.readouterr().out.splitlines()
    domains = keyword_domains("net")
    found, missing, width = _columns(lines[:-1])
    assert sorted(found) == sorted(d for d in domains if dns_server.address_for(d) is not None)
    assert sorted(missing) == sorted(d for d in domains if dns_server.address_for(d) is None)
    assert found and missing, "the .net zone has both kinds"
    assert width > max(map(len, domains))
    assert lines[-1].startswith(
        f"{len(domains)} names under .net: {len(found)} found, {len(missing)} not found ("
    )


def test_rows_come_in_the_order_the_answers_arrive(capsys: pytest.CaptureFixture[str]) -> None:
    delay, seed = (0.02, 0.6), 29
    service = dns_server.start(delay=delay, seed=seed, private=True)
    try:
        assert domaincheck.main(["dev", "--server", service.url]) == cli.OK
    finally:
        services.stop(service)
    lines = capsys.readouterr().out.splitlines()
    _columns(lines[:-1])
    printed = [line.strip() for line in lines[2:-1]]
    wait = {domain: dns_server.delay_for(domain, delay, seed) for domain in keyword_domains("dev")}
    assert sorted(printed) == sorted(wait)
    assert printed != keyword_domains("dev"), "printed in the order asked, not the order answered"
    for i, a in enumerate(printed):
        for b in printed[i + 1 :]:
            assert wait[b] + 0.05 > wait[a], (
                f"{a} (answered after {wait[a]:.2f} s) came before {b} ({wait[b]:.2f} s)"
            )


def test_a_dotted_suffix_and_a_shorter_limit(dns: Service, capsys: pytest.CaptureFixture[str]) -> None:
    assert domaincheck.main(["COM.BR.", "--server", dns.url, "--max-len", "2"]) == cli.OK
    found, missing, _ = _columns(capsys.readouterr().out.splitlines()[:-1])
    assert found == []  # the zone holds no .com.br name
    assert sorted(missing) == ["as.com.br", "if.com.br", "in.com.br", "is.com.br", "or.com.br"]


def test_no_answer_is_exit_1_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(dns_server, "PROBE_TIMEOUT", 0.3)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:  # bound, but never answers
        silent.bind(("127.0.0.1", 0))
        host, port = silent.getsockname()
        status = domaincheck.main(["net", "--server", f"dns://{host}:{port}", "--max-len", "2"])
    assert status == cli.FAILED
    captured = capsys.readouterr()
    assert captured.err.startswith("domaincheck: no answer from dns://127.0.0.1:")
    assert len(captured.err.splitlines()) == 1
    assert "names under" not in captured.out


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        ([], "the following arguments are required: TLD"),
        (["bad tld"], "expected a top-level domain"),
        (["net", "extra"], "unrecognized arguments: extra"),
        (["net", "--server", "http://127.0.0.1:8053"], "expected dns://ADDRESS:PORT"),
        (["net", "--server", "dns://localhost:8053"], "does not appear to be an IPv4 or IPv6 address"),
        (["net", "--server", "dns://127.0.0.1:port"], "dns://127.0.0.1:port"),
        (["net", "--max-len", "0"], "must be 1 or more"),
        (["net", "--max-len", "four"], "expected a whole number"),
        (["net", "--max-len", "1"], "no Python keyword has at most 1 letters"),
        (["net", "--delay", "slow"], "--delay"),
        (["net", "--seed", "x"], "--seed"),
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
    assert "TLD" in done.stdout and "--server URL" in done.stdout
    statuses = [line.split()[0] for line in done.stdout.split("exit status:")[1].strip().splitlines()]
    assert statuses == ["0", "1", "2", "130"]


def test_cli_starts_its_own_server_when_none_is_given() -> None:
    done = _run_cli("org", "--max-len", "2", "--delay", "0.01", "--seed", "3")
    assert done.returncode == cli.OK, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("(started a local DNS server on dns://127.0.0.1:")
    found, missing, _ = _columns(lines[1:-1])
    assert sorted(found + missing) == sorted(keyword_domains("org", 2))
    assert lines[-1].startswith("5 names under .org:")


def test_cli_usage_error_has_no_traceback() -> None:
    done = _run_cli("no such tld")
    assert done.returncode == cli.USAGE
    assert done.stdout == "" and len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr


def test_cli_ctrl_c_exits_130() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "support.examples.domaincheck", "dev", "--delay", "3", "--max-len", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert process.stdout is not None
    assert process.stdout.readline().startswith("(started a local DNS server")
    assert process.stdout.readline().startswith("FOUND")
    time.sleep(0.3)  # the probes are out; their answers take 3 s
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=10)
    assert process.returncode == cli.INTERRUPTED
    assert "Traceback" not in err
    assert "names under" not in out
