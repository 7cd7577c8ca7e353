"""Each nbval sanitize pattern masks what it is meant for, and nothing more."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

import pytest

from support.timing import format_duration, format_ratio

CFG = Path(__file__).with_name("sanitize.cfg")


def _patterns() -> dict[str, tuple[re.Pattern[str], str]]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(CFG, encoding="utf-8")
    return {name: (re.compile(parser[name]["regex"]), parser[name]["replace"]) for name in parser.sections()}


PATTERNS = _patterns()


def sanitize(name: str, text: str) -> str:
    regex, replace = PATTERNS[name]
    return regex.sub(replace, text)


# (pattern, text that must change, what it must become)
MASKED = [
    ("duration", f"sequential: {format_duration(10.0234)}", "sequential: D.DD s"),
    ("duration", f"took {format_duration(0.5)} in all", "took D.DD s in all"),
    ("duration", "123.45 s", "D.DD s"),
    ("ratio", f"concurrent was {format_ratio(9.84)} faster", "concurrent was N.N× faster"),
    ("ratio", format_ratio(123.0), "N.N×"),
    ("memory-address", "<coroutine object main at 0x7f3a2c1d5e40>", "<coroutine object main at 0xADDRESS>"),
    (
        "loopback-port",
        "Serving flags on http://127.0.0.1:40123/flags",
        "Serving flags on http://127.0.0.1:PORT/flags",
    ),
    ("loopback-port", "GET http://localhost:8001/flags", "GET http://localhost:PORT/flags"),
    ("rate", "100/100 [00:03<00:00, 30.48it/s]", "100/100 [00:03<00:00, N it/s]"),
    ("rate", "1234 req/s", "N req/s"),
    (
        "task-number",
        "<Task pending name='Task-17' coro=<main()>>",
        "<Task pending name='Task-N' coro=<main()>>",
    ),
    ("verdict", "✔ processes ran in parallel: 1.9×", "VERDICT"),
    ("verdict", "⚠ 0.9×: another program had the cores; run again", "VERDICT"),
    ("verdict", "speed-ups:\n✔ in parallel\nend", "speed-ups:\nVERDICT\nend"),
]

# (pattern, text it must leave exactly as it is)
KEPT = [
    ("duration", "1.5 s"),  # one decimal is not our format
    ("duration", "1.025 s"),  # three decimals are not our format either
    ("duration", "10 s"),
    ("duration", "12.34 seconds"),
    ("duration", "version 3.11 support"),
    ("ratio", "9.8x faster"),  # only the × sign that format_ratio writes
    ("ratio", "3×3 grid"),
    ("memory-address", "0x1F"),  # small hex literals in lessons stay visible
    ("memory-address", "HTTP 0x00ff"),
    ("loopback-port", "http://example.org:8080"),
    ("loopback-port", "127.0.0.1 is loopback"),
    ("loopback-port", "127.0.0.10:8000"),
    ("rate", "3 requests per second"),
    ("rate", "km/s"),
    ("task-number", "Task-One"),
    ("task-number", "MyTask-3"),
    ("verdict", "✔ Exercise 2 passed: 18 names probed"),  # a checker's line is compared as it is
    ("verdict", "✘ Exercise 1: the answer blocks the loop"),
    ("verdict", "a ✔ inside a line"),
]


def test_every_pattern_is_tested() -> None:
    assert {name for name, *_ in MASKED} == set(PATTERNS)
    assert {name for name, _ in KEPT} == set(PATTERNS)


@pytest.mark.parametrize(("name", "text", "expected"), MASKED)
def test_pattern_masks_what_varies(name: str, text: str, expected: str) -> None:
    assert sanitize(name, text) == expected


@pytest.mark.parametrize(("name", "text"), KEPT)
def test_pattern_leaves_other_text_alone(name: str, text: str) -> None:
    assert sanitize(name, text) == text


@pytest.mark.parametrize(("name", "text"), KEPT)
def test_all_patterns_together_leave_other_text_alone(name: str, text: str) -> None:
    # nbval applies every pattern to every output, so each kept text must survive all of them.
    for other in PATTERNS:
        assert sanitize(other, text) == text, other
