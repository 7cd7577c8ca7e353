"""What the three DNS-probing command lines share: blogdom, curio_blogdom and domaincheck.

They differ in how they probe (asyncio one at a time or at once, Curio, ``as_completed`` in two columns) and
that is what each module keeps in view. The rest is the same and lives here once: the ``--server``,
``--max-len``, ``--delay`` and ``--seed`` options with their checks, and the run itself: a private local DNS
server when no ``--server`` is given (stopped however the run ends), the stopwatch, and one line on stderr
with the exit status when the server does not answer or Ctrl-C stops it.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import keyword
import re
import sys
from collections.abc import Callable, Iterator
from typing import TypeVar

from support import cli
from support import cli as checks
from support.lab import dns_server
from support.timing import Stopwatch

__all__ = ["NO_ANSWER", "add_server_options", "local_or_given", "parse_tld", "run", "server_url"]

R = TypeVar("R")

_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"  # one DNS label: 1 to 63 letters, digits and inner hyphens
_SUFFIX = re.compile(rf"{_LABEL}(\.{_LABEL})*")
_MAX_NAME = 253  # the longest domain name DNS allows, in characters
# parse_tld keeps room in front of the suffix for the longest name blogdom.keyword_domains can make from
# keyword.kwlist ("nonlocal" today).
_LONGEST_KEYWORD = max(len(word) for word in keyword.kwlist)

#: What a probe raises when the server does not answer in time or refuses the connection.
NO_ANSWER: tuple[type[Exception], ...] = (dns_server.ProbeTimeout, OSError)


def parse_tld(text: str) -> str:
    """``"NET"``, ``".net"`` or ``"net."`` -> ``"net"``; ``"com.br"`` stays two labels.

    An argparse ``type=`` for each command's TLD (a :class:`~support.cli.BadValue`, so argparse shows
    the message as a usage error) that Python code may call too and catch as ValueError.
    """
    tld = text.strip().strip(".").lower()
    if not _SUFFIX.fullmatch(tld) or len(tld) + len(".") + _LONGEST_KEYWORD > _MAX_NAME:
        raise checks.BadValue(f"expected a top-level domain such as net or com.br, not {text!r}")
    return tld


def server_url(text: str) -> str:
    """An argparse ``type=`` for ``--server``: ``dns://ADDRESS:PORT`` with a numeric address, never a name.

    The resolver is given an address to ask; a host name would need a lookup, and there is no one to ask yet.
    """
    if not text.startswith("dns://"):
        raise checks.BadValue(f"expected dns://ADDRESS:PORT, not {text!r}")
    try:
        host, _ = dns_server.server_address(text)
        ipaddress.ip_address(host)
    except ValueError as exc:  # a port that is not a number, a host name
        raise checks.BadValue(f"{text!r}: {exc}") from None
    return text


def add_server_options(parser: argparse.ArgumentParser, *, max_len: int, delay: str) -> None:
    """``--server``, ``--max-len`` (default ``max_len``), ``--delay`` (default ``delay``) and ``--seed``."""
    parser.add_argument(
        "--server",
        type=server_url,
        metavar="URL",
        help="DNS server to ask, e.g. dns://127.0.0.1:8053 (default: start a local one for this run)",
    )
    parser.add_argument(
        "--max-len",
        type=checks.positive_int,
        default=max_len,
        metavar="N",
        help="longest keyword to try (default %(default)s)",
    )
    parser.add_argument(
        "--delay",
        type=dns_server.parse_delay,  # a cli.BadValue: argparse prints its message as a usage error
        default=delay,
        metavar="S|LOW:HIGH",
        help="answer delay of the server started without --server (default %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=None, help="fixed per-name delays for that server")


@contextlib.contextmanager
def local_or_given(args: argparse.Namespace) -> Iterator[str]:
    """The URL of ``--server``, or of a local DNS server started for this run alone and stopped after it."""
    if args.server is not None:
        yield args.server
        return
    service = dns_server.start(delay=args.delay, seed=args.seed, private=True)  # ours alone to stop
    print(f"(started a local DNS server on {service.url})", flush=True)
    try:
        yield service.url
    finally:
        service.stop()


def run(
    prog: str,
    args: argparse.Namespace,
    probe_all: Callable[[str], list[R]],
    *,
    errors: tuple[type[Exception], ...] = NO_ANSWER,
) -> tuple[list[R], Stopwatch] | int:
    """``probe_all(server_url)`` against the server of :func:`local_or_given`, timed.

    Returns the results and the stopwatch, or the exit status after one line on stderr: ``cli.FAILED`` when
    the server did not answer (``errors``), ``cli.INTERRUPTED`` on Ctrl-C.
    """
    watch = Stopwatch()
    with local_or_given(args) as server:
        try:
            with watch:
                return probe_all(server), watch
        except errors as exc:
            print(f"{prog}: no answer from {server}: {exc}", file=sys.stderr)
            return cli.FAILED
        except KeyboardInterrupt:
            print(f"{prog}: interrupted after {watch}", file=sys.stderr)
            return cli.INTERRUPTED
