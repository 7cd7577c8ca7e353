"""Checkers for the exercises that end each lesson: one module per lesson, one checker per exercise.

Every checker is made with :func:`support.exercises.checking.checker`, so it behaves the same way in every
lesson: it prints one stable line (○ not tried yet, ✘ with a hint, ✔ passed) and never raises into the
notebook. Model answers live in ``notebooks/solutions/``, which run them through these same checkers.
"""

# Lessons whose checkers are not yet made with ``checking.checker`` still use these three; they go once
# every lesson's checkers are converted.
from .checking import ExerciseFailed, require  # noqa: E402

__all__ = ["ExerciseFailed", "passed", "require"]


def passed(exercise: str, what: str) -> None:
    """Print the ✔ line of a checker not yet made with ``checking.checker``."""
    print(f"✔ {exercise} passed: {what}")
