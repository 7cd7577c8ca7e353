"""The flag download clients against the real local flag site: files, counts, pool, cancellation, CLI."""

from __future__ import annotations

import asyncio
import inspect
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from support.examples import flags, flags2, flags3, flags_asyncio, flags_common, flags_threadpool
from support.examples.flags_common import Outcome, Status, safe_filename
from support.lab import flag_server, services
from support.lab.flag_data import POP20_CC, countries, flag_dir
from support.plots import in_flight_counts
from support.timing import Span, Timeline

REPO = Path(__file__).resolve().parent.parent
CLIENTS = [flags, flags_threadpool, flags_asyncio, flags2, flags3]
SEED = 3  # errors-mode seed; with it the site fails some flags and some metadata files (asserted below)
NAMES = {c.cc: c.name for c in countries()}
KNOWN = sorted(NAMES)


@pytest.fixture(scope="module")
def plain() -> str:
    return flag_server.flags_url(flag_server.start())


@pytest.fixture(scope="module")
def delay() -> services.Service:
    return flag_server.start("delay", delay=0.5)


@pytest.fixture(scope="module")
def errors() -> services.Service:
    return flag_server.start("errors", delay=0.0, seed=SEED)


def served(cc: str) -> bytes:
    """What the site serves for one flag: the file it loaded from the generated data set."""
    return (flag_dir() / cc.lower() / f"{cc.lower()}.gif").read_bytes()


def names(dest: Path) -> list[str]:
    """The sorted file names in ``dest``, hidden ones included (none if it was never created)."""
    return sorted(p.name for p in dest.iterdir()) if dest.exists() else []


def assert_saved(dest: Path, expected: dict[str, bytes]) -> None:
    """Exactly these files, byte for byte: no extra file, no leftover temporary ``.part`` file."""
    found = {name: (dest / name).read_bytes() for name in names(dest)}
    assert sorted(found) == sorted(expected)
    for name, data in expected.items():
        assert found[name] == data, name


def expected_files(module: ModuleType, codes: Sequence[str]) -> dict[str, bytes]:
    if module is flags3:
        return {f"{safe_filename(NAMES[cc])}.gif": served(cc) for cc in codes}
    return {f"{cc.lower()}.gif": served(cc) for cc in codes}


async def run(download_many: Callable[..., Any], *args: Any, **kwargs: Any) -> Counter[Status]:
    """Call a client's ``download_many``, sync (in a thread, as the loop must stay free) or async."""
    if inspect.iscoroutinefunction(download_many):
        return await download_many(*args, **kwargs)
    return await asyncio.to_thread(download_many, *args, **kwargs)


def site_log(service: services.Service, expected: int) -> list[dict[str, Any]]:
    """The site's request log once it holds ``expected`` entries (each is logged just after its reply)."""
    deadline = time.monotonic() + 5
    while len(log := flag_server.read_log(service)) < expected and time.monotonic() < deadline:
        time.sleep(0.02)
    return log


def no_tasks_left() -> bool:
    return asyncio.all_tasks() == {asyncio.current_task()}


# --- every client, the happy path ---------------------------------------------------------------------------


@pytest.mark.parametrize("module", CLIENTS, ids=lambda m: m.__name__)
async def test_client_downloads_the_20_default_flags(module: ModuleType, plain: str, tmp_path: Path) -> None:
    counts = await run(module.download_many, POP20_CC, plain, dest=tmp_path)
    assert counts == Counter({Status.OK: 20})
    assert_saved(tmp_path, expected_files(module, POP20_CC))


@pytest.mark.parametrize("module", [flags, flags_threadpool, flags_asyncio], ids=lambda m: m.__name__)
async def test_simple_clients_stop_at_the_first_404(module: ModuleType, plain: str, tmp_path: Path) -> None:
    with pytest.raises(httpx.HTTPStatusError, match="404"):
        await run(module.download_many, ["BR", "ZZ"], plain, dest=tmp_path)
    assert not [name for name in names(tmp_path) if name.endswith(".part")]


# --- flags2: what can go wrong is counted -------------------------------------------------------------------


async def test_flags2_counts_404s_when_trying_every_code(plain: str, tmp_path: Path) -> None:
    codes = flags_common.expand_cc_args(every=True, all_=False, cc_args=[], limit=60)
    existing = [cc for cc in codes if cc in NAMES]
    assert codes[:3] == ["AA", "AB", "AC"] and 0 < len(existing) < 60
    counts = await flags2.download_many(codes, plain, dest=tmp_path)
    assert counts == Counter({Status.OK: len(existing), Status.NOT_FOUND: 60 - len(existing)})
    assert_saved(tmp_path, expected_files(flags2, existing))


