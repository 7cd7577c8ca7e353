"""What the learner's code says: the calls, awaits and ``except`` clauses in the source of an answer.

A hint that names a construct ("`gather` does not cancel...", "your `except TimeoutError`...") is true only
when the learner wrote it, and misleads when they did not. So a checker reads the answer before it names one:

    code = read_code(answer)
    if code.calls("asyncio.gather"):
        fail("gather does not cancel the other jobs when one fails: ...")

The source comes from :func:`inspect.getsource`, which finds a notebook cell through IPython's line cache.
For a class, it reads each method; and it follows, one level down, the functions and classes of the learner's
own that the answer names (a helper defined in the same cell). Names are resolved through the answer's
globals, so ``from asyncio import gather`` and ``import asyncio as aio`` still read as ``asyncio.gather``.
When no source can be read (code built with ``exec``), :attr:`Code.known` is False and every question answers
False: a checker then falls back on what it saw the code do.
"""

from __future__ import annotations

import ast
import functools
import inspect
import sysconfig
import textwrap
import types
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["BLOCKING", "Code", "Handler", "is_learner_file", "read_code"]

# Frames from these folders are not the learner's: support/ itself, the standard library, installed packages.
_NOT_LEARNER = tuple(
    str(Path(p).resolve())
    for p in {
        str(Path(__file__).resolve().parent.parent),
        sysconfig.get_paths()["stdlib"],
        sysconfig.get_paths()["purelib"],
        sysconfig.get_paths()["platlib"],
    }
)
# Modules whose public names are re-exported by their package: asyncio.tasks.gather reads as asyncio.gather.
_PACKAGES = ("asyncio", "concurrent.futures", "contextlib", "collections.abc")
# An except clause that catches a task's cancellation: CancelledError itself, or one of its bases.
_CATCHES_CANCEL = {
    "BaseException",
    "CancelledError",
    "asyncio.CancelledError",
    "asyncio.exceptions.CancelledError",
}


# Calls that wait in the calling thread, and what to use in a coroutine instead.
BLOCKING = {
    "time.sleep": "`await asyncio.sleep(...)`",
    "socket.create_connection": "`await asyncio.open_connection(...)`",
    "socket.socket": "`await asyncio.open_connection(...)`",
    "httpx.get": "an `httpx.AsyncClient`, with `await client.get(...)`",
    "httpx.post": "an `httpx.AsyncClient`, with `await client.post(...)`",
    "httpx.Client": "an `httpx.AsyncClient`, with `await client.get(...)`",
    "requests.get": "an `httpx.AsyncClient`, with `await client.get(...)`",
    "urllib.request.urlopen": "an `httpx.AsyncClient`, with `await client.get(...)`",
    ".result": "`await` on the future (`await asyncio.wrap_future(f)` for a concurrent one)",
    ".map": "one `loop.run_in_executor(pool, ...)` per item, awaited together with asyncio.gather",
}


@functools.lru_cache(maxsize=4096)  # asked for every frame of a stack sampled every few ms
def is_learner_file(filename: str) -> bool:
    """True for a file of the learner's: a notebook cell or a module of theirs, not Python's or the workbook's."""
    if filename.startswith("<") and not filename.startswith("<ipython-input"):
        return False  # <frozen ...>, <string>: not a cell the learner can open
    try:
        path = str(Path(filename).resolve())
    except OSError:
        return True
    return not path.startswith(_NOT_LEARNER)


@dataclass(frozen=True)
class Handler:
    """One ``except`` clause: what it catches (as written), whether it is ``except*``, and whether it re-raises."""

    catches: tuple[str, ...]  # () for a bare `except:`
    star: bool
    reraises: bool
    line: int  # in the learner's cell

    @property
    def written(self) -> str:
        """The clause as the learner wrote it, near enough: ``except asyncio.CancelledError:``."""
        star = "*" if self.star else ""
        return f"except{star} {', '.join(self.catches)}:" if self.catches else "except:"

    @property
    def where(self) -> str:
        """``the `except BaseException:` at line 7 of your cell``, for a hint."""
        return f"the `{self.written}` at line {self.line} of your cell"


@dataclass(frozen=True)
class _Call:
    name: str  # resolved where possible: "asyncio.gather", "time.sleep"; else as written: "writer.drain"
    method: str  # the last part: "gather", "sleep", "drain"
    awaited: bool
    keywords: frozenset[str]
    line: int


