"""ThresholdDays and the set of accepted rule parameters."""

from __future__ import annotations

import pytest

from root_account_usage.core.exceptions import InvalidParameterError
from root_account_usage.core.parameters import (
    RoleChoice,
    RuleParameters,
    parse_rule_parameters,
    parse_threshold_days,
    usable_role_choice,
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
    parameters = parse_rule_parameters(raw)
    assert parameters.threshold_days == 30
    assert parameters.role == RoleChoice(True, "root-usage-reader", "us-east-1")


@pytest.mark.parametrize(
    ("raw", "role"),
    [
        ({}, RoleChoice(assume_role=True)),
        ({"AssumeRoleMode": "FALSE"}, RoleChoice(assume_role=False)),
        ({"AssumeRoleMode": " False "}, RoleChoice(assume_role=False)),
        ({"AssumeRoleMode": ""}, RoleChoice(assume_role=True)),
        (
            {"ExecutionRoleName": "security/audit/root-reader"},
            RoleChoice(True, "security/audit/root-reader"),
        ),
        ({"ExecutionRoleName": "a+=,.@_-b"}, RoleChoice(True, "a+=,.@_-b")),
        ({"ExecutionRoleName": ""}, RoleChoice()),
        ({"ExecutionRoleRegion": "us-gov-west-1"}, RoleChoice(region="us-gov-west-1")),
        ({"ExecutionRoleRegion": "cn-northwest-1"}, RoleChoice(region="cn-northwest-1")),
        ({"ExecutionRoleRegion": "eu-central-2"}, RoleChoice(region="eu-central-2")),
        ({"ExecutionRoleRegion": "eusc-de-east-1"}, RoleChoice(region="eusc-de-east-1")),
    ],
)
def test_rdklib_role_parameters_become_a_role_choice(raw, role):
    assert parse_rule_parameters(raw).role == role


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        ({"AssumeRoleMode": "maybe"}, "AssumeRoleMode"),  # rdklib: anything but "false" is true
        ({"AssumeRoleMode": None}, "AssumeRoleMode"),  # rdklib: AttributeError, nothing published
        ({"AssumeRoleMode": 1}, "AssumeRoleMode"),
        ({"AssumeRoleMode": False}, "AssumeRoleMode"),
        ({"ExecutionRoleName": None}, "ExecutionRoleName"),
        ({"ExecutionRoleName": 7}, "ExecutionRoleName"),
        ({"ExecutionRoleName": "arn:aws:iam::111122223333:role/reader"}, "ExecutionRoleName"),
        ({"ExecutionRoleName": "/reader"}, "ExecutionRoleName"),
        ({"ExecutionRoleName": "reader/"}, "ExecutionRoleName"),
        ({"ExecutionRoleName": "a" * 65}, "ExecutionRoleName"),
        ({"ExecutionRoleName": "r\u00e9ader"}, "ExecutionRoleName"),
        ({"ExecutionRoleName": "reader\n"}, "ExecutionRoleName"),
        ({"ExecutionRoleRegion": "US-EAST-1"}, "ExecutionRoleRegion"),
        ({"ExecutionRoleRegion": "us-east-1\n"}, "ExecutionRoleRegion"),
        ({"ExecutionRoleRegion": "https://evil.example"}, "ExecutionRoleRegion"),
        ({"ExecutionRoleRegion": ["us-east-1"]}, "ExecutionRoleRegion"),
        ({"ThresholdDays": None}, "ThresholdDays"),
        ({"CloudTrailEvidence": None}, "CloudTrailEvidence"),
    ],
)
def test_bad_role_parameter_is_refused_naming_it_never_a_default(raw, named):
    with pytest.raises(InvalidParameterError, match=named):
        parse_rule_parameters(raw)


# At the edges: IAM allows a role path of 512 characters and a name of 64; the evidence
# path is at most 900 characters (and 15 levels, as SSM's hierarchies).
LONGEST_ROLE = "p" * 511 + "/" + "n" * 64
LONGEST_PATH = ("/" + "a" * 59) * 15


