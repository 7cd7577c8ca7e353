"""`make hub-test`: the class hub started for real on 127.0.0.1, three learners, lesson 00 in each one's kernel.

Everything goes through the hub's public address, as a browser or a script would: the sign-up and approval pages
(NativeAuthenticator), the REST API for tokens, users and servers, each learner's Jupyter server (contents and
sessions API) and their kernel's websocket, which runs lesson 00's cells from the learner's own copy. Then: a wrong
password is refused, one learner's token reaches nothing of another's, every socket the hub and its children
listen on is on the loopback address, and stopping the hub stops every process it started.

Not part of `make test` (it starts a proxy, a hub, three servers and three kernels: about a minute).
"""

from __future__ import annotations

import asyncio
import configparser
import datetime
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import nbformat
import psutil
import pytest
from class_admin import Hub, Refused
from jupyterhub_config import PROXY, REPO, WORKBOOK_FOLDER, copy_lessons

LEARNERS = {"ada": "ada-secret-1", "bo": "bo-secret-22", "cy": "cy-secret-333"}
ADMIN, ADMIN_PASSWORD = "instructor", "teach-secret-4"
LESSON = "00_getting_started.ipynb"
CELL_TIMEOUT = 60.0  # seconds; every cell of the lesson takes under 5 s alone


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class RunningHub:
    hub: Hub
    process: subprocess.Popen[bytes]
    state: Path
    port: int
    log: Path
    tokens: dict[str, str] = field(default_factory=dict)
    admin_token: str = ""

    def family(self) -> list[psutil.Process]:
        """The hub and every process under it: the proxy, the learners' servers, their kernels."""
        parent = psutil.Process(self.process.pid)
        return [parent, *parent.children(recursive=True)]


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the hub exited with status {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/hub/api/", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    pytest.fail(f"the hub did not answer within {limit:.0f} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHub]:
    """The hub, from hub/jupyterhub_config.py as `make hub` runs it, on a free port and a state of its own."""
    if not PROXY.exists():
        pytest.fail(
            f"{PROXY.relative_to(REPO)} is missing: `make hub-test` installs it (npm ci --prefix hub/node)"
        )
    state = tmp_path_factory.mktemp("hub-state")
    port = free_port()
    log = state / "hub.log"
    env = {k: v for k, v in os.environ.items() if k not in ("ASYNC_WORKBOOK_CACHE", "XDG_CACHE_HOME")}
    env.update(HUB_STATE=str(state), HUB_PORT=str(port), HUB_IP="127.0.0.1", HUB_ADMIN=ADMIN)
    command = [
        str(Path(sys.executable).parent / "jupyterhub"),
        "-f",
        str(REPO / "hub" / "jupyterhub_config.py"),
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=state, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    running = RunningHub(Hub(url), process, state, port, log)
    try:
        _wait_until_up(url, process, log)
        yield running
    finally:
        _stop(running)


def _stop(running: RunningHub) -> None:
    """Stop the learners' servers through the API, then the hub; fail if any process it started is left."""
    if running.process.poll() is None:
        family = running.family()
        if running.admin_token:
            with running.hub.api(running.admin_token) as api:
                for name in LEARNERS:
                    api.delete(f"/hub/api/users/{name}/server")
        running.process.send_signal(signal.SIGTERM)
        try:
            running.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            running.process.kill()
        gone, alive = psutil.wait_procs(family, timeout=20)
        for process in alive:
            process.kill()
        assert not alive, f"left running after the hub stopped: {[p.pid for p in alive]}"


@pytest.fixture(scope="module")
def enrolled(running: RunningHub) -> RunningHub:
    """The instructor and three learners, each with their own password, signed up, approved and created."""
    assert running.hub.sign_up(ADMIN, ADMIN_PASSWORD).outcome == "approved"
    for name, password in LEARNERS.items():
        answer = running.hub.sign_up(name, password)
        assert answer.outcome == "waiting", answer.message
    running.hub.approve(ADMIN, ADMIN_PASSWORD, LEARNERS)
    running.admin_token = running.hub.token(ADMIN, ADMIN_PASSWORD)
    running.hub.create_users(running.admin_token, LEARNERS)
    running.tokens = {name: running.hub.token(name, password) for name, password in LEARNERS.items()}
    return running


# -- lesson 00 in each learner's kernel ----------------------------------------------------------------------


@dataclass
class CellRun:
    source: str
    tags: list[str]
    text: str  # stdout, stderr and text/plain results, in order
    error: str | None  # "Name: value" when the cell raised


@dataclass
class LessonRun:
    name: str
    kernel_id: str
    cells: list[CellRun]
    seconds: float


def _message(msg_type: str, content: dict[str, Any], session: str) -> dict[str, Any]:
    header = {
        "msg_id": uuid.uuid4().hex,
        "msg_type": msg_type,
        "session": session,
        "username": "hub-test",
        "version": "5.3",
        "date": datetime.datetime.now(datetime.UTC).isoformat(),
    }
    return {"header": header, "parent_header": {}, "metadata": {}, "content": content, "channel": "shell"}


async def _execute(ws: aiohttp.ClientWebSocketResponse, code: str, session: str) -> tuple[str, str | None]:
    """Run ``code`` in the kernel behind ``ws`` (Jupyter's JSON websocket protocol); its text and its error."""
    request = _message(
        "execute_request",
        {"code": code, "silent": False, "store_history": True, "allow_stdin": False, "stop_on_error": True},
        session,
    )
    await ws.send_json(request)
    msg_id = request["header"]["msg_id"]
    text: list[str] = []
    error = None
    idle = replied = False
    while not (idle and replied):
        message = await asyncio.wait_for(ws.receive_json(), CELL_TIMEOUT)
        if message.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind, content = message["header"]["msg_type"], message["content"]
        if kind == "stream":
            text.append(content["text"])
        elif kind == "execute_result":
            text.append(content["data"].get("text/plain", "") + "\n")
        elif kind == "error":
            error = f"{content['ename']}: {content['evalue']}"
        elif kind == "status" and content["execution_state"] == "idle":
            idle = True
        elif kind == "execute_reply":
            replied = True
    return "".join(text), error


async def _run_lesson(running: RunningHub, name: str) -> LessonRun:
    """Open the learner's own copy of lesson 00 as JupyterLab does (a session), and run its code cells in order."""
    token = running.tokens[name]
    base = f"http://127.0.0.1:{running.port}/user/{name}"
    path = f"{WORKBOOK_FOLDER}/{LESSON}"
    headers = {"Authorization": f"token {token}"}
    async with aiohttp.ClientSession(headers=headers, timeout=aiohttp.ClientTimeout(total=120)) as http:
        async with http.get(f"{base}/api/contents/{path}", params={"content": "1"}) as answer:
            assert answer.status == 200, f"{name}'s copy of the lesson: HTTP {answer.status}"
            notebook = nbformat.from_dict((await answer.json())["content"])
        body = {"path": path, "type": "notebook", "name": LESSON, "kernel": {"name": "python3"}}
        async with http.post(f"{base}/api/sessions", json=body) as answer:
            assert answer.status == 201, await answer.text()
            kernel_id = (await answer.json())["kernel"]["id"]
        session = uuid.uuid4().hex
        cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
        runs = []
        started = time.monotonic()
        async with http.ws_connect(f"{base}/api/kernels/{kernel_id}/channels?session_id={session}") as ws:
            for cell in cells:
                text, error = await _execute(ws, cell.source, session)
                runs.append(CellRun(cell.source, cell.metadata.get("tags", []), text, error))
            seconds = time.monotonic() - started
            where = (
                "import os\nfrom support.paths import cache_root\n"
                "print(os.environ['HOME'], os.getcwd(), cache_root(), sep='\\n')"
            )
            text, error = await _execute(ws, where, session)
            runs.append(CellRun(where, ["where"], text, error))
    return LessonRun(name, kernel_id, runs, seconds)


async def _run_all(running: RunningHub) -> list[LessonRun]:
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(_run_lesson(running, name)) for name in LEARNERS]
    return [task.result() for task in tasks]


