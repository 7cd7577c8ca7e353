"""Slides from the lessons: metadata derived from structure, instructors' choices kept, an offline build."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from support.workbook import slides

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _picture() -> dict:
    return new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"})


def _printed(lines: int) -> dict:
    return new_output("stream", name="stdout", text="".join(f"line {i}\n" for i in range(lines)))


def test_headings_start_slides_and_subslides() -> None:
    cells = [
        new_markdown_cell("# 07 · A lesson\n\nWhat you will learn."),
        new_markdown_cell("## First idea"),
        new_code_cell("x = 1"),
        new_markdown_cell("### A detail"),
        new_markdown_cell("#### A smaller detail"),
        new_markdown_cell("Some prose, no heading.\n## not a heading: the first line decides"),
    ]
    assert slides.derive(cells) == ["slide", "slide", "-", "subslide", "subslide", "-"]


def test_plumbing_is_skipped_and_the_first_shown_cell_is_a_slide() -> None:
    cells = [
        new_code_cell('from support.workbook.envcheck import show_versions\n\nshow_versions("httpx")'),
        new_markdown_cell("Prose before any heading."),
        new_code_cell("ready = envcheck.report()"),
        new_code_cell("def answer(): return 42", metadata={"tags": ["solution"]}),
        new_code_cell("   "),
        new_code_cell("print('taught')"),
    ]
    assert slides.derive(cells) == ["skip", "slide", "skip", "skip", "skip", "-"]


def test_a_picture_and_the_prose_after_a_result_come_as_fragments() -> None:
    cells = [
        new_markdown_cell("## Measured"),
        new_code_cell("fig = plots.bar_chart(...)", outputs=[_picture()]),
        new_markdown_cell("The concurrent bar is ten times shorter."),
        new_markdown_cell("A second paragraph stays with the first."),
    ]
    assert slides.derive(cells) == ["slide", "fragment", "fragment", "-"]


def test_a_full_slide_continues_on_a_subslide() -> None:
    long_code = "\n".join(f"step_{i}()" for i in range(slides.SLIDE_LINES - 6))
    cells = [
        new_markdown_cell("## A long section"),
        new_code_cell(long_code, outputs=[_printed(2)]),
        new_code_cell("print('more')", outputs=[_printed(3)]),
        new_code_cell("fig = chart()", outputs=[_picture()]),  # fits under it: revealed next
    ]
    assert slides.derive(cells) == ["slide", "-", "subslide", "fragment"]
    # A long printout counts for what it shows before it scrolls, not for every line.
    flood = [new_markdown_cell("## Log"), new_code_cell("dump()", outputs=[_printed(500)])]
    assert slides.derive(flood) == ["slide", "-"]


def test_annotate_fills_every_cell_and_keeps_a_choice_made_by_hand() -> None:
    nb = new_notebook(
        cells=[
            new_markdown_cell("# Title"),
            new_markdown_cell("## Hidden on purpose", metadata={"slideshow": {"slide_type": "skip"}}),
            new_code_cell("x = 1"),
        ]
    )
    assert slides.annotate(nb) == 2
    assert [c.metadata.slideshow.slide_type for c in nb.cells] == ["slide", "skip", "-"]
    assert nb.metadata.rise == slides.RISE_DEFAULTS
    assert slides.annotate(nb) == 0  # nothing left to change: running the runner twice leaves no diff
    nbformat.validate(nb)


def test_annotate_recomputes_derived_values_when_the_lesson_changes_but_not_edited_ones() -> None:
    nb = new_notebook(
        cells=[new_markdown_cell("# Title"), new_markdown_cell("Prose"), new_code_cell("y = 2")]
    )
    slides.annotate(nb)
    nb.cells[1].source = "## Now a section"  # the lesson was rewritten: derived metadata follows
    nb.cells[2].metadata.slideshow.slide_type = "notes"  # an instructor changed this one in JupyterLab
    nb.metadata.rise = {"scroll": False, "theme": "sky"}
    assert slides.annotate(nb) == 1
    assert [c.metadata.slideshow.slide_type for c in nb.cells] == ["slide", "slide", "notes"]
    assert nb.metadata.rise == {"scroll": False, "theme": "sky"}


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_every_lesson_carries_slide_metadata(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    missing = [i for i, c in enumerate(nb.cells) if c.metadata.get("slideshow", {}).get("slide_type") is None]
    assert not missing, (
        f"{path.name}: cells {missing} have no slide type: run `make notebooks` (the runner adds it)"
    )
    kinds = [c.metadata.slideshow.slide_type for c in nb.cells]
    assert set(kinds) <= set(slides.SLIDE_TYPES), (
        f"{path.name}: unknown slide types {set(kinds) - set(slides.SLIDE_TYPES)}"
    )
    assert kinds.count("slide") >= 2, f"{path.name}: a lesson should present as more than one slide"


class _Assets(HTMLParser):
    """Every script and stylesheet a page loads."""

    def __init__(self) -> None:
        super().__init__()
        self.loaded: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script" and found.get("src"):
            self.loaded.append(found["src"] or "")
        if tag == "link" and found.get("rel") == "stylesheet":
            self.loaded.append(found.get("href") or "")


REMOTE = re.compile(r"^(https?:)?//", re.IGNORECASE)
IMPORT_REMOTE = re.compile(r"@import\s+url\(\s*['\"]?(https?:)?//", re.IGNORECASE)


@pytest.fixture(scope="module")
def decks(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    out = tmp_path_factory.mktemp("slides")
    return out, slides.build(LESSONS, out)


def test_the_slide_build_writes_one_deck_per_lesson(decks: tuple[Path, list[Path]]) -> None:
    out, written = decks
    assert [p.name for p in written] == [f"{p.stem}.slides.html" for p in LESSONS]
    for deck in written:
        html = deck.read_text(encoding="utf-8")
        assert html.count("<section") >= 2, f"{deck.name}: no slides in it"
        assert "Reveal.initialize" in html


def test_the_decks_load_nothing_from_the_network(decks: tuple[Path, list[Path]]) -> None:
    out, written = decks
    for deck in written:
        parser = _Assets()
        html = deck.read_text(encoding="utf-8")
        parser.feed(html)
        remote = [src for src in parser.loaded if REMOTE.match(src)]
        assert not remote, f"{deck.name} loads {remote}"
        assert not IMPORT_REMOTE.search(html), f"{deck.name} imports a remote stylesheet"
        assert any(src.endswith("dist/reveal.js") for src in parser.loaded)
        for src in parser.loaded:  # every script and stylesheet is a file beside the deck
            assert (out / src).is_file(), f"{deck.name} loads {src}, which the build did not copy"
    for css in (out / slides.REVEAL_DIR).rglob("*.css"):
        assert not IMPORT_REMOTE.search(css.read_text(encoding="utf-8")), f"{css} imports a remote stylesheet"


def test_the_decks_show_the_stored_outputs_and_skip_the_plumbing(decks: tuple[Path, list[Path]]) -> None:
    _, written = decks
    html = written[0].read_text(encoding="utf-8")  # lesson 00: charts and a checker line are stored
    assert "data:image/png;base64," in html
    assert "not tried yet" in html
    assert "envcheck.report" not in html  # the pre-flight cell is skipped


def test_the_cli_says_no_such_notebook_on_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert slides.main(["--out", str(tmp_path), str(tmp_path / "missing.ipynb")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "missing.ipynb" in err
