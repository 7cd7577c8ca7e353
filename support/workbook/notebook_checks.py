"""The workbook's notebook conventions, checked inside the repository (``python -m support.workbook.notebook_checks``).

A fork or a contributor's clone has only the repository, so the rules that keep stored outputs honest live here,
where `tests/test_notebooks.py`, the pre-commit hook and ``make lint`` all call them:

- executed and in order: execution counts 1..n with no gap (cells tagged ``nbval-skip`` excepted), so the
  outputs come from one clean top-to-bottom run, the one strict nbval replays;
- no stored error, except in a cell tagged ``raises-exception``;
- no machine path in an output (``/home/...``, ``site-packages/``, ``ipykernel_123``): it leaks a machine
  and differs on the next one;
- a shell line runs ``!{sys.executable} -m ...``: a bare ``python``/``pip``/``jupyter`` may be another
  interpreter than the kernel's;
- ``asyncio.run()`` called only in a ``raises-exception`` cell (the kernel's loop is already running); a
  function whose body calls it may be defined anywhere (a script's ``main``, run in a worker thread);
- the kernelspec the runner stores, so every reader's kernel matches;
- in a lesson that has a solutions notebook: no model answer (no cell tagged ``solution``, and every function
  or class passed to a ``check_...`` call is still a stub), so Run All never replaces the learner's answer;
- and in such a lesson, the curriculum's limits: at most ``MAX_PROSE_WORDS`` words of prose (``prose_words``
  says what counts), a last markdown cell headed "Further reading" with at least three links, all to the hosts
  in ``READING_HOSTS``, and no pointer that calls an existing lesson unwritten ("lesson 04, not written yet").
  ``WAIVERS`` lists the lessons another branch is rewriting, and the rule each may break until it is merged.

Each rule is a function from the notebook's JSON to its problems; ``check`` applies the ones that fit a path.
Exit status: 0 no problem, 1 problems found (each printed as ``path:cell N: message``), 2 usage error.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from support.workbook.notebook_runner import KERNEL_DISPLAY_NAME, KERNEL_NAME

__all__ = [
    "Problem",
    "RULES",
    "LESSON_RULES",
    "executed_in_order",
    "no_stored_errors",
    "no_machine_paths",
    "shell_uses_sys_executable",
    "no_asyncio_run",
    "kernelspec_is_the_workbooks",
    "no_model_answers",
    "MAX_PROSE_WORDS",
    "READING_HOSTS",
    "WAIVERS",
    "waiver",
    "prose_words",
    "prose_word_count",
    "prose_within_limit",
    "cells_within_limit",
    "ends_with_further_reading",
    "no_unwritten_pointers",
    "lesson_numbers",
    "lesson_guards",
    "is_lesson",
    "notebooks_under",
    "check",
    "waived",
    "main",
]


@dataclass(frozen=True)
class Problem:
    """One broken rule: the cell's index (None for the whole notebook) and what to do about it."""

    cell: int | None
    message: str


# A notebook, a cell or an output, as nbformat's JSON reads it.
JSON = dict[str, Any]
Rule = Callable[[JSON], Iterator[Problem]]

SKIP_TAG, RAISES_TAG, SOLUTION_TAG = "nbval-skip", "raises-exception", "solution"
# Usual filesystem and CI roots; the look-behind leaves URL paths (host/tmp/x) and relative ones (a/tmp) alone.
_ROOTS = "home|root|Users|tmp|usr|opt|var|private|mnt|srv|work|workspace|builds|runner|github|nix"
MACHINE_PATH = re.compile(
    rf"(?<![\w.:/~-])/(?:{_ROOTS})/[\w.@+-]+"
    r"|site-packages[/\\]|\.venv[/\\]|\bipykernel_\d+"
    r"|\b[A-Za-z]:\\(?:Users|Program Files|ProgramData)\\"
)
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_BARE_TOOL = r"(?:python[\d.]*|pip[\d.]*|jupyter[\w-]*)\b"
# `!python ...`, `!!pip ...`, `files = !jupyter ...`
_BARE_SHELL = re.compile(rf"^\s*(?:[\w.]+\s*=\s*)?!!?\s*{_BARE_TOOL}", re.M)
_SHELL_CELL = re.compile(r"\A\s*%%(?:bash|sh|script\s+(?:ba)?sh)\b")
_BARE_IN_SHELL_CELL = re.compile(rf"^\s*{_BARE_TOOL}", re.M)
_ASYNCIO_RUN = re.compile(r"\basyncio\.run\(")


