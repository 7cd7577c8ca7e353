"""What a notebook must show after *Restart Kernel and Run All Cells*, decided from the files that exist.

Pure logic, no browser: the browser tests collect a :class:`CellView` per cell and ask :func:`problems`.
Which notebooks to run and what their check cells must print is read from ``notebooks/`` each time, so a new
lesson, solutions notebook or appendix is picked up without touching the tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

__all__ = ["CellView", "Kind", "check_calls", "checks_summary", "kind_of", "notebooks_to_run", "problems"]


class Kind(Enum):
    """What a notebook is, which decides what its check cells must print."""

    LESSON = "lesson"  # has a solutions notebook: its checks must say "not tried yet"
    UNCONVERTED = "lesson, not yet converted"  # old pattern (model answers inside): errors and images only
    SOLUTIONS = "solutions"  # model answers: every check must pass
    APPENDIX = "appendix"  # no exercises expected: errors and images only


# What a check cell must print, per kind: a line starting with the mark and holding the words.
EXPECTED_LINE: dict[Kind, tuple[str, str]] = {
    Kind.LESSON: ("○", "not tried yet"),
    Kind.SOLUTIONS: ("✔", "passed"),
}

# A call of a checker, not its definition or import: `await check_sleep_all(sleep_all)`.
_CHECK_CALL = re.compile(r"(?<!def )\bcheck_\w+\(")
_WIDGET_FAILURE = "Error displaying widget"


def notebooks_to_run(notebooks: Path) -> list[Path]:
    """Lessons in order, then their solutions notebooks, then any appendix."""
    return (
        sorted(notebooks.glob("[0-9][0-9]_*.ipynb"))
        + sorted((notebooks / "solutions").glob("[0-9][0-9]_*.ipynb"))
        + sorted(notebooks.glob("appendix_*.ipynb"))
    )


def kind_of(path: Path, notebooks: Path) -> Kind:
    """A solutions notebook, a lesson that has one, a lesson still in the old pattern, or an appendix."""
    if path.parent.name == "solutions":
        return Kind.SOLUTIONS
    if path.name.startswith("appendix_"):
        return Kind.APPENDIX
    return Kind.LESSON if (notebooks / "solutions" / path.name).exists() else Kind.UNCONVERTED


def check_calls(source: str) -> int:
    """How many checker calls a code cell makes (a check cell makes at least one)."""
    return len(_CHECK_CALL.findall(source))


@dataclass(frozen=True)
class CellView:
    """One cell as the browser shows it after the run: its source and tags from the notebook model, the
    errors among its outputs, the text the learner sees, and each rendered image's natural width."""

    index: int
    cell_type: str
    source: str = ""
    tags: tuple[str, ...] = ()
    ran: bool = True  # a new execution count arrived for it during Run All
    errors: tuple[str, ...] = ()  # "ValueError: bad" for each error output
    image_outputs: int = 0  # outputs that carry an image/* picture
    shown_text: str = ""
    image_widths: tuple[int, ...] = field(default=())  # naturalWidth of each <img>; 0 means it did not load

    @property
    def is_code(self) -> bool:
        return self.cell_type == "code"


def problems(kind: Kind, cells: list[CellView]) -> list[str]:
    """Everything wrong with a notebook after Run All, one sentence each; empty when all is well."""
    found: list[str] = []
    stopped_at_error = False
    for cell in cells:
        where = f"cell {cell.index}"
        if cell.is_code and cell.source.strip() and not cell.ran and not stopped_at_error:
            found.append(f"{where}: never ran (Run All did not reach it)")
        if cell.errors and "raises-exception" not in cell.tags:
            found.append(f"{where}: shows an error: {'; '.join(cell.errors)}")
            stopped_at_error = True
        broken = sum(1 for width in cell.image_widths if width <= 0)
        if broken:
            found.append(f"{where}: {broken} of {len(cell.image_widths)} images did not render")
        if cell.image_outputs > len(cell.image_widths):
            found.append(f"{where}: {cell.image_outputs} image outputs but {len(cell.image_widths)} shown")
        if _WIDGET_FAILURE in cell.shown_text:
            found.append(f"{where}: a widget failed to display")
        if cell.is_code and kind in EXPECTED_LINE:
            found += _check_line_problems(kind, cell)
    return found


def _check_line_problems(kind: Kind, cell: CellView) -> list[str]:
    calls = check_calls(cell.source)
    if not calls:
        return []
    mark, words = EXPECTED_LINE[kind]
    lines = [line for line in cell.shown_text.splitlines() if line.startswith(mark) and words in line]
    if len(lines) >= calls:
        return []
    shown = " | ".join(line for line in cell.shown_text.splitlines() if line.strip()) or "nothing"
    return [
        f"cell {cell.index}: a {kind.value} check cell should print '{mark} … {words}', it shows: {shown}"
    ]


def checks_summary(kind: Kind, cells: list[CellView]) -> str:
    """How the check lines came out, for the summary table: "2 ○", "1 ✔", or "-" when none are compared."""
    if kind not in EXPECTED_LINE:
        return "-"
    mark, words = EXPECTED_LINE[kind]
    count = sum(
        1
        for cell in cells
        if cell.is_code and check_calls(cell.source)
        for line in cell.shown_text.splitlines()
        if line.startswith(mark) and words in line
    )
    return f"{count} {mark}"
