"""Every chapter program's taught version fits one screen: at most 1.5× the chapter's code lines, or +10."""

from __future__ import annotations

import pytest

from support.workbook import program_sizes
from support.workbook.program_sizes import Size, code_lines


@pytest.mark.parametrize("size", program_sizes.sizes(), ids=lambda size: size.module)
def test_the_taught_program_is_about_the_chapters_size(size: Size) -> None:
    assert size.ours is not None, f"support/examples/{size.module}.py is missing"
    assert size.fits, (
        f"{size.module}: {size.ours} code lines, at most {size.allowed} (chapter: {size.chapter})"
    )


def test_code_lines_leave_out_docstrings_comments_and_blank_lines() -> None:
    source = '"""Module doc."""\n\nimport asyncio  # a comment\n\n\nasync def f():\n    """Doc\n    on two lines."""\n    # alone\n    return (1,\n            2)\n'
    assert code_lines(source) == 4  # import, def, and the two lines of the return


def test_the_limit_is_one_and_a_half_times_or_ten_more() -> None:
    assert Size("x", "x.py", 100, 150).fits and not Size("x", "x.py", 100, 151).fits
    assert Size("x", "x.py", 13, 23).fits and not Size("x", "x.py", 13, 24).fits
    assert not Size("x", "x.py", 13, None).fits


def test_the_command_says_over_and_exits_1(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        program_sizes, "sizes", lambda: [Size("tcp_mojifinder", "tcp_mojifinder.py", 61, 259)]
    )
    assert program_sizes.main([]) == 1
    assert "OVER" in capsys.readouterr().out
