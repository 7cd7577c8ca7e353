"""The static site: every notebook has a page, every picture it shows is there, README links lead to pages."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from support.workbook import site

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SOLUTIONS = sorted((ROOT / "notebooks" / "solutions").glob("[0-9][0-9]_*.ipynb"))
REMOTE = re.compile(r"^(https?:)?//", re.IGNORECASE)


class _Page(HTMLParser):
    """The links, pictures, scripts and stylesheets of one page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.images: list[str] = []
        self.assets: list[str] = []
        self.next_page: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "a" and "href" in found:
            self.links.append(found["href"])
        elif tag == "img":
            self.images.append(found.get("src", ""))
        elif tag == "script" and found.get("src"):
            self.assets.append(found["src"])
        elif tag == "link" and found.get("rel") == "stylesheet":
            self.assets.append(found.get("href", ""))
        elif tag == "link" and found.get("rel") == "next":
            self.next_page = found.get("href")


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _local_target(page: Path, reference: str) -> Path | None:
    """The file a relative link or src points to, or None for remote, data and in-page references."""
    if not reference or REMOTE.match(reference) or reference.startswith(("data:", "#", "mailto:")):
        return None
    return (page.parent / unquote(urlsplit(reference).path)).resolve()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site") / "site"
    return site.build(out)


def _pages(out: Path) -> list[Path]:
    """The site's pages (the theme's own template snippets in _static are not pages)."""
    return [p for p in out.rglob("*.html") if "_static" not in p.relative_to(out).parts]


def _page_for(out: Path, notebook: Path) -> Path:
    return out / notebook.relative_to(ROOT).with_suffix(".html")


def test_every_lesson_and_solutions_notebook_has_a_page(built: Path) -> None:
    assert (built / "index.html").is_file()
    for notebook in LESSONS + SOLUTIONS:
        page = _page_for(built, notebook)
        assert page.is_file(), f"no page for {notebook.relative_to(ROOT)}"
        # ipython3 from the notebook's stored language_info; plain python in one not yet run by the runner.
        html = page.read_text(encoding="utf-8")
        assert re.search(r'class="highlight-(ipython3|python) ', html), f"{page.name}: code not highlighted"


def test_every_picture_a_page_shows_is_there_and_nothing_loads_from_the_network(built: Path) -> None:
    pictures = 0
    for page in _pages(built):
        parsed = _parse(page)
        for src in parsed.images:
            target = _local_target(page, src)
            if target is not None:
                assert target.is_file(), f"{page.relative_to(built)} shows {src}, which is missing"
                pictures += 1
        remote = [a for a in parsed.assets if REMOTE.match(a)]
        assert not remote, f"{page.relative_to(built)} loads {remote}"
        for asset in parsed.assets:
            target = _local_target(page, asset)
            assert target is None or target.is_file(), f"{page.relative_to(built)} loads missing {asset}"
    # The lessons draw charts and a flag grid: the stored PNGs became files of the site.
    stored = sum(p.read_text(encoding="utf-8").count('"image/png"') for p in LESSONS)
    assert pictures >= stored > 0


def test_readme_links_to_notebooks_become_links_to_pages(built: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    linked = sorted(set(re.findall(r"\]\((notebooks/[^)#]+\.ipynb)\)", readme)))
    assert linked, "the README links no notebook"
    links = _parse(built / "index.html").links
    assert not [a for a in links if ".ipynb" in a], "a README link still points at a .ipynb file"
    for notebook in linked:
        page = str(Path(notebook).with_suffix(".html"))
        assert page in links, f"README's link to {notebook} did not become a link to {page}"
        assert (built / page).is_file()


def test_lessons_are_chained_in_order_and_every_internal_link_resolves(built: Path) -> None:
    pages = [_page_for(built, p) for p in LESSONS]
    for page, following in zip(pages, pages[1:], strict=False):
        parsed = _parse(page)
        assert parsed.next_page == following.name, f"{page.name}: next is {parsed.next_page}"
        assert following.name in parsed.links, f"{page.name} has no link to {following.name}"
    for page in _pages(built):
        for href in _parse(page).links:
            target = _local_target(page, href)
            assert target is None or target.exists(), f"{page.relative_to(built)} links to missing {href}"


# MyST turns a link it cannot resolve into an anchor to nothing on the same page ("#LICENSE"); Sphinx only warns.
# Pages whose *source* holds such a link, until the notebook is fixed (strict: the test says when it is).
# Pages whose source holds a link known to be broken, each with the reason (strict: it fails once fixed).
BROKEN_IN_SOURCE: dict[str, str] = {}
PAGE_NAMES = ["index.html"] + [
    nb.relative_to(ROOT).with_suffix(".html").as_posix() for nb in LESSONS + SOLUTIONS
]


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=BROKEN_IN_SOURCE[n]))
        if n in BROKEN_IN_SOURCE
        else n
        for n in PAGE_NAMES
    ],
)
def test_every_in_page_link_has_its_anchor(built: Path, name: str) -> None:
    html = (built / name).read_text(encoding="utf-8")
    ids = set(re.findall(r'\bid="([^"]+)"', html))
    dangling = [h for h in re.findall(r'href="#([^"]+)"', html) if unquote(h) not in ids]
    assert not dangling, f"{name} links to anchors it does not have (an unresolved link?): {dangling}"


def test_files_the_readme_links_are_downloads_on_the_site(built: Path) -> None:
    links = _parse(built / "index.html").links
    for name in ("LICENSE", "LICENSE-CC-BY-4.0"):
        found = [a for a in links if a.endswith(f"/{name}")]
        assert found, f"the front page has no link to {name}"
        assert all((built / a).read_bytes() == (ROOT / name).read_bytes() for a in found)


def test_pages_lists_every_notebook_once_in_reading_order() -> None:
    sections = site.pages()
    assert sections["Lessons"] == LESSONS
    assert sections["Model answers"] == SOLUTIONS
    listed = [p for paths in sections.values() for p in paths]
    assert len(listed) == len(set(listed))
    every = [p for p in (ROOT / "notebooks").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts]
    assert set(every) <= set(listed), "a notebook would be left out of the site"
