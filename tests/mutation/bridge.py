"""A pytest plugin for ``make mutate`` only: tell mutmut which tests exercise code that runs in a server.

mutmut runs, for each mutant, only the tests that called the mutated function. It learns that by recording
calls inside the pytest process; the DNS server and the flags CLIs run in child processes
(``python -m ...``), where those calls are lost, so their mutants would be reported as untested. While mutmut
collects its statistics, this plugin records every function of the module a child process runs as called by
each test listed in :data:`RUN_IN_A_CHILD`. In the mutant runs the child process sees the active mutant
through the environment (``MUTANT_UNDER_TEST``), and ``child_site.py`` (copied in as ``sitecustomize``)
turns it on in a module run with ``python -m``, so those tests do test it.

It also stops every server the test session started, at the end of each session: mutmut runs each mutant in a
process forked from the one that collected the statistics, and a server left running there would answer with
unmutated code.
"""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

# test file -> (node id patterns, modules those tests run in a child process)
RUN_IN_A_CHILD: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "tests/test_dns_server.py": (("*",), ("support/lab/dns_server.py",)),
    # A fresh interpreter has its own registry of servers: stop_all() and the exit handler are tested there.
    "tests/test_services.py": (("*_starter*", "*test_stop_all_*"), ("support/lab/services.py",)),
    "tests/test_flags_clients.py": (
        ("*test_cli_*", "*test_ctrl_c_*"),
        ("support/examples/flags2.py", "support/examples/flags3.py"),
    ),
    # Its CLI tests and its service (tcp_mojifinder.start) run the server in a child process.
    "tests/test_tcp_mojifinder.py": (("*",), ("support/examples/tcp_mojifinder.py",)),
}


def _functions(module_path: str) -> set[str]:
    """The names mutmut records for the functions of ``module_path`` (from its list of mutants)."""
    meta = Path(module_path + ".meta")  # beside the mutated copy; the tests run in mutmut's copy of the repo
    if not meta.exists():
        return set()
    keys = json.loads(meta.read_text())["exit_code_by_key"]
    return {key.partition("__mutmut_")[0] for key in keys}


def _children_of(nodeid: str) -> set[str]:
    path = nodeid.split("::", 1)[0]
    patterns, modules = RUN_IN_A_CHILD.get(path, ((), ()))
    if not any(fnmatch.fnmatch(nodeid, p) for p in patterns):
        return set()
    return set().union(*(_functions(m) for m in modules))


def pytest_configure() -> None:
    # In mutmut's copy of the repository only: children started with `python -m` see the active mutant too.
    root = Path(__file__).resolve().parents[2]
    if os.environ.get("MUTANT_UNDER_TEST") and root.name == "mutants":
        shutil.copyfile(Path(__file__).with_name("child_site.py"), root / "sitecustomize.py")
        # Every child, not only the servers services.start launches: a test's own `python -m ... --help`
        # imports sitecustomize (and the mutated package) only from a folder on PYTHONPATH.
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))


# Tests that run the module under another Python: mutmut's copy of a module imports mutmut, which only this
# environment has, so there the module cannot even start. They test the unmutated code in `make test`.
OTHER_INTERPRETERS = ("*test_on_other_pythons_*",)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if Path(__file__).resolve().parents[2].name != "mutants":  # mutmut's copy of the repository only
        return
    skipped = [item for item in items if any(fnmatch.fnmatch(item.nodeid, p) for p in OTHER_INTERPRETERS)]
    if skipped:
        config.hook.pytest_deselected(items=skipped)
        items[:] = [item for item in items if item not in skipped]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    if os.environ.get("MUTANT_UNDER_TEST") != "stats":
        return
    from mutmut.state import state  # only importable where mutmut runs this plugin

    state()._stats.update(_children_of(item.nodeid))


def pytest_sessionfinish() -> None:
    services = sys.modules.get("support.lab.services")
    if services is not None:
        services.stop_all()
