"""A lesson teaches code in its own editable cells; where a module holds the same code, the two stay in step.

A code cell whose metadata says ``"workbook": {"same_as": "support.examples.<name>"}`` defines code that the
module also holds (for its command line, or for the tests). Every function, class and constant the cell
defines must be in the module with the very same text, callouts (``# <1>``) included: change one alone and
this test fails. The cell may import what it needs; anything else in it is not allowed, so the cell stays the
program a learner reads and edits.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LESSONS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))

Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Assign | ast.AnnAssign


def taught_cells(path: Path) -> Iterator[tuple[int, str, str]]:
    """(cell index, module name, source) of each cell that says which module holds the same code."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    for index, cell in enumerate(cells):
        module = cell.get("metadata", {}).get("workbook", {}).get("same_as")
        if cell["cell_type"] == "code" and module:
            source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            yield index, module, source


def _name(node: ast.stmt) -> str | None:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return node.name
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.target.id
    return None


def definitions(source: str) -> dict[str, str]:
    """Each top-level definition's name and exact text, decorators included."""
    found = {}
    lines = source.splitlines()
    for node in ast.parse(source).body:
        name = _name(node)
        if name is None:
            continue
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        found[name] = textwrap.dedent("\n".join(lines[first - 1 : node.end_lineno]))
    return found


def mismatches(cell_source: str, module_source: str) -> list[str]:
    """What keeps the cell from being the module's code: a statement that is not a definition or an import,
    a definition the module lacks, or one whose text differs."""
    problems = []
    module_defs = definitions(module_source)
    for node in ast.parse(cell_source).body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        name = _name(node)
        if name is None:
            problems.append(f"line {node.lineno}: only definitions and imports belong in a taught cell")
    for name, text in definitions(cell_source).items():
        if name not in module_defs:
            problems.append(f"{name}: not in the module")
        elif module_defs[name] != text:
            problems.append(f"{name}: differs from the module")
    return problems


CASES = [
    pytest.param(path, index, module, source, id=f"{path.stem}-cell{index}")
    for path in LESSONS
    for index, module, source in taught_cells(path)
]


@pytest.mark.parametrize(("path", "index", "module", "source"), CASES)
def test_taught_cell_is_the_modules_code(path: Path, index: int, module: str, source: str) -> None:
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin, f"{module} is not importable"
    assert mismatches(source, Path(spec.origin).read_text(encoding="utf-8")) == []


MODULE = """
import asyncio

PROMPT = b"?> "


async def finder(reader, writer):
    writer.write(PROMPT)  # <1>
    await writer.drain()  # <2>
"""


def test_the_check_fails_when_either_side_changes_alone() -> None:
    cell = 'import asyncio\n\nPROMPT = b"?> "\n\n\nasync def finder(reader, writer):\n    writer.write(PROMPT)  # <1>\n    await writer.drain()  # <2>\n'
    assert mismatches(cell, MODULE) == []
    assert mismatches(cell.replace("await writer.drain()", "pass"), MODULE) == [
        "finder: differs from the module"
    ]
    assert mismatches(cell, MODULE.replace("# <2>", "# <3>")) == ["finder: differs from the module"]
    assert mismatches(cell + "\n\ndef extra():\n    pass\n", MODULE) == ["extra: not in the module"]
    assert mismatches(cell + "\nprint(PROMPT)\n", MODULE) == [
        "line 10: only definitions and imports belong in a taught cell"
    ]
