"""``make mutate``: run mutmut over the modules the lessons rely on, one module at a time, and score each.

    python tests/mutation/run.py                      # every module, from scratch
    python tests/mutation/run.py support.timing       # one module (a dotted name)
    python tests/mutation/run.py --keep ...           # reuse mutants/ (mutmut re-runs what changed)
    python tests/mutation/run.py --sample 4 ...       # mutants 1, 5, 9, ... of every function: a quarter

Which modules, and which tests, is ``[tool.mutmut]`` in pyproject.toml. A mutant that survives but cannot
change what a lesson or a user relies on is listed in ``tests/mutation/equivalent.md`` with its reason; the
score leaves those out: ``killed / (mutants - equivalent)``. Each module's line is printed as it finishes,
then every survivor not listed there. Exit status 1 when there is one.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EQUIVALENT = Path(__file__).with_name("equivalent.md")
# "- `support.timing.x_format_ratio__mutmut_4`: why it cannot change behaviour"
_LISTED = re.compile(r"^- `(?P<name>[\w.ǁ]+__mutmut_\d+)`: (?P<why>.+)$")
# mutmut's exit codes per mutant (mutmut.stats.status_by_exit_code): what counts as killed.
_KILLED = {1, 3, -24, 24, 36, 152, 255, 37}  # test failed, timed out (CPU or wall clock), type check
_SURVIVED = {0}
_UNTESTED = {5, 33}


def modules() -> list[str]:
    """Every module ``[tool.mutmut] only_mutate`` names, as dotted names, packages' ``__init__`` left out."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["mutmut"]
    found: list[str] = []
    for path in sorted(REPO.glob("support/**/*.py")):
        relative = path.relative_to(REPO).as_posix()
        if path.name != "__init__.py" and any(fnmatch.fnmatch(relative, p) for p in config["only_mutate"]):
            found.append(relative.removesuffix(".py").replace("/", "."))
    return found


def equivalent() -> dict[str, str]:
    """The mutants listed as equivalent, with their reasons."""
    listed = {}
    for line in EQUIVALENT.read_text(encoding="utf-8").splitlines():
        if match := _LISTED.match(line):
            listed[match["name"]] = match["why"]
    return listed


def results(module: str) -> dict[str, int]:
    """mutmut's exit code for each mutant of ``module`` (from its ``.meta`` file in mutants/)."""
    meta = REPO / "mutants" / (module.replace(".", "/") + ".py.meta")
    return json.loads(meta.read_text())["exit_code_by_key"]


def sampled(names: list[str], every: int) -> list[str]:
    """Mutants 1, 1 + every, 1 + 2 * every, ... of each function (mutmut numbers them from 1 per function)."""
    return [name for name in names if (int(name.rsplit("__mutmut_", 1)[1]) - 1) % every == 0]


def run_mutmut(names: list[str], log: Path) -> int:
    mutmut = Path(sys.executable).with_name("mutmut")
    with log.open("a") as out:
        return subprocess.run(
            [mutmut, "run", *names], cwd=REPO, stdout=out, stderr=subprocess.STDOUT
        ).returncode


def score(module: str, listed: dict[str, str], every: int = 1) -> tuple[str, list[str]]:
    """One line for ``module`` and the names of its survivors not listed as equivalent."""
    codes = results(module)
    codes = {name: codes[name] for name in sampled(sorted(codes), every)}
    killed = sum(code in _KILLED for code in codes.values())
    survivors = sorted(name for name, code in codes.items() if code in _SURVIVED | _UNTESTED)
    marked = [name for name in survivors if name in listed]
    left = [name for name in survivors if name not in listed]
    other = len(codes) - killed - len(survivors)
    counted = len(codes) - len(marked)
    share = f"{100 * killed / counted:5.1f} %" if counted else "  n/a  "
    line = (
        f"{module:38} {share}  {len(codes):4} mutants  {killed:4} killed  {len(survivors):3} survived "
        f"({len(marked)} equivalent)"
    )
    if other:
        line += f"  {other} other (suspicious, segfault, not checked)"
    if every > 1:
        line += f"  [1 in {every}]"
    return line, left


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("modules", nargs="*", help="dotted module names (default: all)")
    parser.add_argument("--keep", action="store_true", help="reuse mutants/ from the last run")
    parser.add_argument(
        "--sample", type=int, default=1, metavar="K", help="run mutants 1, 1+K, 1+2K, ... of each function"
    )
    args = parser.parse_args(argv)
    chosen = args.modules or modules()
    unknown = set(chosen) - set(modules())
    if unknown:
        parser.error(f"not in [tool.mutmut] only_mutate: {', '.join(sorted(unknown))}")
    if not args.keep:
        shutil.rmtree(REPO / "mutants", ignore_errors=True)
    listed = equivalent()
    lines, left = [], []
    for module in chosen:
        log = REPO / "mutants" / f"{module}.log"
        log.parent.mkdir(exist_ok=True)
        log.write_text("")
        meta = REPO / "mutants" / (module.replace(".", "/") + ".py.meta")
        if args.sample == 1:
            status = run_mutmut([f"{module}.*"], log)
        else:
            # The first run makes the mutants (and names them); it runs mutant 1 of each function, in the sample.
            first = [] if meta.exists() else [f"{module}.*__mutmut_1"]
            status = run_mutmut(first, log) if first else 0
            if meta.exists():
                rest = sampled(sorted(results(module)), args.sample)
                rest = [name for name in rest if not (first and name.endswith("__mutmut_1"))]
                status = run_mutmut(rest, log) if rest else status
        if status != 0 and not meta.exists():
            print(f"{module}: mutmut failed (exit {status}), see {log.relative_to(REPO)}")
            return 2
        try:
            line, survivors = score(module, listed, args.sample)
        except (FileNotFoundError, KeyError):
            line, survivors = f"{module:38}   n/a     0 mutants (see {log.relative_to(REPO)})", []
        print(line, flush=True)
        lines.append(line)
        left += survivors
    if left:
        print(
            f"\n{len(left)} surviving mutants not in {EQUIVALENT.relative_to(REPO)} (see: mutmut show NAME):"
        )
        print("\n".join(f"  {name}" for name in left))
    return 1 if left else 0


if __name__ == "__main__":
    raise SystemExit(main())
