"""A verdict is ✔ with the claim when the numbers bear it out, ⚠ with the likely cause when not."""

from __future__ import annotations

from support.verdict import failed_verdicts, verdict


def test_a_verdict_follows_its_numbers() -> None:
    assert verdict(1.9 >= 1.5, "in parallel: 1.9×", "0.9×: busy") == "✔ in parallel: 1.9×"
    assert verdict(0.9 >= 1.5, "in parallel: 0.9×", "0.9×: busy; run again") == "⚠ 0.9×: busy; run again"


def test_failed_verdicts_are_found_only_at_the_start_of_a_line() -> None:
    text = "timing\n✔ fine\n⚠ 0.9×: busy; run again\nnot ⚠ here\n⚠no space\n"
    assert failed_verdicts(text) == ["⚠ 0.9×: busy; run again"]
    assert failed_verdicts("✔ all good") == []
