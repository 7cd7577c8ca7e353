"""Where the browser tests read notebooks and leave artifacts, and the Run-All table they print at the end."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["ARTIFACTS", "NOTEBOOKS", "ROOT", "RunRecord", "record", "recorded", "table"]

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
# Screenshots and summary.txt; build/ is git-ignored.
ARTIFACTS = ROOT / "build" / "e2e"


@dataclass(frozen=True)
class RunRecord:
    """One notebook's row in the summary table."""

    notebook: str
    kind: str
    run_all: str  # the formatted duration, or "-" when the run did not finish
    checks: str
    images: int
    verdict: str
    screenshot: str


_records: list[RunRecord] = []


def record(row: RunRecord) -> None:
    """Add a notebook's row to the table printed at the end of the session."""
    _records.append(row)


def recorded() -> list[RunRecord]:
    return list(_records)


def table(rows: list[RunRecord]) -> str:
    """The rows as aligned plain-text columns."""
    header = ("notebook", "kind", "Run All", "checks", "images", "result", "screenshot")
    lines = [
        header,
        *((r.notebook, r.kind, r.run_all, r.checks, str(r.images), r.verdict, r.screenshot) for r in rows),
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )
