"""The breakages issue 14 named, made again: each must fail at least one test.

    python tests/mutation/breakages.py              # every breakage (about 6 minutes on 2 cores)
    python tests/mutation/breakages.py NAME ...     # some of them

Each breakage is one textual change to one file: it is made, the test files that guard it run (in file order),
the file is restored with ``git checkout``, and one line says which tests failed. A breakage no test notices is
a lesson's behaviour left unguarded: exit status 1. Run it only on a clean work tree (it restores files from git).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

REPO = Path(__file__).resolve().parents[2]


class Breakage(NamedTuple):
    path: str
    old: str
    new: str
    tests: tuple[str, ...]


BREAKAGES = {
    # flags2 and flags3 without their semaphore: the site's log shows more than -m requests at once.
    "flags2 without `async with semaphore`": Breakage(
        "support/examples/flags2.py",
        "async with semaphore, asyncio.timeout(time_limit):  # <1>",
        "async with asyncio.timeout(time_limit):  # <1>",
        ("tests/test_flags_clients.py",),
    ),
    "flags3 without its semaphore": Breakage(
        "support/examples/flags3.py",
        "async with semaphore, asyncio.timeout(time_limit):  # <2>",
        "async with asyncio.timeout(time_limit):  # <2>",
        ("tests/test_flags_clients.py",),
    ),
    # flags2 writing its files on the event loop: every save stops every other task (issue 20).
    "flags2 saves on the loop, not in a thread": Breakage(
        "support/examples/flags2.py",
        'await asyncio.to_thread(save_flag, image, dest, f"{cc.lower()}.gif")',
        'save_flag(image, dest, f"{cc.lower()}.gif")',
        ("tests/test_flags_clients.py",),
    ),
    # flags2 reading its tasks in creation order: the progress bar waits for the slowest first flag.
    "flags2 without `as_completed`": Breakage(
        "support/examples/flags2.py",
        "tqdm(asyncio.as_completed(tasks),",
        "tqdm(iter(tasks),",
        ("tests/test_flags_clients.py",),
    ),
    # check_shout judging only the special cases: a reply that is simply wrong would pass (issue 20).
    "check_shout without its reply-equality check": Breakage(
        "support/exercises/async_servers.py",
        'require(text == want, f"sent {line!r}, expected the reply {want!r}, got {text!r}.")',
        "pass",
        ("tests/test_async_servers_checks.py", "tests/test_exercise_checkers.py"),
    ),
    "services without the atexit stop": Breakage(
        "support/lab/services.py", "atexit.register(stop_all)", "pass", ("tests/test_services.py",)
    ),
    "services without the SIGKILL fallback": Breakage(
        "support/lab/services.py",
        "            process.kill()\n            process.wait()\n",
        "            pass\n",
        ("tests/test_services.py",),
    ),
    "services without the wait for the port": Breakage(
        "support/lab/services.py",
        "        _wait_for_connect(service, deadline)",
        "        pass",
        ("tests/test_services.py",),
    ),
    "servers without the parent watchdog": Breakage(
        "support/lab/_supervised.py",
        "    threading.Thread(target=_watch",
        "    0 and threading.Thread(target=_watch",
        ("tests/test_services.py",),
    ),
    "dns_server without the query size limit": Breakage(
        "support/lab/dns_server.py",
        "if len(data) > MAX_QUERY_SIZE:",
        "if False:",
        ("tests/test_dns_server.py",),
    ),
    "dns_server without the SERVFAIL guard": Breakage(
        "support/lab/dns_server.py",
        "except Exception as exc:  # a bug here",
        "except ZeroDivisionError as exc:  # a bug here",
        ("tests/test_dns_server.py",),
    ),
    "dns_server logs SERVFAIL only with --verbose": Breakage(
        "support/lab/dns_server.py",
        'print(f"{addr}: SERVFAIL: answer() raised {exc!r}", file=sys.stderr, flush=True)',
        'self._log(f"{addr}: SERVFAIL: answer() raised {exc!r}")',
        ("tests/test_dns_server.py",),
    ),
    "PROBE_TIMEOUT read once": Breakage(
        "support/lab/dns_server.py",
        "    resolver.timeout = resolver.lifetime = PROBE_TIMEOUT\n    return resolver\n",
        "    if not getattr(resolver, '_set', False):\n"
        "        resolver.timeout = resolver.lifetime = PROBE_TIMEOUT\n"
        "        resolver._set = True\n"
        "    return resolver\n",
        ("tests/test_dns_server.py",),
    ),
    # Issue 20, item 5: a server that stops must close its clients (since Python 3.12 a cancelled
    # serve_forever() waits for them to leave; 3.11 leaves them connected to a server that no longer listens).
    "tcp_mojifinder.supervisor leaving its clients open when it stops": Breakage(
        "support/examples/tcp_mojifinder.py",
        "        for writer in clients:  # <6>\n            writer.transport.abort()\n",
        "",
        ("tests/test_tcp_mojifinder.py",),
    ),
    "tcp_mojifinder_hardened.serve leaving its clients open when it stops": Breakage(
        "support/examples/tcp_mojifinder_hardened.py",
        "        for writer in list(clients.values()):\n            writer.close()\n",
        "",
        ("tests/test_tcp_mojifinder_hardened.py",),
    ),
    "format_ratio accepts NaN": Breakage(
        "support/timing.py",
        "if not (math.isfinite(ratio) and ratio >= 0):",
        "if ratio < 0:",
        ("tests/test_timing.py",),
    ),
}


def failing_tests(breakage: Breakage) -> list[str]:
    """Make ``breakage``, run its tests, restore the file; the ids of the tests that failed."""
    target = REPO / breakage.path
    text = target.read_text(encoding="utf-8")
    if text.count(breakage.old) != 1:
        raise SystemExit(f"{breakage.path}: the text to break is not there once; update {__file__}")
    target.write_text(text.replace(breakage.old, breakage.new, 1), encoding="utf-8")
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-rf", "-p", "no:randomly", "-p", "no:cacheprovider"]
            + list(breakage.tests),
            cwd=REPO,
            capture_output=True,
            text=True,
        )
    finally:
        subprocess.run(["git", "checkout", "--", breakage.path], cwd=REPO, check=True)
    return re.findall(r"^FAILED (\S+)", done.stdout, re.MULTILINE)


def main(argv: list[str]) -> int:
    chosen = argv or list(BREAKAGES)
    unknown = set(chosen) - set(BREAKAGES)
    if unknown:
        print(f"unknown breakage: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    unguarded = 0
    for name in chosen:
        failed = failing_tests(BREAKAGES[name])
        unguarded += not failed
        shown = (
            failed[0].split("::", 1)[-1] + (f" (+{len(failed) - 1})" if len(failed) > 1 else "")
            if failed
            else ""
        )
        print(f"{name:45} {shown or 'NO TEST FAILS'}", flush=True)
    return 1 if unguarded else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
