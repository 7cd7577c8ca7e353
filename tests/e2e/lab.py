"""JupyterLab for the browser tests: ``make lab``'s command, headless, on a throwaway copy of notebooks/.

Running a lesson in the UI changes it (outputs, and JupyterLab autosaves), so the lab serves a copy of the
whole tree, solutions/ included: the repository's stored outputs never change. The server listens on
127.0.0.1, on a free port, with a random token, and its settings, workspaces and runtime files live in the
session's temporary folder, so nothing from the user's own JupyterLab leaks in or is written back.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

__all__ = ["Lab", "running_lab"]

# Every cell in the page, not only those scrolled into view (JupyterLab 4 renders lazily by default): the
# tests read every cell's outputs and images. A view setting only; the notebooks run the same.
USER_SETTINGS = {"@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"}}
START_TIMEOUT = 60.0


@dataclass(frozen=True)
class Lab:
    """A running JupyterLab: its address, token and the folder it serves."""

    base_url: str
    token: str
    root: Path

    def url(self, path: str, workspace: str) -> str:
        """The page that opens ``path`` (relative to the served folder) alone in a fresh ``workspace``."""
        return f"{self.base_url}/lab/workspaces/{workspace}/tree/{quote(path)}?reset&token={self.token}"

    def api(self, method: str, endpoint: str) -> object:
        request = urllib.request.Request(
            f"{self.base_url}/api/{endpoint}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shut_down_kernels(self) -> int:
        """End every kernel session, so the next notebook starts on a quiet machine; how many there were."""
        sessions = self.api("GET", "sessions")
        assert isinstance(sessions, list)
        for session in sessions:
            self.api("DELETE", f"sessions/{session['id']}")
        return len(sessions)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _write_user_settings(folder: Path) -> None:
    for relative, settings in USER_SETTINGS.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings), encoding="utf-8")


def _command(root: Path, port: int, token: str, work: Path) -> list[str]:
    # As `make lab`: the venv's jupyter, the notebooks folder, --allow-root for root. Plus: headless, one
    # port, our token, private settings and workspaces, and the app reachable from the page's scripts
    # (the tests read each cell's outputs from JupyterLab's own notebook model).
    jupyter = Path(sys.executable).with_name("jupyter")
    command = [
        str(jupyter),
        "lab",
        f"--notebook-dir={root}",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--LabApp.user_settings_dir={work / 'user-settings'}",
        f"--LabApp.workspaces_dir={work / 'workspaces'}",
        "--LabApp.expose_app_in_browser=True",
    ]
    if os.getuid() == 0:
        command.append("--allow-root")
    return command


def _wait_until_up(lab: Lab, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            lab.api("GET", "status")
            return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.25)
    raise RuntimeError(f"JupyterLab did not answer within {START_TIMEOUT:.0f} s:\n{log.read_text()[-3000:]}")


def _stop(lab: Lab, process: subprocess.Popen[bytes]) -> None:
    try:
        lab.api("POST", "shutdown")  # stops its kernels too
        process.wait(timeout=30)
    except (urllib.error.URLError, ConnectionError, subprocess.TimeoutExpired):
        pass
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)  # its own session: the lab and the kernels it started
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextmanager
def running_lab(notebooks: Path, work: Path) -> Iterator[Lab]:
    """JupyterLab serving a copy of ``notebooks`` made under ``work``, stopped (with its kernels) on exit."""
    root = work / "notebooks"
    shutil.copytree(notebooks, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    _write_user_settings(work / "user-settings")
    port = _free_port()
    lab = Lab(base_url=f"http://127.0.0.1:{port}", token=secrets.token_hex(24), root=root)
    env = dict(
        os.environ,
        JUPYTER_PREFER_ENV_PATH="1",  # the venv's kernelspec wins, as with make
        JUPYTER_RUNTIME_DIR=str(work / "runtime"),
        JUPYTER_CONFIG_DIR=str(work / "config"),
    )
    log = work / "lab.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            _command(root, port, lab.token, work),
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
    try:
        _wait_until_up(lab, process, log)
        yield lab
    finally:
        _stop(lab, process)