def _source(cell: JSON) -> str:
    source = cell.get("source", "")
    return source if isinstance(source, str) else "".join(source)


def _tags(cell: JSON) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def _skipped(cell: JSON) -> bool:
    return SKIP_TAG in _tags(cell) or "# NBVAL_SKIP" in _source(cell)


def _may_raise(cell: JSON) -> bool:
    return RAISES_TAG in _tags(cell) or "# NBVAL_RAISES_EXCEPTION" in _source(cell)


def _code_cells(nb: JSON) -> Iterator[tuple[int, JSON]]:
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") == "code":
            yield index, cell


def executed_in_order(nb: JSON) -> Iterator[Problem]:
    """Execution counts 1, 2, ... n down the notebook: one clean run, no cell run twice or left out."""
    expected = 1
    for index, cell in _code_cells(nb):
        count = cell.get("execution_count")
        if not _source(cell).strip():
            yield Problem(index, "empty code cell (a kernel never runs it): delete it")
        elif _skipped(cell):
            if count == expected:  # the runner executes it even though nbval skips it
                expected += 1
        elif count is None:
            yield Problem(
                index, "not executed: store outputs with `make notebooks` (a fresh top-to-bottom run)"
            )
        elif count != expected:
            yield Problem(
                index, f"execution_count {count}, expected {expected}: re-run with `make notebooks`"
            )
            expected = count + 1
        else:
            expected += 1


def no_stored_errors(nb: JSON) -> Iterator[Problem]:
    """An error output only where the lesson means it: a cell tagged raises-exception."""
    for index, cell in _code_cells(nb):
        if _may_raise(cell):
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                yield Problem(
                    index,
                    f"stored error {output.get('ename')}: fix the cell, or tag it {RAISES_TAG} (with a why)",
                )


def _output_texts(output: JSON) -> Iterator[str]:
    """The text a reader sees in one output; images are skipped (base64 is not a path)."""
    kind = output.get("output_type")
    if kind == "stream":
        yield _joined(output.get("text", ""))
    elif kind == "error":
        yield from (output.get("ename", ""), output.get("evalue", ""))
        yield from (_joined(line) for line in output.get("traceback", []))
    elif kind in ("display_data", "execute_result", "update_display_data"):
        for mime, value in output.get("data", {}).items():
            if mime.startswith("text/") or mime.endswith("json"):
                yield (
                    value
                    if isinstance(value, str)
                    else json.dumps(value)
                    if mime.endswith("json")
                    else _joined(value)
                )


def _joined(value: str | list[str]) -> str:
    return value if isinstance(value, str) else "".join(value)


def no_machine_paths(nb: JSON) -> Iterator[Problem]:
    """No output shows a path that exists only on the machine that ran the notebook."""
    for index, cell in _code_cells(nb):
        for output in cell.get("outputs", []):
            for text in _output_texts(output):
                hit = MACHINE_PATH.search(_ANSI.sub("", text))
                if hit:
                    yield Problem(
                        index,
                        f"output shows a machine path ({hit.group(0)!r}): print a relative path or a name",
                    )
                    break


def shell_uses_sys_executable(nb: JSON) -> Iterator[Problem]:
    """Shell lines run the kernel's own interpreter: ``!{sys.executable} -m ...``."""
    for index, cell in _code_cells(nb):
        source = _source(cell)
        if _SHELL_CELL.match(source):
            bare = _BARE_IN_SHELL_CELL.search(source.split("\n", 1)[-1])
        else:
            bare = _BARE_SHELL.search(source)
        if bare:
            yield Problem(
                index,
                f"shell runs a bare {bare.group(0).strip()!r}: write !{{sys.executable}} -m ... instead",
            )


