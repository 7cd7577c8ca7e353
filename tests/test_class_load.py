"""`make class-load`'s pieces, without running a class: the plan, the reports it reads, the clashes it names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from support.paths import CACHE_ENV
from support.workbook import class_load
from support.workbook.class_load import Learner

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="4">
<testcase classname="notebooks.04_executors.ipynb" name="Cell 0" time="1.5" />
<testcase classname="notebooks.04_executors.ipynb" name="Cell 52" time="0.5">
  <failure message="Notebook cell execution failed">files deleted: False</failure></testcase>
<testcase classname="notebooks.solutions.04_executors.ipynb" name="Cell 1" time="2.0">
  <skipped message="skipped" /></testcase>
<testcase classname="notebooks.10_how_async_works.ipynb" name="Cell 3" time="4.0">
  <error message="error">OSError: [Errno 98] Address already in use</error></testcase>
</testsuite></testsuites>
"""


def test_each_lesson_is_followed_by_its_model_answers(tmp_path: Path) -> None:
    for name in ("01_b.ipynb", "00_a.ipynb", "solutions/00_a.ipynb", "solutions/01_b.ipynb", "02_c.ipynb"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("{}")
    plan = [p.as_posix() for p in class_load.lesson_plan(tmp_path)]
    assert plan == ["00_a.ipynb", "solutions/00_a.ipynb", "01_b.ipynb", "solutions/01_b.ipynb", "02_c.ipynb"]


def test_the_real_plan_has_every_lesson_and_solutions_notebook() -> None:
    plan = class_load.lesson_plan()
    lessons = sorted(class_load.NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    answers = sorted(class_load.NOTEBOOKS.glob("solutions/[0-9][0-9]_*.ipynb"))
    assert len(plan) == len(lessons) + len(answers) and plan[0].name.startswith("00_")


def test_read_junit_gives_one_check_per_cell(tmp_path: Path) -> None:
    (tmp_path / "junit.xml").write_text(JUNIT)
    checks = class_load.read_junit(tmp_path / "junit.xml")
    assert [c.outcome for c in checks] == ["passed", "failed", "skipped", "failed"]
    assert checks[1].seconds == 0.5 and "files deleted: False" in checks[1].message
    assert [class_load.notebook_name(c.notebook) for c in checks[1:3]] == [
        "04_executors",
        "solutions/04_executors",
    ]
    assert class_load.notebook_name("notebooks/solutions/09_x.ipynb") == "solutions/09_x"


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("OSError: [Errno 98] Address already in use", "port"),
        ("files deleted: False", "file"),
        ("FileNotFoundError: [Errno 2] No such file or directory: 'x'", "file"),
        ("CacheNotWritable: the workbook's cache folder /x is not writable", "file"),
        ("process pool: lag under a tenth of that: False", None),
        ("Expected: 10.0× faster, got 9.7×", None),
    ],
)
def test_clash_kind_names_ports_and_files_only(message: str, kind: str | None) -> None:
    assert class_load.clash_kind(message) == kind


def test_a_file_missing_in_the_learners_own_home_is_not_a_clash() -> None:
    base = Path("/tmp/class-load-x")
    own, shared = base / "learner-2", [base, Path("/repo")]
    mine = "#x1B[31mFileNotFoundError#x1B[39m: [Errno 2] No such file: '/tmp/class-load-x/learner-2/home/.cache/d'"
    assert class_load.clash_kind(mine, own, shared) is None, "the learner's own timing"
    theirs = mine.replace("learner-2", "learner-5")
    assert class_load.clash_kind(theirs, own, shared) == "file"
    beside = "FileNotFoundError: [Errno 2] No such file or directory: '/repo/.cache/downloads/lesson04'"
    assert class_load.clash_kind(beside, own, shared) == "file"
    assert class_load.clash_kind("files deleted: False", own, shared) is None, "no path: nothing shared named"
    assert class_load.clash_kind("OSError: [Errno 98] Address already in use", own, shared) == "port"


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "#x1B[91mNotebook cell execution failed#x1B[0m\nTraceback\n#x1B[31mBadReply#x1B[39m: the reply answers"
            " another question\n",
            "BadReply: the reply answers another question",
        ),
        (
            "Notebook cell execution failed\nCell 14: Cell outputs differ\n mismatch 'stdout'\n"
            "  Skipping 45 identical leading characters\n  -  of D.DD s\n  +  of D.DD s; 60 names\n",
            "output differs: -  of D.DD s | +  of D.DD s; 60 names",
        ),
        (
            'failed on setup with "RuntimeError: Kernel died"\nE   RuntimeError: Kernel died',
            "RuntimeError: Kernel died",
        ),
    ],
)
def test_summary_says_why_in_one_line(message: str, expected: str) -> None:
    assert class_load.summary(message) == expected


