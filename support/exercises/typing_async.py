"""Checks for the exercises of ``09_typing_async``: annotations judged by mypy, code judged by running it.

Each check reads the source of the learner's function, puts it in a small module under :data:`PREAMBLE`
(the imports the lesson uses) and above a fixed *tail*: a few helpers, a function ``uses`` whose every
statement mypy must accept, and a function ``misuses`` whose every statement mypy must reject. The lesson
shows each tail verbatim, so the learner sees exactly what is checked. :func:`typecheck` runs mypy in this
process (``mypy.api``) with ``--strict``, its cache under the workbook's cache folder, so that a second check
takes a fraction of a second. Then the check runs the learner's function on its own test data.

The verdict looks, in order, for: errors mypy finds in the learner's own lines, wrong behaviour when run, a
use mypy rejects, a misuse mypy accepts. The hint names the line and quotes mypy, plus a tip where the cause
is one learners often meet (a ``list`` annotation on an async generator, a ``Coroutine`` where any
awaitable will do, ``AsyncIterator`` where ``aclose()`` is needed).
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import re
import tempfile
import textwrap
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mypy import api

from ..paths import cache_root
from .checking import checker, fail, own_work, require, stop_tasks, waiting_for
from .learner_code import read_code

__all__ = [
    "LEASED_TAIL",
    "PAGINATE_TAIL",
    "PREAMBLE",
    "WITH_TIMEOUT_TAIL",
    "Connection",
    "Message",
    "check_leased",
    "check_paginate",
    "check_with_timeout",
    "typecheck",
]

# What the check puts above the learner's function: the lesson's imports, and T for a generic answer.
PREAMBLE = """\
import asyncio
from collections.abc import (
    AsyncGenerator, AsyncIterable, AsyncIterator, Awaitable, Callable, Coroutine, Generator, Iterable, Iterator,
)
from contextlib import AbstractAsyncContextManager, aclosing, asynccontextmanager
from typing import Any, TypeVar

T = TypeVar("T")
"""

MYPY_OPTIONS = ["--strict", "--config-file=", "--no-error-summary", "--no-pretty", "--no-color-output"]
_LINE = re.compile(
    r"^(?P<file>.+?):(?P<line>\d+): (?P<severity>error|note): (?P<text>.*?)(?:  \[(?P<code>[\w-]+)\])?$"
)


@dataclass(frozen=True)
class Message:
    """One line of mypy's report: where, how bad, what it says, and the error code (``arg-type``...)."""

    line: int
    severity: str
    text: str
    code: str | None = None


def typecheck(source: str) -> list[Message]:
    """What ``mypy --strict`` says about ``source`` as a module of its own (a fresh temporary file)."""
    cache = cache_root() / "mypy-exercises"
    with tempfile.TemporaryDirectory(prefix="typing-check-") as folder:
        path = Path(folder) / "answer.py"
        path.write_text(source, encoding="utf-8")
        report, errors, status = api.run([*MYPY_OPTIONS, "--cache-dir", str(cache), str(path)])
    if status == 2:  # mypy itself failed (a crash, bad options): ours to fix, not the learner's
        raise RuntimeError(f"mypy could not run: {errors or report}")
    messages = []
    for line in report.splitlines():
        match = _LINE.match(line)
        if match and Path(match["file"]).name == "answer.py":
            messages.append(Message(int(match["line"]), match["severity"], match["text"], match["code"]))
    return messages


# --- the module each check builds ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Item:
    """One statement of ``uses`` or ``misuses``: its lines in the module, and its code as the lesson shows it."""

    first: int
    last: int
    code: str
    comment: str


@dataclass(frozen=True)
class _Built:
    source: str
    answer_lines: range  # the learner's lines in the module
    first_cell_line: int  # the line of the learner's cell where their source starts
    answer_source: list[str]
    uses: list[_Item]
    misuses: list[_Item]


def _source_of(answer: Any, name: str) -> tuple[str, int]:
    """The answer's source, dedented, and the line of its cell where it starts."""
    try:
        lines, start = inspect.getsourcelines(answer)
    except (OSError, TypeError):
        fail(
            f"the check could not read the source of {name}: define it with `async def` in a cell of its own, "
            "then run that cell."
        )
    return textwrap.dedent("".join(lines)), max(start, 1)


