"""JupyterHub for one class on one machine, The Littlest JupyterHub's way: one hub, one proxy, a server per learner.

`make hub` starts it with this file; `make hub-test` starts it on a free port and checks it (hub/test_hub.py).
Every learner has a password of their own (NativeAuthenticator: they sign up, the instructor approves them at
/hub/authorize) and a Jupyter server of their own, a process on this machine running in their own home folder, on
a copy of the lessons made when their server first starts, with the workbook's kernel.

Settings come from the environment, so the same file serves the class and the test:

- ``HUB_IP`` (127.0.0.1) and ``HUB_PORT`` (8900): where learners connect. 127.0.0.1 reaches only this machine; set
  HUB_IP to the machine's address (or 0.0.0.0, all addresses) to open it to the room, behind HTTPS (README).
  8900 stays clear of the chapter's flag sites (8000-8002) and of `make lab` (8888).
- ``HUB_STATE`` (hub/state): the hub's database, cookie secret and the learners' homes (``homes/<name>``).
- ``HUB_ADMIN`` (instructor): the instructor's user name; it signs up like a learner and is approved at once.
- ``HUB_SOLUTIONS`` (1): 0 leaves the model answers (notebooks/solutions) out of the learners' copies.

The hub's own port and the proxy's API port are free ports chosen at each start, on 127.0.0.1 only.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
from pathlib import Path
from typing import Any

import nativeauthenticator

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent  # the hub runs in the workbook's venv; the learners' servers do too
PROXY = REPO / "hub" / "node" / "node_modules" / ".bin" / "configurable-http-proxy"
# Where each learner's copy of the lessons goes, inside their home.
WORKBOOK_FOLDER = "async-workbook"

ip = os.environ.get("HUB_IP", "127.0.0.1")
port = int(os.environ.get("HUB_PORT", "8900"))
state = Path(os.environ.get("HUB_STATE", REPO / "hub" / "state")).resolve()
admin = os.environ.get("HUB_ADMIN", "instructor")
with_solutions = os.environ.get("HUB_SOLUTIONS", "1") != "0"
homes = state / "homes"


def free_port() -> int:
    """A port nothing listens on now, on 127.0.0.1 (asked of the kernel: bind to 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def copy_lessons(home: Path, solutions: bool = True) -> Path:
    """The learner's own copy of the notebooks, made once: a learner's work is never overwritten.

    Only the notebooks (and the solutions folder, unless left out): outputs included, as in the repository.
    """
    target = home / WORKBOOK_FOLDER
    if target.exists():
        return target
    partial = home / f".{WORKBOOK_FOLDER}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    shutil.copytree(
        REPO / "notebooks",
        partial,
        ignore=shutil.ignore_patterns(
            ".ipynb_checkpoints", "__pycache__", *([] if solutions else ["solutions"])
        ),
    )
    partial.rename(target)  # all at once: a server that dies mid-copy leaves no half copy behind
    return target


def before_spawn(spawner: Any) -> None:
    """JupyterHub's pre_spawn_hook: the learner's home and their copy of the lessons exist before the server."""
    home = Path(spawner.home_dir)
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    copy_lessons(home, with_solutions)


if "c" in globals():  # run by JupyterHub (get_config); importable by tests without it
    c = get_config()  # type: ignore[name-defined]  # noqa: F821
    homes.mkdir(parents=True, exist_ok=True, mode=0o700)

    # -- where it listens: only here, on purpose --------------------------------------------------------------
    c.JupyterHub.bind_url = f"http://{ip}:{port}"
    c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{free_port()}"
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{free_port()}"
    c.ConfigurableHTTPProxy.command = [str(PROXY)]
    c.ConfigurableHTTPProxy.should_start = True

    # -- state ----------------------------------------------------------------------------------------------
    c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
    c.JupyterHub.pid_file = str(state / "jupyterhub.pid")
    c.ConfigurableHTTPProxy.pid_file = str(state / "jupyterhub-proxy.pid")  # not in the folder make runs from
    c.JupyterHub.cleanup_servers = True  # stopping the hub stops every learner's server
    c.JupyterHub.cleanup_proxy = True

    # -- who gets in: a password per learner, approved by the instructor -------------------------------------
    c.JupyterHub.authenticator_class = "nativeauthenticator.NativeAuthenticator"
    c.Authenticator.admin_users = {admin}
    # Anyone NativeAuthenticator lets in (a right password, approved by the instructor) may use the hub.
    c.Authenticator.allow_all = True
    c.NativeAuthenticator.open_signup = False
    c.NativeAuthenticator.minimum_password_length = 8
    c.NativeAuthenticator.check_common_password = True
    c.NativeAuthenticator.allowed_failed_logins = 5
    c.NativeAuthenticator.seconds_before_next_try = 60
    # Its sign-up, approval and password pages.
    c.JupyterHub.template_paths = [str(Path(nativeauthenticator.__file__).parent / "templates")]

    # -- a server per learner: a process on this machine, in the learner's own home ---------------------------
    c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
    c.SimpleLocalProcessSpawner.home_dir_template = str(homes / "{username}")
    c.Spawner.ip = "127.0.0.1"
    c.Spawner.cmd = [str(VENV_BIN / "jupyterhub-singleuser")]
    c.Spawner.default_url = f"/lab/tree/{WORKBOOK_FOLDER}/00_getting_started.ipynb"
    c.Spawner.pre_spawn_hook = before_spawn
    c.Spawner.start_timeout = 120
    c.Spawner.http_timeout = 120
    c.Spawner.environment = {
        # The workbook's kernel and tools first; the hub's own cache settings are not passed on, so each
        # learner's files go to their own home (support.paths.cache_root).
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "JUPYTER_PREFER_ENV_PATH": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    if os.geteuid() == 0:
        # Containers and CI run as root; a Jupyter server refuses root unless told.
        c.Spawner.args = ["--allow-root"]