def _calls_asyncio_run(source: str) -> bool:
    """Whether running the cell calls ``asyncio.run()``. A call inside a function's body does not count: a cell
    may define a script's ``main`` and run it where no loop runs (a worker thread). Unparsable cells count."""
    if not _ASYNCIO_RUN.search(source):
        return False
    tree = _parse(source)
    if tree is None:
        return True
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            pending += getattr(node, "decorator_list", [])  # decorators run with the cell; the body does not
            continue
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "run"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "asyncio"
        ):
            return True
        pending += ast.iter_child_nodes(node)
    return False


def no_asyncio_run(nb: JSON) -> Iterator[Problem]:
    """The kernel's loop is running, so ``asyncio.run()`` fails: top-level ``await`` instead."""
    for index, cell in _code_cells(nb):
        if _calls_asyncio_run(_source(cell)) and not _may_raise(cell):
            yield Problem(
                index, f"asyncio.run() fails in a notebook: use top-level await (or tag {RAISES_TAG})"
            )


def kernelspec_is_the_workbooks(nb: JSON) -> Iterator[Problem]:
    """The kernelspec `make notebooks` stores and `make lab` registers; saving from the lab leaves no diff."""
    kernel = nb.get("metadata", {}).get("kernelspec", {})
    if kernel.get("name") != KERNEL_NAME:
        yield Problem(None, f"kernelspec name {kernel.get('name')!r}, expected {KERNEL_NAME!r}")
    if kernel.get("display_name") != KERNEL_DISPLAY_NAME:
        yield Problem(
            None, f"kernelspec display name {kernel.get('display_name')!r}, expected {KERNEL_DISPLAY_NAME!r}"
        )


def no_model_answers(nb: JSON) -> Iterator[Problem]:
    """A lesson holds stubs: its model answers live in notebooks/solutions/ (same file name)."""
    definitions: dict[str, tuple[int, ast.stmt]] = {}
    calls: list[tuple[int, str, str]] = []
    for index, cell in _code_cells(nb):
        if SOLUTION_TAG in _tags(cell):
            yield Problem(
                index, "a cell tagged solution in a lesson: move the model answer to notebooks/solutions/"
            )
        tree = _parse(_source(cell))
        if tree is None:
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                definitions[node.name] = (index, node)
        for call in ast.walk(tree):
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Name)
                and call.func.id.startswith("check_")
            ):
                calls += [(index, call.func.id, arg.id) for arg in call.args if isinstance(arg, ast.Name)]
    for index, checker, name in calls:
        found = definitions.get(name)
        if found is None:
            yield Problem(index, f"{checker}({name}): {name} is not defined in the lesson")
        elif not _is_stub(found[1]):
            yield Problem(
                found[0],
                f"{name} is filled in: a lesson holds the stub, the model answer lives in solutions/",
            )


_PRINTOUT = re.compile(r"\bgetsource\(")


def no_printouts_of_taught_code(nb: JSON) -> Iterator[Problem]:
    """A lesson teaches its code in editable cells; printing a module's source is only for code it does not
    teach, and such a cell says why in its metadata (``"workbook": {"printout": "..."}``)."""
    for index, cell in _code_cells(nb):
        why = cell.get("metadata", {}).get("workbook", {}).get("printout", "")
        if _PRINTOUT.search(_source(cell)) and not str(why).strip():
            yield Problem(
                index,
                "prints source with getsource: teach the code in an editable cell, or say in the cell's "
                'metadata why it is not taught ("workbook": {"printout": "..."})',
            )


def _parse(source: str) -> ast.Module | None:
    """The cell as Python, IPython's shell lines and magics blanked out; None for a cell magic or bad syntax."""
    if source.lstrip().startswith("%%"):
        return None
    lines = []
    for line in source.splitlines():
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        if stripped.startswith(("!", "%")) or (stripped.endswith("?") and not stripped.startswith("#")):
            lines.append(indent + "pass")
        else:
            lines.append(re.sub(r"^(\s*[\w.]+\s*=\s*)[!%].*$", r"\1None", line))
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None  # ruff reports it