def _items(tail_tree: ast.Module, function: str, offset: int, tail_lines: list[str]) -> list[_Item]:
    body = next(
        node.body
        for node in tail_tree.body
        if isinstance(node, ast.AsyncFunctionDef) and node.name == function
    )
    items = []
    for statement in body:
        end = statement.end_lineno or statement.lineno
        text = tail_lines[statement.lineno - 1 : end]
        code, _, comment = text[0].partition("  # ")
        items.append(_Item(statement.lineno + offset, end + offset, code.strip(), comment.strip()))
    return items


def _build(answer: Any, name: str, tail: str, context: str) -> _Built:
    source, first_cell_line = _source_of(answer, name)
    defined = getattr(answer, "__name__", name)
    if defined != name:  # the tail calls the answer by the lesson's name (tests try answers named otherwise)
        source = re.sub(rf"\bdef {re.escape(defined)}\b", f"def {name}", source, count=1)
    head = PREAMBLE + "\n\n" + (context.rstrip("\n") + "\n\n\n" if context else "")
    start = head.count("\n") + 1
    answer_source = source.rstrip("\n").splitlines()
    body = head + source.rstrip("\n") + "\n\n\n"
    offset = body.count("\n")
    tail_lines = tail.splitlines()
    tree = ast.parse(tail)
    return _Built(
        source=body + tail,
        answer_lines=range(start, start + len(answer_source)),
        first_cell_line=first_cell_line,
        answer_source=answer_source,
        uses=_items(tree, "uses", offset, tail_lines),
        misuses=_items(tree, "misuses", offset, tail_lines),
    )


def _return_annotation(answer: Any) -> str:
    """The answer's return annotation as written (``"list[str]"``), or ``""``."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(answer)))
    except (OSError, TypeError, SyntaxError):
        return ""
    function = next((n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)), None)
    if function is None or function.returns is None:
        return ""
    return ast.unparse(function.returns)


def _generic(annotation: str) -> str:
    """``"collections.abc.AsyncIterator[str]"`` -> ``"AsyncIterator"``."""
    return annotation.split("[", 1)[0].rsplit(".", 1)[-1]


def _own_error_hint(built: _Built, messages: list[Message], answer: Any, name: str) -> str | None:
    """A hint for the first error mypy finds in the learner's own lines, or None when there is none."""
    own = [m for m in messages if m.line in built.answer_lines]
    errors = [m for m in own if m.severity == "error"]
    if not errors:
        return None
    # The decorator's complaint about a wrong generator type comes first; the one about the type explains it.
    error = next((m for m in errors if "async generator function should be" in m.text), errors[0])
    index = error.line - built.answer_lines.start
    where = f"line {built.first_cell_line + index} of your cell (`{built.answer_source[index].strip()}`)"
    annotation = _return_annotation(answer)
    kind = _generic(annotation)
    if "async generator function should be" in error.text:
        if kind in {"list", "tuple", "set", "List", "Tuple"}:
            return (
                f"mypy rejects `-> {annotation}` on {name}: an async generator hands out its items one at a "
                "time, to `async for`; it never builds a list. Annotate it AsyncIterator[...] or "
                "AsyncGenerator[..., None]."
            )
        if kind in {"Iterator", "Iterable", "Generator"}:
            return (
                f"mypy rejects `-> {annotation}` on {name}: {kind} is the type of a plain generator, read with "
                "`for`. A function with `async def` and `yield` makes an async generator, read with "
                "`async for`: AsyncIterator[...] or AsyncGenerator[..., None]."
            )
        if kind in {"AbstractAsyncContextManager", "AsyncContextManager"}:
            return (
                f"mypy rejects `-> {annotation}` on {name}: annotate the generator itself, with what it "
                "yields (AsyncIterator[...]); @asynccontextmanager turns it into the "
                "AbstractAsyncContextManager for you."
            )
        return (
            f"mypy rejects `-> {annotation}` on {name}: a function with `async def` and `yield` is an async "
            "generator; its return type says what it yields: AsyncIterator[...] or AsyncGenerator[..., None]."
        )
    if kind in {"Awaitable", "Coroutine"} and inspect.iscoroutinefunction(answer):
        return (
            f"mypy rejects `-> {annotation}` on {name}: the return annotation of an `async def` is what "
            "`await` gives back (int, not Awaitable[int]); mypy wraps it in Coroutine[Any, Any, ...] itself."
        )
    notes = [m.text for m in own if m.severity == "note" and m.line == error.line and "await" in m.text]
    return f"mypy rejects your code at {where}: {error.text}" + (f" ({notes[0]})" if notes else "")