@pytest.fixture(scope="module")
def lessons(enrolled: RunningHub) -> list[LessonRun]:
    """Each learner's server started through the REST API (all at once), then lesson 00 run in each."""
    for name, token in enrolled.tokens.items():
        with enrolled.hub.api(token) as api:
            assert api.post(f"/hub/api/users/{name}/server").status_code in (201, 202)
    deadline = time.monotonic() + 120
    waiting = set(LEARNERS)
    while waiting and time.monotonic() < deadline:
        for name in sorted(waiting):
            with enrolled.hub.api(enrolled.tokens[name]) as api:
                if api.get(f"/hub/api/users/{name}").json()["servers"].get("", {}).get("ready"):
                    waiting.discard(name)
        time.sleep(0.5)
    assert not waiting, (
        f"servers not ready after 120 s: {sorted(waiting)}\n{enrolled.log.read_text()[-3000:]}"
    )
    return asyncio.run(_run_all(enrolled))


def _sanitizers() -> list[tuple[re.Pattern[str], str]]:
    """tests/sanitize.cfg, the patterns strict nbval masks: durations, ratios, ports, addresses."""
    config = configparser.ConfigParser(interpolation=None)
    config.read(REPO / "tests" / "sanitize.cfg")
    return [(re.compile(config[s]["regex"]), config[s]["replace"]) for s in config.sections()]


