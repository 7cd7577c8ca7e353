"""Make student copies of the lessons: no solution cells, no stored outputs (``make student``).

In the lessons as committed, each exercise's model answer sits in a collapsed cell between the exercise and
its check, so that ``make notebooks`` and strict nbval see every check pass. A learner who runs the cells in
order would run that answer too, and the check would test it instead of theirs. The copies in ``student/``
leave the solution cells out, and start clean: the learner's own run is the only output.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import nbformat

__all__ = ["student_copy", "main"]

SOLUTION_TAG = "solution"


def student_copy(source: Path, dest_dir: Path) -> Path:
    """Write ``dest_dir/<source name>`` without solution cells and without outputs; return its path."""
    nb = nbformat.read(source, as_version=4)
    nb.cells = [cell for cell in nb.cells if SOLUTION_TAG not in cell.metadata.get("tags", [])]
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbformat.validate(nb)
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / source.name
    nbformat.write(nb, target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write student copies of lessons: no solutions, no outputs.")
    parser.add_argument("notebooks", nargs="+", type=Path, help="lesson notebooks to copy")
    parser.add_argument(
        "--dest", type=Path, default=Path("student"), help="folder for the copies (default: student)"
    )
    args = parser.parse_args(argv)
    for source in args.notebooks:
        print(f"{source} -> {student_copy(source, args.dest)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
