"""How big each of the chapter's programs is here, against the chapter: code lines, and the ratio.

A code line is a line with a token of code on it: blank lines, comments and docstrings do not count. The
chapter's figures were counted the same way from the book's example repository (fluentpython/example-code-2e,
chapters 20 and 21). A taught program may be at most 1.5× the chapter's, or the chapter's plus 10 lines
(imports and a main guard), whichever is more.

Run it: ``python -m support.workbook.program_sizes`` prints the table and exits 1 when a program is over.
"""

from __future__ import annotations

import ast
import io
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CHAPTER", "Size", "code_lines", "main", "sizes"]

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

# Our module -> (the chapter's program, its code lines). flags_common stands for the chapter's flags2_common.
CHAPTER: dict[str, tuple[str, int]] = {
    "flags": ("flags.py", 30),
    "flags_threadpool": ("flags_threadpool.py", 13),
    "flags_asyncio": ("flags_asyncio.py", 23),
    "flags_common": ("flags2_common.py", 132),
    "flags2": ("flags2_asyncio.py", 82),
    "flags3": ("flags3_asyncio.py", 91),
    "blogdom": ("blogdom.py", 21),
    "domainlib": ("domainlib.py", 22),
    "domaincheck": ("domaincheck.py", 18),
    "curio_blogdom": ("curio/blogdom.py", 22),
    "curio_domainlib": ("curio/domainlib.py", 19),
    "curio_domaincheck": ("curio/domaincheck.py", 18),
    "charindex": ("charindex.py", 42),
    "web_mojifinder": ("web_mojifinder.py", 25),
    "tcp_mojifinder": ("tcp_mojifinder.py", 61),
}
RATIO, SLACK = 1.5, 10

_NOT_CODE = {
    tokenize.COMMENT,
    tokenize.NL,
    tokenize.NEWLINE,
    tokenize.INDENT,
    tokenize.DEDENT,
    tokenize.ENDMARKER,
    tokenize.ENCODING,
}


def code_lines(source: str) -> int:
    """Lines holding code: not blank, not only a comment, not part of a docstring."""
    docstrings: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                if isinstance(first.value.value, str):
                    docstrings.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    lines: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in _NOT_CODE:
            lines.update(range(token.start[0], token.end[0] + 1))
    return len(lines - docstrings)


@dataclass(frozen=True)
class Size:
    """One program's code lines here and in the chapter."""

    module: str
    chapter_program: str
    chapter: int
    ours: int | None  # None: the module does not exist yet

    @property
    def allowed(self) -> int:
        return max(int(self.chapter * RATIO), self.chapter + SLACK)

    @property
    def fits(self) -> bool:
        return self.ours is not None and self.ours <= self.allowed


def sizes(examples: Path = EXAMPLES) -> list[Size]:
    """Every chapter program's size, in the order of :data:`CHAPTER`."""
    found = []
    for module, (program, chapter) in CHAPTER.items():
        path = examples / f"{module}.py"
        ours = code_lines(path.read_text(encoding="utf-8")) if path.exists() else None
        found.append(Size(module, program, chapter, ours))
    return found


def main(argv: list[str] | None = None) -> int:
    rows = sizes()
    print(f"{'chapter program':<22} {'chapter':>7}  {'ours':<34} {'lines':>5} {'ratio':>6}  allowed")
    for size in rows:
        ours = "-" if size.ours is None else str(size.ours)
        ratio = "-" if size.ours is None else f"{size.ours / size.chapter:.2f}×"
        mark = "ok" if size.fits else "OVER"
        name = f"support/examples/{size.module}.py"
        print(
            f"{size.chapter_program:<22} {size.chapter:>7}  {name:<34} {ours:>5} {ratio:>6}  {size.allowed:>4} {mark}"
        )
    chapter = sum(s.chapter for s in rows)
    ours_total = sum(s.ours or 0 for s in rows)
    print(f"{'all together':<22} {chapter:>7}  {'':<34} {ours_total:>5} {ours_total / chapter:.2f}×")
    return 0 if all(size.fits for size in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
