"""ThresholdDays and the set of accepted rule parameters."""

from __future__ import annotations

import pytest

from root_account_usage.core.exceptions import InvalidParameterError
from root_account_usage.core.parameters import (
    RuleParameters,
    parse_rule_parameters,
    parse_threshold_days,
)


@pytest.mark.parametrize(
    ("raw", "days"),
    [(None, 7), ("", 7), ("   ", 7), ("7", 7), ("1", 1), ("3650", 3650), (" 30 ", 30), (14, 14)],
)
def test_valid_threshold_days(raw, days):
    assert parse_threshold_days(raw) == days


@pytest.mark.parametrize(
    "raw", ["abc", "0", "-3", "7.5", "100000", "3651", "1e3", "+7", "7 days", True, 7.0, []]
)
def test_bad_threshold_days_names_the_parameter(raw):
    with pytest.raises(InvalidParameterError, match="ThresholdDays"):
        parse_threshold_days(raw)


def test_absent_parameters_mean_the_default():
    assert parse_rule_parameters({}) == RuleParameters(threshold_days=7)


def test_rdklib_role_parameters_are_accepted():
    raw = {
        "ThresholdDays": "30",
        "ExecutionRoleName": "root-usage-reader",
        "ExecutionRoleRegion": "us-east-1",
        "AssumeRoleMode": "true",
    }
    assert parse_rule_parameters(raw).threshold_days == 30


def test_unknown_key_is_refused_so_a_typo_is_not_the_default():
    with pytest.raises(InvalidParameterError, match=r"unknown rule parameter.*ThresholdDay\b"):
        parse_rule_parameters({"ThresholdDay": "30"})


@pytest.mark.parametrize(
    ("raw", "value"), [(None, "count"), ("", "count"), ("count", "count"), (" Exclude ", "exclude")]
)
def test_assume_root_sessions_count_by_default(raw, value):
    assert parse_rule_parameters({"AssumeRootSessions": raw}).assume_root_sessions == value


@pytest.mark.parametrize("raw", ["ignore", "true", "counted", 1, []])
def test_unknown_assume_root_sessions_value_is_refused(raw):
    with pytest.raises(InvalidParameterError, match=r'AssumeRootSessions must be "count" or'):
        parse_rule_parameters({"AssumeRootSessions": raw})


@pytest.mark.parametrize(
    ("raw", "path"),
    [(None, None), ("  ", None), ("/root-account-usage/rule_1.a", "/root-account-usage/rule_1.a")],
)
def test_root_activity_evidence_is_an_ssm_path_or_nothing(raw, path):
    assert parse_rule_parameters({"RootActivityEvidence": raw}).root_activity_evidence == path


@pytest.mark.parametrize(
    "raw", ["relative/path", "/a//b", "/a/", "/a b", "/a/" + "x" * 900, 7, "/" + "/a" * 20]
)
def test_a_bad_evidence_path_is_refused(raw):
    with pytest.raises(InvalidParameterError, match="RootActivityEvidence"):
        parse_rule_parameters({"RootActivityEvidence": raw})


def test_the_refusal_lists_every_accepted_parameter():
    with pytest.raises(InvalidParameterError, match="AssumeRootSessions, CloudTrailEvidence"):
        parse_rule_parameters({"AssumeRootSession": "count"})