async def test_flags2_counts_each_error_once(errors: services.Service, tmp_path: Path) -> None:
    # Regression: the chapter's loop kept `error` from one flag to the next, so after the first HTTP 418
    # every flag counted as an error. Counts must match what the server really answered, flag by flag.
    flag_server.clear_log(errors)
    timeline = Timeline()
    counts = await flags2.download_many(
        KNOWN, flag_server.flags_url(errors), dest=tmp_path, concurrency=50, timeline=timeline
    )
    log = site_log(errors, len(KNOWN))
    answered = {entry["path"].split("/")[2].upper(): entry["status"] for entry in log}
    failed = sorted(cc for cc, status in answered.items() if status == 418)
    assert 20 < len(failed) < 100  # the seeded 25 %: errors and successes interleave
    assert set(answered.values()) == {200, 418}
    assert counts == Counter({Status.OK: len(KNOWN) - len(failed), Status.ERROR: len(failed)})
    assert_saved(tmp_path, expected_files(flags2, sorted(set(KNOWN) - set(failed))))
    assert sorted(s.name for s in timeline.spans if s.status == Status.ERROR) == failed


async def test_flags2_supervisor_counts_what_each_task_returns(tmp_path: Path) -> None:
    # Without a server: an error then successes must count as one error, however they complete.
    planned = {
        "AA": Status.ERROR,
        "BB": Status.OK,
        "CC": Status.TIMEOUT,
        "DD": Status.OK,
        "EE": Status.NOT_FOUND,
    }

    async def fake_download_one(client: Any, cc: str, *args: Any) -> Outcome:
        await asyncio.sleep(0.01 * (ord(cc[0]) - ord("A")))  # complete in code order: the error comes first
        return Outcome(cc, planned[cc])

    counts = await flags2.download_many(
        list(planned), "http://unused", dest=tmp_path, download_one=fake_download_one
    )
    assert counts == Counter(planned.values())


