"""Answers to every exercise, as learners write them: the model answer, the stub, and the usual mistakes.

One module per lesson, named like its checker module in ``support/exercises/``, each with a ``CASES`` list.
``tests/test_exercise_checkers.py`` runs every case through its checker: the model answer must pass, the
stub must read "not tried yet", and each wrong answer must fail with its own hint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from support.exercises.checking import Checker


@dataclass(frozen=True)
class Wrong:
    """A plausible wrong answer, the learner's mistake in words, and a piece of the hint it must get."""

    answer: Any
    mistake: str
    hint: str


@dataclass(frozen=True)
class Cases:
    """Everything one checker is tried with."""

    check: Checker
    right: Any
    stub: Any
    wrong: list[Wrong] = field(default_factory=list)
    # More than one argument? Each answer is then a tuple of them.
    several: bool = False

    @property
    def name(self) -> str:
        return f"{self.check.__module__.rsplit('.', 1)[-1]}.{self.check.__name__}"
