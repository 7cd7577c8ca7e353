"""The browser tests' verdicts, without a browser: which notebooks run, what each kind must show.

Plain unit tests (not marked e2e): they run in ``make unit`` and keep the rules the browser tests apply honest.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from . import browser
from .expectations import CellView, Kind, check_calls, checks_summary, kind_of, notebooks_to_run, problems


def _tree(tmp_path: Path, *names: str) -> Path:
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}")
    return tmp_path


def _check(index: int, shown: str, **kwargs: object) -> CellView:
    return CellView(index, "code", source="await check_sleep_all(sleep_all)", shown_text=shown, **kwargs)


def test_new_lessons_solutions_and_appendices_are_picked_up_in_order(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        "01_b.ipynb",
        "00_a.ipynb",
        "solutions/00_a.ipynb",
        "appendix_x.ipynb",
        "scratch.ipynb",
        "solutions/notes.ipynb",
    )
    names = [p.relative_to(root).as_posix() for p in notebooks_to_run(root)]
    assert names == ["00_a.ipynb", "01_b.ipynb", "solutions/00_a.ipynb", "appendix_x.ipynb"]


def test_a_lesson_is_converted_when_its_solutions_notebook_exists(tmp_path: Path) -> None:
    root = _tree(tmp_path, "00_a.ipynb", "01_b.ipynb", "solutions/00_a.ipynb", "appendix_x.ipynb")
    assert kind_of(root / "00_a.ipynb", root) is Kind.LESSON
    assert kind_of(root / "01_b.ipynb", root) is Kind.UNCONVERTED
    assert kind_of(root / "solutions/00_a.ipynb", root) is Kind.SOLUTIONS
    assert kind_of(root / "appendix_x.ipynb", root) is Kind.APPENDIX


def test_only_calls_of_a_checker_make_a_check_cell() -> None:
    assert check_calls("from m import check_a\n\nawait check_a(a)\ncheck_b(b)") == 2
    assert check_calls("def check_a(x):\n    ...") == 0
    assert check_calls("from support.exercises.x import check_a") == 0


def test_a_clean_run_has_no_problems() -> None:
    cells = [
        CellView(0, "markdown", source="# Title"),
        CellView(1, "code", errors=("RuntimeError: loop",), tags=("raises-exception",)),
        CellView(2, "code", image_outputs=1, image_widths=(640,)),
        _check(3, "○ Exercise 1 not tried yet: fill in f above, then run this cell\n"),
    ]
    assert problems(Kind.LESSON, cells) == []
    assert checks_summary(Kind.LESSON, cells) == "1 ○"


def test_an_error_outside_a_raises_exception_cell_is_reported() -> None:
    found = problems(Kind.UNCONVERTED, [CellView(4, "code", errors=("ValueError: bad",))])
    assert found == ["cell 4: shows an error: ValueError: bad"]


def test_cells_run_all_never_reached_are_reported_unless_an_error_stopped_it() -> None:
    cells = [CellView(0, "code", source="x = 1"), CellView(1, "code", source="y = 2", ran=False)]
    assert problems(Kind.APPENDIX, cells) == ["cell 1: never ran (Run All did not reach it)"]
    assert problems(Kind.APPENDIX, [CellView(2, "code", source="", ran=False)]) == []  # nothing to run
    stopped = [CellView(0, "code", errors=("KeyError: 'x'",)), CellView(1, "code", source="y = 2", ran=False)]
    assert problems(Kind.APPENDIX, stopped) == ["cell 0: shows an error: KeyError: 'x'"]


def test_images_that_did_not_load_or_did_not_show_are_reported() -> None:
    found = problems(Kind.APPENDIX, [CellView(2, "code", image_outputs=3, image_widths=(640, 0))])
    assert found == ["cell 2: 1 of 2 images did not render", "cell 2: 3 image outputs but 2 shown"]


def test_a_widget_that_failed_to_display_is_reported() -> None:
    found = problems(
        Kind.APPENDIX, [CellView(5, "code", shown_text="Error displaying widget: model not found")]
    )
    assert found == ["cell 5: a widget failed to display"]


@pytest.mark.parametrize(
    ("kind", "shown", "ok"),
    [
        (Kind.LESSON, "○ Exercise 1 not tried yet: fill in f above", True),
        (Kind.LESSON, "✔ Exercise 1 passed: fine", False),  # a model answer left in the lesson
        (Kind.LESSON, "", False),
        (Kind.SOLUTIONS, "✔ Exercise 1 passed: fine", True),
        (Kind.SOLUTIONS, "✘ Exercise 1: the sleeps ran one after another", False),
        (Kind.SOLUTIONS, "○ Exercise 1 not tried yet: fill in f above", False),
        (Kind.UNCONVERTED, "✔ Exercise 1 passed: fine", True),  # old pattern: not compared
        (Kind.APPENDIX, "", True),
    ],
)
def test_check_cells_print_what_the_kind_of_notebook_calls_for(kind: Kind, shown: str, ok: bool) -> None:
    found = problems(kind, [_check(7, shown)])
    assert (found == []) is ok, found


def test_every_checker_call_in_a_cell_needs_its_line() -> None:
    cell = CellView(1, "code", source="check_a(a)\ncheck_b(b)", shown_text="✔ Exercise 1 passed: a\n")
    assert problems(Kind.SOLUTIONS, [cell])


def test_without_chromium_the_one_line_says_how_to_get_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(browser, "CHROMIUM", tmp_path / "no-chromium")
    line = browser.chromium_missing()
    assert line is not None and "\n" not in line
    assert "apt-get install chromium" in line and "make e2e" in line
    monkeypatch.setattr(browser, "CHROMIUM", Path(__file__))  # any file that exists
    assert browser.chromium_missing() is None