def _clean(text: str, patterns: list[tuple[re.Pattern[str], str]]) -> str:
    text = text.replace("\r\n", "\n")
    for pattern, replacement in patterns:
        text = pattern.sub(replacement, text)
    return text


def _stored_text(cell: nbformat.NotebookNode) -> str:
    parts = []
    for output in cell.outputs:
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type == "execute_result":
            parts.append(output.data.get("text/plain", "") + "\n")
    return "".join(parts)


# -- the checks ----------------------------------------------------------------------------------------------


def test_a_wrong_password_or_an_unapproved_learner_is_refused(running: RunningHub) -> None:
    assert running.hub.sign_up("dee", "dee-secret-55").outcome == "waiting"
    with pytest.raises(Refused):
        running.hub.token("dee", "dee-secret-55")  # right password, not approved by the instructor yet
    with pytest.raises(Refused):
        running.hub.log_in("dee", "dee-secret-55")
    assert running.hub.sign_up("dee", "another-secret").outcome == "refused", "a name is taken once"
    assert running.hub.sign_up("eve", "short").outcome == "refused", "passwords have 8 characters or more"


def test_lesson_00_runs_in_each_learners_own_kernel(enrolled: RunningHub, lessons: list[LessonRun]) -> None:
    with pytest.raises(Refused):
        enrolled.hub.token("ada", "not-adas-password")
    stored = [
        c for c in nbformat.read(REPO / "notebooks" / LESSON, as_version=4).cells if c.cell_type == "code"
    ]
    patterns = _sanitizers()
    assert len({run.kernel_id for run in lessons}) == len(LEARNERS), "one kernel per learner"
    for run in lessons:
        *cells, where = run.cells
        assert len(cells) == len(stored)
        for number, (cell, original) in enumerate(zip(cells, stored, strict=True), start=1):
            expects_error = "raises-exception" in cell.tags
            assert (cell.error is not None) == expects_error, f"{run.name}, cell {number}: {cell.error}"
            if "nbval-ignore-output" not in cell.tags:
                assert _clean(cell.text, patterns) == _clean(_stored_text(original), patterns), (
                    f"{run.name}, cell {number}:\n{cell.source}"
                )
        home = enrolled.state / "homes" / run.name
        assert where.text.split() == [
            str(home),
            str(home / WORKBOOK_FOLDER),
            str(home / ".cache" / "async-workbook"),
        ]
        print(f"{run.name}: lesson 00 ran in {run.seconds:.1f} s")


