"""A class of learners on one machine: K learners run every lesson at once, each in their own place (`make class-load`).

What a class on one JupyterHub looks like to the machine: one installed environment, many learners, each with
their own copy of the notebooks and their own home, all running lessons at the same time. Each learner here is a
strict nbval run (the same checks as `make nbval`) of every lesson followed by its solutions notebook (the model
answers), in a temporary folder of its own, with its own ``HOME`` and its own kernel per notebook, all K started
at once.

It reports how many checks (cells) passed, the slowest lesson, each kernel's peak memory, and every failure, and
exits 1 on any failed check or clash:

- a port clash: a cell failed because an address was in use;
- a file or cache clash: a cell failed on a missing or unexpected file, a learner's cache is not in their own home,
  or something was written beside the installed package (the repository) or into the invoking user's cache.

Not part of `make test`: K kernels on a 2-core machine take a while (about K times one nbval run). Timing verdicts
measured here are measured under contention on purpose: a lesson's claim that needs free cores shows up as a
failed check.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from support.paths import APP_NAME, CACHE_ENV, REPO_ROOT
from support.workbook import kernel_restart

NOTEBOOKS = REPO_ROOT / "notebooks"
SANITIZE = REPO_ROOT / "tests" / "sanitize.cfg"
CELL_TIMEOUT = 120  # seconds, as `make nbval`
# Never walked when looking for files written beside the package: tools' and builds' own folders.
SKIPPED_DIRS = {
    ".git",
    "node_modules",
    "build",
    "mutants",
    "state",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
}
# What a failed cell's message says when two learners met on a port, or on a file or folder.
PORT_CLASH = re.compile(r"Address already in use|EADDRINUSE|\[Errno 98\]")
FILE_CLASH = re.compile(
    r"FileNotFoundError|FileExistsError|Directory not empty|PermissionError|CacheNotWritable"
    r"|(files|downloads) deleted: False|removed: False"
)
# The settings nbval runs with inside a learner's folder (the repository's pyproject.toml is not above it).
PYTEST_INI = """[pytest]
addopts = -p no:cacheprovider -p no:randomly
asyncio_default_fixture_loop_scope = function
filterwarnings = error::pytest.PytestUnraisableExceptionWarning
"""


def lesson_plan(folder: Path = NOTEBOOKS) -> list[Path]:
    """Every lesson, each followed by its solutions notebook, as a learner takes them (paths relative to folder)."""
    plan: list[Path] = []
    for lesson in sorted(folder.glob("[0-9][0-9]_*.ipynb")):
        plan.append(lesson.relative_to(folder))
        answers = folder / "solutions" / lesson.name
        if answers.exists():
            plan.append(answers.relative_to(folder))
    return plan


# -- results ---------------------------------------------------------------------------------------------------


@dataclass
class Check:
    """One cell's check, as nbval's JUnit report gives it."""

    notebook: str
    name: str
    seconds: float
    outcome: str  # passed, failed, skipped
    message: str = ""


def read_junit(path: Path) -> list[Check]:
    """The checks in a pytest JUnit XML report: one per notebook cell."""
    checks = []
    for case in ET.parse(path).getroot().iter("testcase"):
        notebook = case.get("file") or case.get("classname") or ""
        outcome, message = "passed", ""
        for child in case:
            if child.tag in ("failure", "error"):
                outcome = "failed"
                message = (child.get("message") or "") + "\n" + (child.text or "")
            elif child.tag == "skipped":
                outcome = "skipped"
        checks.append(Check(notebook, case.get("name", ""), float(case.get("time", 0)), outcome, message))
    return checks


def notebook_name(reported: str) -> str:
    """``notebooks/solutions/03_x.ipynb`` or ``notebooks.solutions.03_x.ipynb`` -> ``solutions/03_x``."""
    name = reported.replace("\\", "/").removesuffix(".ipynb")
    if "/" not in name:
        name = name.replace(".", "/")
    parts = name.split("/")
    return "/".join(parts[parts.index("notebooks") + 1 :] if "notebooks" in parts else parts[-1:])


_ANSI = re.compile(r"(\x1b|#x1B)\[[0-9;]*m")
_PATH = re.compile(r"(/[^\s'\"`,;:()\[\]]+)")
_EXCEPTION = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Timeout|Reply|Exit|Interrupt)\b.*")


def plain(message: str) -> str:
    """``message`` without the terminal colours nbval and IPython put in tracebacks."""
    return _ANSI.sub("", message)


def clash_kind(message: str, own: Path | None = None, shared: Sequence[Path] = ()) -> str | None:
    """``port`` or ``file`` when a failed check's message shows learners meeting there, else None.

    A missing or unexpected file counts as a clash only when the message names a path in a ``shared`` place
    (the repository, the invoking user's cache, the folder holding every learner) outside the learner's ``own``
    folder: a file missing in the learner's own home is their lesson's timing, not another learner's doing.
    Without ``own``, any such error counts.
    """
    text = plain(message)
    if PORT_CLASH.search(text):
        return "port"
    if not FILE_CLASH.search(text):
        return None
    if own is None:
        return "file"
    # Only the paths the error itself names: a traceback's frames name source files, which are shared anyway.
    for found in _PATH.findall(summary(text)):
        path = Path(found)
        if any(path.is_relative_to(place) for place in shared) and not path.is_relative_to(own):
            return "file"
    return None


def summary(message: str) -> str:
    """One line saying why a check failed: the exception, or the first lines of an output that differs."""
    # pytest marks the lines of an error with "E   ".
    lines = [re.sub(r"^E\s+", "", line.strip()) for line in plain(message).splitlines() if line.strip()]
    if any("mismatch" in line for line in lines):
        start = next(i for i, line in enumerate(lines) if "mismatch" in line)
        diff = [line for line in lines[start:] if line[:2] in ("- ", "+ ")]
        return "output differs: " + " | ".join(diff[:2]) if diff else "output differs"
    errors = [line for line in lines if _EXCEPTION.match(line)]
    if errors:
        return errors[-1]
    return lines[0] if lines else ""


def snapshot(root: Path, skipped: Iterable[str] = SKIPPED_DIRS) -> dict[str, tuple[int, int]]:
    """Every file under ``root``: size and modification time, by relative path (venvs and tools' folders left out)."""
    skip = set(skipped)
    files: dict[str, tuple[int, int]] = {}
    if not root.exists():
        return files
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d not in skip and not d.startswith(".venv")]
        for name in names:
            path = Path(folder, name)
            try:
                stat = path.lstat()
            except FileNotFoundError:
                continue
            files[str(path.relative_to(root))] = (stat.st_size, stat.st_mtime_ns)
    return files


def changed(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> list[str]:
    """Files added, changed or removed between two snapshots, sorted."""
    return sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))


