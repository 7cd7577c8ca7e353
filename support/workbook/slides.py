"""Slides from the lessons: slide metadata derived from each notebook's structure, and offline reveal.js HTML.

An instructor presents the very notebook a learner runs, live in JupyterLab with RISE or as static HTML
(``make slides``). Both read the same cell metadata, ``metadata.slideshow.slide_type``. Nobody should have to
set it by hand on every cell of every lesson, and lessons are rewritten often, so :func:`annotate` derives it
from the notebook's structure each time the notebook runner writes a notebook:

- a ``#`` or ``##`` heading starts a slide, a ``###`` (or deeper) heading a subslide;
- plumbing is ``skip``: the versions cell, the pre-flight check, model answers (cells tagged ``solution``);
- a code cell that draws a picture is a ``fragment``: the question is on screen first, the chart comes next;
- prose right after a result is a ``fragment`` too, the point made once the output has been seen;
- when a slide would overflow, the next cell opens a subslide: a slide holds about :data:`SLIDE_LINES` lines
  at reveal.js's type size (a picture counts as :data:`PICTURE_LINES`), so sections break where they grow;
- everything else stays on the current slide (``-``).

An instructor's own choice always wins. Each derived value is also recorded in ``metadata.workbook.slide_auto``;
a cell whose ``slide_type`` still equals that record is recomputed on the next run (the lesson may have moved
around it), one whose ``slide_type`` differs (set in JupyterLab's property inspector) or has no record is left
alone.

:func:`build` writes ``<lesson>.slides.html`` per lesson with its stored outputs, using nbconvert's slides
exporter with a template that loads nothing from the network: reveal.js is copied from the ``sphinx-revealjs``
wheel (a pinned dependency that ships reveal.js's dist files) into the output folder and referenced by a
relative path, so the folder opens from disk, offline.

Run: ``python -m support.workbook.slides --out build/slides notebooks/NN_x.ipynb ...`` (``make slides``).
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import re
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import nbformat

__all__ = [
    "PICTURE_LINES",
    "SLIDE_LINES",
    "SLIDE_TYPES",
    "annotate",
    "build",
    "derive",
    "main",
    "reveal_source",
]

SLIDE_TYPES = ("slide", "subslide", "fragment", "skip", "notes", "-")
# What fits on one 960 x 700 reveal.js slide at the exporter's 20 px type, with room for the heading.
SLIDE_LINES = 22
PICTURE_LINES = 12  # a chart or flag grid, scaled to the slide's width
MARKDOWN_WIDTH = 80  # characters per line of prose before it wraps
OUTPUT_LINES_SHOWN = 10  # a long printout scrolls; it does not claim more of the slide than this
# Cells that set the stage rather than teach: shown to a learner, not to a class.
_PLUMBING = re.compile(r"\bshow_versions\(|\benvcheck\.")
_HEADING = re.compile(r"^(#{1,6})\s")
# RISE's per-notebook options, written only when the notebook has none: long slides scroll.
RISE_DEFAULTS = {"scroll": True}
# The reveal.js files the offline slides need, relative to the reveal.js folder of the sphinx-revealjs wheel.
_REVEAL_FILES = (
    "LICENSE",
    "dist/reveal.js",
    "dist/reveal.css",
    "dist/reset.css",
    "dist/theme/white.css",
    "dist/theme/fonts/source-sans-pro",
    "plugin/notes/notes.js",
)
REVEAL_DIR = "reveal.js"  # the folder beside the HTML files; templates refer to it by this relative path
_TEMPLATES = Path(__file__).resolve().parent / "templates"


def _heading_level(cell: dict[str, Any]) -> int:
    """1-6 for a markdown cell whose first non-blank line is a heading, else 0."""
    if cell.get("cell_type") != "markdown":
        return 0
    for line in cell.get("source", "").splitlines():
        if line.strip():
            match = _HEADING.match(line)
            return len(match.group(1)) if match else 0
    return 0


def _has_picture(cell: dict[str, Any]) -> bool:
    return any(
        any(kind.startswith("image/") for kind in output.get("data", {}))
        for output in cell.get("outputs", [])
    )


def _lines(cell: dict[str, Any]) -> int:
    """Roughly how many lines of a slide the cell takes: its source, then its outputs (pictures at a fixed size)."""
    source = cell.get("source", "")
    if cell.get("cell_type") == "markdown":
        return sum(max(1, math.ceil(len(line) / MARKDOWN_WIDTH)) for line in source.splitlines()) + 1
    lines = len(source.splitlines()) + 1
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        if any(kind.startswith("image/") for kind in data):
            lines += PICTURE_LINES
        else:
            text = output.get("text") or data.get("text/plain") or "".join(output.get("traceback", []))
            lines += min(OUTPUT_LINES_SHOWN, len(str(text).splitlines()))
    return lines


def _is_plumbing(cell: dict[str, Any]) -> bool:
    if "solution" in cell.get("metadata", {}).get("tags", []):
        return True
    source = cell.get("source", "")
    if not source.strip():
        return True
    return cell.get("cell_type") == "code" and bool(_PLUMBING.search(source))


def derive(cells: Iterable[dict[str, Any]]) -> list[str]:
    """The slide type each cell would get from the lesson's structure alone, in order (no metadata read)."""
    types: list[str] = []
    used = 0  # lines already on the current (sub)slide
    previous: dict[str, Any] | None = None  # the last cell shown
    for cell in cells:
        level = _heading_level(cell)
        size = _lines(cell)
        if _is_plumbing(cell):
            types.append("skip")
            continue
        if level in (1, 2) or previous is None:
            kind, used = "slide", size
        elif level >= 3 or used + size > SLIDE_LINES:
            kind, used = "subslide", size
        else:
            used += size
            if cell.get("cell_type") == "code" and _has_picture(cell):
                kind = "fragment"
            elif cell.get("cell_type") == "markdown" and previous.get("cell_type") == "code":
                kind = "fragment"
            else:
                kind = "-"
        types.append(kind)
        previous = cell
    return types