Tip = tuple[str, str]  # (a piece of mypy's message, the tip to add when the message has it)


def _judge_types(
    built: _Built, messages: list[Message], use_tips: Sequence[Sequence[Tip]], misuse_tips: Sequence[str]
) -> None:
    """Fail on the first use mypy rejected, then on the first misuse it accepted."""
    for item, tips in zip(built.uses, use_tips, strict=True):
        found = [m for m in messages if item.first <= m.line <= item.last and m.severity == "error"]
        if found:
            text = found[0].text
            tip = next((tip for piece, tip in tips if piece in text), "")
            stop = "" if text.endswith((".", "?", "!")) else "."
            fail(
                f"mypy rejects `{item.code}`, a use that should pass: {text}{stop}"
                + (f" {tip}" if tip else "")
            )
    for item, tip in zip(built.misuses, misuse_tips, strict=True):
        if not any(item.first <= m.line <= item.last and m.severity == "error" for m in messages):
            fail(f"mypy accepts `{item.code}`, but {item.comment}: {tip}")
    unexpected = [m for m in messages if m.severity == "error" and m.line not in built.answer_lines]
    unexpected = [
        m for m in unexpected if not any(i.first <= m.line <= i.last for i in [*built.uses, *built.misuses])
    ]
    if unexpected:
        fail(
            f"mypy rejects the check's own helpers because of your code: line {unexpected[0].line}: {unexpected[0].text}"
        )


def _check_types(
    answer: Any,
    name: str,
    tail: str,
    use_tips: Sequence[Sequence[Tip]],
    misuse_tips: Sequence[str],
    context: str = "",
) -> None:
    """mypy on the answer and the tail: fail on the answer's own errors, a rejected use, an accepted misuse."""
    built = _build(answer, name, tail, context)
    with own_work():  # mypy's time is the check's, not the answer's (its first run fills a cache)
        messages = typecheck(built.source)
    hint = _own_error_hint(built, messages, answer, name)
    if hint:
        fail(hint)
    _judge_types(built, messages, use_tips, misuse_tips)


# --- Exercise 1: with_timeout ----------------------------------------------------------------------------

WITH_TIMEOUT_TAIL = """\
async def count_bytes() -> int:
    return 0


async def read_text() -> str:
    return ""


async def uses(task: asyncio.Task[int], future: asyncio.Future[int]) -> None:
    size: int = await with_timeout(count_bytes(), 1.0)
    size = await with_timeout(task, 0.5)
    size = await with_timeout(future, 2)


async def misuses() -> None:
    size: int = await with_timeout(read_text(), 1.0)  # that job gives a str, not an int
    text: str = await with_timeout(count_bytes(), 1.0)  # what comes back is an int
    await with_timeout(count_bytes, 1.0)  # count_bytes is the function, not something to await
"""

_WITH_TIMEOUT_TIPS: list[Tip] = [
    (
        'Argument 1 to "with_timeout"',
        "A Task or a Future can be awaited, but it is not a coroutine: ask for what you use, Awaitable[int], "
        "which covers all three.",
    ),
    (
        'Argument 2 to "with_timeout"',
        "seconds may have a fraction: float (an int is accepted where a float is asked for).",
    ),
]
_WITH_TIMEOUT_USE_TIPS = [_WITH_TIMEOUT_TIPS] * 3
_WITH_TIMEOUT_MISUSE_TIPS = [
    "say what the job gives when awaited, and that with_timeout gives back the same: Awaitable[int] and -> int.",
    "say what with_timeout gives back: -> int.",
    "job must be something to await: Awaitable[int].",
]

WithTimeout = Callable[[Awaitable[int], float], Awaitable[int]]


def _close_quietly(value: object) -> None:
    if inspect.iscoroutine(value):
        value.close()