async def test_flags2_counts_timeouts_from_a_stalling_site(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = flag_server.flags_url(flag_server.start("stall"))
    started = time.perf_counter()
    counts = await flags2.download_many(POP20_CC[:5], url, dest=tmp_path, request_timeout=0.3, verbose=True)
    assert counts == Counter({Status.TIMEOUT: 5})
    assert time.perf_counter() - started < 3  # the timeouts ran concurrently, not one after the other
    lines = sorted(capsys.readouterr().out.splitlines())
    assert lines == [f"{cc} ReadTimeout" for cc in sorted(POP20_CC[:5])]
    assert_saved(tmp_path, {})


async def test_flags2_counts_dropped_connections_as_errors(tmp_path: Path) -> None:
    url = flag_server.flags_url(flag_server.start("drop"))
    counts = await flags2.download_many(POP20_CC[:5], url, dest=tmp_path, request_timeout=2)
    assert counts == Counter({Status.ERROR: 5})


# --- flags2: the connection pool ----------------------------------------------------------------------------

POOL_WAIT = httpx.Timeout(
    5.0, pool=0.2
)  # a request may wait 0.2 s for a free connection, less than one delay


async def test_pool_sized_to_concurrency_lets_200_requests_fly(
    delay: services.Service, tmp_path: Path
) -> None:
    flag_server.clear_log(delay)
    codes = KNOWN[:200]
    counts = await flags2.download_many(
        codes, flag_server.flags_url(delay), dest=tmp_path, concurrency=200, request_timeout=POOL_WAIT
    )
    assert counts == Counter({Status.OK: 200})
    spans = [Span(e["path"], e["start"], e["end"]) for e in site_log(delay, 200)]
    assert max(in_flight_counts(spans)[1]) > 100  # more than httpx's default pool was at the server at once


def test_pool_has_room_for_every_request_but_keeps_few_idle() -> None:
    # Idle pooled connections cost httpcore CPU quadratically; reconnecting on localhost is cheaper.
    limits = flags_common.pool_limits(200)
    assert (limits.max_connections, limits.max_keepalive_connections) == (200, 20)
    assert flags_common.pool_limits(5).max_keepalive_connections == 5


async def test_httpx_default_pool_reproduces_pool_timeout(delay: services.Service, tmp_path: Path) -> None:
    from httpx._config import DEFAULT_LIMITS  # private, read only to check our copy still matches

    assert flags_common.HTTPX_DEFAULT_LIMITS == DEFAULT_LIMITS
    with pytest.raises(ExceptionGroup) as caught:
        await flags2.download_many(
            KNOWN[:200],
            flag_server.flags_url(delay),
            dest=tmp_path,
            concurrency=200,
            request_timeout=POOL_WAIT,
            limits=flags_common.HTTPX_DEFAULT_LIMITS,
        )
    assert caught.group_contains(httpx.PoolTimeout)
    assert no_tasks_left()  # the failure cancelled and awaited every other download


# --- cancellation and atomic files --------------------------------------------------------------------------


@pytest.mark.parametrize("module", [flags2, flags3], ids=lambda m: m.__name__)
async def test_cancelling_leaves_no_tasks_and_no_partial_files(
    module: ModuleType, delay: services.Service, tmp_path: Path
) -> None:
    supervisor = asyncio.create_task(
        module.download_many(KNOWN, flag_server.flags_url(delay), dest=tmp_path, concurrency=50)
    )
    await asyncio.sleep(0.3)  # requests are in flight: the site waits 0.5 s before answering
    assert not supervisor.done()
    supervisor.cancel()
    with pytest.raises(asyncio.CancelledError):
        await supervisor
    assert no_tasks_left()
    assert_saved(tmp_path, {})


async def test_flags3_saves_no_file_when_the_image_fails_after_its_metadata(
    errors: services.Service, tmp_path: Path
) -> None:
    flag_server.clear_log(errors)
    codes = KNOWN[:120]
    counts = await flags3.download_many(codes, flag_server.flags_url(errors), dest=tmp_path, concurrency=50)
    log = site_log(errors, 2 * len(codes) - counts[Status.ERROR])
    status = {entry["path"]: entry["status"] for entry in log}
    started = {entry["path"]: entry["start"] for entry in log}
    ok = [cc for cc in codes if status.get(f"/flags/{cc.lower()}/{cc.lower()}.gif") == 200]
    assert all(
        started[f"/flags/{cc.lower()}/metadata.json"] < started[f"/flags/{cc.lower()}/{cc.lower()}.gif"]
        for cc in ok
    )
    image_failed = [
        cc
        for cc in codes
        if status[f"/flags/{cc.lower()}/metadata.json"] == 200
        and status.get(f"/flags/{cc.lower()}/{cc.lower()}.gif") == 418
    ]
    assert image_failed, "the seed should make some images fail after their metadata succeeded"
    # A failed metadata request must stop the chain: its image is never asked for.
    assert all(
        f"/flags/{cc.lower()}/{cc.lower()}.gif" not in status
        for cc in codes
        if status[f"/flags/{cc.lower()}/metadata.json"] == 418
    )
    assert counts == Counter({Status.OK: len(ok), Status.ERROR: len(codes) - len(ok)})
    assert_saved(tmp_path, expected_files(flags3, ok))


async def test_flags3_cancelled_mid_write_leaves_a_whole_file_or_none(
    plain: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    written, release, replaced = threading.Event(), threading.Event(), threading.Event()
    real_replace = os.replace

    def slow_replace(src: str, dst: Path) -> None:
        written.set()  # the temporary file is complete; the target does not exist yet
        release.wait(5)
        real_replace(src, dst)
        replaced.set()

    monkeypatch.setattr(flags_common.os, "replace", slow_replace)
    supervisor = asyncio.create_task(flags3.download_many(["BR"], plain, dest=tmp_path))
    assert await asyncio.to_thread(written.wait, 5)
    target = tmp_path / "Brazil.gif"
    assert not target.exists()
    supervisor.cancel()
    with pytest.raises(asyncio.CancelledError):
        await supervisor
    assert no_tasks_left()
    # A thread cannot be cancelled: it finishes its write, and the rename makes the file appear whole.
    assert not target.exists()
    release.set()
    assert await asyncio.to_thread(replaced.wait, 5)
    assert_saved(tmp_path, {"Brazil.gif": served("BR")})


def test_save_flag_interrupted_keeps_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "br.gif").write_bytes(b"old")

    def interrupted(src: str, dst: Path) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(flags_common.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        flags_common.save_flag(b"new", tmp_path, "br.gif")
    with pytest.raises(KeyboardInterrupt):
        flags_common.save_flag(b"new", tmp_path, "fr.gif")
    assert_saved(tmp_path, {"br.gif": b"old"})


def test_save_flag_replaces_atomically(tmp_path: Path) -> None:
    (tmp_path / "br.gif").write_bytes(b"old")
    assert flags_common.save_flag(b"new", tmp_path, "br.gif") == tmp_path / "br.gif"
    assert flags_common.save_flag(b"", tmp_path / "made", "x.gif").read_bytes() == b""
    assert_saved(tmp_path / "made", {"x.gif": b""})
    assert (tmp_path / "br.gif").read_bytes() == b"new"


# --- helpers ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Brazil", "Brazil"),
        ("Côte d'Ivoire", "Côte_d_Ivoire"),
        ("Congo, The Democratic Republic of the", "Congo_The_Democratic_Republic_of_the"),
        ("../../etc/passwd", "etc_passwd"),
        ("Guinea-Bissau", "Guinea-Bissau"),
    ],
)
def test_safe_filename(name: str, expected: str) -> None:
    assert safe_filename(name) == expected


def test_safe_filename_refuses_a_name_with_nothing_usable() -> None:
    with pytest.raises(ValueError):
        safe_filename("../..")


