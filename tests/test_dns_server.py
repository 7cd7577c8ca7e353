"""The offline DNS server: real answers on the wire, concurrency under delay, robustness, and the probes."""

from __future__ import annotations

import argparse
import asyncio
import keyword
import random
import signal
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import dns.asyncquery
import dns.edns
import dns.flags
import dns.message
import dns.opcode
import dns.query
import dns.rcode
import dns.rdatatype
import dns.rrset
import dns.update
import pytest

from support import cli
from support.lab import dns_server, services
from support.lab.dns_server import Result

REPO = Path(__file__).resolve().parent.parent
DELAY = 0.2
RANGE = (0.05, 0.5)
SEED = 7


# Each fixture runs a server of its own (private): no other test holds it, so stopping it harms nobody.


@pytest.fixture(scope="module")
def plain() -> Iterator[services.Service]:
    service = dns_server.start(private=True)
    yield service
    service.stop()


@pytest.fixture(scope="module")
def slow() -> Iterator[services.Service]:
    service = dns_server.start(delay=DELAY, private=True)
    yield service
    service.stop()


@pytest.fixture(scope="module")
def seeded() -> Iterator[services.Service]:
    service = dns_server.start(delay=RANGE, seed=SEED, private=True)
    yield service
    service.stop()


def ask(service: services.Service, name: str, rdtype: str = "A") -> dns.message.Message:
    return dns.query.udp(dns.message.make_query(name, rdtype), service.host, port=service.port, timeout=2)


