"""The argument checks and exit statuses every command line in the workbook shares.

Every CLI (the servers, the example clients) ends with the same statuses, so a shell script or a test can tell
what happened without reading the output:

===== ==========================================================================================
0     everything worked
1     something failed (a flag not downloaded, a name not probed); the summary says how many
2     usage error: a bad option, told in one line on stderr, before any work
130   interrupted by Ctrl-C (128 + SIGINT, what shells report)
===== ==========================================================================================

:class:`Parser` is ``argparse`` with those conventions. Each checker takes the text argparse hands it (or a
number, when a ``start()`` function passes one) and returns the value, or raises :class:`BadValue`: both an
``argparse.ArgumentTypeError``, so a command line prints its message as a one-line usage error, and a
``ValueError``, so Python callers such as ``flag_server.start(delay=...)`` catch it the ordinary way.

One delay syntax serves both servers: ``0.5`` (fixed) or ``0.1:0.5`` (uniform range), each with its own
ceiling (the flag site allows up to an hour, the DNS server a minute).
"""

from __future__ import annotations

import argparse
import functools
import math
from collections.abc import Callable
from typing import NoReturn, TypeVar

__all__ = [
    "EXIT_STATUS_HELP",
    "FAILED",
    "INTERRUPTED",
    "OK",
    "USAGE",
    "BadValue",
    "Parser",
    "exit_status",
    "checked",
    "delay",
    "format_delay",
    "fraction",
    "parse_delay",
    "port",
    "positive_int",
    "positive_seconds",
    "seconds_up_to",
    "whole_number_up_to",
]

Delay = tuple[float, float]
T = TypeVar("T")

OK, FAILED, USAGE, INTERRUPTED = 0, 1, 2, 130
EXIT_STATUS_HELP = """exit status:
  0    all OK
  1    {failed}
  2    usage error: one line on stderr, nothing done
  130  interrupted (Ctrl-C)"""


def exit_status(failures: int) -> int:
    """0 when nothing failed, else 1."""
    return FAILED if failures else OK


class Parser(argparse.ArgumentParser):
    """``argparse`` with the workbook's conventions: the exit statuses in ``--help``, and usage errors as
    one line on stderr (no usage block, no traceback) with status 2.

    ``failed`` says what status 1 means for this program. The help has a fixed width, so it reads the same in
    every terminal and in a lesson's stored output.
    """

    def __init__(self, *, prog: str, description: str, failed: str = "some failed") -> None:
        super().__init__(
            prog=prog,
            description=description,
            epilog=EXIT_STATUS_HELP.format(failed=failed),
            formatter_class=functools.partial(argparse.RawDescriptionHelpFormatter, width=96),
        )

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE, f"{self.prog}: error: {message} (see --help)\n")


class BadValue(argparse.ArgumentTypeError, ValueError):
    """A command-line value that does not fit: argparse shows the message, Python code may catch ValueError."""


def checked(check: Callable[[str], T]) -> Callable[[str], T]:
    """An argparse ``type=`` made from a function that raises ValueError: its message becomes the usage error.

    (argparse shows the message of an ``ArgumentTypeError`` only; a plain ValueError becomes "invalid value".)
    """

    def convert(text: str) -> T:
        try:
            return check(text)
        except ValueError as exc:
            raise BadValue(str(exc)) from None

    convert.__name__ = check.__name__
    return convert


def _number(text: str | float, kind: type[int] | type[float], what: str) -> float:
    try:
        return kind(text)
    except (TypeError, ValueError):
        raise BadValue(f"expected {what}, not {text!r}") from None


def positive_int(text: str | int) -> int:
    """A whole number of at least 1 (a count, a limit, a length)."""
    value = int(_number(text, int, "a whole number"))
    if value < 1:
        raise BadValue(f"must be 1 or more, not {value}")
    return value


def whole_number_up_to(maximum: int) -> Callable[[str | int], int]:
    """A checker for a whole number from 1 to ``maximum``: a size big enough to show, small enough for class."""

    def whole_number(text: str | int) -> int:
        value = int(_number(text, int, "a whole number"))
        if not 1 <= value <= maximum:
            raise BadValue(f"must be from 1 to {maximum:,}, not {value}")
        return value

    return whole_number


def positive_seconds(text: str | float) -> float:
    """A duration in seconds above 0 (a timeout, a cap); ``nan`` is refused, ``inf`` means no limit."""
    value = float(_number(text, float, "a number of seconds"))
    if not value > 0:
        raise BadValue(f"must be more than 0 seconds, not {text}")
    return value


def seconds_up_to(maximum: float) -> Callable[[str | float], float]:
    """A checker for a duration above 0 and at most ``maximum`` seconds (``inf`` and ``nan`` refused)."""

    def seconds(text: str | float) -> float:
        value = float(_number(text, float, "a number of seconds"))
        if not 0 < value <= maximum:
            raise BadValue(f"must be more than 0 and at most {maximum:g} seconds, not {text}")
        return value

    return seconds


def fraction(text: str | float) -> float:
    """A share between 0 and 1 inclusive (an error rate)."""
    value = float(_number(text, float, "a number between 0 and 1"))
    if not 0 <= value <= 1:
        raise BadValue(f"must be between 0 and 1, not {text}")
    return value


def port(text: str | int) -> int:
    """A TCP or UDP port, 0..65535; 0 asks the system for a free one."""
    value = int(_number(text, int, "a port number"))
    if not 0 <= value <= 65535:
        raise BadValue(f"port must be 0..65535, not {value}")
    return value


def parse_delay(value: str | float | tuple[float, float] | None, maximum: float) -> Delay:
    """``"0.2"`` or ``0.2`` -> (0.2, 0.2); ``"0.05:0.3"`` or ``(0.05, 0.3)`` -> (0.05, 0.3); None -> (0, 0).

    Both bounds must satisfy ``0 <= low <= high <= maximum``; anything else raises :class:`BadValue`.
    """
    if value is None:
        return (0.0, 0.0)
    if isinstance(value, tuple):
        parts: list[str | float] = list(value)
    elif isinstance(value, str):
        parts = list(value.split(":")) if ":" in value else [value]
    else:
        parts = [value]
    usage = f"a delay is SECONDS or LOW:HIGH with 0 <= LOW <= HIGH <= {maximum:g}, not {value!r}"
    if len(parts) == 1:
        parts = parts * 2
    if len(parts) != 2:
        raise BadValue(usage)
    try:
        low, high = (float(part) for part in parts)
    except (TypeError, ValueError):
        raise BadValue(usage) from None
    if not (math.isfinite(high) and 0 <= low <= high <= maximum):
        raise BadValue(usage)
    return (low, high)


def delay(maximum: float) -> Callable[[str], Delay]:
    """An argparse ``type=`` for delays up to ``maximum`` seconds (see :func:`parse_delay`)."""

    def checked(text: str) -> Delay:
        return parse_delay(text, maximum)

    checked.__name__ = "delay"  # what argparse would name in a message, were one ever generic
    return checked


def format_delay(bounds: Delay) -> str:
    """The command-line spelling of a parsed delay, always ``LOW:HIGH``: one configuration, one spelling."""
    low, high = bounds
    return f"{low!r}:{high!r}"
