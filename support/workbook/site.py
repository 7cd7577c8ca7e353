"""The workbook as a static web site (``make site``): README as the front page, every notebook with its outputs.

Readers who install nothing still get every lesson with its code highlighted, its printed results, its plots
and flag grids, and links from lesson to lesson. The site is built by Sphinx with MyST-NB (the engine under
Jupyter Book 1) and the Sphinx Book Theme:

- notebooks are rendered from their *stored* outputs (``nb_execution_mode = "off"``): the outputs readers see
  are those ``make notebooks`` stored and nbval checked, and building needs no kernel, no server, no network;
- every asset (theme CSS/JS, fonts, icons, pictures) is copied from installed packages or written from the
  notebooks into the output folder, so the build works offline and the site opens from disk;
- MyST turns the README's links to ``notebooks/....ipynb`` into links to the notebooks' pages.

Sphinx wants one source folder, so :func:`stage` copies what the site shows (README, ``notebooks/``, the
benchmark report and its charts, the files the README links to such as the licences) into ``build/site-src``,
adds the page tree that gives the sidebar and the previous/next links, and writes the configuration there;
Sphinx runs in a child process (``python -m sphinx``).

Run: ``python -m support.workbook.site [--out build/site]`` (``make site``).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from support.paths import REPO_ROOT

__all__ = ["build", "main", "pages", "stage"]

# Sphinx's settings, written into the staged source folder. Nothing here may load from the network.
CONF = """\
# Written by support.workbook.site on every build: edit that module, not this copy.
project = "Async Python, by running it"
author = "the workbook's authors"
extensions = ["myst_nb"]
root_doc = "index"
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
# Stored outputs only: the build never starts a kernel.
nb_execution_mode = "off"
nb_output_stderr = "show"
nb_merge_streams = True
# No widget manager from a CDN: a page must not load anything from the network. A progress-bar widget shows
# its stored text instead.
nb_ipywidgets_js = {}
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]
html_theme = "sphinx_book_theme"
html_title = project
html_copy_source = False
html_show_sourcelink = False
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
}
html_last_updated_fmt = None
suppress_warnings = ["myst.header", "misc.highlighting_failure"]
"""


def pages(root: Path = REPO_ROOT) -> dict[str, list[Path]]:
    """The notebooks and documents the site shows, by sidebar section, in reading order (paths under ``root``)."""
    notebooks = root / "notebooks"
    every = sorted(p for p in notebooks.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    lessons = [p for p in every if p.parent == notebooks and p.name[:2].isdigit()]
    solutions = [p for p in every if p.parent == notebooks / "solutions"]
    appendix = [p for p in every if p not in lessons and p not in solutions]
    report = root / "benchmarks" / "report.md"
    return {
        "Lessons": lessons,
        "Model answers": solutions,
        "Appendix": appendix,
        "Measurements": [report] if report.exists() else [],
    }


def _linked_files(markdown: str, root: Path) -> list[str]:
    """The files under ``root`` that ``markdown`` links to by a relative path (not pages, not folders)."""
    targets = re.findall(r"\]\(([^)#:\s]+)(?:#[^)]*)?\)", markdown)
    return sorted({t for t in targets if (root / t).is_file() and (root / t).resolve().is_relative_to(root)})


def stage(src: Path, root: Path = REPO_ROOT) -> Path:
    """Copy what the site shows into ``src`` (emptied first), with the page tree and the configuration."""
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir(parents=True)
    shutil.copytree(
        root / "notebooks",
        src / "notebooks",
        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
    )
    benchmarks = root / "benchmarks"
    if (benchmarks / "report.md").exists():
        (src / "benchmarks").mkdir()
        shutil.copy2(benchmarks / "report.md", src / "benchmarks" / "report.md")
        if (benchmarks / "charts").is_dir():
            shutil.copytree(benchmarks / "charts", src / "benchmarks" / "charts")
        for chart in (benchmarks / "results").glob("*.png"):  # the detailed charts the report links to
            (src / "benchmarks" / "results").mkdir(exist_ok=True)
            shutil.copy2(chart, src / "benchmarks" / "results" / chart.name)
    for name in _linked_files(readme := (root / "README.md").read_text(encoding="utf-8"), root):
        if not (src / name).exists():  # the licences: MyST makes a link to a staged file a download link
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, src / name)
    trees = []
    for caption, paths in pages(root).items():
        if paths:
            entries = "\n".join(p.relative_to(root).with_suffix("").as_posix() for p in paths)
            trees.append(f"```{{toctree}}\n:hidden:\n:caption: {caption}\n\n{entries}\n```\n")
    (src / "index.md").write_text(readme.rstrip("\n") + "\n\n" + "\n".join(trees), encoding="utf-8")
    (src / "conf.py").write_text(CONF, encoding="utf-8")
    return src


def build(out: Path, src: Path | None = None, root: Path = REPO_ROOT, quiet: bool = True) -> Path:
    """Stage the sources and run Sphinx into ``out`` (replaced whole); return ``out``. Raises on failure."""
    src = src or out.parent / f"{out.name}-src"
    stage(src, root)
    shutil.rmtree(out, ignore_errors=True)
    command = [
        sys.executable,
        "-m",
        "sphinx",
        "-b",
        "html",
        "-E",
        "-d",
        str(src / "_doctrees"),
        str(src),
        str(out),
    ]
    if quiet:
        command.insert(3, "-q")
    result = subprocess.run(command, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"Sphinx failed (exit {result.returncode}): {' '.join(command)}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "build" / "site", help="output folder")
    parser.add_argument("--verbose", action="store_true", help="show Sphinx's progress")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        build(args.out, quiet=not args.verbose)
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"site built in {time.perf_counter() - started:.0f} s: open {args.out / 'index.html'}")
    return 0


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except KeyboardInterrupt:
        raise SystemExit(130) from None
