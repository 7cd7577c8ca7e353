"""The chapter's blogdom on Curio: every short keyword name probed at once, in one Curio ``TaskGroup``.

The same question as :mod:`support.examples.blogdom` (which ``<keyword>.dev`` names are taken?), asked the
way the chapter's Curio version asks it: each probe is spawned into a ``TaskGroup``, ``async for`` over the
group reports each answer as it arrives, and ``curio.run`` starts the program. The probes go to the local DNS
server over UDP (:func:`support.examples.curio_domainlib.probe`), not to the system resolver.

Run it: ``python -m support.examples.curio_blogdom [--server dns://127.0.0.1:PORT]``. Without ``--server`` it
starts a local DNS server for the run and stops it at the end. Exits 0 when every name got an answer, 1 when
one did not (or when Curio cannot run: Curio 1.6 imports on Python 3.11 only), 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable, Iterable

from support.examples import dns_wire
from support.examples.blogdom import DEFAULT_DELAY, MAX_KEYWORD_LEN, format_result, keyword_domains
from support.lab import dns_server
from support.lab.dns_server import Result, ServerSpec
from support.timing import Stopwatch
from support.workbook import cli

try:
    import curio

    from support.examples import curio_domainlib
except (ImportError, AttributeError):
    # The workbook installs Curio on Python 3.11 only (ImportError elsewhere); installed by hand on 3.12+,
    # Curio 1.6 fails with AttributeError. Either way this module still imports, so --help works.
    curio = None

__all__ = ["CURIO_RUNS", "main", "probe_all"]

# False on Python 3.12+, where this module still imports (for --help) but cannot probe anything.
CURIO_RUNS = curio is not None
NO_CURIO = "Curio does not import on Python 3.12+; run this with Python 3.11"


async def probe_all(
    domains: Iterable[str], server: ServerSpec, *, report: Callable[[Result], object] | None = None
) -> list[Result]:
    """Probe every name at once in a Curio TaskGroup; return (and report) the answers in arrival order.

    If one probe fails, its error is raised from ``task.result``, and leaving the group cancels the rest.
    """
    results = []
    async with curio.TaskGroup() as group:
        for domain in domains:
            await group.spawn(curio_domainlib.probe, domain, server)
        async for task in group:
            result = task.result
            results.append(result)
            if report is not None:
                report(result)
    return results


def _server_arg(text: str) -> str:
    if not text.startswith("dns://"):
        raise argparse.ArgumentTypeError(f"expected dns://HOST:PORT, got {text!r}")
    try:
        dns_server.server_address(text)
    except ValueError as exc:  # e.g. a port that is not a number
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None
    return text


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m support.examples.curio_blogdom",
        description="Probe <keyword>.<tld> names for short Python keywords with Curio; '+' marks names that "
        "resolve. Needs Python 3.11 (Curio does not import on 3.12+).",
        formatter_class=functools.partial(argparse.HelpFormatter, width=96),
    )
    parser.add_argument(
        "--server",
        type=_server_arg,
        metavar="URL",
        help="DNS server to ask, e.g. dns://127.0.0.1:8053 (default: start a local one for this run)",
    )
    parser.add_argument("--tld", default="dev", help="top-level domain to probe (default %(default)s)")
    parser.add_argument(
        "--max-len",
        type=cli.positive_int,
        default=MAX_KEYWORD_LEN,
        metavar="N",
        help="longest keyword to try (default %(default)s)",
    )
    parser.add_argument(
        "--delay",
        default=DEFAULT_DELAY,
        metavar="S|LOW:HIGH",
        help="answer delay of the server started without --server (default %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=None, help="fixed per-name delays for that server")
    return parser


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: one line per name as its answer arrives, then a summary."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        dns_server.parse_delay(args.delay)
    except ValueError as exc:
        parser.error(f"--delay: {exc}")
    domains = keyword_domains(args.tld, args.max_len)
    if not domains:
        parser.error(f"no Python keyword has at most {args.max_len} letters")
    if not CURIO_RUNS:
        print(f"curio_blogdom: {NO_CURIO}", file=sys.stderr)
        return 1
    service = None
    server = args.server
    if server is None:
        service = dns_server.start(delay=args.delay, seed=args.seed)
        server = service.url
        print(f"(started a local DNS server on {server})", flush=True)

    def show(result: Result) -> None:
        print(format_result(result), flush=True)

    try:
        with Stopwatch() as watch:
            results = curio.run(probe_all(domains, server, report=show))
    except (dns_server.ProbeTimeout, dns_wire.BadReply, OSError) as exc:
        print(f"curio_blogdom: no answer from {server}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\ncurio_blogdom: interrupted after {watch}", file=sys.stderr)
        return 130
    finally:
        if service is not None:
            service.stop()
    found = sum(result.found for result in results)
    print(
        f"{len(results)} names probed at once with Curio: {found} resolve, {len(results) - found} do not ({watch})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
