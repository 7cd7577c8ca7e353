"""A claim that a lesson reads off its own measurement: ``✔`` when the numbers bear it out, ``⚠`` when not.

Prose never states a figure the output might contradict. The cell that measures prints the verdict instead,
computed from its numbers, e.g. ``✔ processes ran in parallel: 1.9×`` or ``⚠ 0.9×: another program had the
cores; run again``. ``make notebooks`` re-runs a notebook whose stored output would hold a ``⚠`` line, and
refuses to store it if the verdict still fails (:mod:`support.workbook.notebook_runner`), so stored outputs
come from a quiet machine. nbval masks verdict lines (``tests/sanitize.cfg``): a busy machine during a test
run is not a failure of the lesson.
"""

from __future__ import annotations

__all__ = ["HOLDS", "MISSED", "verdict", "failed_verdicts"]

HOLDS, MISSED = "✔", "⚠"


def verdict(holds: bool, claim: str, otherwise: str) -> str:
    """``"✔ <claim>"`` when ``holds``, else ``"⚠ <otherwise>"``; ``otherwise`` should say the likely cause.

    >>> verdict(2.0 > 1.5, "ran in parallel: 2.0×", "1.0×: another program had the cores; run again")
    '✔ ran in parallel: 2.0×'
    """
    return f"{HOLDS} {claim}" if holds else f"{MISSED} {otherwise}"


def failed_verdicts(text: str) -> list[str]:
    """The lines of ``text`` that are failed verdicts (they start with ``⚠``)."""
    return [line for line in text.splitlines() if line.startswith(MISSED + " ")]
