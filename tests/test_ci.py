"""The repository as an open project: two CI entry points running the same make targets, contributor tooling
that needs nothing but the repository, and the licenses.

`.ci/run` is what runs here; `.github/workflows/ci.yml` is what runs on a code host, for this repository and
its forks. They are written in two languages (bash, YAML), so nothing but this test keeps them in step.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CI_RUN = ROOT / ".ci" / "run"
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
PRE_COMMIT = ROOT / ".pre-commit-config.yaml"
# The targets the issue asks CI to run (issue 13); both files must run at least these.
REQUIRED_TARGETS = {"test", "lint", "e2e"}

# Where a new command starts in a shell line, and make's options that take a value.
_COMMAND_STARTS = {";", "&&", "||", "|", "(", "{", "!", "then", "do", "else", "if", "while", "until", "time"}
_MAKE_OPTIONS_WITH_VALUE = {"-C", "-f", "-j", "-l", "-o", "-W", "-I", "--directory", "--file", "--jobs"}


def make_targets(script: str) -> set[str]:
    """The targets of every ``make`` command in a shell script (echoed text and comments are not commands)."""
    targets: set[str] = set()
    # A workflow's ${{ expression }} is one word to the shell that finally runs it.
    script = re.sub(r"\$\{\{.*?\}\}", "EXPRESSION", script)
    for line in script.replace("\\\n", " ").splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        try:
            tokens = list(lexer)
        except ValueError as exc:  # unbalanced quotes: say where, rather than silently missing a command
            raise AssertionError(f"cannot read this shell line: {line!r} ({exc})") from None
        for i, token in enumerate(tokens):
            if token != "make" or (i > 0 and tokens[i - 1] not in _COMMAND_STARTS):
                continue
            skip_next = False
            for arg in tokens[i + 1 :]:
                if skip_next:
                    skip_next = False
                elif arg in _COMMAND_STARTS or re.fullmatch(r"[;&|()<>]+", arg):
                    break
                elif arg.startswith("-"):
                    skip_next = arg in _MAKE_OPTIONS_WITH_VALUE
                elif "=" not in arg:
                    targets.add(arg)
    return targets


def _workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def _steps(workflow: dict) -> list[tuple[str, dict]]:
    return [(name, step) for name, job in workflow["jobs"].items() for step in job.get("steps", [])]


def workflow_targets(workflow: dict) -> set[str]:
    return {target for _, step in _steps(workflow) for target in make_targets(step.get("run", ""))}


def ci_run_targets() -> set[str]:
    return make_targets(CI_RUN.read_text(encoding="utf-8"))


# -- the parser itself ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("make test\nmake lint\n", {"test", "lint"}),
        ('make test PYTHON="$py"', {"test"}),
        ("make -C sub -j 2 bench nbval", {"bench", "nbval"}),
        ("if grep -q '^e2e:' Makefile; then\n  make e2e\nfi", {"e2e"}),
        ("cd x && make lint || exit 1", {"lint"}),
        ('echo "== make test with Python 3.12"', set()),
        ("# make e2e is not run here", set()),
        ("cmake .. && make-docs site", set()),
        ("make \\\n  notebooks", {"notebooks"}),
        ("make test PYTHON=python${{ matrix.python-version }}", {"test"}),
    ],
)
def test_make_targets_reads_commands_not_text(script: str, expected: set[str]) -> None:
    assert make_targets(script) == expected


# -- the two CI entry points ------------------------------------------------------------------------------


def test_ci_run_and_the_workflow_run_the_same_make_targets() -> None:
    here, hosted = ci_run_targets(), workflow_targets(_workflow())
    assert here == hosted, (
        f"only in .ci/run: {sorted(here - hosted)}; only in {WORKFLOW.relative_to(ROOT)}: {sorted(hosted - here)}"
    )
    assert REQUIRED_TARGETS <= here, f"CI no longer runs {sorted(REQUIRED_TARGETS - here)}"


def test_every_target_ci_runs_is_in_the_makefile() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    defined = set(re.findall(r"^([\w-]+)\s*:(?!=)", makefile, re.M))
    missing = (ci_run_targets() | workflow_targets(_workflow())) - defined
    assert not missing, f"CI runs targets the Makefile lacks: {sorted(missing)}"


def _supported_pythons() -> list[str]:
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    low = re.search(r">=\s*3\.(\d+)", requires)
    high = re.search(r"<\s*3\.(\d+)", requires)
    assert low and high, requires
    return [f"3.{minor}" for minor in range(int(low.group(1)), int(high.group(1)))]


def test_the_workflow_tests_every_supported_python() -> None:
    jobs = _workflow()["jobs"]
    testing = [job for job in jobs.values() if "test" in make_targets(_runs(job))]
    assert testing, "no job runs make test"
    versions = [
        str(v) for job in testing for v in job.get("strategy", {}).get("matrix", {}).get("python-version", [])
    ]
    assert sorted(versions) == _supported_pythons()


def _runs(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in job.get("steps", []))


def test_every_job_caches_pip_keyed_on_the_lock_and_pyproject() -> None:
    for name, job in _workflow()["jobs"].items():
        uses = [step for step in job["steps"] if "uses" in step]
        setups = [s for s in uses if s["uses"].startswith("actions/setup-python@")]
        caches = [s for s in uses if s["uses"].startswith("actions/cache@")]
        assert setups or caches, f"job {name} caches nothing"
        for step in setups:
            settings = step.get("with", {})
            assert settings.get("cache") == "pip", f"job {name}: setup-python without cache: pip"
            assert set(settings.get("cache-dependency-path", "").split()) == {
                "requirements.lock",
                "pyproject.toml",
            }
        for step in caches:
            settings = step.get("with", {})
            assert "pip" in settings.get("path", ""), f"job {name}: actions/cache does not keep pip's cache"
            assert "hashFiles('requirements.lock', 'pyproject.toml')" in settings.get("key", ""), name


def test_the_browser_job_installs_chromium_with_apt_get_first() -> None:
    for name, job in _workflow()["jobs"].items():
        runs = [step.get("run", "") for step in job["steps"]]
        e2e = [i for i, run in enumerate(runs) if "e2e" in make_targets(run)]
        if not e2e:
            continue
        before = "\n".join(runs[: e2e[0]])
        assert re.search(r"apt-get install .*\bchromium\b", before), (
            f"job {name}: chromium is not installed first"
        )
        return
    pytest.fail("no job runs make e2e")


def test_the_ci_commands_need_nothing_beside_the_repository() -> None:
    commands = [step.get("run", "") for _, step in _steps(_workflow())]
    commands += [
        line for line in CI_RUN.read_text(encoding="utf-8").splitlines() if not line.lstrip().startswith("#")
    ]
    for command in commands:
        assert "../" not in command and "/work/" not in command, command


# -- make test: tests and notebooks in one pytest, on xdist workers, in a random order ---------------------


def _make_recipe(target: str) -> str:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8").replace("\\\n", " ")
    match = re.search(rf"^{target}:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert match, f"no recipe for {target}"
    return match.group(1)


def test_make_test_runs_tests_and_notebooks_in_one_random_order_on_workers() -> None:
    recipe = _make_recipe("test")
    for needed in ("$(XDIST)", "-p randomly", "--randomly-seed=", "$(NBVAL)", " tests ", "$(NOTEBOOKS)"):
        assert needed in recipe, f"make test does not pass {needed}"
    assert "$(XDIST)" in _make_recipe("unit") and "$(XDIST)" in _make_recipe("nbval")
    # loadfile: a notebook's cells go to one worker (one kernel), in the order collected.
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^XDIST := -n \$\(JOBS\) --dist loadfile$", makefile, re.M)


def test_notebook_cells_stay_together_and_in_order_under_random_order() -> None:
    notebooks = ["notebooks/00_getting_started.ipynb", "notebooks/solutions/01_classic_coroutines.ipynb"]
    # make test's options, collection only, in one process: what each xdist worker collects. (Seed 1 shuffles
    # these notebooks' cells when nothing puts them back in order.)
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-n", "0", "-p", "randomly"]
    command += ["--randomly-seed=1", "-p", "nbval", "--nbval", "--nbval-current-env"]
    run = subprocess.run(
        [*command, "tests/test_ci.py", *notebooks], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stdout + run.stderr
    items = [line for line in run.stdout.splitlines() if "::" in line]
    assert any(item.startswith("tests/test_ci.py::") for item in items)
    for notebook in notebooks:
        places = [i for i, item in enumerate(items) if item.startswith(notebook + "::")]
        assert places, f"{notebook} not collected"
        assert places == list(range(places[0], places[0] + len(places))), f"{notebook}: cells split up"
        assert [items[i] for i in places] == [f"{notebook}::Cell {n}" for n in range(len(places))]


_TIMED_TESTS = """
import time
import pytest

