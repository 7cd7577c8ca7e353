"""Raising the open-file limit, which 1000-connection lessons and benchmarks need."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from support.open_files import raise_open_file_limit

REPO = Path(__file__).resolve().parent.parent


def test_open_file_limit_is_raised_from_a_low_soft_limit() -> None:
    resource = pytest.importorskip("resource")
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard != resource.RLIM_INFINITY and hard < 2000:
        pytest.skip(f"the hard limit ({hard}) leaves nothing to raise")
    # In a child process: lowering this process's own limit could starve the other tests.
    code = (
        "import resource; from support.open_files import raise_open_file_limit as r; "
        "resource.setrlimit(resource.RLIMIT_NOFILE, (256, resource.getrlimit(resource.RLIMIT_NOFILE)[1])); "
        "print(r(2000))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert int(out.stdout) >= 2000
    assert raise_open_file_limit(64) >= 64
