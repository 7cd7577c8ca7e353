"""The typing checkers of lesson 09 beyond the shared cases: other right answers, mypy's report, the tails."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from exercise_answers.typing_async import OTHER_RIGHT
from IPython.core.inputtransformer2 import TransformerManager

from support.exercises import typing_async
from support.exercises.checking import Checker

ROOT = Path(__file__).resolve().parent.parent
LESSON = ROOT / "notebooks" / "09_typing_async.ipynb"


@pytest.mark.parametrize(("check", "answer"), OTHER_RIGHT, ids=[a.__name__ for _, a in OTHER_RIGHT])
async def test_other_right_answers_pass(check: Checker, answer: object) -> None:
    verdict = await check.verdict(answer)
    assert verdict.status == "passed", verdict.line()


def test_typecheck_reports_lines_severities_and_codes() -> None:
    source = "async def f() -> int:\n    return 1\n\n\nasync def g() -> None:\n    x: str = await f()\n"
    messages = typing_async.typecheck(source)
    assert [(m.line, m.severity, m.code) for m in messages] == [(6, "error", "assignment")]
    assert 'expression has type "int"' in messages[0].text


def test_typecheck_keeps_its_cache_in_the_workbooks_cache_not_where_it_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # a lesson runs in notebooks/: nothing may appear there
    assert typing_async.typecheck("x: int = 1\n") == []
    assert list(tmp_path.iterdir()) == []
    assert (typing_async.cache_root() / "mypy-exercises").is_dir()


def test_typecheck_of_clean_code_says_nothing() -> None:
    assert typing_async.typecheck("async def f() -> int:\n    return 1\n") == []


def test_a_missing_await_is_reported_with_mypys_note() -> None:
    source = "import asyncio\n\n\nasync def f() -> None:\n    asyncio.sleep(1)\n"
    messages = typing_async.typecheck(source)
    assert [m.code for m in messages if m.severity == "error"] == ["unused-coroutine"]


def _cells() -> list[dict]:
    return json.loads(LESSON.read_text(encoding="utf-8"))["cells"]


def _markdown() -> str:
    return "\n".join("".join(c["source"]) for c in _cells() if c["cell_type"] == "markdown")


def _bound_names(source: str) -> set[str]:
    """The names a piece of code imports or assigns at its top level."""
    names: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        elif isinstance(node, ast.Assign):
            names |= {target.id for target in node.targets if isinstance(target, ast.Name)}
    return names


@pytest.mark.parametrize(
    "tail",
    [typing_async.WITH_TIMEOUT_TAIL, typing_async.PAGINATE_TAIL, typing_async.LEASED_TAIL],
    ids=["with_timeout", "paginate", "leased"],
)
def test_the_lesson_shows_what_each_check_typechecks(tail: str) -> None:
    # The learner reads exactly the uses and misuses the check holds their annotations to.
    if not LESSON.exists():
        pytest.skip("lesson 09 is not written yet")
    assert tail.strip() in _markdown()


def test_every_name_the_check_imports_is_imported_in_the_lesson_before_the_first_answer() -> None:
    # The lesson says the answers may use the check's names (Callable, Any, T...): annotations are evaluated
    # when the learner's cell runs, so a name the lesson never imported would be a NameError in their cell.
    if not LESSON.exists():
        pytest.skip("lesson 09 is not written yet")
    code = [c for c in _cells() if c["cell_type"] == "code"]
    first_answer = next(i for i, c in enumerate(code) if "async def with_timeout" in "".join(c["source"]))
    bound: set[str] = set()
    for cell in code[: first_answer + 1]:
        source = TransformerManager().transform_cell("".join(cell["source"]))
        bound |= _bound_names(source)
    missing = sorted(_bound_names(typing_async.PREAMBLE) - bound)
    assert not missing, f"the lesson never imports {missing} before exercise 1"