def test_a_learners_token_reaches_nothing_of_another_learner(
    enrolled: RunningHub, lessons: list[LessonRun]
) -> None:
    kernels = {run.name: run.kernel_id for run in lessons}
    with enrolled.hub.api(enrolled.tokens["ada"]) as ada:
        assert ada.get(f"/user/ada/api/contents/{WORKBOOK_FOLDER}/{LESSON}").status_code == 200
        for other in ("bo", "cy"):
            for path in (
                f"/user/{other}/api/contents/{WORKBOOK_FOLDER}/{LESSON}",
                f"/user/{other}/files/{WORKBOOK_FOLDER}/{LESSON}",
                f"/user/{other}/api/kernels/{kernels[other]}",
                f"/user/{other}/api/sessions",
            ):
                answer = ada.get(path)
                assert answer.status_code in (403, 404), f"ada's token read {path}: HTTP {answer.status_code}"
            assert ada.put(
                f"/user/{other}/api/contents/{WORKBOOK_FOLDER}/mine.txt",
                json={"type": "file", "format": "text", "content": "ada was here"},
            ).status_code in (403, 404)
            assert ada.get(f"/hub/api/users/{other}").status_code in (403, 404)
            assert ada.post(f"/hub/api/users/{other}/tokens", json={}).status_code in (403, 404)
            assert ada.delete(f"/hub/api/users/{other}/server").status_code in (403, 404)
    assert not (enrolled.state / "homes" / "bo" / WORKBOOK_FOLDER / "mine.txt").exists()
    # Nor without any token: the API says 403, and a page sends the browser to the login page.
    with httpx.Client(base_url=enrolled.hub.url, timeout=30) as nobody:
        assert nobody.get(f"/user/bo/api/contents/{WORKBOOK_FOLDER}").status_code in (302, 403)
        assert nobody.get("/hub/api/users").status_code == 403
    # Nor through another learner's kernel websocket.
    asyncio.run(_refused_websocket(enrolled, "ada", "bo", kernels["bo"]))


async def _refused_websocket(running: RunningHub, who: str, whose: str, kernel_id: str) -> None:
    headers = {"Authorization": f"token {running.tokens[who]}"}
    url = f"http://127.0.0.1:{running.port}/user/{whose}/api/kernels/{kernel_id}/channels"
    async with aiohttp.ClientSession(headers=headers) as http:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            async with http.ws_connect(url):
                pass
    assert refused.value.status in (302, 403, 404)


def test_everything_listens_on_loopback_only(running: RunningHub, lessons: list[LessonRun]) -> None:
    listening = []
    for process in running.family():
        try:
            sockets = process.net_connections(kind="inet")
        except psutil.NoSuchProcess:
            continue
        listening += [(process.name(), s.laddr.ip, s.laddr.port) for s in sockets if s.status == "LISTEN"]
    assert listening, "no listening socket found: psutil cannot see them here"
    assert running.port in {port for _, _, port in listening}, "nothing listens on the configured port"
    elsewhere = [entry for entry in listening if entry[1] not in ("127.0.0.1", "::1")]
    assert not elsewhere, f"listening beyond loopback: {elsewhere}"
    kinds = {name for name, _, _ in listening}
    print(f"{len(listening)} listening sockets, all on loopback, of: {', '.join(sorted(kinds))}")


# -- the pieces, without a hub -------------------------------------------------------------------------------


def test_copy_lessons_never_overwrites_a_learners_work(tmp_path: Path) -> None:
    copied = copy_lessons(tmp_path, solutions=False)
    assert (copied / LESSON).is_file() and not (copied / "solutions").exists()
    (copied / LESSON).write_text("my work")
    assert copy_lessons(tmp_path) == copied
    assert (copied / LESSON).read_text() == "my work"
    assert not list(tmp_path.glob(".*partial"))


def test_the_hub_is_pinned_and_the_proxy_locked() -> None:
    lock = (REPO / "requirements.lock").read_text()
    assert re.search(r"^jupyterhub==5\.", lock, re.M) and re.search(
        r"^jupyterhub-nativeauthenticator==", lock, re.M
    )
    package_lock = json.loads((REPO / "hub" / "node" / "package-lock.json").read_text())
    pinned = json.loads((REPO / "hub" / "node" / "package.json").read_text())["dependencies"]
    proxy = package_lock["packages"]["node_modules/configurable-http-proxy"]
    assert proxy["version"] == pinned["configurable-http-proxy"] and proxy["integrity"].startswith("sha512-")