def _is_stub(node: ast.stmt) -> bool:
    """A body of only a docstring and ``...``/``pass`` (for a class: every method such)."""
    if isinstance(node, ast.ClassDef):
        return all(_is_stub(n) for n in node.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef))
    body = list(getattr(node, "body", []))
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        if isinstance(body[0].value.value, str):
            body = body[1:]
    return all(
        isinstance(s, ast.Pass)
        or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant) and s.value.value is Ellipsis)
        for s in body
    )


# -- the curriculum's limits on a lesson (shared/curriculum.md: "under 60 cells", "3,000 words of prose",
# "Further reading") --

MAX_PROSE_WORDS = 3_000
MAX_CELLS = 59  # "under 60 cells"
# Documentation sites a Further reading may send a learner to: the language's, the PEPs, and the documentation
# of the libraries the lessons use. A blog or an issue thread ages; a project's own docs are kept current.
READING_HOSTS = frozenset(
    {
        "docs.python.org",
        "peps.python.org",
        "ipython.readthedocs.io",
        "www.python-httpx.org",
        "fastapi.tiangolo.com",
        "www.uvicorn.org",
        "mypy.readthedocs.io",
        "typing.readthedocs.io",
        "distributed.dask.org",
        "docs.dask.org",
        "docs.aiohttp.org",
        "trio.readthedocs.io",
        "anyio.readthedocs.io",
        "aiosqlite.omnilib.dev",
        "tqdm.github.io",
        "www.crummy.com",  # Beautiful Soup's own documentation
        "matplotlib.org",
    }
)
_FENCED = re.compile(r"^[ ]{0,3}(`{3,}|~{3,}).*?^[ ]{0,3}\1[^\n]*$", re.M | re.S)
_LINK = re.compile(r"!?\[([^\]]*)\]\(\s*<?([^)\s>]*)>?(?:\s+[\"'][^\"']*[\"'])?\s*\)")
_URL = re.compile(r"<?(https?://[^\s<>)]+)>?")
_WORDLIKE = re.compile(r"[^\W_]")
_HEADING = re.compile(r"\A\s*#{1,6}[ \t]+(.*?)[ \t]*#*[ \t]*$", re.M)


def _markdown_cells(nb: JSON) -> Iterator[tuple[int, JSON]]:
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") == "markdown":
            yield index, cell


def prose_words(markdown: str) -> int:
    """The words a learner reads in one markdown source, counted simply so anyone can repeat the count.

    Fenced code blocks are dropped (code, not prose); a link ``[text](url)`` counts as its text and a bare or
    ``<...>`` URL counts as nothing (an address is not read); what is left is split on whitespace, and a token
    counts when it holds a letter or a digit, so ``#``, list bullets, table pipes and dashes do not. Inline code
    counts like the words around it, token by token (`` `asyncio.run()` `` is one, `` `await main()` `` two): it is
    read as part of the sentence.
    """
    text = _FENCED.sub(" ", markdown)
    text = _LINK.sub(lambda m: f" {m.group(1)} ", text)
    text = _URL.sub(" ", text)
    return sum(1 for token in text.split() if _WORDLIKE.search(token))


def prose_word_count(nb: JSON) -> int:
    """The words of prose in the whole notebook: ``prose_words`` over every markdown cell."""
    return sum(prose_words(_source(cell)) for _, cell in _markdown_cells(nb))


def prose_within_limit(nb: JSON) -> Iterator[Problem]:
    """A lesson a learner finishes in one sitting: at most ``MAX_PROSE_WORDS`` words of prose."""
    count = prose_word_count(nb)
    if count > MAX_PROSE_WORDS:
        yield Problem(
            None,
            f"{count:,} words of prose, over {MAX_PROSE_WORDS:,}: tighten the markdown (or split the lesson)",
        )


def cells_within_limit(nb: JSON) -> Iterator[Problem]:
    """A lesson a class gets through in one sitting: fewer than 60 cells (``MAX_CELLS`` at most)."""
    count = len(nb.get("cells", []))
    if count > MAX_CELLS:
        yield Problem(None, f"{count} cells, over {MAX_CELLS}: merge or cut cells (or split the lesson)")


