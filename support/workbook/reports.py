"""Benchmark reports on disk: where each measurement was taken, and a JSON file no reader sees half-written.

Every script in ``benchmarks/`` saves a report that a lesson may read (and plot) while a new run rewrites it.
"""

from __future__ import annotations

import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["machine", "write_json"]


def machine() -> dict[str, Any]:
    """When (UTC, to the second) and on what a measurement ran: Python version, platform and CPU count."""
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }


def write_json(report: Any, path: str | Path) -> Path:
    """Write ``report`` as indented JSON to ``path`` (creating its folder), atomically, and return the path.

    The text goes to ``<path>.tmp`` first, which then replaces ``path``: a lesson reading the file while a
    benchmark rewrites it sees the old file or the new one, never half.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(report, indent=2) + "\n")
    tmp.replace(path)
    return path
