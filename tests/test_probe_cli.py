"""support.examples.probe_cli: the run every DNS-probing CLI shares stops its own server however it ends."""

from __future__ import annotations

import argparse
import asyncio
import keyword
from types import ModuleType

import pytest

from support import cli
from support.examples import blogdom, curio_blogdom, probe_cli
from support.lab import dns_server, services


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    probe_cli.add_server_options(parser, max_len=3, delay="0.01")
    return parser.parse_args(argv)


def test_options_are_checked_and_parsed() -> None:
    args = _args("--delay", "0.1:0.2", "--max-len", "2", "--seed", "7")
    assert (args.delay, args.max_len, args.seed, args.server) == ((0.1, 0.2), 2, 7, None)
    assert _args().delay == (0.01, 0.01) and _args().max_len == 3


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("http://127.0.0.1:53", "expected dns://ADDRESS:PORT"),
        ("dns://localhost:53", "IPv4 or IPv6 address"),
        ("dns://127.0.0.1:port", "port"),
    ],
)
def test_server_url_refuses_what_the_resolver_cannot_ask(text: str, says: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=says):
        probe_cli.server_url(text)


def test_a_given_server_is_used_and_none_is_started(capsys: pytest.CaptureFixture[str]) -> None:
    before = len(services.running())
    seen: list[str] = []

    def probe_all(url: str) -> list[int]:
        seen.append(url)
        return [1]

    outcome = probe_cli.run("prog", _args("--server", "dns://127.0.0.1:9"), probe_all)
    assert not isinstance(outcome, int)
    assert outcome[0] == [1] and seen == ["dns://127.0.0.1:9"]
    assert len(services.running()) == before and capsys.readouterr().out == ""


@pytest.mark.parametrize(
    ("error", "status", "says"),
    [
        (KeyboardInterrupt(), cli.INTERRUPTED, "prog: interrupted after "),
        (dns_server.ProbeTimeout("no reply"), cli.FAILED, "prog: no answer from dns://127.0.0.1:"),
        (ConnectionRefusedError("refused"), cli.FAILED, "prog: no answer from dns://127.0.0.1:"),
    ],
)
def test_the_local_server_is_stopped_however_the_run_ends(
    error: BaseException, status: int, says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    started: list[services.Service] = []

    def probe_all(url: str) -> list[int]:
        started.extend(s for s in services.running() if s.url == url)
        assert asyncio.run(dns_server.probe("as.dev", url)).domain == "as.dev"  # it answers meanwhile
        raise error

    assert probe_cli.run("prog", _args(), probe_all) == status
    (service,) = started
    assert service.private and not service.alive and service not in services.running()
    captured = capsys.readouterr()
    assert captured.out == f"(started a local DNS server on {service.url})\n"
    assert captured.err.startswith(says) and captured.err.count("\n") == 1


@pytest.mark.parametrize(
    ("text", "tld"),
    [
        ("net", "net"),
        ("NET", "net"),
        (".dev", "dev"),
        ("org.", "org"),
        ("COM.BR", "com.br"),
        ("xn--p1ai", "xn--p1ai"),
    ],
)
def test_parse_tld_accepts_suffixes_and_lowercases_them(text: str, tld: str) -> None:
    assert probe_cli.parse_tld(text) == tld


@pytest.mark.parametrize(
    "text", ["", ".", "bad tld", "dev!", "-net", "net-", "com..br", "é", "a" * 64, ".".join(["abc"] * 70)]
)
def test_parse_tld_rejects_what_cannot_be_a_domain(text: str) -> None:
    with pytest.raises(ValueError, match="expected a top-level domain"):
        probe_cli.parse_tld(text)


def test_the_longest_tld_accepted_leaves_room_for_every_keyword() -> None:
    # DNS names stop at 253 characters; "nonlocal" (8 letters) and a dot go in front of the TLD.
    longest = ".".join(["a" * 60] * 3 + ["a" * 61])
    assert len(probe_cli.parse_tld(longest)) == 244
    assert max(len(f"{word}.{longest}") for word in keyword.kwlist) == 253
    with pytest.raises(ValueError, match="expected a top-level domain"):
        probe_cli.parse_tld(longest + "a")


@pytest.mark.parametrize("module", [blogdom, curio_blogdom])
def test_the_blogdom_clis_check_their_tld_like_domaincheck(
    module: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        module.main(["--tld", "dot net"])
    assert exit_info.value.code == 2
    [line] = capsys.readouterr().err.strip().splitlines()[-1:]
    assert "expected a top-level domain such as net or com.br, not 'dot net'" in line
    assert module._parser().parse_args(["--tld", ".COM.br"]).tld == "com.br"
