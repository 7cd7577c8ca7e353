"""support/ type-checks with mypy --strict (settings in pyproject.toml): a typing regression fails `make test` too.

Every module of support/ is checked strictly. The only per-module overrides are for third-party libraries
that ship no annotations (Curio); none names a module of ours, and none switches errors off.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _mypy_config() -> dict[str, Any]:
    config: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    return config


def _overrides() -> list[dict[str, Any]]:
    overrides: list[dict[str, Any]] = _mypy_config().get("overrides", [])
    return overrides


def _override_modules(override: dict[str, Any]) -> list[str]:
    module = override["module"]
    return [module] if isinstance(module, str) else list(module)


def test_mypy_checks_all_of_support_strictly() -> None:
    config = _mypy_config()
    assert config["strict"] is True
    assert config["files"] == ["support"]


def test_no_override_switches_errors_off() -> None:
    relaxed = [_override_modules(o) for o in _overrides() if o.get("ignore_errors")]
    assert not relaxed, f"ignore_errors hides every error in a module; fix the errors instead: {relaxed}"


def test_overrides_name_only_third_party_libraries() -> None:
    ours = [
        module
        for override in _overrides()
        for module in _override_modules(override)
        if module.split(".")[0] in {"support", "tests", "benchmarks"}
    ]
    assert not ours, f"support/ is checked strictly everywhere, with no per-module relaxation: {ours}"
    assert "support" not in _mypy_config().get("untyped_calls_exclude", [])


@pytest.mark.skipif(
    importlib.util.find_spec("mypy") is None, reason="mypy is not installed (pip install mypy)"
)
def test_support_passes_mypy_strict() -> None:
    # A subprocess, from the repository root: mypy reads pyproject.toml there (files = ["support"]) and keeps
    # its cache in .mypy_cache.
    run = subprocess.run(
        [sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Success" in run.stdout
    checked = len(list((ROOT / "support").rglob("*.py")))
    assert f"in {checked} source files" in run.stdout, run.stdout
