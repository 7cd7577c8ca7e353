"""dns_wire: the DNS question as bytes and what a reply means, checked against the zone and odd replies."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import dns.flags
import dns.message
import dns.rcode
import dns.rrset
import pytest

from support.examples import dns_wire
from support.lab import dns_server, services
from support.lab.dns_server import Result


@pytest.fixture(scope="module")
def local_dns() -> Iterator[services.Service]:
    service = dns_server.start()
    yield service
    service.stop()


def ask_over_udp(service: services.Service, domain: str) -> Result:
    """The probe of lesson 08 with a blocking socket: the bytes dns_wire builds, on the real wire."""
    question = dns_wire.query(domain)
    with socket.socket(dns_wire.family_for(service.host), socket.SOCK_DGRAM) as sock:
        sock.settimeout(2)
        sock.connect((service.host, service.port))
        sock.send(question.to_wire())
        return dns_wire.read_reply(question, sock.recv(dns_wire.MAX_REPLY))


@pytest.mark.parametrize("domain", ["if.dev", "or.dev", "none.dev", "and.dev", "with.net", "nothing.example"])
def test_a_real_reply_says_what_the_zone_says(local_dns: services.Service, domain: str) -> None:
    assert ask_over_udp(local_dns, domain) == Result(domain, dns_server.address_for(domain) is not None)


def test_both_outcomes_occur_among_the_names_tried() -> None:
    # Otherwise the test above could pass with a read_reply that always says the same thing.
    names = ["if.dev", "or.dev", "none.dev", "and.dev", "with.net", "nothing.example"]
    assert {dns_server.address_for(n) is not None for n in names} == {True, False}


def _reply_to(question: dns.message.Message, rcode: int = dns.rcode.NOERROR) -> dns.message.Message:
    reply = dns.message.make_response(question)
    reply.set_rcode(rcode)
    return reply


def test_an_empty_noerror_means_not_found() -> None:
    question = dns_wire.query("if.dev")
    assert dns_wire.read_reply(question, _reply_to(question).to_wire()) == Result("if.dev", False)


def test_an_a_record_means_found() -> None:
    question = dns_wire.query("if.dev")
    reply = _reply_to(question)
    reply.answer.append(dns.rrset.from_text("if.dev.", 300, "IN", "A", "192.0.2.7"))
    assert dns_wire.read_reply(question, reply.to_wire()) == Result("if.dev", True)


@pytest.mark.parametrize("rcode", [dns.rcode.SERVFAIL, dns.rcode.REFUSED, dns.rcode.FORMERR])
def test_an_error_code_is_no_answer(rcode: int) -> None:
    question = dns_wire.query("if.dev")
    with pytest.raises(dns_wire.BadReply, match=dns.rcode.to_text(rcode)):
        dns_wire.read_reply(question, _reply_to(question, rcode).to_wire())


def test_a_reply_to_another_question_is_refused() -> None:
    mine, other = dns_wire.query("if.dev"), dns_wire.query("or.dev")
    with pytest.raises(dns_wire.BadReply, match="another question"):
        dns_wire.read_reply(mine, _reply_to(other).to_wire())


def test_a_reply_to_another_question_is_stray_ours_and_garbage_are_not() -> None:
    mine, other = dns_wire.query("if.dev"), dns_wire.query("or.dev")
    assert dns_wire.is_stray(mine, _reply_to(other).to_wire())
    assert not dns_wire.is_stray(mine, _reply_to(mine).to_wire())
    assert not dns_wire.is_stray(mine, b"\x00\x01garbage")  # read_reply says what is wrong with it


def test_garbage_is_refused() -> None:
    with pytest.raises(dns_wire.BadReply, match="not a DNS message"):
        dns_wire.read_reply(dns_wire.query("if.dev"), b"\x00\x01garbage")


def test_the_query_asks_for_an_a_record_with_a_fresh_id() -> None:
    first, second = dns_wire.query("if.dev"), dns_wire.query("if.dev")
    assert first.question[0].to_text() == "if.dev. IN A"
    assert first.flags & dns.flags.RD
    ids = {dns_wire.query("if.dev").id for _ in range(20)} | {first.id, second.id}
    assert len(ids) > 1  # random ids: a stale reply to an earlier probe is not taken for this one


def test_family_follows_the_address() -> None:
    assert dns_wire.family_for("127.0.0.1") == socket.AF_INET
    assert dns_wire.family_for("::1") == socket.AF_INET6