def test_the_longest_role_and_evidence_path_are_accepted_one_more_character_is_not():
    parsed = parse_rule_parameters(
        {"ExecutionRoleName": LONGEST_ROLE, "RootActivityEvidence": LONGEST_PATH}
    )
    assert (parsed.role.role_name, parsed.root_activity_evidence) == (LONGEST_ROLE, LONGEST_PATH)
    for too_long in (
        {"ExecutionRoleName": "p" + LONGEST_ROLE},
        {"RootActivityEvidence": LONGEST_PATH + "a"},
    ):
        with pytest.raises(InvalidParameterError, match=next(iter(too_long))):
            parse_rule_parameters(too_long)


@pytest.mark.parametrize(("raw", "kind"), [(7.0, "float"), (True, "bool"), ([], "list")])
def test_a_threshold_that_is_not_text_or_a_whole_number_is_named_by_its_type(raw, kind):
    with pytest.raises(InvalidParameterError, match=f"as a string, got {kind}$"):
        parse_threshold_days(raw)


def test_a_bad_role_parameter_counts_as_absent_only_to_publish_the_refusal():
    raw = {
        "AssumeRoleMode": "maybe",
        "ExecutionRoleName": "/bad",
        "ExecutionRoleRegion": "nowhere",
    }
    assert usable_role_choice(raw) == RoleChoice()
    good = {"AssumeRoleMode": "false", "ExecutionRoleRegion": "eu-west-1", "ThresholdDays": "x"}
    assert usable_role_choice(good) == RoleChoice(assume_role=False, region="eu-west-1")


def test_a_parameter_given_twice_is_refused_not_last_wins():
    with pytest.raises(InvalidParameterError, match="ThresholdDays given more than once"):
        parse_rule_parameters({"ThresholdDays": "30"}, repeated={"ThresholdDays"})


def test_unknown_key_is_refused_so_a_typo_is_not_the_default():
    with pytest.raises(InvalidParameterError, match=r"unknown rule parameter.*ThresholdDay\b"):
        parse_rule_parameters({"ThresholdDay": "30"})


@pytest.mark.parametrize(
    ("raw", "value"),
    [(None, "exclude"), ("", "exclude"), (" Count ", "count"), ("exclude", "exclude")],
)
def test_assume_root_sessions_are_excluded_by_default(raw, value):
    # So that the credential removal's own dry run starts nothing (docs/deploy.md).
    given = {} if raw is None else {"AssumeRootSessions": raw}  # None: absent (null is refused)
    assert parse_rule_parameters(given).assume_root_sessions == value


@pytest.mark.parametrize("raw", ["ignore", "true", "counted", 1, []])
def test_unknown_assume_root_sessions_value_is_refused(raw):
    with pytest.raises(InvalidParameterError, match=r'AssumeRootSessions must be "exclude" or'):
        parse_rule_parameters({"AssumeRootSessions": raw})


@pytest.mark.parametrize(
    ("raw", "path"),
    [(None, None), ("  ", None), ("/root-account-usage/rule_1.a", "/root-account-usage/rule_1.a")],
)
def test_root_activity_evidence_is_an_ssm_path_or_nothing(raw, path):
    given = {} if raw is None else {"RootActivityEvidence": raw}  # None: absent (null is refused)
    assert parse_rule_parameters(given).root_activity_evidence == path


@pytest.mark.parametrize(
    "raw", ["relative/path", "/a//b", "/a/", "/a b", "/a/" + "x" * 900, 7, "/" + "/a" * 20]
)
def test_a_bad_evidence_path_is_refused(raw):
    with pytest.raises(InvalidParameterError, match="RootActivityEvidence"):
        parse_rule_parameters({"RootActivityEvidence": raw})


def test_the_refusal_lists_every_accepted_parameter():
    with pytest.raises(InvalidParameterError, match="AssumeRootSessions, CloudTrailEvidence"):
        parse_rule_parameters({"AssumeRootSession": "count"})


def test_the_refusal_of_unknown_keys_names_only_the_first_three():
    with pytest.raises(InvalidParameterError, match=r"parameter\(s\) Aa, Bb, Cc; expected"):
        parse_rule_parameters({"Dd": "1", "Aa": "1", "Cc": "1", "Bb": "1"})