def test_snapshot_sees_new_changed_and_removed_files_but_not_venvs(tmp_path: Path) -> None:
    (tmp_path / "kept.txt").write_text("a")
    (tmp_path / "gone.txt").write_text("b")
    (tmp_path / ".venv" / "lib").mkdir(parents=True)
    before = class_load.snapshot(tmp_path)
    (tmp_path / "gone.txt").unlink()
    (tmp_path / "kept.txt").write_text("longer")
    (tmp_path / ".cache").mkdir()
    (tmp_path / ".cache" / "new.gif").write_bytes(b"GIF89a")
    (tmp_path / ".venv" / "lib" / "x.pyc").write_bytes(b"")
    assert class_load.changed(before, class_load.snapshot(tmp_path)) == [
        ".cache/new.gif",
        "gone.txt",
        "kept.txt",
    ]
    assert class_load.snapshot(tmp_path / "absent") == {}


def test_only_what_a_lesson_could_write_counts_against_the_class() -> None:
    tracked = {"support/paths.py", "notebooks/00_a.ipynb", "README.md"}
    changed = [
        ".cache/flags/x.gif",
        "README.md",
        "notebooks/00_a.ipynb",
        "support/paths.py",
        "support/new.txt",
    ]
    assert class_load.written_by_learners(changed, tracked) == [
        ".cache/flags/x.gif",
        "notebooks/00_a.ipynb",
        "support/new.txt",
    ]
    assert class_load.written_by_learners(["README.md"], None) == ["README.md"], "no git: everything counts"
    assert "support/paths.py" in (class_load.tracked_files(class_load.REPO_ROOT) or {"support/paths.py"})


def test_a_learner_has_their_own_home_and_no_shared_cache_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_ENV, "/shared/cache")
    monkeypatch.setenv("XDG_CACHE_HOME", "/shared/xdg")
    learner = Learner(3, tmp_path / "learner-3", [Path("00_a.ipynb")])
    env = learner.environment()
    assert env["HOME"] == str(tmp_path / "learner-3" / "home")
    assert CACHE_ENV not in env and "XDG_CACHE_HOME" not in env


def test_a_learner_runs_strict_nbval_as_make_does() -> None:
    makefile = (class_load.REPO_ROOT / "Makefile").read_text()
    nbval = re.search(r"^NBVAL := (.*)$", makefile, re.M)
    assert nbval, "the Makefile's NBVAL line moved"
    command = " ".join(Learner(1, Path("/x"), [Path("00_a.ipynb")]).command())
    assert "--nbval-current-env" in command and "--nbval " in command + " "
    assert f"--nbval-cell-timeout={class_load.CELL_TIMEOUT}" in command
    assert f"--nbval-cell-timeout={class_load.CELL_TIMEOUT}" in nbval.group(1)
    assert "tests/sanitize.cfg" in nbval.group(1) and command.count(str(class_load.SANITIZE)) == 1
    assert "-p no:randomly" in class_load.PYTEST_INI, "cells must run in order"


def _learner(tmp_path: Path, number: int, junit: str | None, kernels: dict[int, int]) -> Learner:
    learner = Learner(number, tmp_path / f"learner-{number}", [Path("04_executors.ipynb")])
    learner.folder.mkdir(parents=True)
    if junit is not None:
        learner.junit.write_text(junit)
    learner.kernels = kernels
    learner.seconds = 12.0
    return learner


def test_the_report_counts_names_the_slowest_and_fails_on_a_clash(tmp_path: Path) -> None:
    learners = [_learner(tmp_path, 1, JUNIT, {101: 200 * 2**20}), _learner(tmp_path, 2, JUNIT, {})]
    text, clean = class_load.report(learners, [], wall=20.0)
    assert not clean
    assert text.splitlines()[-1] == "2 passed, 4 failed"
    assert "slowest lesson: 10_how_async_works, 4 s" in text
    assert "file clash: learner 1, 04_executors, Cell 52" in text
    assert "port clash: learner 2, 10_how_async_works, Cell 3" in text
    assert "200 MiB" in text
    grouped = [line for line in text.splitlines() if line.startswith("FAILED learner 1")]
    assert len(grouped) == 2 and "OSError: [Errno 98] Address already in use" in grouped[1]


def test_the_report_is_clean_only_when_everything_passed(tmp_path: Path) -> None:
    passing = re.sub(r"<(failure|error|skipped)[^>]*?(/>|>.*?</\1>)", "", JUNIT, flags=re.S)
    learners = [_learner(tmp_path, 1, passing, {7: 2**27})]
    text, clean = class_load.report(learners, [], wall=5.0)
    assert clean, text
    assert text.splitlines()[-1] == "4 passed, 0 failed"
    _, clean = class_load.report(learners, ["file clash: written beside the package"], wall=5.0)
    assert not clean
    missing = [_learner(tmp_path, 2, None, {})]
    problems: list[str] = []
    _, clean = class_load.report(missing, problems, wall=5.0)
    assert not clean and "no report" in problems[0]
