"""Where the workbook lives on disk: the repository root, and each learner's own cache of generated data.

The code and the lessons are shared: on a JupyterHub or any class machine, one installed environment serves every
learner, and learners cannot (and must not) write next to it. What the lessons write (the flag data set, the
downloads, certificates, screenshots, mypy's cache) belongs to the learner who runs them, so it goes to that
learner's own cache folder, the place Linux tools put such files (pip, matplotlib and mypy among them):

1. ``$ASYNC_WORKBOOK_CACHE``, when set (tests and instructors point it elsewhere);
2. else ``$XDG_CACHE_HOME/async-workbook``, when that variable holds an absolute path;
3. else ``~/.cache/async-workbook``, in the learner's home.

Not the notebook's working folder: JupyterLab's file browser shows it, and every copy of the notebooks would
build its own flag data set again. The cache is hidden, kept between sessions, and one per person.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["APP_NAME", "CACHE_ENV", "REPO_ROOT", "CacheNotWritable", "cache_root", "shown"]

# support/paths.py -> support/ -> the repository (or the folder holding an installed support/). Read-only use
# only: lessons read sources and saved benchmark results from it, and never write there.
REPO_ROOT = Path(__file__).resolve().parent.parent

# Point the cache elsewhere (tests do) with this environment variable.
CACHE_ENV = "ASYNC_WORKBOOK_CACHE"
# The folder's name under $XDG_CACHE_HOME or ~/.cache.
APP_NAME = "async-workbook"


class CacheNotWritable(OSError):
    """The learner's cache folder cannot be created or written: the message says which folder and what to do."""


def _chosen_root() -> Path:
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    # The XDG rules say a relative value is to be ignored.
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"
    return base / APP_NAME


def cache_root() -> Path:
    """The learner's cache folder (see the module's docstring), created if missing.

    Read at every call, so a changed variable takes effect. Raises :class:`CacheNotWritable`, with a one-line
    message, when the folder cannot be made or written: better at once, naming the folder, than a
    ``PermissionError`` deep inside a download.
    """
    root = _chosen_root()
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _not_writable(root, exc.strerror or type(exc).__name__) from None
    if not os.access(root, os.W_OK | os.X_OK):
        raise _not_writable(root, "permission denied")
    return root


def _not_writable(root: Path, reason: str) -> CacheNotWritable:
    return CacheNotWritable(
        f"the workbook's cache folder {root} is not writable ({reason}): "
        f"set {CACHE_ENV} to a folder of your own, e.g. export {CACHE_ENV}=$HOME/async-workbook-cache"
    )


def shown(path: Path | str) -> str:
    """``path`` as a person reads it: ``~/...`` when it lies in the home folder, else as given.

    Every learner's cache is in a different home (``/home/ada``, ``/root``...): written with ``~`` the line a
    program prints is the same for all of them, and shows no one's user name.
    """
    path = Path(path)
    try:
        inside = Path(os.path.abspath(path)).relative_to(Path.home())
    except ValueError:
        return str(path)
    return "~" if inside == Path() else f"~/{inside.as_posix()}"