def annotate(nb: Any) -> int:
    """Fill in slide metadata where no one chose it by hand; return how many cells changed.

    ``nb`` is an nbformat notebook (changed in place). Also adds RISE's notebook options when absent.
    """
    changed = 0
    for cell, derived in zip(nb.cells, derive(nb.cells), strict=True):
        slideshow = cell.metadata.get("slideshow", {})
        current = slideshow.get("slide_type")
        auto = cell.metadata.get("workbook", {}).get("slide_auto")
        if current is not None and current != auto:
            continue  # set by a person (or by an older tool): theirs
        if current != derived or auto != derived:
            changed += 1
        for key, field in (("slideshow", "slide_type"), ("workbook", "slide_auto")):
            cell.metadata[key] = nbformat.from_dict({**cell.metadata.get(key, {}), field: derived})
    if "rise" not in nb.metadata:
        nb.metadata["rise"] = nbformat.from_dict(RISE_DEFAULTS)
    return changed


def reveal_source() -> Path:
    """The reveal.js folder inside the installed sphinx-revealjs wheel (found, not imported: it is only data)."""
    spec = importlib.util.find_spec("sphinx_revealjs")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("sphinx-revealjs is not installed: run `make venv` (it ships reveal.js)")
    folder = Path(spec.origin).parent / "_static" / "revealjs"
    missing = [name for name in _REVEAL_FILES if not (folder / name).exists()]
    if missing:
        raise FileNotFoundError(f"reveal.js files missing from {folder}: {', '.join(missing)}")
    return folder


def vendor_reveal(out: Path) -> Path:
    """Copy the reveal.js files the slides load into ``out/reveal.js`` (fresh each build) and return that folder."""
    source, target = reveal_source(), out / REVEAL_DIR
    shutil.rmtree(target, ignore_errors=True)
    for name in _REVEAL_FILES:
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        if (source / name).is_dir():
            shutil.copytree(source / name, destination)
        else:
            shutil.copy2(source / name, destination)
    return target


def build(notebooks: Iterable[Path], out: Path) -> list[Path]:
    """Write ``out/<name>.slides.html`` for each notebook from its stored outputs (nothing is executed).

    Slide metadata is derived on the fly for any cell that lacks it, so a lesson not yet re-run still presents.
    """
    from nbconvert import SlidesExporter  # here, not at the top: the notebook runner imports this module

    out.mkdir(parents=True, exist_ok=True)
    vendor_reveal(out)
    exporter = SlidesExporter(
        template_name="offline_reveal",
        extra_template_basedirs=[str(_TEMPLATES)],
        reveal_url_prefix=REVEAL_DIR,
        reveal_theme="white",
        reveal_scroll=True,
    )
    written = []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        annotate(nb)
        body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": path.stem}})
        target = out / f"{path.stem}.slides.html"
        target.write_text(body, encoding="utf-8")
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path, help="lessons to turn into slides")
    parser.add_argument("--out", type=Path, default=Path("build/slides"), help="output folder")
    args = parser.parse_args(argv)
    missing = [str(p) for p in args.notebooks if not p.is_file()]
    if missing:
        print(f"no such notebook: {', '.join(missing)}", file=sys.stderr)
        return 2
    try:
        written = build(args.notebooks, args.out)
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        return 1
    for path in written:
        print(path)
    print(f"{len(written)} slide decks in {args.out}; open {args.out / written[0].name} in a browser")
    return 0


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except KeyboardInterrupt:
        raise SystemExit(130) from None
