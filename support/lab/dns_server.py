"""A small authoritative DNS server on 127.0.0.1, so the chapter's domain probes run offline.

The chapter checks whether ``<keyword>.dev`` names are registered by asking the real DNS. This workbook
has no internet, so this module *is* that DNS: a real UDP server that speaks the real wire protocol
(messages parsed and built with dnspython), served by an asyncio ``DatagramProtocol`` so that many
queries are answered concurrently. Lessons resolve names through it with :func:`probe`, which uses
dnspython's asyncio resolver the way the chapter uses ``loop.getaddrinfo``.

The zone (which names exist)
    Only names ``<keyword>.<tld>`` can exist, where ``<keyword>`` is a Python keyword
    (``keyword.kwlist``, lower-cased) and ``<tld>`` is one of :data:`KEYWORD_TLDS`. Like the real world,
    some are taken and some are free: a name exists when the first two bytes of the SHA-256 of the name
    (e.g. ``b"if.dev"``), read as a number in ``[0, 65536)``, fall below ``TAKEN[tld] * 65536``. So every
    ``.com`` keyword exists, most ``.dev`` ones do, about half the ``.net`` ones do. The rule is fixed
    (no randomness), so every run and every machine sees the same zone; :func:`existing_names` and
    :func:`missing_names` list it.

Answers
    An existing name has one A record in TEST-NET-1 (``192.0.2.N``, RFC 5737: documentation addresses
    that route nowhere), N derived from the same hash (:func:`address_for`). Other query types for an
    existing name get NOERROR with an empty answer ("no data"); every other name gets NXDOMAIN.
    Datagrams that are not DNS queries get FORMERR when their 12-byte header is readable, otherwise they
    are dropped; responses (QR bit set) are never answered, so two servers cannot ping-pong. A query over
    :data:`MAX_QUERY_SIZE` bytes gets FORMERR however well formed. The server speaks EDNS version 0 only: a
    higher version gets BADVERS (RFC 6891); opcodes other than QUERY, UPDATE included, get NOTIMP (RFC 2136).
    Should :func:`answer` itself fail, the query gets SERVFAIL and the server logs it (always, not only with
    ``--verbose``): one bad answer, never a dead server.

Delay
    ``--delay 0.2`` (fixed) or ``--delay 0.05:0.3`` (uniform range) holds each answer back, to make
    concurrency visible. The wait is scheduled with ``loop.call_later``: the loop keeps serving other
    queries meanwhile. With ``--seed`` the delay of a name is a pure function of (seed, name), so the
    same name is always equally slow and a run's completion order is reproducible even though queries
    arrive in a different order each time.

For the probing programs
    :func:`probe` asks a server whether a name resolves, the way the chapter uses ``loop.getaddrinfo``.
    :func:`for_command` is the server a command line asks: the one given with ``--server``, or one started
    for that run alone; :func:`server_url` and :func:`parse_tld` check what a user types.

Run it: ``python -m support.lab.dns_server [--port 8053] [--delay 0.05:0.3] [--seed 1]``. The default port is
8053 ("53 with 80 in front", as 8080 is for 80): unprivileged, and not 5353, which mDNS daemons hold.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import hashlib
import ipaddress
import keyword
import random
import re
import signal
import socket
import struct
import sys
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, NamedTuple, Protocol, TypeAlias, cast
from urllib.parse import urlsplit

import dns.asyncresolver
import dns.flags
import dns.message
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.resolver
import dns.rrset

from support import cli
from support.lab import services
from support.lab.services import Service

__all__ = [
    "COMMAND_DELAY",
    "DEFAULT_PORT",
    "DEFAULT_URL",
    "KEYWORD_TLDS",
    "PROBE_TIMEOUT",
    "TAKEN",
    "HasAddress",
    "Probe",
    "ProbeTimeout",
    "Result",
    "ServerSpec",
    "address_for",
    "answer",
    "delay_for",
    "existing_names",
    "for_command",
    "keyword_names",
    "main",
    "missing_names",
    "parse_delay",
    "parse_tld",
    "probe",
    "resolver_for",
    "serve",
    "server_address",
    "server_url",
    "start",
]

DEFAULT_PORT = 8053
DEFAULT_URL = f"dns://127.0.0.1:{DEFAULT_PORT}"
KEYWORD_TLDS: tuple[str, ...] = ("dev", "org", "com", "net")
# Share of keyword names that are registered, per TLD: .com is sold out, .net half free.
TAKEN: dict[str, float] = {"dev": 0.8, "org": 0.6, "com": 1.0, "net": 0.5}
TTL = 300
# A real query is under 300 bytes; anything far bigger is abuse, answered with FORMERR.
MAX_QUERY_SIZE = 4096
PROBE_TIMEOUT = 5.0
RECEIVE_BUFFER = 4 * 1024 * 1024  # the kernel caps it at net.core.rmem_max; any raise helps
_HEADER = struct.Struct("!HH")  # id, flags: the part of a header needed to answer FORMERR
_MAX_DELAY = 60.0


# --- the zone --------------------------------------------------------------------------------------------


def _digest(name: str) -> bytes:
    return hashlib.sha256(name.encode("ascii", "backslashreplace")).digest()


def keyword_names(tld: str | None = None) -> list[str]:
    """Every ``<keyword>.<tld>`` candidate, registered or not, in kwlist order then TLD order."""
    tlds = KEYWORD_TLDS if tld is None else (tld.strip(".").lower(),)
    return [f"{kw.lower()}.{t}" for t in tlds for kw in keyword.kwlist]


def address_for(name: str) -> str | None:
    """The A record of ``name`` in this zone, or None when the name does not exist."""
    name = name.rstrip(".").lower()
    label, _, tld = name.rpartition(".")
    if tld not in TAKEN or label not in {kw.lower() for kw in keyword.kwlist}:
        return None
    digest = _digest(name)
    if int.from_bytes(digest[:2], "big") >= TAKEN[tld] * 65536:
        return None
    return f"192.0.2.{1 + digest[2] % 254}"  # 1..254: never the network or broadcast address


def existing_names(tld: str | None = None) -> list[str]:
    """The registered keyword names (all TLDs, or one): those that answer an A record."""
    return [name for name in keyword_names(tld) if address_for(name) is not None]


def missing_names(tld: str | None = None) -> list[str]:
    """The keyword names that are free: the server answers NXDOMAIN for them."""
    return [name for name in keyword_names(tld) if address_for(name) is None]


def _soa(tld: str) -> dns.rrset.RRset:
    # The zone's SOA in the authority section tells resolvers how long a "no" may be cached, as real servers do.
    return dns.rrset.from_text(
        f"{tld}.", TTL, "IN", "SOA", f"ns.{tld}. hostmaster.{tld}. 1 3600 600 86400 {TTL}"
    )


def answer(query: dns.message.Message) -> dns.message.Message:
    """The response to one parsed query: A record, empty NOERROR, NXDOMAIN, or an error code."""
    response = dns.message.make_response(query)  # EDNS version 0 in the reply whenever the query used EDNS
    if query.edns > 0:  # a version we do not speak: say which one we do (RFC 6891 6.1.3)
        response.set_rcode(dns.rcode.BADVERS)
        return response
    if query.opcode() != dns.opcode.QUERY:  # NOTIFY, UPDATE (RFC 2136), ...: not implemented
        response.set_rcode(dns.rcode.NOTIMP)
        return response
    if len(query.question) != 1:  # zero or several questions: no server answers those
        response.set_rcode(dns.rcode.FORMERR)
        return response
    question = query.question[0]
    if question.rdclass != dns.rdataclass.IN:
        response.set_rcode(dns.rcode.REFUSED)
        return response
    name = question.name.to_text(omit_final_dot=True).lower()
    tld = name.rpartition(".")[2]
    address = address_for(name)
    if tld in TAKEN:
        response.flags |= dns.flags.AA  # we are the authority for these TLDs
    if address is None:
        response.set_rcode(dns.rcode.NXDOMAIN)
    elif question.rdtype in (dns.rdatatype.A, dns.rdatatype.ANY):
        response.answer.append(dns.rrset.from_text(question.name, TTL, "IN", "A", address))
    if not response.answer and tld in TAKEN:
        response.authority.append(_soa(tld))
    return response


def _formerr(data: bytes) -> bytes | None:
    """FORMERR for a datagram whose header is readable, None (drop it) when even that is impossible."""
    if len(data) < 12:
        return None
    query_id, flags = _HEADER.unpack_from(data)
    if flags & dns.flags.QR:
        return None  # a response, not a query: answering it could start a loop between two servers
    message = dns.message.Message(id=query_id)
    message.flags = dns.flags.QR | (flags & 0x7900)  # echo the opcode and RD bits, as RFC 1035 asks
    message.set_rcode(dns.rcode.FORMERR)
    return message.to_wire()


# --- delays ----------------------------------------------------------------------------------------------


def parse_delay(text: str | float | tuple[float, float] | None) -> tuple[float, float]:
    """``"0.2"`` -> (0.2, 0.2), ``"0.05:0.3"`` -> (0.05, 0.3); None -> no delay. Raises ValueError.

    The workbook's one delay syntax (:func:`support.cli.parse_delay`), capped at a minute here.
    """
    return cli.parse_delay(text, _MAX_DELAY)


def delay_for(name: str, delay: tuple[float, float], seed: int | None = None) -> float:
    """Seconds to hold back the answer for ``name``: seeded means a fixed function of (seed, name)."""
    low, high = delay
    if low == high:
        return low
    if seed is None:
        return random.uniform(low, high)
    # Keyed by name, not by arrival order: concurrent queries arrive in a different order every run.
    return random.Random(f"{seed}:{name.rstrip('.').lower()}").uniform(low, high)


# --- the server ------------------------------------------------------------------------------------------


class _DNSProtocol(asyncio.DatagramProtocol):
    """Answers each datagram on arrival; a delayed answer is a timer, so the loop never waits."""

    def __init__(self, delay: tuple[float, float], seed: int | None, verbose: bool) -> None:
        self.delay = delay
        self.seed = seed
        self.verbose = verbose
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A cast, not an isinstance check: on Python 3.11 the selector transport does not subclass it.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | bytes, int]) -> None:
        try:
            if len(data) > MAX_QUERY_SIZE:
                raise ValueError(f"{len(data)} bytes is too big for a query")
            query = dns.message.from_wire(data)
        except Exception as exc:  # the sender's fault, whatever failed: FORMERR or drop, and keep serving
            self._log(f"{addr}: bad datagram ({type(exc).__name__}, {len(data)} bytes)")
            if (reply := _formerr(data)) is not None:
                self._send(reply, addr)
            return
        if query.flags & dns.flags.QR:
            return  # a response sent to us: never answer, see _formerr
        try:
            response = answer(query)
        except Exception as exc:  # a bug here must cost one answer (SERVFAIL), not the server
            # Logged even when not verbose: this is the server's fault, not the sender's.
            print(f"{addr}: SERVFAIL: answer() raised {exc!r}", file=sys.stderr, flush=True)
            response = dns.message.make_response(query)
            response.set_rcode(dns.rcode.SERVFAIL)
        name = query.question[0].name.to_text() if query.question else ""
        wait = delay_for(name, self.delay, self.seed)
        self._log(f"{addr}: {name} -> {dns.rcode.to_text(response.rcode())} after {wait:.3f} s")
        reply = response.to_wire()
        if wait > 0:
            asyncio.get_running_loop().call_later(wait, self._send, reply, addr)
        else:
            self._send(reply, addr)

    def error_received(self, exc: Exception) -> None:
        # E.g. ICMP "port unreachable" after a client gave up: nothing to do but note it.
        self._log(f"socket error: {exc!r}")

    def _send(self, reply: bytes, addr: tuple[str | bytes, int]) -> None:
        if self.transport is not None and not self.transport.is_closing():  # a late timer after shutdown
            self.transport.sendto(reply, addr)

    def _log(self, message: str) -> None:
        if self.verbose:
            print(message, file=sys.stderr, flush=True)


async def serve(
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    delay: tuple[float, float] = (0.0, 0.0),
    seed: int | None = None,
    verbose: bool = False,
    stop: asyncio.Event | None = None,
) -> None:
    """Serve DNS until ``stop`` is set (or the task is cancelled); prints the URL line once bound."""
    loop = asyncio.get_running_loop()
    sock = socket.socket(services.socket_family(host), socket.SOCK_DGRAM)
    try:
        # A burst of queries overflows the default ~200 KB buffer (~200 datagrams) and the kernel drops the rest.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    transport, _ = await loop.create_datagram_endpoint(lambda: _DNSProtocol(delay, seed, verbose), sock=sock)
    try:
        bound_host, bound_port = transport.get_extra_info("sockname")[:2]
        print(f"Serving DNS on dns://{services.url_host(bound_host)}:{bound_port}", flush=True)
        low, high = delay
        how = "no delay" if high == 0 else f"delay {low:g}" + ("" if low == high else f"..{high:g}") + " s"
        print(f"zone: {len(existing_names())} names under .{' .'.join(KEYWORD_TLDS)}; {how}", flush=True)
        await (stop or asyncio.Event()).wait()
    finally:
        transport.close()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m support.lab.dns_server",
        description="Authoritative DNS over UDP for <python keyword>.{dev,org,com,net}, on loopback only.",
    )
    parser.add_argument(
        "--host",
        type=cli.checked(services.loopback_host),
        default="127.0.0.1",
        help="loopback address (default %(default)s)",
    )
    parser.add_argument(
        "--port",
        type=cli.port,
        default=DEFAULT_PORT,
        help="UDP port; 0 picks a free one (default %(default)s)",
    )
    parser.add_argument(
        "--delay",
        type=cli.delay(_MAX_DELAY),
        default=(0.0, 0.0),
        metavar="S|LOW:HIGH",
        help="hold each answer back (seconds)",
    )
    parser.add_argument("--seed", type=int, default=None, help="make LOW:HIGH delays reproducible per name")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every query to stderr")
    return parser


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: serve until SIGTERM or SIGINT, then exit 0."""
    args = _parser().parse_args(argv)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)  # a clean stop: close the socket, exit 0
        await serve(args.host, args.port, args.delay, args.seed, args.verbose, stop)

    try:
        asyncio.run(run())
    except OSError as exc:  # typically "address already in use"
        print(f"dns_server: cannot serve on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0


def start(
    delay: str | float | tuple[float, float] | None = None, seed: int | None = None, *, private: bool = False
) -> Service:
    """Run the server in the background via ``support.lab.services`` (once per set of options).

    A bad delay raises ValueError here, before any process starts. Options are passed in one spelling
    (``delay=0.2``, ``"0.2"`` and ``(0.2, 0.2)`` are one server); ``private=True`` starts one of your own.
    """
    args = ["--delay", cli.format_delay(parse_delay(delay))]
    if seed is not None:
        args += ["--seed", str(int(seed))]
    return services.start("support.lab.dns_server", *args, private=private)


# --- the client side used by the lessons ----------------------------------------------------------------


class HasAddress(Protocol):
    """Anything with ``host`` and ``port``, such as ``support.lab.services.Service``."""

    @property
    def host(self) -> str: ...

    @property
    def port(self) -> int: ...


# Where a probe sends its queries: a Service, "dns://127.0.0.1:PORT", or ("127.0.0.1", PORT).
ServerSpec: TypeAlias = "HasAddress | str | tuple[str, int]"


class Result(NamedTuple):
    """A probe's outcome; a named tuple reads well when printed and still unpacks like the chapter's pair."""

    domain: str
    found: bool


#: A coroutine function that tells whether a name resolves, such as ``lambda name: probe(name, server)``.
Probe: TypeAlias = "Callable[[str], Coroutine[Any, Any, Result]]"


class ProbeTimeout(TimeoutError):
    """The DNS server did not answer in time (is it running? is the delay longer than PROBE_TIMEOUT?)."""


def server_address(server: ServerSpec) -> tuple[str, int]:
    """(host, port) from a Service, a ``dns://host:port`` URL, or a (host, port) pair."""
    if isinstance(server, str):
        parts = urlsplit(server if "://" in server else f"dns://{server}")
        return (parts.hostname or "127.0.0.1", parts.port or DEFAULT_PORT)
    if isinstance(server, tuple):
        host, port = server
        return (host, int(port))
    return (server.host, int(server.port))


@functools.lru_cache(maxsize=32)
def _resolver(host: str, port: int) -> dns.asyncresolver.Resolver:
    resolver = dns.asyncresolver.Resolver(configure=False)  # ignore /etc/resolv.conf: ask only our server
    resolver.nameservers = [host]
    resolver.port = port
    return resolver


def resolver_for(server: ServerSpec) -> dns.asyncresolver.Resolver:
    """A dnspython asyncio resolver that asks only ``server`` (one shared instance per address).

    Its time limit is :data:`PROBE_TIMEOUT` as it is now, read on every call: a lesson may change it.
    """
    resolver = _resolver(*server_address(server))
    # One try with the whole budget: loopback loses nothing, and a retry would only re-ask a slow server.
    resolver.timeout = resolver.lifetime = PROBE_TIMEOUT
    return resolver


async def probe(domain: str, server: ServerSpec = DEFAULT_URL) -> Result:
    """Does ``domain`` resolve? Awaiting the resolver frees the loop to run other probes meanwhile."""
    resolver = resolver_for(server)
    try:
        await resolver.resolve(domain, "A")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        found = False  # the server answered: no such name, or no address for it
    except dns.resolver.LifetimeTimeout as exc:
        raise ProbeTimeout(f"no DNS answer for {domain!r} from {server} in {resolver.lifetime} s") from exc
    else:
        found = True
    return Result(domain, found)


# --- the probing command lines: the server they ask and what a user types --------------------------------

#: How long the server started by :func:`for_command` holds each answer back: enough to watch them arrive.
COMMAND_DELAY = "0.05:0.3"
_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"  # one DNS label: 1 to 63 letters, digits and inner hyphens
_SUFFIX = re.compile(rf"{_LABEL}(\.{_LABEL})*")
_MAX_NAME = 253  # the longest domain name DNS allows, in characters
_LONGEST_KEYWORD = max(len(word) for word in keyword.kwlist)  # "nonlocal": the longest label put in front


def server_url(text: str) -> str:
    """An argparse ``type=`` for ``--server``: ``dns://ADDRESS:PORT`` with a numeric address, never a name.

    The resolver is given an address to ask; a host name would need a lookup, and there is no one to ask yet.
    """
    if not text.startswith("dns://"):
        raise cli.BadValue(f"expected dns://ADDRESS:PORT, not {text!r}")
    try:
        host, _ = server_address(text)
        ipaddress.ip_address(host)
    except ValueError as exc:  # a port that is not a number, a host name
        raise cli.BadValue(f"{text!r}: {exc}") from None
    return text


def parse_tld(text: str) -> str:
    """An argparse ``type=`` for a top-level domain: ``"NET"``, ``".net"`` or ``"net."`` -> ``"net"``.

    ``"com.br"`` stays two labels. What cannot end a DNS name, with room left in front for the longest Python
    keyword, is a :class:`~support.cli.BadValue` (a usage error on a command line, a ValueError in Python).
    """
    tld = text.strip().strip(".").lower()
    if not _SUFFIX.fullmatch(tld) or len(tld) + len(".") + _LONGEST_KEYWORD > _MAX_NAME:
        raise cli.BadValue(f"expected a top-level domain such as net or com.br, not {text!r}")
    return tld


@contextlib.contextmanager
def for_command(prog: str, url: str | None) -> Iterator[str]:
    """The URL of the DNS server a command line asks: ``url``, or a local server started for this run alone.

    The local server (delays :data:`COMMAND_DELAY`) is stopped however the run ends. A server that does not
    answer (a :class:`ProbeTimeout`, a refused port: both ``OSError``) ends the command with one line on
    stderr, ``<prog>: no answer from <url> (<error>)``, and exit status 1 (``SystemExit``).
    """
    service = None if url else start(delay=COMMAND_DELAY, private=True)  # ours alone to stop
    if service is not None:
        print(f"(started a local DNS server on {service.url})", flush=True)
    asked = url or cast(Service, service).url
    try:
        yield asked
    except OSError as exc:
        print(f"{prog}: no answer from {asked} ({type(exc).__name__})", file=sys.stderr)
        raise SystemExit(cli.FAILED) from None
    finally:
        if service is not None:
            service.stop()


if __name__ == "__main__":
    raise SystemExit(main())
