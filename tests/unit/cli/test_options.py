"""Typed option values: their edges, and how a refused one is shown in the usage line."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta

import pytest

from root_account_usage.cli import options
from root_account_usage.core.plain_text import VALUE
from root_account_usage.core.timestamps import EARLIEST_EVALUATION_TIME


def test_the_earliest_time_itself_is_taken_and_a_second_before_it_refused(capsys):
    parser = options.Parser(prog="root-account-usage")
    at = options.time_option(parser, "--as-of", "2000-01-01T00:00:00Z", datetime.now(UTC))
    assert at == EARLIEST_EVALUATION_TIME
    with pytest.raises(SystemExit):
        options.time_option(parser, "--as-of", "1999-12-31T23:59:59Z", at + timedelta(days=1))
    said = "--as-of: '1999-12-31T23:59:59Z' is before 2000-01-01"
    assert said in capsys.readouterr().err


def test_a_value_as_long_as_a_usage_line_shows_is_shown_whole():
    assert options.shown("v" * VALUE) == repr("v" * VALUE)
    assert options.shown("v" * (VALUE + 1)) == repr("v" * VALUE + "...")


def test_the_arn_hint_is_given_only_for_an_arn():
    with pytest.raises(argparse.ArgumentTypeError, match="not its ARN"):
        options.role_name("arn:aws:iam::111122223333:role/Reader")
    with pytest.raises(argparse.ArgumentTypeError) as refused:
        options.role_name("reader role")
    assert str(refused.value).endswith("team/reader)")  # the rule alone, no ARN hint
