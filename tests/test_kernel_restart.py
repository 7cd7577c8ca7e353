"""make class-load's nbval plugin starts a kernel again when it died before it answered, and only then."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from support.workbook import class_load, kernel_restart
from support.workbook.class_load import Learner

DIED = RuntimeError("Kernel died before replying to kernel_info")


class Starts:
    """A stand-in for nbval's start_new_kernel: dies ``deaths`` times, then hands back a kernel."""

    def __init__(self, deaths: int, error: Exception = DIED) -> None:
        self.deaths, self.error, self.calls = deaths, error, 0

    def __call__(self, *args: Any, **kwargs: Any) -> tuple[str, str]:
        self.calls += 1
        if self.calls <= self.deaths:
            raise self.error
        return "manager", "client"


def test_a_kernel_that_died_once_is_started_again_and_the_restart_noted() -> None:
    notes: list[str] = []
    start = Starts(deaths=1)
    assert kernel_restart.restarting(start, note=notes.append)(kernel_name="python") == ("manager", "client")
    assert start.calls == 2
    assert len(notes) == 1 and "died before it answered" in notes[0]


def test_by_default_a_restart_is_a_warning_and_a_line_in_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "restarts.log"
    monkeypatch.setenv(kernel_restart.LOG_ENV, str(log))
    with pytest.warns(kernel_restart.KernelRestarted, match="died before it answered"):
        assert kernel_restart.restarting(Starts(deaths=1))() == ("manager", "client")
    assert len(log.read_text().splitlines()) == 1


def test_a_kernel_that_dies_every_time_still_fails_after_the_last_attempt() -> None:
    notes: list[str] = []
    start = Starts(deaths=10)
    with pytest.raises(RuntimeError, match="Kernel died"):
        kernel_restart.restarting(start, attempts=3, note=notes.append)()
    assert start.calls == 3 and len(notes) == 2


def test_any_other_error_goes_through_at_once() -> None:
    notes: list[str] = []
    start = Starts(deaths=1, error=RuntimeError("Kernel didn't respond to heartbeats in 60 seconds"))
    with pytest.raises(RuntimeError, match="heartbeats"):
        kernel_restart.restarting(start, note=notes.append)()
    assert start.calls == 1 and not notes


def test_the_plugin_wraps_nbvals_kernel_start_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import nbval.kernel

    # nbval's own start, unwrapped: make test loads the plugin, so the one in nbval.kernel may be wrapped already
    original = Starts(deaths=1)
    monkeypatch.setattr(nbval.kernel, "start_new_kernel", original)  # the real one is put back after the test
    kernel_restart.pytest_configure(None)
    wrapped = nbval.kernel.start_new_kernel
    assert wrapped is not original
    with pytest.warns(kernel_restart.KernelRestarted):
        assert wrapped() == ("manager", "client") and original.calls == 2
    kernel_restart.pytest_configure(None)  # a second configure (xdist, a rerun) does not wrap it twice
    assert nbval.kernel.start_new_kernel is wrapped


def test_class_load_loads_the_plugin_and_reports_each_learners_restarts(tmp_path: Path) -> None:
    learner = Learner(2, tmp_path / "learner-2", [Path("04_executors.ipynb")])
    assert f"-p {kernel_restart.__name__}" in " ".join(learner.command())
    assert learner.environment()[kernel_restart.LOG_ENV] == str(learner.restarts_log)
    learner.folder.mkdir(parents=True)
    junit = (
        '<testsuites><testsuite><testcase classname="notebooks.04_executors.ipynb" name="Cell 0" time="1"/>'
    )
    learner.junit.write_text(junit + "</testsuite></testsuites>")
    text, clean = class_load.report([learner], [], wall=3.0)
    assert clean and "started again" not in text
    learner.restarts_log.write_text("kernel start 1 of 3 died\nkernel start 1 of 3 died\n")
    text, clean = class_load.report([learner], [], wall=3.0)
    assert clean, "a kernel that came up on its second start ran every check"
    assert re.search(r"started again .*: learner 2: 2$", text, re.M), text