def send_raw(service: services.Service, payload: bytes, wait: float = 0.15) -> bytes | None:
    """Send one datagram and return the reply, or None if none came within ``wait`` seconds."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(wait)
        sock.sendto(payload, (service.host, service.port))
        try:
            return sock.recv(65535)
        except TimeoutError:
            return None


# --- the zone ---------------------------------------------------------------------------------------------


def test_zone_has_taken_and_free_keyword_names() -> None:
    dev_found, dev_free = dns_server.existing_names("dev"), dns_server.missing_names("dev")
    assert dev_found and dev_free and len(dev_found) > len(dev_free)
    assert sorted(dev_found + dev_free) == sorted(dns_server.keyword_names("dev"))
    assert dns_server.missing_names("com") == []
    assert set(dns_server.KEYWORD_TLDS) == set(dns_server.TAKEN)
    assert all(name.islower() for name in dns_server.existing_names())


def test_zone_is_pinned() -> None:
    # Lessons print these answers: a change to the rule must be a conscious one.
    assert dns_server.address_for("if.dev") == dns_server.address_for("IF.DEV.") == "192.0.2.23"
    assert dns_server.address_for("none.dev") is None
    assert dns_server.address_for("python.org") is None
    assert len(dns_server.existing_names()) == 90
    assert len(dns_server.existing_names("dev")) == 24


# --- answers on the wire ----------------------------------------------------------------------------------


def test_url_line(plain: services.Service) -> None:
    assert plain.url == f"dns://127.0.0.1:{plain.port}"
    assert plain.output[0] == f"Serving DNS on {plain.url}"


def test_existing_names_answer_their_a_record(plain: services.Service) -> None:
    for name in dns_server.existing_names():
        response = ask(plain, name)
        assert response.rcode() == dns.rcode.NOERROR, name
        assert response.flags & dns.flags.AA
        [rrset] = response.answer
        assert rrset.rdtype == dns.rdatatype.A
        assert [rdata.address for rdata in rrset] == [dns_server.address_for(name)]


def test_names_are_case_insensitive(plain: services.Service) -> None:
    response = ask(plain, "If.DEV")
    assert response.answer[0].name.to_text() == "If.DEV."  # the question's spelling is echoed
    assert response.answer[0][0].address == dns_server.address_for("if.dev")


@pytest.mark.parametrize(
    "name", ["none.dev", "python.org", "if.invalid", "notakeyword.dev", "dev", "sub.if.dev"]
)
def test_unknown_names_are_nxdomain(plain: services.Service, name: str) -> None:
    response = ask(plain, name)
    assert response.rcode() == dns.rcode.NXDOMAIN
    assert response.answer == []


@pytest.mark.parametrize(
    ("name", "zone"), [(dns_server.missing_names("net")[0], "net."), ("sub.if.dev", "dev."), ("org", "org.")]
)
def test_nxdomain_in_our_tlds_carries_the_soa(plain: services.Service, name: str, zone: str) -> None:
    # The zone is the last label, however many come before it: we are the authority for the whole TLD.
    response = ask(plain, name)
    assert response.rcode() == dns.rcode.NXDOMAIN
    assert response.flags & dns.flags.AA
    assert [(rrset.rdtype, rrset.name.to_text()) for rrset in response.authority] == [
        (dns.rdatatype.SOA, zone)
    ]


@pytest.mark.parametrize("rdtype", ["AAAA", "MX", "TXT"])
def test_other_types_are_empty_noerror(plain: services.Service, rdtype: str) -> None:
    response = ask(plain, "if.dev", rdtype)
    assert response.rcode() == dns.rcode.NOERROR
    assert response.answer == []
    assert ask(plain, "none.dev", rdtype).rcode() == dns.rcode.NXDOMAIN


# --- delays -------------------------------------------------------------------------------------------------


def test_delay_applies(slow: services.Service) -> None:
    t0 = time.perf_counter()
    assert ask(slow, "if.dev").rcode() == dns.rcode.NOERROR
    assert time.perf_counter() - t0 >= DELAY * 0.95


@pytest.mark.asyncio
async def test_delayed_answers_overlap(slow: services.Service) -> None:
    names = [f"{kw}.dev" for kw in ["if", "none"] * 25]  # 50 queries, found and not found

    async def one(name: str) -> dns.message.Message:
        return await dns.asyncquery.udp(
            dns.message.make_query(name, "A"), slow.host, port=slow.port, timeout=5
        )

    t0 = time.perf_counter()
    async with asyncio.timeout(8):
        responses = await asyncio.gather(*(one(name) for name in names))
    elapsed = time.perf_counter() - t0
    sequential = len(names) * DELAY
    assert len(responses) == 50
    assert elapsed >= DELAY * 0.95
    assert elapsed / sequential < 0.25, f"{elapsed:.2f} s for 50 queries: the server waits one at a time"


def test_seeded_delay_is_a_function_of_seed_and_name() -> None:
    first = [dns_server.delay_for(name, RANGE, SEED) for name in dns_server.keyword_names()]
    again = [dns_server.delay_for(name, RANGE, SEED) for name in reversed(dns_server.keyword_names())]
    other = [dns_server.delay_for(name, RANGE, SEED + 1) for name in dns_server.keyword_names()]
    assert first == again[::-1]
    assert first != other
    assert all(RANGE[0] <= d <= RANGE[1] for d in first)
    assert len(set(first)) > len(first) // 2  # actually spread, not constant
    assert dns_server.delay_for("IF.dev.", RANGE, SEED) == dns_server.delay_for("if.dev", RANGE, SEED)
    assert dns_server.delay_for("if.dev", (0.3, 0.3)) == 0.3


@pytest.mark.asyncio
async def test_seeded_server_uses_the_seeded_delays(seeded: services.Service) -> None:
    names = dns_server.keyword_names("org")[:8]

    async def timed(name: str) -> float:
        t0 = time.perf_counter()
        await dns_server.probe(name, seeded)
        return time.perf_counter() - t0

    rtts = await asyncio.gather(*(timed(name) for name in names))
    for name, rtt in zip(names, rtts, strict=True):
        expected = dns_server.delay_for(name, RANGE, SEED)
        assert expected - 0.01 <= rtt <= expected + 0.2, (name, expected, rtt)


def test_parse_delay() -> None:
    assert dns_server.parse_delay("0.2") == (0.2, 0.2)
    assert dns_server.parse_delay("0.05:0.3") == (0.05, 0.3)
    assert dns_server.parse_delay(None) == (0.0, 0.0)
    for bad in ["-1", "0.3:0.1", "abc", "1:", "1000"]:
        with pytest.raises(ValueError):
            dns_server.parse_delay(bad)
    with pytest.raises(ValueError):
        dns_server.start(delay="0.5:0.1")  # refused before any process starts


# --- garbage in -----------------------------------------------------------------------------------------


def _header(query_id: int, flags: int, qdcount: int = 1) -> bytes:
    return struct.pack("!HHHHHH", query_id, flags, qdcount, 0, 0, 0)


_junk = bytearray(random.Random(1).randbytes(300))
_junk[2] &= 0x7F  # QR clear: it looks like a query, so the header earns a FORMERR


@pytest.mark.parametrize(
    ("payload", "formerr_id"),
    [
        pytest.param(b"", None, id="empty"),
        pytest.param(b"\x12\x34\x01", None, id="truncated-header"),
        pytest.param(bytes(_junk), int.from_bytes(_junk[:2], "big"), id="random-bytes"),
        pytest.param(_header(0x1234, 0x0100), 0x1234, id="question-missing"),
        pytest.param(_header(0x4321, 0x0100) + b"\xff" * 65000, 0x4321, id="oversize"),
        pytest.param(_header(0x5555, 0x8180) + b"\x00\x00\x01\x00\x01", None, id="a-response"),
    ],
)
def test_garbage_is_rejected_and_the_server_keeps_serving(
    plain: services.Service, payload: bytes, formerr_id: int | None
) -> None:
    reply = send_raw(plain, payload, wait=1.0 if formerr_id is not None else 0.15)
    if formerr_id is None:
        assert reply is None
    else:
        assert reply is not None
        message = dns.message.from_wire(reply)
        assert message.id == formerr_id
        assert message.flags & dns.flags.QR
        assert message.rcode() == dns.rcode.FORMERR
    assert plain.alive
    assert ask(plain, "if.dev").answer[0][0].address == dns_server.address_for("if.dev")


def test_a_valid_query_padded_past_the_size_limit_is_refused(plain: services.Service) -> None:
    def padded(size: int) -> bytes:
        query = dns.message.make_query("if.dev", "A", use_edns=0)
        bare = len(query.to_wire())
        pad = dns.edns.GenericOption(dns.edns.OptionType.PADDING, bytes(size - bare - 4))  # 4: option header
        query.use_edns(0, options=[pad])
        wire = query.to_wire(max_size=65535)
        assert len(wire) == size and dns.message.from_wire(wire).question  # valid, just big
        return wire

    limit = dns_server.MAX_QUERY_SIZE
    within = dns.message.from_wire(send_raw(plain, padded(limit), 1.0) or b"")
    assert within.rcode() == dns.rcode.NOERROR and within.answer  # padding itself is fine
    beyond = dns.message.from_wire(send_raw(plain, padded(limit + 1), 1.0) or b"")
    assert beyond.rcode() == dns.rcode.FORMERR and not beyond.answer


def test_edns_version_1_gets_badvers(plain: services.Service) -> None:
    query = dns.message.make_query("if.dev", "A", use_edns=1)
    response = dns.message.from_wire(send_raw(plain, query.to_wire(), 1.0) or b"")
    assert response.rcode() == dns.rcode.BADVERS  # RFC 6891: we speak version 0 only, and say so
    assert response.edns == 0 and response.answer == []
    assert ask(plain, "if.dev").rcode() == dns.rcode.NOERROR  # and version 0 still works


def test_update_gets_notimp(plain: services.Service) -> None:
    update = dns.update.UpdateMessage("dev")
    update.replace("if", 300, "A", "192.0.2.99")
    response = dns.message.from_wire(send_raw(plain, update.to_wire(), 1.0) or b"")
    assert response.opcode() == dns.opcode.UPDATE and response.rcode() == dns.rcode.NOTIMP  # RFC 2136
    assert ask(plain, "if.dev").answer[0][0].address == dns_server.address_for("if.dev")  # nothing changed


@pytest.mark.asyncio
async def test_a_bug_in_answer_costs_one_servfail_and_is_logged(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(query: dns.message.Message) -> dns.message.Message:
        raise RuntimeError("a bug in answer()")

    monkeypatch.setattr(dns_server, "answer", broken)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # free a moment ago: the in-process server takes it
    stop = asyncio.Event()
    server = asyncio.create_task(dns_server.serve(port=port, stop=stop))  # not verbose
    await asyncio.sleep(0)  # serve() binds before its first await; queries wait in the socket till read
    try:
        query = dns.message.make_query("if.dev", "A")
        response = await dns.asyncquery.udp(query, "127.0.0.1", port=port, timeout=5)
        assert response.rcode() == dns.rcode.SERVFAIL
        monkeypatch.undo()  # the server still serves once the bug is gone
        response = await dns.asyncquery.udp(query, "127.0.0.1", port=port, timeout=5)
        assert response.rcode() == dns.rcode.NOERROR
    finally:
        stop.set()
        await server
    logged = capsys.readouterr().err
    assert "SERVFAIL" in logged and "a bug in answer()" in logged


def test_two_questions_get_formerr_and_other_opcodes_notimp(plain: services.Service) -> None:
    query = dns.message.make_query("if.dev", "A")
    query.question.append(dns.rrset.RRset(dns.message.make_query("in.dev", "A").question[0].name, 1, 1))
    assert dns.message.from_wire(send_raw(plain, query.to_wire(), 1.0) or b"").rcode() == dns.rcode.FORMERR
    notify = dns.message.make_query("if.dev", "SOA")
    notify.set_opcode(dns.opcode.NOTIFY)
    assert dns.message.from_wire(send_raw(plain, notify.to_wire(), 1.0) or b"").rcode() == dns.rcode.NOTIMP


# --- probe (multi_probe, built on it, is tested in test_domainlib.py) -----------------------------------


@pytest.mark.asyncio
async def test_probe_accepts_a_service_a_url_or_a_pair(plain: services.Service) -> None:
    for server in (plain, plain.url, (plain.host, plain.port)):
        assert await dns_server.probe("if.dev", server) == Result("if.dev", True)
        assert await dns_server.probe("none.dev", server) == Result("none.dev", False)
    assert await dns_server.probe("python.org", plain) == Result("python.org", False)


def test_server_address() -> None:
    assert dns_server.server_address("dns://127.0.0.1:5300") == ("127.0.0.1", 5300)
    assert dns_server.server_address("127.0.0.1:5300") == ("127.0.0.1", 5300)
    assert dns_server.server_address(("127.0.0.1", "5300")) == ("127.0.0.1", 5300)  # type: ignore[arg-type]
    assert dns_server.server_address("dns://127.0.0.1") == ("127.0.0.1", dns_server.DEFAULT_PORT)


@pytest.mark.asyncio
async def test_probe_times_out_with_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:  # bound, but never answers
        silent.bind(("127.0.0.1", 0))
        address = silent.getsockname()
        # The resolver for this address exists (and is cached) before the lesson changes the timeout.
        assert dns_server.resolver_for(address).lifetime == dns_server.PROBE_TIMEOUT
        monkeypatch.setattr(dns_server, "PROBE_TIMEOUT", 0.3)
        assert dns_server.resolver_for(address).lifetime == 0.3
        with pytest.raises(dns_server.ProbeTimeout, match=r"no DNS answer for 'if.dev' .* in 0.3 s"):
            await dns_server.probe("if.dev", address)
    assert issubclass(dns_server.ProbeTimeout, TimeoutError)


# --- the command line -----------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.1", "::", "example.com"])
def test_refuses_non_loopback_hosts(host: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        dns_server.main(["--host", host, "--port", "0"])
    assert exit_info.value.code == 2
    assert "loopback" in capsys.readouterr().err


@pytest.mark.parametrize("port", ["-1", "70000", "http"])
def test_bad_ports_are_a_usage_error(port: str) -> None:
    command = [sys.executable, "-m", "support.lab.dns_server", "--port", port]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "--port" in done.stderr.splitlines()[-1]


def test_the_same_configuration_spelt_differently_is_one_server() -> None:
    first = dns_server.start(delay=0.2)
    try:
        assert dns_server.start(delay="0.2") is first
        assert dns_server.start(delay=(0.2, 0.2)) is first
        assert dns_server.start(delay="0.2:0.2") is first
    finally:
        first.stop()
    default = dns_server.start()
    try:
        assert dns_server.start(delay=0) is default  # no delay is the default, made explicit
    finally:
        default.stop()


def test_busy_port_is_a_clean_error(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        assert dns_server.main(["--port", str(taken.getsockname()[1])]) == 1
    assert "cannot serve" in capsys.readouterr().err


class _Transport:
    """Stands in for the UDP transport: records what the protocol sends, and can be closing."""

    def __init__(self, closing: bool = False) -> None:
        self.sent: list[tuple[bytes, object]] = []
        self.closing = closing

    def is_closing(self) -> bool:
        return self.closing

    def sendto(self, data: bytes, addr: object) -> None:
        self.sent.append((data, addr))


def _protocol(transport: _Transport, verbose: bool = True) -> dns_server._DNSProtocol:
    protocol = dns_server._DNSProtocol((0.0, 0.0), None, verbose)
    protocol.connection_made(transport)  # type: ignore[arg-type]
    return protocol


def test_without_delay_the_answer_leaves_before_the_datagram_handler_returns(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # No event loop runs here: an answer put off to a timer, even a 0 s one, would need one.
    transport = _Transport()
    query = dns.message.make_query("if.dev", "A")
    _protocol(transport).datagram_received(query.to_wire(), ("127.0.0.1", 5353))
    [(data, addr)] = transport.sent
    assert addr == ("127.0.0.1", 5353) and dns.message.from_wire(data).id == query.id
    assert capsys.readouterr().err == "('127.0.0.1', 5353): if.dev. -> NOERROR after 0.000 s\n"


def test_verbose_logs_say_what_happened_and_quiet_ones_say_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _protocol(_Transport()).error_received(ConnectionRefusedError("port unreachable"))
    _protocol(_Transport()).datagram_received(b"\x00", ("127.0.0.1", 9))
    logged = capsys.readouterr().err.splitlines()
    assert logged == [
        "socket error: ConnectionRefusedError('port unreachable')",
        "('127.0.0.1', 9): bad datagram (ShortHeader, 1 bytes)",
    ]
    _protocol(_Transport(), verbose=False).error_received(OSError("x"))
    assert capsys.readouterr().err == ""


def test_nothing_is_sent_once_the_transport_is_closing() -> None:
    # A delayed answer's timer can fire after shutdown began: it must not write to a closing socket.
    transport = _Transport()
    protocol = _protocol(transport)
    transport.closing = True
    protocol.datagram_received(dns.message.make_query("if.dev", "A").to_wire(), ("127.0.0.1", 9))
    assert transport.sent == []


async def test_the_banner_names_the_zone_and_the_delay(capsys: pytest.CaptureFixture[str]) -> None:
    stop = asyncio.Event()
    server = asyncio.create_task(dns_server.serve(port=0, delay=(0.01, 0.1), stop=stop))
    await asyncio.sleep(0.05)
    stop.set()
    await server
    url, zone = capsys.readouterr().out.splitlines()
    assert url.startswith("Serving DNS on dns://127.0.0.1:")
    names = len(dns_server.existing_names())
    assert zone == f"zone: {names} names under .dev .org .com .net; delay 0.01..0.1 s"


def test_seed_must_be_a_whole_number(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        dns_server.main(["--port", "0", "--seed", "abc"])
    assert exit_info.value.code == 2
    assert "--seed" in capsys.readouterr().err


def test_cli_help() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "support.lab.dns_server", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0
    for option in ("--host", "--port", "--delay S|LOW:HIGH", "--seed SEED"):
        assert option in done.stdout


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_stops_cleanly_on_signals(sig: signal.Signals) -> None:
    service = dns_server.start(private=True)
    try:
        assert ask(service, "if.dev").rcode() == dns.rcode.NOERROR
        service.process.send_signal(sig)
        assert service.process.wait(5) == 0
    finally:
        service.stop()


# --- what the probing command lines share: the server they ask, what a user types -----------------------


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
        dns_server.server_url(text)
    assert dns_server.server_url("dns://[::1]:8053") == "dns://[::1]:8053"


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
    assert dns_server.parse_tld(text) == tld


@pytest.mark.parametrize(
    "text", ["", ".", "bad tld", "dev!", "-net", "net-", "com..br", "é", "a" * 64, ".".join(["abc"] * 70)]
)
def test_parse_tld_rejects_what_cannot_be_a_domain(text: str) -> None:
    with pytest.raises(ValueError, match="expected a top-level domain"):
        dns_server.parse_tld(text)


def test_the_longest_tld_accepted_leaves_room_for_every_keyword() -> None:
    # DNS names stop at 253 characters; "nonlocal" (8 letters) and a dot go in front of the TLD.
    longest = ".".join(["a" * 60] * 3 + ["a" * 61])
    assert len(dns_server.parse_tld(longest)) == 244
    assert max(len(f"{word}.{longest}") for word in keyword.kwlist) == 253
    with pytest.raises(ValueError, match="expected a top-level domain"):
        dns_server.parse_tld(longest + "a")


def test_a_given_server_is_used_and_none_is_started(capsys: pytest.CaptureFixture[str]) -> None:
    before = len(services.running())
    with dns_server.for_command("prog", "dns://127.0.0.1:9") as url:
        assert url == "dns://127.0.0.1:9"
        assert len(services.running()) == before
    assert capsys.readouterr().out == ""


def test_a_local_server_is_started_answers_and_is_stopped(capsys: pytest.CaptureFixture[str]) -> None:
    with dns_server.for_command("prog", None) as url:
        [service] = [s for s in services.running() if s.url == url]
        started = time.perf_counter()
        assert asyncio.run(dns_server.probe("as.dev", url)).domain == "as.dev"  # it answers meanwhile
        low, _ = dns_server.parse_delay(dns_server.COMMAND_DELAY)
        assert time.perf_counter() - started >= 0.9 * low > 0, "answers too quick to watch them arrive"
        assert service.private and service.alive
    assert not service.alive and service not in services.running()
    assert capsys.readouterr().out == f"(started a local DNS server on {url})\n"


@pytest.mark.parametrize(
    ("error", "name"),
    [
        (dns_server.ProbeTimeout("no reply"), "ProbeTimeout"),
        (ConnectionRefusedError("refused"), "ConnectionRefusedError"),
    ],
)
def test_no_answer_ends_the_command_with_one_line_and_status_1(
    error: Exception, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    started: list[services.Service] = []
    with pytest.raises(SystemExit) as exit_info:
        with dns_server.for_command("prog", None) as url:
            started.extend(s for s in services.running() if s.url == url)
            raise error
    assert exit_info.value.code == cli.FAILED
    [service] = started
    assert not service.alive, "the local server was left running"
    assert capsys.readouterr().err == f"prog: no answer from {service.url} ({name})\n"


@pytest.mark.parametrize("error", [KeyboardInterrupt(), ValueError("a bug")])
def test_other_exceptions_pass_through_and_the_server_still_stops(error: BaseException) -> None:
    started: list[services.Service] = []
    with pytest.raises(type(error)):
        with dns_server.for_command("prog", None) as url:
            started.extend(s for s in services.running() if s.url == url)
            raise error
    [service] = started
    assert not service.alive
