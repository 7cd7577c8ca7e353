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

from support.examples import dns_wire, probe_cli
from support.examples.blogdom import DEFAULT_DELAY, MAX_KEYWORD_LEN, format_result, keyword_domains
from support.lab.dns_server import Result, ServerSpec

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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m support.examples.curio_blogdom",
        description="Probe <keyword>.<tld> names for short Python keywords with Curio; '+' marks names that "
        "resolve. Needs Python 3.11 (Curio does not import on 3.12+).",
        formatter_class=functools.partial(argparse.HelpFormatter, width=96),
    )
    parser.add_argument(
        "--tld",
        type=probe_cli.parse_tld,
        default="dev",
        help="top-level domain to probe (default %(default)s)",
    )
    probe_cli.add_server_options(parser, max_len=MAX_KEYWORD_LEN, delay=DEFAULT_DELAY)
    return parser


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: one line per name as its answer arrives, then a summary."""
    parser = _parser()
    args = parser.parse_args(argv)
    domains = keyword_domains(args.tld, args.max_len)
    if not domains:
        parser.error(f"no Python keyword has at most {args.max_len} letters")
    if not CURIO_RUNS:
        print(f"curio_blogdom: {NO_CURIO}", file=sys.stderr)
        return 1

    def show(result: Result) -> None:
        print(format_result(result), flush=True)

    outcome = probe_cli.run(
        "curio_blogdom",
        args,
        lambda server: curio.run(probe_all(domains, server, report=show)),
        errors=(*probe_cli.NO_ANSWER, dns_wire.BadReply),
    )
    if isinstance(outcome, int):
        return outcome
    results, watch = outcome
    found = sum(result.found for result in results)
    print(
        f"{len(results)} names probed at once with Curio: {found} resolve, {len(results) - found} do not ({watch})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
