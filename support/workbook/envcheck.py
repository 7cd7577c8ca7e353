"""Pre-flight check: is this the workbook's environment, with the Python and packages it needs?

Run ``python -m support.workbook.envcheck`` in a terminal, or call :func:`report` from the first notebook. The
requirements are read from the installed project metadata (``pyproject.toml``), so this check never keeps a
second list that could drift from the real one.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

from support.paths import REPO_ROOT

__all__ = [
    "Check",
    "checks",
    "in_project_env",
    "report",
    "show_versions",
    "main",
    "SUPPORTED_PYTHON",
    "KEY_PACKAGES",
]

SUPPORTED_PYTHON = ((3, 11), (3, 13))
# The packages a learner is most likely to ask about; the check covers all requirements regardless.
KEY_PACKAGES = (
    "httpx",
    "aiohttp",
    "fastapi",
    "uvicorn",
    "matplotlib",
    "tqdm",
    "dnspython",
    "jupyterlab",
    "ipykernel",
)
PROJECT = "async-workbook-support"
CONDA_ENV_NAME = "async-workbook"


@dataclass(frozen=True)
class Check:
    """One line of the pre-flight list."""

    name: str
    wanted: str
    found: str
    ok: bool
    fix: str = ""


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def _requirements() -> list[tuple[str, str]]:
    """(distribution, lower bound) for each runtime requirement of the project that applies to this Python.

    Extras (the dev tools) are left out, and so is a requirement whose environment marker excludes this
    interpreter: Curio is installed on Python 3.11 only, so 3.12 must not report it missing.
    """
    try:
        requires = metadata.requires(PROJECT) or []
    except metadata.PackageNotFoundError:
        return []
    result = []
    for line in requires:
        requirement = Requirement(line)
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        bound = next((spec.version for spec in requirement.specifier if spec.operator == ">="), "")
        result.append((requirement.name, bound))
    return result


def in_project_env() -> bool:
    """True when this interpreter is the workbook's own venv (``.venv*`` in the repo) or its conda env."""
    prefix = Path(sys.prefix).resolve()
    if prefix.parent == REPO_ROOT and prefix.name.startswith(".venv"):
        return True
    if os.environ.get("CONDA_DEFAULT_ENV") == CONDA_ENV_NAME or prefix.name == CONDA_ENV_NAME:
        return True
    return installed_from_this_repo()


def installed_from_this_repo() -> bool:
    """True when this interpreter's environment holds the workbook installed from this repository (``-e .``).

    What environment.yml does in an environment of any name: repo2docker builds Binder and JupyterHub images
    into one called ``notebook``.
    """
    try:
        dist = metadata.distribution(PROJECT)
        url = json.loads(dist.read_text("direct_url.json") or "{}").get("url", "")
    except (metadata.PackageNotFoundError, ValueError):
        return False
    location = Path(str(dist.locate_file(""))).resolve()
    return url == REPO_ROOT.as_uri() and location.is_relative_to(Path(sys.prefix).resolve())


def checks() -> list[Check]:
    """Every check, in the order a reader should fix them."""
    low, high = SUPPORTED_PYTHON
    version = sys.version_info[:2]
    found = ".".join(map(str, sys.version_info[:3]))
    project_env = in_project_env()
    result = [
        Check(
            "Python",
            f"{low[0]}.{low[1]} to {high[0]}.{high[1]}",
            found,
            low <= version <= high,
            "install a supported Python and run `make lab PYTHON=python3.12` (for example)",
        ),
        Check(
            "project environment",
            "the workbook's .venv (or conda env)",
            "yes" if project_env else "no",
            project_env,
            "start JupyterLab with `make lab` from the workbook folder, or pick the "
            "'Python 3 (async workbook)' kernel",
        ),
    ]
    requirements = _requirements()
    if not requirements:
        result.append(
            Check(PROJECT, "installed", "missing", False, "run `make lab` (it installs everything)")
        )
    for name, bound in requirements:
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            result.append(
                Check(name, f">={bound}" if bound else "any", "missing", False, "run `make lab` again")
            )
            continue
        ok = not bound or _version_tuple(installed) >= _version_tuple(bound)
        result.append(Check(name, f">={bound}" if bound else "any", installed, ok, "run `make lab` again"))
    return result


def report(only: tuple[str, ...] | None = None) -> bool:
    """Print the pre-flight list (all checks, or the named ones) and return whether everything passed."""
    every = checks()  # once: each call reads every installed package's metadata
    rows = [c for c in every if only is None or c.name in only or c.name in ("Python", "project environment")]
    width = max(len(c.name) for c in rows)
    for c in rows:
        mark = "ok " if c.ok else "FIX"
        line = f"[{mark}] {c.name:<{width}}  {c.found:<12} (needs {c.wanted})"
        print(line + ("" if c.ok else f"\n      -> {c.fix}"))
    failed = [c for c in every if not c.ok]
    print("All checks passed." if not failed else f"{len(failed)} check(s) need attention.")
    return not failed


def show_versions(*packages: str) -> None:
    """Print one line with Python's version and each named package's, as a lesson's first cell.

    A reader comparing their output with the stored one sees at once whether versions explain a difference.
    """
    parts = [f"Python {'.'.join(map(str, sys.version_info[:3]))}"]
    for name in packages:
        try:
            parts.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{name} (missing: run `make lab`)")
    print(" | ".join(parts))


def main(argv: list[str] | None = None) -> int:
    """``python -m support.workbook.envcheck``: print every check; exit 1 if any fails."""
    import argparse

    parser = argparse.ArgumentParser(description="Check that this environment can run the async workbook.")
    parser.parse_args(argv)
    return 0 if report() else 1


if __name__ == "__main__":
    raise SystemExit(main())