def _record(name, started):
    with open(name, "a") as f:
        f.write(f"{started} {time.monotonic()}\\n")

@pytest.mark.alone
def test_alone():
    started = time.monotonic()
    time.sleep(0.4)
    _record("alone.txt", started)

@pytest.mark.parametrize("n", range(12))
def test_shared(n):
    started = time.monotonic()
    time.sleep(0.1)
    _record("shared.txt", started)
"""


def test_a_test_marked_alone_runs_while_no_other_worker_runs_a_test(tmp_path: Path) -> None:
    (tmp_path / "test_timed.py").write_text(_TIMED_TESTS)
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers = alone\n")
    # The repository's top conftest.py as a plugin of a run elsewhere: its hooks, none of its tests.
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    command = [sys.executable, "-m", "pytest", "-q", "-p", "conftest", "-n", "2", "-p", "no:randomly"]
    run = subprocess.run(
        [*command, "test_timed.py"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stdout + run.stderr
    [alone] = [tuple(map(float, line.split())) for line in (tmp_path / "alone.txt").read_text().splitlines()]
    shared = [tuple(map(float, line.split())) for line in (tmp_path / "shared.txt").read_text().splitlines()]
    assert len(shared) == 12
    overlapping = [(a, b) for a, b in shared if a < alone[1] and b > alone[0]]
    assert not overlapping, f"ran beside the test marked alone {alone}: {overlapping}"
    together = sum(1 for a, b in shared for c, d in shared if (a, b) < (c, d) and a < d and c < b)
    assert together, "the other tests never ran at the same time: the workers were not used"


def test_ctrl_c_works_in_the_tests_programs_when_pytest_started_with_it_ignored(tmp_path: Path) -> None:
    # `make test &` in a script starts pytest with SIGINT ignored, and every program a test starts inherits it.
    (tmp_path / "test_sigint.py").write_text(
        "import signal, subprocess, sys\n"
        "def test_handler():\n"
        "    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler\n"
        "    child = 'import signal; print(signal.getsignal(signal.SIGINT))'\n"
        "    out = subprocess.run([sys.executable, '-c', child], capture_output=True, text=True).stdout\n"
        "    assert 'default_int_handler' in out, out\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "conftest", "-p", "no:randomly", "test_sigint.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    assert run.returncode == 0, run.stdout + run.stderr


# -- pre-commit -------------------------------------------------------------------------------------------


def test_pre_commit_hooks_are_local_and_cover_the_lint() -> None:
    config = yaml.safe_load(PRE_COMMIT.read_text(encoding="utf-8"))
    assert [repo["repo"] for repo in config["repos"]] == ["local"], "a remote hook repo needs the network"
    entries = [hook["entry"] for repo in config["repos"] for hook in repo["hooks"]]
    for needed in ("ruff check", "ruff format", "-m support.workbook.notebook_checks"):
        assert any(needed in entry for entry in entries), f"no hook runs {needed}"
    for entry in entries:
        program = entry.split()[0]
        assert program.startswith(".venv/bin/"), (
            f"{entry}: run the workbook's own tools (make venv builds them)"
        )


# -- licenses -------------------------------------------------------------------------------------------------


def test_the_licenses_are_there_and_declared() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    mit = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert mit.startswith("MIT License") and "The async Python workbook contributors" in mit
    cc = (ROOT / "LICENSE-CC-BY-4.0").read_text(encoding="utf-8")
    assert "Creative Commons Attribution 4.0 International Public License" in cc
    assert "Section 8 -- Interpretation." in cc, "the legal code is cut short"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "[MIT](LICENSE)" in readme and "[CC BY 4.0](LICENSE-CC-BY-4.0)" in readme