@dataclass
class Code:
    """The calls and ``except`` clauses found in an answer's source (see the module docstring)."""

    known: bool = False
    _calls: list[_Call] = field(default_factory=list)
    handlers: list[Handler] = field(default_factory=list)
    _async_withs: list[str] = field(default_factory=list)
    _yields_in_finally: list[int] = field(default_factory=list)

    def calls(self, *names: str) -> bool:
        """Whether the code calls any of ``names``: ``"asyncio.gather"`` (resolved) or ``".drain"`` (a method)."""
        return any(self._matching(names))

    def awaits(self, *names: str) -> bool:
        """Whether the code awaits a call of any of ``names`` right where it makes it."""
        return any(call.awaited for call in self._matching(names))

    def calls_without_await(self, *names: str) -> list[int]:
        """Lines where a call of one of ``names`` is made and not awaited there."""
        return [call.line for call in self._matching(names) if not call.awaited]

    def passes_keyword(self, name: str, keyword: str) -> bool:
        """Whether a call of ``name`` passes ``keyword=...``: ``passes_keyword("asyncio.gather", "return_exceptions")``."""
        return any(keyword in call.keywords for call in self._matching((name,)))

    def count(self, *names: str) -> int:
        """How many calls of ``names`` the source holds (where they are written, not how often they run)."""
        return sum(1 for _ in self._matching(names))

    def catches(self, name: str, *, star: bool | None = None) -> list[Handler]:
        """The ``except`` clauses that name ``name`` (``"TimeoutError"``); ``star`` picks ``except*`` or not."""
        found = []
        for handler in self.handlers:
            if star is not None and handler.star != star:
                continue
            if any(caught == name or caught.endswith("." + name) for caught in handler.catches):
                found.append(handler)
        return found

    def swallows_cancellation(self) -> Handler | None:
        """The first clause that would catch a cancellation and not raise again: ``except BaseException:``,
        a bare ``except:``, or ``except CancelledError:`` with no ``raise`` in it."""
        for handler in self.handlers:
            catches_it = not handler.catches or any(name in _CATCHES_CANCEL for name in handler.catches)
            if catches_it and not handler.reraises:
                return handler
        return None

    def enters(self, *names: str) -> bool:
        """Whether an ``async with`` enters one of ``names``: ``enters("asyncio.TaskGroup")``."""
        return any(self._match_name(entered, names) for entered in self._async_withs)

    def blocking_calls(self) -> list[tuple[str, str]]:
        """The calls in :data:`BLOCKING` that the code makes, with what to use instead."""
        return [(name, advice) for name, advice in BLOCKING.items() if self.calls(name)]

    @property
    def yields_in_finally(self) -> list[int]:
        """Lines of ``yield`` inside a ``finally:`` block: a generator that yields while it is being closed."""
        return list(self._yields_in_finally)

    def _matching(self, names: Iterable[str]) -> Iterator[_Call]:
        wanted = tuple(names)
        return (call for call in self._calls if self._match_name(call.name, wanted))

    @staticmethod
    def _match_name(name: str, wanted: tuple[str, ...]) -> bool:
        for want in wanted:
            if want.startswith("."):
                if name == want[1:] or name.endswith(want):
                    return True
            elif name == want:
                return True
        return False


def _sources(answer: Any) -> list[tuple[str, int, dict[str, Any]]]:
    """(dedented source, first line in its cell, globals) for each piece of ``answer`` that has a source."""
    if isinstance(answer, types.MethodType):
        answer = answer.__func__
    pieces: list[Any] = []
    if inspect.isclass(answer):
        for value in vars(answer).values():
            if isinstance(value, staticmethod | classmethod):
                value = value.__func__
            if isinstance(value, property):
                pieces += [f for f in (value.fget, value.fset) if f is not None]
            elif inspect.isfunction(value):
                pieces.append(value)
    else:
        pieces.append(getattr(answer, "func", answer))  # functools.partial: its function
    found = []
    for piece in pieces:
        piece = inspect.unwrap(piece)
        if not inspect.isfunction(piece):
            continue
        try:
            lines, start = inspect.getsourcelines(piece)
        except (OSError, TypeError):
            continue
        found.append((textwrap.dedent("".join(lines)), max(start, 1), piece.__globals__))
    return found


def _dotted(node: ast.expr) -> list[str] | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return [node.id, *reversed(parts)]
    if parts:
        return ["", *reversed(parts)]  # a method of something computed: (...).run_in_executor
    return None