@checker("Exercise 1", todo="annotate and fill in with_timeout above, then run this cell")
async def check_with_timeout(with_timeout: WithTimeout) -> str:
    """``with_timeout(job, seconds)``: annotated so mypy takes coroutines, tasks and futures of int; and it works."""
    require(inspect.iscoroutinefunction(with_timeout), "with_timeout must be defined with `async def`.")
    _check_types(
        with_timeout, "with_timeout", WITH_TIMEOUT_TAIL, _WITH_TIMEOUT_USE_TIPS, _WITH_TIMEOUT_MISUSE_TIPS
    )
    quick = asyncio.sleep(0.01, result=7)
    got = await with_timeout(quick, 1.0)
    _close_quietly(quick)
    require(
        not inspect.isawaitable(got),
        "with_timeout gave back something still to await: did you forget `await`?",
    )
    require(got == 7, f"with_timeout(job, 1.0) should give back what the job gives (7), not {got!r}.")
    slow = asyncio.sleep(1.0, result=7)
    try:
        late = await with_timeout(slow, 0.05)
    except TimeoutError:
        pass
    else:
        fail(f"a job of 1 s with a limit of 0.05 s should raise TimeoutError; with_timeout gave {late!r}.")
    finally:
        _close_quietly(slow)
    return "mypy accepts coroutines, tasks and futures of int and rejects the 3 misuses; the limit works"


# --- Exercise 2: paginate --------------------------------------------------------------------------------

PAGINATE_TAIL = """\
async def fetch_names(page: int) -> list[str]:
    return []


def fetch_names_now(page: int) -> list[str]:
    return []


async def uses() -> None:
    async for name in paginate(fetch_names):
        print(name.upper())
    names: list[str] = [name async for name in paginate(fetch_names)]
    async with aclosing(paginate(fetch_names)) as pages:
        first: str = await anext(pages)


async def misuses() -> None:
    for name in paginate(fetch_names):  # a plain `for` cannot read an async generator
        pass
    async for number in paginate(fetch_names):  # the names are str
        total: int = number
    paginate(fetch_names_now)  # fetch_names_now gives a list at once, nothing to await
"""

_PAGINATE_USE_TIPS: list[list[Tip]] = [
    [('has no attribute "upper"', "paginate yields the names one by one, not whole pages.")],
    [],
    [
        (
            "aclosing",
            "aclosing() needs an aclose() method. AsyncIterator promises only __anext__; an async generator "
            "has aclose() too, and AsyncGenerator[str, None] says so.",
        )
    ],
]
_PAGINATE_MISUSE_TIPS = [
    "say that paginate is asynchronous: AsyncGenerator[str, None], not Any.",
    "say what paginate yields: AsyncGenerator[str, None].",
    "say that fetch_page gives something to await: Callable[[int], Awaitable[list[str]]].",
]

FetchPage = Callable[[int], Awaitable[list[str]]]
Paginate = Callable[[FetchPage], AsyncGenerator[str, None]]


class _PastTheEnd(Exception):
    """A page was asked for after the empty one: paginate does not stop there."""


class _Pages:
    """A stand-in for a paged web API: notes which pages were asked for.

    Past the first empty page it raises :class:`_PastTheEnd` instead of answering: an answer that never
    stops would otherwise ask for pages for ever, and the check could only time it out.
    """

    def __init__(self, pages: Sequence[Sequence[str]]) -> None:
        self.pages = [list(page) for page in pages]
        self.asked: list[int] = []

    async def fetch(self, page: int) -> list[str]:
        self.asked.append(page)
        await asyncio.sleep(0)
        if page > len(self.pages) + 1:
            raise _PastTheEnd(page)
        return list(self.pages[page - 1]) if 1 <= page <= len(self.pages) else []