def test_every_country_gets_a_distinct_file_name() -> None:
    names = [safe_filename(c.name) for c in countries()]
    assert len(set(names)) == len(names)


def test_expand_cc_args() -> None:
    expand = flags_common.expand_cc_args
    assert expand(False, False, [], None) == sorted(POP20_CC)
    assert expand(False, False, ["br", "A"], None) == [f"A{x}" for x in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"] + ["BR"]
    assert expand(False, False, ["FR", "fr"], None) == ["FR"]
    assert len(expand(True, False, [], None)) == 26 * 26
    assert expand(False, True, [], None) == KNOWN
    assert expand(False, True, [], 3) == KNOWN[:3]
    for bad in ["USA", "1", "B2", "é"]:
        with pytest.raises(ValueError):
            expand(False, False, [bad], None)


def test_parse_args_defaults_and_limits(tmp_path: Path) -> None:
    def parse(*argv: str, ceiling: int = 1000) -> Any:
        return flags_common.parse_args(argv, prog="x", description="x", concurrency=(100, ceiling))

    args = parse()
    assert args.base_url == "http://localhost:8000/flags" and args.cc_list == sorted(POP20_CC)
    assert args.max_req == 20  # never more requests in flight than flags
    assert (
        args.dest == flags_common.default_dest()
        and args.dest.name == "downloads"
        and args.dest.parent != REPO
    )
    assert parse("-s", "delay").base_url == "http://localhost:8001/flags"
    assert parse("-s", "ERROR", "--url", "http://127.0.0.1:1/flags").base_url == "http://127.0.0.1:1/flags"
    assert parse("-a", "-m", "5000").max_req == len(KNOWN)
    assert parse("-e", "-m", "5000", ceiling=50).max_req == 50
    assert parse("-e", "-l", "30", "-m", "7", "--dest", str(tmp_path)).max_req == 7
    for bad in [["-a", "BR"], ["-a", "-e"], ["-m", "0"], ["-l", "0"], ["USA"], ["-t", "0"]]:
        with pytest.raises(SystemExit):
            parse(*bad)


def test_summary() -> None:
    assert flags_common.summary(Counter({Status.OK: 20})) == "20 OK, 0 not found, 0 errors"
    counts = Counter({Status.OK: 1, Status.NOT_FOUND: 2, Status.ERROR: 2, Status.TIMEOUT: 1})
    assert flags_common.summary(counts) == "1 OK, 2 not found, 3 errors (1 timeout)"


def test_statuses_are_the_names_the_plots_colour() -> None:
    from support.plots import _STATUS_COLOURS

    assert {s.value for s in Status} <= set(_STATUS_COLOURS)


# --- command line -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("module", CLIENTS, ids=lambda m: m.__name__)
def test_help(module: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        module.main(["--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    assert f"python -m {module.__name__}" in text
    for option in ["--all", "--every", "--limit", "--server", "--url", "--dest", "--timeout", "--verbose"]:
        assert option in text
    assert ("--max-req" in text) == (module not in {flags, flags_asyncio})


def _cli(module: str, *args: str, **popen: Any) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen(
        [sys.executable, "-m", module, *args], cwd=REPO, env=env, text=True, stdout=subprocess.PIPE, **popen
    )


@pytest.mark.parametrize("module", CLIENTS, ids=lambda m: m.__name__)
def test_cli_downloads_from_url(module: ModuleType, plain: str, tmp_path: Path) -> None:
    process = _cli(module.__name__, "--url", plain, "--dest", str(tmp_path), stderr=subprocess.PIPE)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert f"URL site: {plain}" in out and "Searching for 20 flags: from BD to VN" in out
    assert "20 OK, 0 not found, 0 errors" in out and "Elapsed time: " in out
    assert_saved(tmp_path, expected_files(module, POP20_CC))


def test_cli_ctrl_c_stops_at_once_and_leaves_only_whole_files(
    delay: services.Service, tmp_path: Path
) -> None:
    url = flag_server.flags_url(delay)
    process = _cli(
        "support.examples.flags2",
        "-a",
        "-m",
        "10",
        "--url",
        url,
        "--dest",
        str(tmp_path),
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not any(name.endswith(".gif") for name in names(tmp_path)) and time.monotonic() < deadline:
        time.sleep(0.02)  # until the first round of 10 flags is saved; the next 10 are then in flight
    process.send_signal(signal.SIGINT)
    started = time.perf_counter()
    out, _ = process.communicate(timeout=10)
    assert process.returncode == 130
    assert time.perf_counter() - started < 3
    assert "Interrupted after" in out
    saved = names(tmp_path)
    assert 0 < len(saved) < len(KNOWN)
    assert_saved(tmp_path, {name: served(name.removesuffix(".gif")) for name in saved})
