"""Checkers for the exercises that end each lesson: one module per lesson, one function per exercise.

A checker runs the learner's code on fresh inputs and either prints one stable line that says what passed,
or raises :class:`ExerciseFailed` with a hint that says what to look at. Checkers never print timings:
their output is stored in the notebook and compared by strict nbval, so it must not vary between runs.
"""

from __future__ import annotations

__all__ = ["ExerciseFailed", "passed", "require"]


class ExerciseFailed(AssertionError):
    """The learner's answer is not right yet; the message is a hint, not a stack trace to decode."""


def require(condition: object, hint: str) -> None:
    """Fail the exercise with ``hint`` unless ``condition`` holds."""
    if not condition:
        raise ExerciseFailed(hint)


def passed(exercise: str, what: str) -> None:
    """Print the one line that says an exercise passed.

    It returns None on purpose: a checker called as a cell's last expression then adds no ``Out[]`` value,
    which strict nbval would compare (it runs cells without history, so a trailing ``;`` does not hide it).
    """
    print(f"✔ {exercise} passed: {what}")