@checker("Exercise 2", todo="annotate and fill in paginate above, then run this cell")
async def check_paginate(paginate: Paginate) -> str:
    """``paginate(fetch_page)``: an async generator of names, annotated so that ``aclosing`` accepts it."""
    require(
        inspect.isasyncgenfunction(paginate),
        "paginate must be an async generator: `async def` with `yield name` inside, not a coroutine that "
        "returns a list.",
    )
    _check_types(paginate, "paginate", PAGINATE_TAIL, _PAGINATE_USE_TIPS, _PAGINATE_MISUSE_TIPS)
    api_pages = _Pages([["if", "in"], ["is"], []])
    try:
        with waiting_for("paginate to end after the empty page 3"):
            got = [name async for name in paginate(api_pages.fetch)]
    except _PastTheEnd:
        fail(
            f"page 3 came back empty, yet paginate asked for pages {api_pages.asked[3:]} after it: stop at the "
            "first empty page (`if not names: return`), or it will ask for pages for ever."
        )
    require(
        got == ["if", "in", "is"],
        f"paginate should yield each name of each page, in order: ['if', 'in', 'is']; it yielded {got!r}.",
    )
    require(
        api_pages.asked == [1, 2, 3],
        f"paginate asked for pages {api_pages.asked}: start at page 1 and stop at the first empty page (3).",
    )
    lazy = _Pages([["if", "in"], ["is"], []])
    names = paginate(lazy.fetch)
    try:
        first = await anext(names)
    finally:
        await names.aclose()
    require(first == "if", f"the first name should be 'if', not {first!r}.")
    require(
        lazy.asked == [1],
        f"to hand out the first name, paginate fetched pages {lazy.asked}: fetch the next page only once "
        "the names of this one have been taken.",
    )
    return "mypy accepts the 3 uses (aclosing too) and rejects the 3 misuses; pages are fetched one at a time"


# --- Exercise 3: leased ----------------------------------------------------------------------------------


class Connection:  # pragma: no mutate block (mypy reads its source, which make mutate would rewrite)
    """A database connection, as far as exercise 3 needs one: a name, and queries that take a moment."""

    def __init__(self, name: str) -> None:
        self.name = name

    async def query(self, sql: str) -> list[tuple[Any, ...]]:
        await asyncio.sleep(0)  # the round trip to the database
        return [(self.name, sql)]

    def __repr__(self) -> str:
        return f"Connection({self.name!r})"


LEASED_TAIL = """\
async def uses(pool: asyncio.Queue[Connection]) -> None:
    async with leased(pool) as connection:
        rows: list[tuple[Any, ...]] = await connection.query("select 1")
    lease: AbstractAsyncContextManager[Connection] = leased(pool)


async def misuses(pool: asyncio.Queue[Connection]) -> None:
    with leased(pool) as connection:  # a lease is entered with `async with`
        pass
    async with leased(pool) as connection:  # the block gets a Connection
        count: int = connection
    leased([Connection("db-1")])  # a list is not a pool
"""

_LEASED_USE_TIPS: list[list[Tip]] = [
    [
        (
            "__aenter__",
            "Decorate leased with @asynccontextmanager: it turns the generator into a context manager.",
        )
    ],
    [],
]
_LEASED_MISUSE_TIPS = [
    "decorate leased with @asynccontextmanager and annotate what it yields: AsyncIterator[Connection].",
    "say what leased yields: AsyncIterator[Connection].",
    "say what pool is: asyncio.Queue[Connection].",
]

Leased = Callable[[asyncio.Queue[Connection]], Any]


def _pool(*names: str) -> asyncio.Queue[Connection]:
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for name in names:
        pool.put_nowait(Connection(name))
    return pool


class _Boom(Exception):
    """Raised inside the learner's ``async with`` block, to see that the connection still goes back."""


def _require_returned_once(pool: asyncio.Queue[Connection], size: int, when: str) -> None:
    """The pool holds each of its ``size`` connections once: none missing, none put back twice."""
    held = list(pool._queue)  # type: ignore[attr-defined]  # a look, without taking anything out
    twice = sorted({c.name for c in held if sum(other is c for other in held) > 1})
    require(
        not twice,
        f"{when}, {twice[0] if twice else ''} was in the pool twice: it was put back more than once (once is "
        "enough: in the `finally` around the `yield`). Two borrowers would then share one connection.",
    )
    require(
        pool.qsize() >= size,
        f"{when}, the connection should be back in the pool: put it back (pool.put_nowait) in a `finally` "
        "around the `yield`.",
    )


