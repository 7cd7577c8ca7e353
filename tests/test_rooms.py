"""The rooms of support/ depend one way: instruments <- lab <- examples <- exercises <- workbook.

A module may import its own room and the rooms below it, never one above: the lab runs without any example,
an example without any checker, and the workbook's machinery sits on top of everything.
benchmarks/ (the scripts and the HTTP client benchmark's harness) sits outside support/, above every room.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

SUPPORT = Path(__file__).resolve().parents[1] / "support"
ROOMS = ("instruments", "lab", "examples", "exercises", "workbook")


def room_of(module: str) -> str | None:
    """The room of a dotted module name under ``support``; None outside the package."""
    parts = module.split(".")
    if parts[0] != "support":
        return None
    if len(parts) > 1 and parts[1] in ROOMS:
        return parts[1]
    return "instruments"  # support itself and its top-level modules: timing, plots, cli, ...


def module_name(path: Path) -> str:
    parts = path.relative_to(SUPPORT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every import in ``path``, relative imports resolved, ``from support import x`` as
    ``support.x``."""
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def upward_imports(path: Path) -> list[str]:
    mine = room_of(module_name(path))
    assert mine is not None
    return [
        f"{path.relative_to(SUPPORT.parent)}:{line} ({mine}) imports {module} ({room_of(module)})"
        for line, module in imported_modules(path)
        if (theirs := room_of(module)) is not None and ROOMS.index(theirs) > ROOMS.index(mine)
    ]


@pytest.mark.parametrize("path", sorted(SUPPORT.rglob("*.py")), ids=lambda p: str(p.relative_to(SUPPORT)))
def test_no_import_runs_upward(path: Path) -> None:
    assert upward_imports(path) == []


def test_the_check_sees_an_upward_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "support"
    (fake / "lab").mkdir(parents=True)
    (fake / "timing.py").write_text("from support.lab import services\n")
    (fake / "lab" / "site.py").write_text("from ..examples import flags\nfrom .. import timing\n")
    (fake / "lab" / "fine.py").write_text("from support import cli\nfrom . import site\n")
    monkeypatch.setattr(sys.modules[__name__], "SUPPORT", fake)
    assert upward_imports(fake / "timing.py") == [
        "support/timing.py:1 (instruments) imports support.lab.services (lab)"
    ]
    assert upward_imports(fake / "lab" / "site.py") == [
        "support/lab/site.py:1 (lab) imports support.examples.flags (examples)"
    ]
    assert upward_imports(fake / "lab" / "fine.py") == []


def benchmark_imports(support: Path) -> list[str]:
    """Every import of ``benchmarks`` under ``support``: the benchmarks sit outside the rooms, on top of them."""
    return [
        f"{path.relative_to(support.parent)}:{line} imports {module}"
        for path in sorted(support.rglob("*.py"))
        for line, module in imported_modules(path)
        if module.split(".")[0] == "benchmarks"
    ]


def test_nothing_in_support_imports_the_benchmarks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert benchmark_imports(SUPPORT) == []
    fake = tmp_path / "support"
    fake.mkdir()
    (fake / "plots.py").write_text("import json\nfrom benchmarks import client_bench\n")
    monkeypatch.setattr(sys.modules[__name__], "SUPPORT", fake)  # module_name() resolves paths against it
    assert benchmark_imports(fake) == ["support/plots.py:2 imports benchmarks.client_bench"]