# Where a lesson could write into the repository by mistake: the old cache, the original notebooks, saved results.
WATCHED = (".cache/", "notebooks/", "benchmarks/results/")


def tracked_files(root: Path) -> set[str] | None:
    """The files git tracks under ``root``, or None when it is not a git checkout."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True, timeout=60
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return {name for name in listed.decode().split("\0") if name}


def written_by_learners(paths: Iterable[str], tracked: set[str] | None) -> list[str]:
    """Of the files that changed in the repository during a run, those a learner's lesson could have written.

    Lessons write generated data, never the project's sources: a changed tracked file outside :data:`WATCHED`
    is a developer's edit made meanwhile, and is not held against the class.
    """
    if tracked is None:
        return sorted(paths)
    return sorted(p for p in paths if p not in tracked or p.startswith(WATCHED))


# -- the learners ------------------------------------------------------------------------------------------------


@dataclass
class Learner:
    number: int
    folder: Path
    plan: list[Path]
    process: subprocess.Popen[bytes] | None = None
    seconds: float = 0.0
    # Each kernel's peak resident memory, in bytes, in the order the kernels started (one per notebook).
    kernels: dict[int, int] = field(default_factory=dict)

    @property
    def home(self) -> Path:
        return self.folder / "home"

    @property
    def work(self) -> Path:
        return self.folder / "work"

    @property
    def junit(self) -> Path:
        return self.folder / "junit.xml"

    @property
    def restarts_log(self) -> Path:
        """One line per kernel that died before it answered and was started again (kernel_restart)."""
        return self.folder / "kernel-restarts.log"

    @property
    def restarts(self) -> int:
        return len(self.restarts_log.read_text().splitlines()) if self.restarts_log.exists() else 0

    def prepare(self) -> None:
        """The learner's own home and their own copy of the notebooks, as a hub gives each learner."""
        self.home.mkdir(parents=True)
        shutil.copytree(
            NOTEBOOKS, self.work / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints")
        )
        (self.work / "pytest.ini").write_text(PYTEST_INI)

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in (CACHE_ENV, "XDG_CACHE_HOME", "XDG_DATA_HOME")}
        env.update(HOME=str(self.home), PYTHONDONTWRITEBYTECODE="1", JUPYTER_PREFER_ENV_PATH="1")
        env.pop("JUPYTER_RUNTIME_DIR", None)  # kernels' connection files go to each learner's own home
        env[kernel_restart.LOG_ENV] = str(self.restarts_log)
        return env

    def command(self) -> list[str]:
        return [
            sys.executable,
            *(
                "-m",
                "pytest",
                "-q",
                "-p",
                "nbval",
                "-p",
                kernel_restart.__name__,
                "--nbval",
                "--nbval-current-env",
            ),
            f"--nbval-sanitize-with={SANITIZE}",
            f"--nbval-cell-timeout={CELL_TIMEOUT}",
            f"--junitxml={self.junit}",
            *(str(Path("notebooks") / p) for p in self.plan),
        ]

    def start(self) -> None:
        log = (self.folder / "pytest.log").open("wb")
        self.process = subprocess.Popen(
            self.command(), cwd=self.work, env=self.environment(), stdout=log, stderr=subprocess.STDOUT
        )
        log.close()


