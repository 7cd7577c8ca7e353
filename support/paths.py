"""Where the workbook lives on disk: the repository root and the cache of generated data.

One place for both, so that the flag data, the downloads and the services agree on them wherever the
module that asks sits in the package.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["CACHE_ENV", "REPO_ROOT", "cache_root"]

# support/paths.py -> support/ -> the repository (or the folder holding an installed support/).
REPO_ROOT = Path(__file__).resolve().parent.parent

# Point the cache elsewhere (tests do) with this environment variable.
CACHE_ENV = "ASYNC_WORKBOOK_CACHE"


def cache_root() -> Path:
    """``$ASYNC_WORKBOOK_CACHE`` or ``<repo>/.cache``: read at every call, so a changed variable takes effect."""
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else REPO_ROOT / ".cache"
