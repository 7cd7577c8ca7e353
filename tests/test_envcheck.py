"""The pre-flight check reports what it sees and says how to fix what is wrong."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from support.paths import REPO_ROOT
from support.workbook import envcheck


def test_this_test_run_is_in_the_project_env() -> None:
    # make test runs pytest from the repo's venv, so the check must recognise it.
    if Path(sys.prefix).resolve().parent != REPO_ROOT:
        pytest.skip("not running from the workbook's venv")
    assert envcheck.in_project_env()
    assert all(check.ok for check in envcheck.checks()), [c for c in envcheck.checks() if not c.ok]


def test_checks_cover_every_runtime_requirement() -> None:
    names = {check.name for check in envcheck.checks()}
    assert {"Python", "project environment", "httpx", "matplotlib", "uvicorn"} <= names


def test_a_foreign_interpreter_is_reported_with_a_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "prefix", "/opt/some/other/env")
    monkeypatch.delenv("CONDA_DEFAULT_ENV", raising=False)
    assert not envcheck.in_project_env()
    env_check = next(c for c in envcheck.checks() if c.name == "project environment")
    assert not env_check.ok and "make lab" in env_check.fix


def test_the_conda_env_counts_as_the_project_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "prefix", "/opt/conda/envs/async-workbook")
    assert envcheck.in_project_env()


def test_old_and_missing_packages_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        envcheck, "_requirements", lambda: [("httpx", "99.0"), ("no-such-package-xyz", "1.0")]
    )
    rows = {c.name: c for c in envcheck.checks()}
    assert not rows["httpx"].ok and rows["no-such-package-xyz"].found == "missing"


def test_requirements_follow_environment_markers(monkeypatch: pytest.MonkeyPatch) -> None:
    # Curio is declared for Python < 3.12 only: elsewhere it must be neither required nor reported missing.
    requires = [
        "httpx>=0.27",
        'curio>=1.6; python_version < "3.12"',
        'only-on-old-python>=1.0; python_version < "3.0"',
        'pytest>=8.3; extra == "dev"',
    ]
    monkeypatch.setattr(envcheck.metadata, "requires", lambda name: requires)
    found = dict(envcheck._requirements())
    assert found["httpx"] == "0.27"
    assert ("curio" in found) == (sys.version_info < (3, 12))
    assert "only-on-old-python" not in found and "pytest" not in found


def test_unsupported_python_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(envcheck, "SUPPORTED_PYTHON", ((3, 99), (3, 100)))
    assert not next(c for c in envcheck.checks() if c.name == "Python").ok


def test_cli_exit_status_follows_the_checks() -> None:
    done = subprocess.run([sys.executable, "-m", "support.workbook.envcheck"], capture_output=True, text=True)
    all_ok = all(c.ok for c in envcheck.checks())
    assert (done.returncode == 0) == all_ok
    assert ("All checks passed." in done.stdout) == all_ok


def test_show_versions_names_python_and_each_package(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib import metadata

    envcheck.show_versions("httpx", "no-such-package-xyz")
    line = capsys.readouterr().out.rstrip("\n")
    assert "\n" not in line
    assert line.startswith(f"Python {sys.version_info.major}.{sys.version_info.minor}.")
    assert f"httpx {metadata.version('httpx')}" in line
    assert "no-such-package-xyz (missing" in line


def test_an_editable_install_of_this_repo_counts_whatever_the_env_is_called(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # repo2docker (Binder, Zero to JupyterHub images) installs environment.yml into an env called "notebook".
    if Path(sys.prefix).resolve().parent != REPO_ROOT:
        pytest.skip("not running from the workbook's venv")
    monkeypatch.delenv("CONDA_DEFAULT_ENV", raising=False)
    assert envcheck.installed_from_this_repo()
    monkeypatch.setattr(sys, "prefix", "/srv/conda/envs/notebook")  # the install is not in that env
    assert not envcheck.installed_from_this_repo()
