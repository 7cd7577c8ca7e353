"""JupyterLab settings for the workbook's environment: no news pop-up, no update check.

JupyterLab asks on first start whether to fetch news from the internet, and may check for updates. In a
class, offline, that prompt covers the lesson and the request fails. ``make lab`` writes these defaults to
the environment's ``share/jupyter/lab/settings/overrides.json``, where JupyterLab reads its overrides; a
learner can still change them in *Settings*.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

__all__ = ["OVERRIDES", "overrides_path", "write_overrides"]

OVERRIDES: dict[str, dict[str, object]] = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}


def overrides_path(prefix: str | Path = sys.prefix) -> Path:
    """Where JupyterLab looks for setting overrides in the environment at ``prefix``."""
    return Path(prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"


def write_overrides(prefix: str | Path = sys.prefix) -> Path:
    """Merge :data:`OVERRIDES` into the environment's overrides file (other settings there are kept)."""
    path = overrides_path(prefix)
    current = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    for plugin, settings in OVERRIDES.items():
        current.setdefault(plugin, {}).update(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(current, indent=2) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":
    print(f"JupyterLab settings written to {write_overrides()}")