def _links(markdown: str) -> list[str]:
    """Every address in a markdown source, in order, once each: link targets and bare URLs."""
    found = [m.group(2) for m in _LINK.finditer(markdown)]
    found += [m.group(1) for m in _URL.finditer(_LINK.sub(" ", markdown))]
    return list(dict.fromkeys(found))


def ends_with_further_reading(nb: JSON) -> Iterator[Problem]:
    """The last markdown cell is a "Further reading" section of at least three links, every one to the language's
    docs, a PEP or a library's documentation (``READING_HOSTS``), so a learner knows where to go next."""
    cells = list(_markdown_cells(nb))
    if not cells:
        yield Problem(None, "no markdown cell: end the lesson with a '## Further reading' cell")
        return
    index, cell = cells[-1]
    source = _source(cell)
    heading = _HEADING.match(source)
    if heading is None or heading.group(1).strip().lower() != "further reading":
        yield Problem(
            index,
            "the last markdown cell is not headed 'Further reading': end the lesson with one "
            "(at least 3 links to docs.python.org, peps.python.org or a library's docs)",
        )
        return
    links = _links(source)
    if len(links) < 3:
        yield Problem(index, f"Further reading holds {len(links)} links: give at least 3")
    for url in links:
        parts = urlsplit(url)
        if parts.scheme != "https" or parts.hostname not in READING_HOSTS:
            yield Problem(
                index,
                f"Further reading links {url}: link (https) to docs.python.org, peps.python.org or a library's "
                "documentation (add its host to notebook_checks.READING_HOSTS)",
            )


# "(lesson 04, not written yet)", "a later lesson will ...": true when written, wrong once the lesson exists.
_UNWRITTEN = re.compile(
    r"\b(?:not\s+(?:yet\s+)?written|written\s+yet|yet\s+to\s+be\s+written|to\s+be\s+written"
    r"|coming\s+(?:later|soon)|comes\s+later|(?:a\s+)?later\s+lesson\s+will)\b",
    re.I,
)
_LESSON_POINTER = re.compile(
    r"\blessons?\s+(\d{1,2}(?:\s*(?:,|and|or|&|to|-|–)\s*\d{1,2})*)\b"  # lesson 04, lessons 04 and 07, 02 to 04
    r"|\b(\d{2})\s*·"  # **04 · executors**
    r"|\b(\d{2})_\w+\.ipynb\b",  # 04_executors_and_context_managers.ipynb
    re.I,
)
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n\s*\n")


def _pointed_lessons(sentence: str) -> set[int]:
    """The lesson numbers a sentence names; a range ("lessons 02 to 04") names every lesson in it."""
    numbers: set[int] = set()
    for match in _LESSON_POINTER.finditer(sentence):
        named = next(g for g in match.groups() if g)
        for first, last in re.findall(r"(\d+)(?:\s*(?:to|-|–)\s*(\d+))?", named):
            numbers |= set(range(int(first), int(last or first) + 1))
    return numbers


def no_unwritten_pointers(existing: Collection[int]) -> Rule:
    """A rule: no sentence that names a lesson in ``existing`` (by number or file name) calls it unwritten."""

    def no_unwritten_pointers(nb: JSON) -> Iterator[Problem]:
        for index, cell in enumerate(nb.get("cells", [])):
            for sentence in _SENTENCE_BREAK.split(_source(cell)):
                said = _UNWRITTEN.search(sentence)
                written = sorted(_pointed_lessons(sentence) & set(existing)) if said else []
                if said and written:
                    yield Problem(
                        index,
                        f"says {said.group(0)!r} of lesson {', '.join(f'{n:02d}' for n in written)}, "
                        "which exists: point to it as written",
                    )

    return no_unwritten_pointers


def lesson_numbers(folder: Path) -> set[int]:
    """The numbers of the lessons in ``folder`` (``NN_topic.ipynb``)."""
    return {int(p.name[:2]) for p in folder.glob("[0-9][0-9]_*.ipynb")}