def _qualified(obj: object) -> str | None:
    """``asyncio.gather`` for the function asyncio.tasks.gather; ``time`` for the module time."""
    if inspect.ismodule(obj):
        return obj.__name__
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qualname, str):
        return None
    for package in _PACKAGES:
        if module.startswith(package + "."):
            module = package
    return f"{module}.{qualname}"


class _Reader(ast.NodeVisitor):
    def __init__(self, code: Code, namespace: dict[str, Any], first_line: int) -> None:
        self.code, self.namespace, self.offset = code, namespace, first_line - 1
        self.awaited: set[int] = set()
        self.in_finally = 0
        self.referenced: set[str] = set()

    def _resolve(self, parts: list[str]) -> str:
        root, rest = parts[0], parts[1:]
        if root and root in self.namespace:
            qualified = _qualified(self.namespace[root])
            if qualified:
                return ".".join([qualified, *rest])
        return ".".join(p for p in parts if p) if root else "." + ".".join(rest)

    def visit_Await(self, node: ast.Await) -> None:
        self.awaited.add(id(node.value))
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        parts = _dotted(node.func)
        if parts is not None:
            name = self._resolve(parts)
            self.code._calls.append(
                _Call(
                    name=name,
                    method=parts[-1],
                    awaited=id(node) in self.awaited,
                    keywords=frozenset(k.arg for k in node.keywords if k.arg),
                    line=node.lineno + self.offset,
                )
            )
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        self.referenced.add(node.id)

    def visit_AsyncWith(self, node: ast.AsyncWith) -> None:
        for item in node.items:
            expression = item.context_expr
            target = expression.func if isinstance(expression, ast.Call) else expression
            parts = _dotted(target)
            if parts is not None:
                self.code._async_withs.append(self._resolve(parts))
        self.generic_visit(node)

    def visit_Try(self, node: ast.Try) -> None:
        self._try(node, star=False)

    def visit_TryStar(self, node: ast.TryStar) -> None:
        self._try(node, star=True)

    def _try(self, node: ast.Try | ast.TryStar, star: bool) -> None:
        for handler in node.handlers:
            caught: list[str] = []
            kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
            for kind in kinds:
                parts = _dotted(kind) if kind is not None else None
                if parts is not None:
                    caught.append(".".join(p for p in parts if p))
            reraises = any(isinstance(n, ast.Raise) for n in ast.walk(handler))
            self.code.handlers.append(Handler(tuple(caught), star, reraises, handler.lineno + self.offset))
        for statement in [*node.body, *node.handlers, *node.orelse]:
            self.visit(statement)
        self.in_finally += 1
        for statement in node.finalbody:
            self.visit(statement)
        self.in_finally -= 1

    def visit_Yield(self, node: ast.Yield) -> None:
        if self.in_finally:
            self.code._yields_in_finally.append(node.lineno + self.offset)
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._function(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._function(node)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        # A function defined inside a `finally` is not run by it: its yields are its own.
        outer, self.in_finally = self.in_finally, 0
        self.generic_visit(node)
        self.in_finally = outer


def read_code(answer: Any, *, depth: int = 1) -> Code:
    """What ``answer`` (a function, a class, a partial) calls, awaits and catches; see :class:`Code`."""
    code = Code()
    seen: set[int] = set()
    _read_into(code, answer, depth, seen)
    return code


def _read_into(code: Code, answer: Any, depth: int, seen: set[int]) -> None:
    if id(answer) in seen:
        return
    seen.add(id(answer))
    for source, first_line, namespace in _sources(answer):
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        code.known = True
        reader = _Reader(code, namespace, first_line)
        reader.visit(tree)
        if depth <= 0:
            continue
        for name in sorted(reader.referenced):
            helper = namespace.get(name)
            if _is_learners(helper):
                _read_into(code, helper, depth - 1, seen)


def _is_learners(value: object) -> bool:
    """A function or class of the learner's own (defined in a cell or a module of theirs)."""
    if inspect.isclass(value) or inspect.isfunction(value):
        function = value if inspect.isfunction(value) else None
        if function is None:
            methods = [m for m in vars(value).values() if inspect.isfunction(m)]
            function = methods[0] if methods else None
        if function is None:
            return False
        return is_learner_file(inspect.unwrap(function).__code__.co_filename)
    return False
