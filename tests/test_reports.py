"""Benchmark reports: the machine description and the atomic JSON write."""

from __future__ import annotations

import json
import platform
from datetime import datetime
from pathlib import Path

from support.workbook import reports


def test_machine_says_when_and_on_what() -> None:
    machine = reports.machine()
    assert list(machine) == ["when", "python", "platform", "cpus"]
    assert datetime.fromisoformat(machine["when"]).utcoffset() is not None  # a zone, so runs compare
    assert machine["python"] == platform.python_version()


def test_write_json_creates_the_folder_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = reports.write_json({"ratio": 1.5, "runs": [1, 2]}, tmp_path / "results" / "bench.json")
    assert path == tmp_path / "results" / "bench.json"
    assert path.read_text().endswith("}\n")
    assert json.loads(path.read_text()) == {"ratio": 1.5, "runs": [1, 2]}
    reports.write_json({"ratio": 2.0}, path)  # replaces the old report whole
    assert json.loads(path.read_text()) == {"ratio": 2.0}
    assert [p.name for p in path.parent.iterdir()] == ["bench.json"]