def lesson_guards(folder: Path) -> tuple[Rule, ...]:
    """The curriculum's limits, for the lessons in ``folder``."""
    return (
        prose_within_limit,
        cells_within_limit,
        ends_with_further_reading,
        no_unwritten_pointers(lesson_numbers(folder)),
    )


# Lessons another branch is rewriting this session, keyed by the name after the number (renumbering keeps it),
# with the guards each may break until that branch is merged, and why. The lead deletes an entry on merging.
WAIVERS: dict[str, tuple[frozenset[str], str]] = {}


def waiver(path: Path) -> tuple[frozenset[str], str]:
    """The guards ``WAIVERS`` excuses the lesson at ``path`` from, and why (none and "" for most lessons)."""
    topic = path.stem.split("_", 1)[-1] if path.stem[:2].isdigit() else path.stem
    return WAIVERS.get(topic, (frozenset(), ""))


RULES: tuple[Rule, ...] = (
    executed_in_order,
    no_stored_errors,
    no_machine_paths,
    shell_uses_sys_executable,
    no_asyncio_run,
    kernelspec_is_the_workbooks,
)
# Only for a lesson converted to the solutions-notebook pattern; unconverted lessons keep their old shape.
LESSON_RULES: tuple[Rule, ...] = (no_model_answers, no_printouts_of_taught_code)


def is_lesson(path: Path) -> bool:
    """A lesson is a notebook whose model answers live beside it in ``solutions/`` under the same name."""
    return path.parent.name != "solutions" and (path.parent / "solutions" / path.name).is_file()


def notebooks_under(targets: Iterable[Path]) -> list[Path]:
    """The notebooks named, and those under the folders named (checkpoints left out)."""
    paths: list[Path] = []
    for target in targets:
        paths += sorted(target.rglob("*.ipynb")) if target.is_dir() else [target]
    return [p for p in paths if ".ipynb_checkpoints" not in p.parts]


def _rules(path: Path) -> tuple[list[Rule], list[Rule]]:
    """The rules that fit the notebook at ``path``: those checked, and the guards waived for it (``WAIVERS``)."""
    rules = list(RULES)
    if not is_lesson(path):
        return rules, []
    waived, _ = waiver(path)
    guards = lesson_guards(path.parent)
    rules += LESSON_RULES + tuple(g for g in guards if g.__name__ not in waived)
    return rules, [g for g in guards if g.__name__ in waived]


def _lines(path: Path, problems: Iterable[Problem]) -> list[str]:
    return [
        f"{path}:cell {p.cell}: {p.message}" if p.cell is not None else f"{path}: {p.message}"
        for p in problems
    ]


def check(path: Path) -> list[str]:
    """Every problem in the notebook at ``path``, as ``path:cell N: message`` lines (waived guards left out)."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [f"{path}: not a readable notebook ({exc})"]
    rules, _ = _rules(path)
    return _lines(path, (p for rule in rules for p in rule(nb)))


def waived(path: Path) -> list[str]:
    """The problems ``check`` leaves out because ``WAIVERS`` excuses them, each with its reason."""
    _, guards = _rules(path)
    if not guards:
        return []
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []  # check() reports it
    reason = waiver(path)[1]
    return [f"{line} [waived: {reason}]" for line in _lines(path, (p for g in guards for p in g(nb)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m support.workbook.notebook_checks", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "paths", nargs="*", type=Path, default=[Path("notebooks")], help="notebooks or folders"
    )
    args = parser.parse_args(argv)
    missing = [p for p in args.paths if not p.exists()]
    if missing:
        parser.error(f"no such file or folder: {missing[0]}")
    try:
        paths = notebooks_under(args.paths)
        found = [line for path in paths for line in check(path)]
        excused = [line for path in paths for line in waived(path)]
    except KeyboardInterrupt:
        return 130
    for line in found + excused:
        print(line)
    waived_note = f" ({len(excused)} waived, listed above)" if excused else ""
    print(f"notebook_checks: {len(paths)} notebooks, {len(found)} problems{waived_note}")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