def _peak_memory(pid: int) -> int | None:
    """The process's peak resident memory (Linux's VmHWM, exact), else its current one (sampled)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        rss: int = psutil.Process(pid).memory_info().rss
        return rss
    except psutil.Error:
        return None


def _is_kernel(process: psutil.Process) -> bool:
    try:
        return any("ipykernel" in part for part in process.cmdline())
    except psutil.Error:
        return False


class MemoryWatch(threading.Thread):
    """Samples every learner's kernels while they run: each kernel's peak memory, kernels in order of start."""

    def __init__(self, learners: Sequence[Learner], every: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.learners, self.every = learners, every
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(self.every):
            for learner in self.learners:
                if learner.process is None:
                    continue
                try:
                    # nbval's kernels are the learner's direct children; deeper ones are the kernels' own
                    # (process pools forked from a kernel carry its command line too).
                    children = psutil.Process(learner.process.pid).children()
                except psutil.Error:
                    continue
                for child in children:
                    if child.pid in learner.kernels or _is_kernel(child):
                        peak = _peak_memory(child.pid)
                        if peak is not None:
                            learner.kernels[child.pid] = max(peak, learner.kernels.get(child.pid, 0))


# -- the report ----------------------------------------------------------------------------------------------


def _mib(size: float) -> str:
    return f"{size / 2**20:.0f} MiB"


def report(
    learners: Sequence[Learner], problems: list[str], wall: float, shared: Sequence[Path] = ()
) -> tuple[str, bool]:
    """The report's text, and whether the class ran clean (every check passed, nothing clashed).

    ``shared`` are the places no learner should touch (see :func:`clash_kind`); without them every missing
    or unexpected file counts as a clash.
    """
    lines = [f"class-load: {len(learners)} learners at once on {os.cpu_count()} CPUs, {wall:.0f} s in all"]
    all_checks: list[tuple[Learner, Check]] = []
    per_notebook: dict[str, list[float]] = {}
    clashes: list[str] = []
    for learner in learners:
        checks = read_junit(learner.junit) if learner.junit.exists() else []
        if not checks:
            problems.append(f"learner {learner.number}: no report (see {learner.folder / 'pytest.log'})")
        counts = {kind: sum(c.outcome == kind for c in checks) for kind in ("passed", "failed", "skipped")}
        lines.append(
            f"  learner {learner.number}: {counts['passed']} passed, {counts['failed']} failed, "
            f"{counts['skipped']} skipped in {learner.seconds:.0f} s"
        )
        by_notebook: dict[str, float] = {}
        for check in checks:
            all_checks.append((learner, check))
            name = notebook_name(check.notebook)
            by_notebook[name] = by_notebook.get(name, 0.0) + check.seconds
            own = learner.folder if shared else None
            if check.outcome == "failed" and (kind := clash_kind(check.message, own, shared)):
                clashes.append(f"{kind} clash: learner {learner.number}, {name}, {check.name}")
        for name, seconds in by_notebook.items():
            per_notebook.setdefault(name, []).append(seconds)
    passed = sum(c.outcome == "passed" for _, c in all_checks)
    failed = [(learner, c) for learner, c in all_checks if c.outcome == "failed"]
    if per_notebook:
        slowest = max(per_notebook, key=lambda n: max(per_notebook[n]))
        lines.append(
            f"slowest lesson: {slowest}, {max(per_notebook[slowest]):.0f} s for the slowest learner "
            f"(median {statistics.median(per_notebook[slowest]):.0f} s)"
        )
        lines.append(
            "notebook                                       slowest  median  kernel peak (max of learners)"
        )
        for name in sorted(per_notebook):
            peaks = [
                list(learner.kernels.values())[i]
                for learner in learners
                if (i := _position(learner, name)) is not None and i < len(learner.kernels)
            ]
            peak = _mib(max(peaks)) if peaks else "-"
            times = per_notebook[name]
            lines.append(f"  {name:<44} {max(times):>6.0f} s {statistics.median(times):>5.0f} s  {peak}")
    kernel_peaks = [peak for learner in learners for peak in learner.kernels.values()]
    if kernel_peaks:
        lines.append(
            f"kernels: {len(kernel_peaks)} seen, peak memory each: median {_mib(statistics.median(kernel_peaks))}, "
            f"largest {_mib(max(kernel_peaks))}"
        )
        for learner in learners:
            lines.append(
                f"  learner {learner.number}: " + ", ".join(_mib(p) for p in learner.kernels.values())
            )
    # One line per learner, notebook and reason: a kernel that died at start fails all its cells alike.
    grouped: dict[tuple[int, str, str], list[str]] = {}
    for learner, check in failed:
        key = (learner.number, notebook_name(check.notebook), summary(check.message)[:200])
        grouped.setdefault(key, []).append(check.name)
    for (number, name, why), cells in grouped.items():
        where = cells[0] if len(cells) == 1 else f"{cells[0]} to {cells[-1]} ({len(cells)} checks)"
        lines.append(f"FAILED learner {number} {name} {where}: {why}")
    if restarts := [(learner.number, learner.restarts) for learner in learners if learner.restarts]:
        lines.append(
            "kernels started again after dying before they answered (likely a port taken meanwhile, not "
            "confirmed; a hub restarts them too): "
            + ", ".join(f"learner {number}: {count}" for number, count in restarts)
        )
    lines += clashes + problems
    clean = not failed and not clashes and not problems and bool(all_checks)
    lines.append(f"{passed} passed, {len(failed)} failed")
    return "\n".join(lines), clean


def _position(learner: Learner, name: str) -> int | None:
    for index, path in enumerate(learner.plan):
        if path.with_suffix("").as_posix() == name:
            return index
    return None


# -- the run -----------------------------------------------------------------------------------------------------


def run(count: int, plan: list[Path], keep: bool = False) -> int:
    """Start ``count`` learners at once on ``plan``; print the report; 0 when the class ran clean."""
    base = Path(tempfile.mkdtemp(prefix="class-load-"))
    learners = [Learner(n, base / f"learner-{n}", plan) for n in range(1, count + 1)]
    own_cache = Path.home() / ".cache" / APP_NAME
    before_repo, before_cache = snapshot(REPO_ROOT), snapshot(own_cache)
    for learner in learners:
        learner.prepare()
    watch = MemoryWatch(learners)
    watch.start()
    started = time.monotonic()
    for learner in learners:
        learner.start()
    for learner in learners:
        assert learner.process is not None
        learner.process.wait()
        learner.seconds = time.monotonic() - started
    wall = time.monotonic() - started
    watch.stopping.set()
    watch.join()
    problems = []
    if beside := written_by_learners(changed(before_repo, snapshot(REPO_ROOT)), tracked_files(REPO_ROOT)):
        problems.append(f"file clash: written beside the package, in the repository: {beside[:10]}")
    if mine := changed(before_cache, snapshot(own_cache)):
        problems.append(f"cache clash: written into the invoking user's cache {own_cache}: {mine[:10]}")
    builds_flags = any(p.name.startswith("03_") for p in plan)  # lesson 03 builds the flag data set first
    for learner in learners:
        cache = learner.home / ".cache" / APP_NAME
        if builds_flags and not (cache / "flags").is_dir():
            problems.append(
                f"cache clash: learner {learner.number}'s flag data is not in their own home ({cache})"
            )
    text, clean = report(learners, problems, wall, shared=[REPO_ROOT, own_cache, base])
    print(text)
    if keep or not clean:
        print(f"learners' folders (homes, copies, logs) kept in {base}")
    else:
        shutil.rmtree(base, ignore_errors=True)
    return 0 if clean else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="class_load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=8, metavar="K", help="learners at once (default: 8)")
    parser.add_argument(
        "--only", nargs="+", metavar="NN", help="only these lessons (and their solutions), e.g. --only 00 04"
    )
    parser.add_argument("--keep", action="store_true", help="keep the learners' folders")
    args = parser.parse_args(argv)
    if args.learners < 1:
        parser.error("--learners must be 1 or more")
    plan = lesson_plan()
    if args.only:
        plan = [p for p in plan if p.name[:2] in args.only]
        if not plan:
            parser.error(f"no lesson numbered {' or '.join(args.only)}")
    return run(args.learners, plan, keep=args.keep)


if __name__ == "__main__":
    sys.exit(main())
