"""The shared command-line checks: one message per mistake, usable from argparse and from Python."""

from __future__ import annotations

import argparse
import math

import pytest

from support import cli


@pytest.mark.parametrize(
    ("check", "good", "value"),
    [
        (cli.positive_int, "3", 3),
        (cli.positive_int, 1, 1),
        (cli.positive_seconds, "0.25", 0.25),
        (cli.positive_seconds, "inf", math.inf),
        (cli.fraction, "0", 0.0),
        (cli.fraction, 1, 1.0),
        (cli.port, "0", 0),
        (cli.port, "65535", 65535),
        (cli.whole_number_up_to(3), "1", 1),
        (cli.whole_number_up_to(3), "3", 3),
    ],
)
def test_good_values_pass_through(check, good, value) -> None:  # type: ignore[no-untyped-def]
    assert check(good) == value


@pytest.mark.parametrize(
    ("check", "bad", "says"),
    [
        (cli.positive_int, "0", "1 or more"),
        (cli.positive_int, "2.5", "whole number"),
        (cli.positive_seconds, "0", "more than 0 seconds"),
        (cli.positive_seconds, "nan", "more than 0 seconds"),
        (cli.positive_seconds, "soon", "number of seconds"),
        (cli.fraction, "1.5", "between 0 and 1"),
        (cli.fraction, "-0.1", "between 0 and 1"),
        (cli.port, "-1", "0..65535"),
        (cli.port, "70000", "0..65535"),
        (cli.port, "http", "port number"),
        (cli.whole_number_up_to(3), "0", "from 1 to 3"),
        (cli.whole_number_up_to(3), "4", "from 1 to 3"),
        (cli.whole_number_up_to(3_000_000), "3000001", "from 1 to 3,000,000"),
        (cli.whole_number_up_to(3), "two", "whole number"),
    ],
)
def test_bad_values_say_what_is_wrong_to_argparse_and_to_python(check, bad, says) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(argparse.ArgumentTypeError, match=says):
        check(bad)
    with pytest.raises(ValueError, match=says):
        check(bad)


@pytest.mark.parametrize(
    ("value", "bounds"),
    [
        (None, (0.0, 0.0)),
        ("0.2", (0.2, 0.2)),
        (0.2, (0.2, 0.2)),
        (0, (0.0, 0.0)),
        ("0.05:0.3", (0.05, 0.3)),
        ((0.05, 0.3), (0.05, 0.3)),
        ("60", (60.0, 60.0)),
    ],
)
def test_parse_delay_accepts_one_value_or_a_range(value, bounds) -> None:  # type: ignore[no-untyped-def]
    assert cli.parse_delay(value, maximum=60) == bounds


@pytest.mark.parametrize("bad", ["-1", "0.3:0.1", "abc", "1:", ":1", "1:2:3", "61", "nan", "inf", (1, 2, 3)])
def test_parse_delay_refuses_everything_else(bad) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="LOW:HIGH"):
        cli.parse_delay(bad, maximum=60)


def test_each_server_keeps_its_own_ceiling() -> None:
    assert cli.parse_delay("3000", maximum=3600) == (3000.0, 3000.0)
    with pytest.raises(ValueError, match="3600"):
        cli.parse_delay("3601", maximum=3600)


def test_format_delay_spells_one_configuration_one_way() -> None:
    spellings = ["0.5", 0.5, (0.5, 0.5), "0.5:0.5", "5e-1"]
    assert {cli.format_delay(cli.parse_delay(s, 60)) for s in spellings} == {"0.5:0.5"}
    assert cli.parse_delay(cli.format_delay((0.1, 0.3)), 60) == (0.1, 0.3)


def test_a_parser_prints_one_line_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="demo")
    parser.add_argument("--port", type=cli.port)
    parser.add_argument("--delay", type=cli.delay(60))
    assert parser.parse_args(["--delay", "0.1:0.2"]).delay == (0.1, 0.2)
    for argv in (["--port", "70000"], ["--delay", "99"]):
        with pytest.raises(SystemExit) as exc:
            parser.parse_args(argv)
        assert exc.value.code == 2
        error = capsys.readouterr().err.splitlines()[-1]
        assert error.startswith(f"demo: error: argument {argv[0]}:") and argv[1] in error


def test_seconds_up_to_a_ceiling_refuses_zero_infinity_and_nan() -> None:
    up_to_an_hour = cli.seconds_up_to(3600)
    assert up_to_an_hour("0.5") == 0.5
    assert up_to_an_hour(3600) == 3600
    for bad in ["0", "-1", "3601", "inf", "nan"]:
        with pytest.raises(cli.BadValue, match="at most 3600 seconds"):
            up_to_an_hour(bad)
    with pytest.raises(cli.BadValue, match="number of seconds"):
        up_to_an_hour("soon")
