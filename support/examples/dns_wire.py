"""One DNS question and its answer as bytes, with no I/O: the part of a probe every async library shares.

asyncio's probe (:func:`support.lab.dns_server.probe`) goes through dnspython's resolver, which only knows the
asyncio and Trio event loops, and picks one for the whole process. Curio has no resolver of its own that we can
point at the local DNS server. So the probes of lesson 08 move the bytes themselves, each with its own
library's UDP socket, and leave building and reading the message to this module:

    query = dns_wire.query("if.dev")
    ...send query.to_wire() to the server, receive up to MAX_REPLY bytes...
    result = dns_wire.read_reply(query, data)

Used by :mod:`support.examples.curio_domainlib` and by lesson 08's Trio and AnyIO probes.
"""

from __future__ import annotations

import dns.message
import dns.rcode
import dns.rdatatype

from support.lab.dns_server import Result
from support.lab.services import socket_family

__all__ = ["MAX_REPLY", "BadReply", "family_for", "query", "read_reply"]

# Our server's replies are far below the 512 bytes of classic DNS over UDP; the room is a margin.
MAX_REPLY = 4096


class BadReply(LookupError):
    """The datagram is no answer to our question, or the server could not answer it (SERVFAIL, REFUSED...)."""


def query(domain: str) -> dns.message.QueryMessage:
    """The question "what is the A record of ``domain``?", with a fresh random id; send ``.to_wire()``."""
    return dns.message.make_query(domain, "A")


def is_stray(query: dns.message.Message, data: bytes) -> bool:
    """True for a well-formed DNS reply to another question: a late answer to an earlier query whose port this
    socket was given. Resolvers drop such datagrams and keep listening (dnspython does, for the lab's probe)."""
    try:
        reply = dns.message.from_wire(data)
    except Exception:  # malformed: not stray, read_reply says what is wrong with it
        return False
    return not query.is_response(reply)


def read_reply(query: dns.message.Message, data: bytes) -> Result:
    """What the reply ``data`` says about the question ``query``: the name resolves, or it does not.

    NXDOMAIN ("no such name") and an empty NOERROR ("no address") both mean not found, as in
    :func:`support.lab.dns_server.probe`. Raises :class:`BadReply` for a datagram that does not answer this
    query (wrong id or question) and for an error code.
    """
    try:
        reply = dns.message.from_wire(data)
    except Exception as exc:  # dnspython raises several kinds for malformed bytes
        raise BadReply(f"not a DNS message ({type(exc).__name__})") from exc
    if not query.is_response(reply):
        raise BadReply("the reply answers another question")
    domain = query.question[0].name.to_text(omit_final_dot=True)
    rcode = reply.rcode()
    if rcode == dns.rcode.NXDOMAIN:
        return Result(domain, False)
    if rcode != dns.rcode.NOERROR:
        raise BadReply(f"{domain}: the server answered {dns.rcode.to_text(rcode)}")
    found = any(rrset.rdtype == dns.rdatatype.A for rrset in reply.answer)
    return Result(domain, found)


#: The socket family for a numeric address: ``AF_INET6`` for ``::1``, else ``AF_INET``. The lab's one helper
#: (:func:`support.lab.services.socket_family`), under the name the lessons use.
family_for = socket_family
