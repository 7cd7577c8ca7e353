"""blogdom: the chapter's domain prober, against the local DNS server."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
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
from support.timing import Stopwatch, Timeline

REPO = Path(__file__).resolve().parent.parent
DELAY = 0.05  # fixed: sequential takes about 18 x DELAY, concurrent about one DELAY


@pytest.fixture(scope="module")
def dns() -> Iterator[Service]:
    service = dns_server.start(delay=DELAY, private=True)
    yield service
    services.stop(service)


def expected(domains: list[str]) -> set[Result]:
    return {Result(domain, dns_server.address_for(domain) is not None) for domain in domains}


def test_keyword_domains_are_short_lowercase_keywords() -> None:
    domains = blogdom.keyword_domains()
    assert len(domains) == 18 and domains[:2] == ["none.dev", "true.dev"]
    assert all(d.endswith(".dev") and d == d.lower() and len(d) <= 4 + len(".dev") for d in domains)
    assert blogdom.keyword_domains("org", max_len=2) == ["as.org", "if.org", "in.org", "is.org", "or.org"]


def test_format_result_marks_names_that_resolve() -> None:
    assert blogdom.format_result(Result("if.dev", True)) == "+ if.dev"
    assert blogdom.format_result(Result("or.dev", False)) == "  or.dev"


@pytest.mark.asyncio
async def test_concurrent_and_sequential_agree_and_concurrent_is_faster(dns: Service) -> None:
    domains = blogdom.keyword_domains()
    with Stopwatch() as sequential:
        one_by_one = await blogdom.probe_sequentially(domains, dns)
    with Stopwatch() as concurrent:
        at_once = await blogdom.probe_concurrently(domains, dns)
    assert [r.domain for r in one_by_one] == domains  # sequential keeps the order given
    assert set(one_by_one) == set(at_once) == expected(domains)
    assert sequential.elapsed > len(domains) * DELAY * 0.9
    assert concurrent.elapsed < sequential.elapsed / 3


@pytest.mark.asyncio
async def test_report_and_timeline_see_every_answer(dns: Service) -> None:
    domains = blogdom.keyword_domains(max_len=3)
    reported: list[Result] = []
    timeline = Timeline()
    results = await blogdom.probe_concurrently(domains, dns, report=reported.append, timeline=timeline)
    assert reported == results  # reported in arrival order, as returned
    spans = {span.name: span for span in timeline.spans}
    assert set(spans) == set(domains)
    for result in results:
        assert spans[result.domain].status == ("ok" if result.found else "not found")
        assert spans[result.domain].duration >= DELAY * 0.8
    assert max(s.start for s in spans.values()) < min(s.end for s in spans.values())  # all overlapped


@pytest.mark.asyncio
async def test_a_failing_probe_cancels_the_others_and_loses_no_error(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    cancelled: list[str] = []

    async def flaky_probe(domain: str, server: object) -> Result:
        if domain == "if.dev":
            await asyncio.sleep(0.01)
            raise dns_server.ProbeTimeout("no answer for if.dev")
        if domain == "in.dev":
            await asyncio.sleep(0.01)
            raise dns_server.ProbeTimeout("no answer for in.dev either")  # a second error, also seen
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            cancelled.append(domain)
            raise
        return Result(domain, True)

    monkeypatch.setattr(dns_server, "probe", flaky_probe)
    domains = blogdom.keyword_domains(max_len=2)
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        with pytest.raises(dns_server.ProbeTimeout):
            await blogdom.probe_concurrently(domains, "dns://127.0.0.1:1")
        await asyncio.sleep(0.01)
    assert sorted(cancelled) == ["as.dev", "is.dev", "or.dev"]  # stopped, not waited for
    assert not [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    gc.collect()
    assert "never retrieved" not in caplog.text


def test_main_prints_one_line_per_name_then_a_summary(
    dns: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    assert blogdom.main(["--server", dns.url, "--max-len", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    domains = blogdom.keyword_domains(max_len=3)
    found = sum(dns_server.address_for(d) is not None for d in domains)
    assert sorted(line[2:] for line in lines[:-1]) == sorted(domains)
    assert all(line[:2] in {"+ ", "  "} for line in lines[:-1])
    assert lines[-1].startswith(
        f"{len(domains)} names probed at once: {found} resolve, {len(domains) - found} do not ("
    )


def test_main_sequential_keeps_the_order(dns: Service, capsys: pytest.CaptureFixture[str]) -> None:
    assert blogdom.main(["--server", dns.url, "--max-len", "2", "--sequential", "--tld", "net"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line[2:] for line in lines[:-1]] == blogdom.keyword_domains("net", 2)
    assert "one at a time" in lines[-1]


@pytest.mark.parametrize(
    "argv",
    [
        ["--server", "http://127.0.0.1:80"],
        ["--server", "dns://localhost:53"],
        ["--server", "dns://127.0.0.1:99999"],
        ["--max-len", "0"],
        ["--max-len", "four"],
        ["--max-len", "1"],
        ["--delay", "slow"],
        ["--seed", "x"],
        ["--tld", "a..b"],
        ["--tld", "x" * 64],
        ["--tld", ""],
        ["--no-such-option"],
    ],
    ids=" ".join,
)
def test_main_rejects_bad_arguments_in_one_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        blogdom.main(argv)
    assert exit_info.value.code == cli.USAGE
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith("python -m support.examples.blogdom: error: ")


def _run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "support.examples.blogdom", *args],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=REPO,
    )


def test_cli_help() -> None:
    done = _run_cli("--help")
    assert done.returncode == 0
    assert "--server URL" in done.stdout and "--sequential" in done.stdout
    statuses = [line.split()[0] for line in done.stdout.split("exit status:")[1].strip().splitlines()]
    assert statuses == ["0", "1", "2", "130"]


def test_cli_ctrl_c_exits_130() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "support.examples.blogdom", "--delay", "3", "--max-len", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert process.stdout is not None
    assert process.stdout.readline().startswith("(started a local DNS server")
    time.sleep(0.2)  # the probes are out; their answers take 3 s
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=10)
    assert process.returncode == cli.INTERRUPTED
    assert "Traceback" not in err
    assert "names probed" not in out


def test_cli_starts_its_own_server_when_none_is_given() -> None:
    done = _run_cli("--max-len", "2", "--delay", "0.01", "--seed", "1")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("(started a local DNS server on dns://127.0.0.1:")
    assert len(lines) == 1 + 5 + 1
    assert lines[-1].startswith("5 names probed at once:")