async def _leased_survives_cancellation(leased: Leased, code: Any) -> None:
    """A block cancelled while it holds a connection, and a lease cancelled while it waits for one."""
    pool = _pool("db-1")
    holding = asyncio.Event()

    async def hold(lender: asyncio.Queue[Connection]) -> None:
        async with leased(lender):
            holding.set()
            await asyncio.Event().wait()

    task = asyncio.create_task(hold(pool))
    entered = asyncio.create_task(holding.wait())
    with waiting_for("the block to enter: does leased wait for a connection already in the pool?"):
        await asyncio.wait([task, entered], return_when=asyncio.FIRST_COMPLETED)
    await stop_tasks([task, entered])
    if pool.qsize() == 0:
        fail(
            "a block cancelled while it held the connection lost it: cancelling raises CancelledError, which is "
            "a BaseException"
            + (", so your `except Exception` misses it" if code.catches("Exception") else "")
            + ". Put the connection back in a `finally` around the `yield`."
        )
    _require_returned_once(pool, 1, "after a cancelled block")

    empty = _pool()
    waiting = asyncio.create_task(hold(empty))
    await asyncio.sleep(0.01)  # it waits in pool.get() now
    waiting.cancel()
    await asyncio.wait([waiting], timeout=1.0)
    if waiting.done() and not waiting.cancelled() and waiting.exception() is not None:
        error = waiting.exception()
        fail(
            f"a lease cancelled while it waited for a connection raised {type(error).__name__} instead of "
            f"ending cancelled ({error}): take the connection before the `try` (`connection = await "
            "pool.get()`), so that the `finally` runs only once there is one to put back."
        )
    held = list(empty._queue)  # type: ignore[attr-defined]
    if held:
        fail(
            f"a lease cancelled while it waited for a connection put {held[0]!r:.40} in the pool, which never "
            "lent it: take the connection before the `try` (`connection = await pool.get()`)."
        )


@checker("Exercise 3", todo="write leased above, then run this cell")
async def check_leased(leased: Leased) -> str:
    """``leased(pool)``: an async context manager lending a Connection from an ``asyncio.Queue`` and giving it back."""
    require(
        not inspect.isclass(leased),
        "write leased as an async generator function decorated with @asynccontextmanager.",
    )
    require(
        inspect.isasyncgenfunction(inspect.unwrap(leased)),
        "leased should be an async generator (`async def` with `yield connection`), decorated with "
        "@asynccontextmanager.",
    )
    _check_types(
        leased, "leased", LEASED_TAIL, _LEASED_USE_TIPS, _LEASED_MISUSE_TIPS, inspect.getsource(Connection)
    )
    pool = _pool("db-1", "db-2")
    lease = leased(pool)
    if not hasattr(lease, "__aenter__"):
        if inspect.isasyncgen(lease):
            await lease.aclose()
        fail(
            "leased(pool) gives an async generator, which `async with` cannot enter: decorate leased with "
            "@asynccontextmanager."
        )
    code = read_code(leased)
    async with lease as connection:
        require(isinstance(connection, Connection), f"the block should get a Connection, not {connection!r}.")
        require(pool.qsize() == 1, "while the block runs, the leased connection should be out of the pool.")
    _require_returned_once(pool, 2, "after the block")
    try:
        async with leased(pool):
            raise _Boom
    except _Boom:
        pass
    else:
        fail(
            "an error raised inside the `async with` block disappeared: let it propagate (no `except` that "
            "swallows it; try/finally is enough)."
        )
    _require_returned_once(pool, 2, "after a block that raised")
    require(
        pool.qsize() == 2,
        "after a block that raised, the connection was not back in the pool: put it back in a `finally` "
        "around the `yield`.",
    )
    await _leased_survives_cancellation(leased, code)
    empty = _pool()
    entered = asyncio.Event()

    async def borrow() -> None:
        async with leased(empty):
            entered.set()

    waiting = asyncio.create_task(borrow())
    await asyncio.sleep(0.02)
    early = entered.is_set() or waiting.done()
    empty.put_nowait(Connection("db-3"))
    try:
        await asyncio.wait_for(waiting, 1.0)
    except TimeoutError:
        fail("leased(pool) never got the connection put in the pool while it waited: use `await pool.get()`.")
    require(
        not early,
        "with an empty pool, leased(pool) went ahead without a connection: wait for one with `await pool.get()`.",
    )
    return "mypy accepts the 2 uses and rejects the 3 misuses; connections go back even after an error"
