"""One list of requirements: pyproject.toml declares, requirements.lock pins, environment.yml reuses both."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].strip().lower().replace("_", "-")


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", text)[:3])


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _lock() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        if match:
            pins[_name(match.group(1))] = match.group(2)
    return pins


def _declared() -> list[str]:
    project = _pyproject()["project"]
    return list(project["dependencies"]) + [
        r for extra in project["optional-dependencies"].values() for r in extra
    ]


def test_lock_pins_every_declared_requirement_within_its_bounds() -> None:
    pins = _lock()
    for requirement in _declared():
        name = _name(requirement)
        assert name in pins, f"{name} is declared in pyproject.toml but not pinned: run `make lock`"
        bound = re.search(r">=\s*([\w.]+)", requirement)
        if bound:
            assert _version(pins[name]) >= _version(bound.group(1)), (
                f"{name}=={pins[name]} is below {requirement}"
            )


def test_every_lock_line_is_an_exact_pin() -> None:
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            assert "==" in line, f"not pinned: {line!r}"


def test_environment_yml_matches_pyproject() -> None:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    python = [d for d in deps if isinstance(d, str) and d.startswith("python")]
    assert python, "environment.yml must pin the Python version"
    # repo2docker (Binder, Zero to JupyterHub images) reads the version only from an exact `python=X.Y`.
    exact = re.fullmatch(r"python\s*=\s*(3\.\d+)", python[0])
    assert exact, f"environment.yml says {python[0]}: write python=3.X, the form repo2docker reads"
    requires = _pyproject()["project"]["requires-python"]
    assert Version(exact.group(1)) in SpecifierSet(requires), (
        f"environment.yml says {python[0]}, pyproject.toml says requires-python {requires}"
    )
    assert "pip" in deps
    pip_section = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
    # The same pins as `make`, and the project itself with its dev tools: nothing listed twice.
    assert "-r requirements.lock" in pip_section
    assert any(line.startswith("-e .") and "dev" in line for line in pip_section), pip_section
    extra = [line for line in pip_section if not line.startswith("-")]
    assert not extra, f"list packages in pyproject.toml, not in environment.yml: {extra}"


def test_supported_pythons_agree_everywhere() -> None:
    from support.workbook.envcheck import SUPPORTED_PYTHON

    requires = _pyproject()["project"]["requires-python"]
    (low_major, low_minor), (high_major, high_minor) = SUPPORTED_PYTHON
    assert f">={low_major}.{low_minor}" in requires
    assert f"<{high_major}.{high_minor + 1}" in requires
    ruff_target = _pyproject()["tool"]["ruff"]["target-version"]
    assert ruff_target == f"py{low_major}{low_minor}"


def _imported_top_level_modules(*folders: Path) -> set[str]:
    """Every top-level module named in an import statement under ``folders`` (lazy imports included)."""
    modules: set[str] = set()
    for folder in folders:
        for path in folder.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    modules.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules.add(node.module.split(".")[0])
    return modules


# Declared for what they run or draw, not for an import statement in support/.
RUNTIME_ONLY = {
    "jupyterlab": "the lab itself (make lab)",
    "ipykernel": "the kernel the notebooks run in",
    "ipywidgets": "tqdm.auto draws its bars as widgets through it",
    "jupyterlab-rise": "RISE: the lessons as live slides in the lab (make lab)",
    "aiosqlite": "the lessons' SQLite database, imported by the notebooks (lessons 05 and 07)",
    "httptools": "the HTTP parser under the lab servers, which uvicorn loads by name (support.lab.asgi_server)",
    "aiohttp": "lesson 10's cells time its client against httpx (and so does benchmarks/client_bench.py)",
    "httpx-aiohttp": "lesson 10's cells run httpx on aiohttp's transport (and so does benchmarks/client_bench.py)",
}


# Imported by support/ only inside a guard, so a learner without them loses one feature, not the lesson. They are
# declared in the dev extra (which `make` installs), never as runtime requirements.
OPTIONAL_IMPORTS = {
    "playwright": "support.workbook.browser: lesson 06's screenshot, skipped cleanly where absent",
    "nbval": "support.workbook.kernel_restart: the nbval plugin of make test and make class-load, loaded only where nbval runs",
}


def test_optional_imports_are_in_the_dev_extra() -> None:
    dev = {_name(r) for r in _pyproject()["project"]["optional-dependencies"]["dev"]}
    runtime = {_name(r) for r in _pyproject()["project"]["dependencies"]}
    for module in OPTIONAL_IMPORTS:
        assert module in dev, f"{module} is imported optionally by support/: declare it in the dev extra"
        assert module not in runtime, f"{module} is optional: keep it out of the runtime requirements"


def test_support_declares_what_it_imports_and_imports_what_it_declares() -> None:
    distributions = importlib.metadata.packages_distributions()
    third_party = {
        module
        for module in _imported_top_level_modules(ROOT / "support")
        if module not in sys.stdlib_module_names and module != "support" and module not in OPTIONAL_IMPORTS
    }
    runtime = {_name(r) for r in _pyproject()["project"]["dependencies"]}
    needed = {_name(dist) for module in third_party for dist in distributions.get(module, [module])}
    assert not needed - runtime, f"support/ imports these without declaring them: {sorted(needed - runtime)}"
    unused = runtime - needed - set(RUNTIME_ONLY)
    assert not unused, f"declared in pyproject.toml but imported nowhere in support/: {sorted(unused)}"


def test_the_kernel_name_the_lab_registers_is_the_one_notebooks_store() -> None:
    from support.workbook.notebook_runner import KERNEL_DISPLAY_NAME

    makefile = (ROOT / "Makefile").read_text()
    assert f"KERNEL_DISPLAY_NAME := {KERNEL_DISPLAY_NAME}\n" in makefile


def test_uvicorn_is_bounded_above() -> None:
    # flag_server's protocol subclasses uvicorn's private H11Protocol: a new minor release may change it.
    [requirement] = [r for r in _declared() if _name(r) == "uvicorn"]
    upper = re.search(r"<\s*([\w.]+)", requirement)
    assert upper, f"{requirement!r} needs an upper bound (support.lab.asgi_server subclasses its internals)"
    assert _version(_lock()["uvicorn"]) < _version(upper.group(1))
