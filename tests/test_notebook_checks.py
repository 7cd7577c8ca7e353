"""Each notebook convention bites: a small notebook that breaks it is caught, one that keeps it is not.

The notebooks are built with nbformat in tmp_path and read back as JSON, as the checks read the real ones.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from support.workbook import notebook_checks as nc
from support.workbook.notebook_runner import KERNEL_DISPLAY_NAME

KERNEL = {"name": "python3", "display_name": KERNEL_DISPLAY_NAME, "language": "python"}


def code(source: str, count: int | None, outputs: Sequence[dict] = (), tags: Sequence[str] = ()) -> dict:
    cell = new_code_cell(source, execution_count=count, outputs=list(outputs))
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def stream(text: str) -> dict:
    return new_output("stream", name="stdout", text=text)


def error(name: str = "ValueError", traceback: Sequence[str] = ()) -> dict:
    return new_output("error", ename=name, evalue="bad", traceback=list(traceback))


def write(path: Path, cells: Sequence[dict], kernel: dict | None = None) -> Path:
    nb = new_notebook(cells=list(cells), metadata={"kernelspec": kernel or KERNEL})
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def problems(
    rule: nc.Rule, tmp_path: Path, cells: Sequence[dict], kernel: dict | None = None
) -> list[nc.Problem]:
    path = write(tmp_path / "nb.ipynb", cells, kernel)
    return list(rule(json.loads(path.read_text(encoding="utf-8"))))


# -- executed and in order ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cells",
    [
        [code("a = 1", 1), new_markdown_cell("text"), code("b = 2", 2), code("c = 3", 3)],
        # nbval skips the cell; the runner may or may not have run it
        [code("a = 1", 1), code("slow()", None, tags=["nbval-skip"]), code("b = 2", 2)],
        [code("a = 1", 1), code("slow()", 2, tags=["nbval-skip"]), code("b = 2", 3)],
        [code("a = 1", 1), code("# NBVAL_SKIP\nslow()", None), code("b = 2", 2)],
    ],
    ids=["in-order", "skipped-not-run", "skipped-run", "skip-comment"],
)
def test_counts_one_to_n_pass(tmp_path: Path, cells: list[dict]) -> None:
    assert problems(nc.executed_in_order, tmp_path, cells) == []


@pytest.mark.parametrize(
    ("counts", "bad_cell", "words"),
    [
        ([1, 3, 4], 1, "execution_count 3, expected 2"),
        ([2, 3], 0, "execution_count 2, expected 1"),
        ([1, 2, 2], 2, "execution_count 2, expected 3"),
        ([1, None, 2], 1, "not executed"),
        ([3, 1, 2], 0, "expected 1"),
    ],
    ids=["gap", "starts-late", "repeated", "not-run", "out-of-order"],
)
def test_counts_out_of_order_are_caught(
    tmp_path: Path, counts: list[int | None], bad_cell: int, words: str
) -> None:
    cells = [code(f"x{i} = {i}", count) for i, count in enumerate(counts)]
    found = problems(nc.executed_in_order, tmp_path, cells)
    assert found and found[0].cell == bad_cell and words in found[0].message, found


def test_an_empty_code_cell_is_caught(tmp_path: Path) -> None:
    found = problems(nc.executed_in_order, tmp_path, [code("a = 1", 1), code("  \n", None), code("b", 2)])
    assert [p.cell for p in found] == [1] and "empty" in found[0].message


# -- stored errors --------------------------------------------------------------------------------------


def test_a_stored_error_is_caught_unless_tagged(tmp_path: Path) -> None:
    cells = [
        code("int('x')", 1, [error()]),
        code("asyncio.run(main())", 2, [error("RuntimeError")], tags=["raises-exception"]),
        code("# NBVAL_RAISES_EXCEPTION\nint('y')", 3, [error()]),
        code("print('fine')", 4, [stream("fine\n")]),
    ]
    found = problems(nc.no_stored_errors, tmp_path, cells)
    assert [p.cell for p in found] == [0] and "ValueError" in found[0].message


# -- machine paths ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "saved to /home/ann/flags/BR.gif\n",
        "File /tmp/ipykernel_4211/1234.py:3\n",
        "see /root/.cache/x\n",
        "  /usr/lib/python3.11/asyncio/runners.py\n",
        "/opt/conda/lib/python3.12/x.py",
        "/work/wt/ci/notebooks/x",
        "lib/python3.12/site-packages/httpx/_client.py",
        "./.venv/bin/python",
        "C:\\Users\\ann\\flags",
    ],
)
def test_a_machine_path_in_a_stream_is_caught(tmp_path: Path, text: str) -> None:
    found = problems(nc.no_machine_paths, tmp_path, [code("show()", 1, [stream(text)])])
    assert [p.cell for p in found] == [0], text


def test_machine_paths_are_found_in_results_and_coloured_tracebacks(tmp_path: Path) -> None:
    result = new_output("execute_result", data={"text/plain": "PosixPath('/home/ann/x')"}, execution_count=1)
    # IPython colours a traceback: the ANSI code right before the path must not hide it.
    traceback = ["\x1b[0;31mFile \x1b[0;32m/usr/lib/python3.11/asyncio/runners.py:186\x1b[0m, in run()"]
    cells = [
        code("path", 1, [result]),
        code("boom()", 2, [error(traceback=traceback)], tags=["raises-exception"]),
    ]
    assert [p.cell for p in problems(nc.no_machine_paths, tmp_path, cells)] == [0, 1]


@pytest.mark.parametrize(
    "text",
    [
        "GET http://127.0.0.1:8001/flags/br/br.gif 200\n",
        "saved notebooks/solutions/00_getting_started.ipynb\n",
        "downloads/BR.gif and flags/US.gif\n",
        "a/tmp/b is relative\n",
        "~/notes is the user's own folder\n",
    ],
)
def test_urls_and_relative_paths_pass(tmp_path: Path, text: str) -> None:
    assert problems(nc.no_machine_paths, tmp_path, [code("show()", 1, [stream(text)])]) == []


def test_images_are_not_read_as_text(tmp_path: Path) -> None:
    # Base64 may spell "/home/x" by chance; an image is not a path a reader sees.
    image = new_output("display_data", data={"image/png": "iVBORw0KGgo/home/abc/tmp/xyz=="})
    assert problems(nc.no_machine_paths, tmp_path, [code("fig", 1, [image])]) == []


# -- shell lines ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "!python -m support.examples.flags --help",
        "import sys\n!pip install httpx",
        "!python3.12 -V",
        "out = !jupyter kernelspec list",
        "!! pip list",
        "%%bash\ncd ..\npython -m support.examples.flags",
    ],
)
def test_a_bare_interpreter_in_a_shell_line_is_caught(tmp_path: Path, source: str) -> None:
    assert [p.cell for p in problems(nc.shell_uses_sys_executable, tmp_path, [code(source, 1)])] == [0]


@pytest.mark.parametrize(
    "source",
    [
        "import sys\n!{sys.executable} -m support.examples.flags --help",
        "print('!python is what not to write')",
        "# !pip install x would pick the wrong interpreter",
        "%%writefile demo.py\npython = 3\n",
    ],
)
def test_sys_executable_and_non_shell_text_pass(tmp_path: Path, source: str) -> None:
    assert problems(nc.shell_uses_sys_executable, tmp_path, [code(source, 1)]) == []


# -- asyncio.run ------------------------------------------------------------------------------------------


def test_asyncio_run_is_caught_outside_a_raises_exception_cell(tmp_path: Path) -> None:
    cells = [
        code("asyncio.run(main())", 1),
        code("asyncio.run(main())", 2, [error("RuntimeError")], tags=["raises-exception"]),
        code("await main()", 3),
    ]
    assert [p.cell for p in problems(nc.no_asyncio_run, tmp_path, cells)] == [0]


def test_a_function_that_calls_asyncio_run_may_be_defined(tmp_path: Path) -> None:
    # A script's main, taught in a cell and run in a worker thread (lesson 00), calls asyncio.run in its body.
    script = "def main():\n    return asyncio.run(greet())\n"
    cells = [
        code(script, 1),
        code("await asyncio.to_thread(main)", 2),
        code(
            script + "\nmain()\n", 3
        ),  # ...not called here, though: this call is missed (the rule reads no flow)
        code("if True:\n    asyncio.run(main())\n", 4),
        code("run = lambda: asyncio.run(main())\nresult = asyncio.run(main())\n", 5),
        code("@decorate(asyncio.run(setup()))\ndef f():\n    pass\n", 6),
        code("!echo 'asyncio.run(' \nx = (\n", 7),  # unparsable: counted
    ]
    assert [p.cell for p in problems(nc.no_asyncio_run, tmp_path, cells)] == [3, 4, 5, 6]


# -- kernelspec -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kernel", "words"),
    [
        ({"name": "myenv", "display_name": KERNEL_DISPLAY_NAME}, "name 'myenv'"),
        ({"name": "python3", "display_name": "Python 3 (ipykernel)"}, "display name"),
    ],
)
def test_another_kernelspec_is_caught(tmp_path: Path, kernel: dict, words: str) -> None:
    found = problems(nc.kernelspec_is_the_workbooks, tmp_path, [code("a", 1)], kernel)
    assert len(found) == 1 and found[0].cell is None and words in found[0].message


def test_the_workbooks_kernelspec_passes(tmp_path: Path) -> None:
    assert problems(nc.kernelspec_is_the_workbooks, tmp_path, [code("a", 1)]) == []


# -- model answers in lessons -----------------------------------------------------------------------------

STUB = 'def average(xs):\n    """Return the mean."""\n    ...'
ANSWER = "def average(xs):\n    return sum(xs) / len(xs)"
CHECK = "await check_average(average)"


def test_a_model_answer_in_a_lesson_is_caught(tmp_path: Path) -> None:
    found = problems(nc.no_model_answers, tmp_path, [code("%load_ext x\n" + ANSWER, 1), code(CHECK, 2)])
    assert [p.cell for p in found] == [0] and "average is filled in" in found[0].message


def test_a_cell_tagged_solution_and_an_undefined_answer_are_caught(tmp_path: Path) -> None:
    cells = [code(STUB, 1, tags=["solution"]), code("check_total(total)", 2)]
    messages = [p.message for p in problems(nc.no_model_answers, tmp_path, cells)]
    assert len(messages) == 2 and "tagged solution" in messages[0] and "total is not defined" in messages[1]


def test_stubs_pass(tmp_path: Path) -> None:
    cells = [
        code(STUB, 1),
        code("class Counter:\n    async def step(self):\n        pass", 2),
        code(CHECK + "\ncheck_counter(Counter)", 3),
    ]
    assert problems(nc.no_model_answers, tmp_path, cells) == []


def test_the_lesson_rule_applies_to_lessons_with_a_solutions_notebook_only(tmp_path: Path) -> None:
    answer = [code(ANSWER, 1), code(CHECK, 2)]
    lesson = write(tmp_path / "notebooks" / "00_x.ipynb", answer)
    unconverted = write(tmp_path / "notebooks" / "01_y.ipynb", answer)
    solution = write(tmp_path / "notebooks" / "solutions" / "00_x.ipynb", answer)
    assert nc.is_lesson(lesson) and not nc.is_lesson(unconverted) and not nc.is_lesson(solution)
    assert any("filled in" in line for line in nc.check(lesson))
    assert nc.check(unconverted) == [] and nc.check(solution) == []


def test_a_printout_of_source_is_caught_unless_the_cell_says_why(tmp_path: Path) -> None:
    printout = code("import inspect\nprint(inspect.getsource(handle_client))", 1)
    found = problems(nc.no_printouts_of_taught_code, tmp_path, [code("a = 1", 1), printout])
    assert [p.cell for p in found] == [1] and "editable cell" in found[0].message
    printout.metadata["workbook"] = {"printout": "the lab's server, used here, not taught"}
    assert problems(nc.no_printouts_of_taught_code, tmp_path, [printout]) == []
    printout.metadata["workbook"] = {"printout": " "}
    assert len(problems(nc.no_printouts_of_taught_code, tmp_path, [printout])) == 1


# -- the command ------------------------------------------------------------------------------------------


def test_the_command_exits_1_with_one_line_per_problem(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    write(tmp_path / "good.ipynb", [code("a = 1", 1)])
    bad = write(tmp_path / "appendix" / "bad.ipynb", [code("!pip list", 2, [error()])])
    assert nc.main([str(tmp_path)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == "notebook_checks: 2 notebooks, 3 problems"
    assert all(line.startswith(f"{bad}:cell 0: ") for line in lines[:-1]), lines


def test_the_command_exits_0_when_all_is_well(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    write(tmp_path / "good.ipynb", [code("a = 1", 1)])
    assert nc.main([str(tmp_path / "good.ipynb")]) == 0
    assert capsys.readouterr().out == "notebook_checks: 1 notebooks, 0 problems\n"


def test_a_missing_path_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_:
        nc.main([str(tmp_path / "nope")])
    assert exit_.value.code == 2
    assert "no such file or folder" in capsys.readouterr().err
