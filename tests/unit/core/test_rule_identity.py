"""The one rule-identity check: a rule is ours by what it runs, never by its name."""

from __future__ import annotations

from typing import Any

import pytest

from root_account_usage.core.rule_identity import (
    CONFORMANCE_PACK_CREATOR,
    ORGANIZATION_RULE_CREATOR,
    identify,
    names_rule,
)

NAME = "root-account-usage"
FUNCTION = "arn:aws:lambda:us-east-1:111122223333:function:root-account-usage"
DEPLOYED = {"ThresholdDays": "7", "AssumeRoleMode": "false"}


def described(**changes: Any) -> dict[str, Any]:
    """A ConfigRules entry as DescribeConfigRules returns it (botocore's ConfigRule shape)."""
    rule: dict[str, Any] = {
        "ConfigRuleName": NAME,
        "ConfigRuleArn": "arn:aws:config:us-east-1:111122223333:config-rule/config-rule-ab12cd",
        "ConfigRuleId": "config-rule-ab12cd",
        "Source": {
            "Owner": "CUSTOM_LAMBDA",
            "SourceIdentifier": FUNCTION,
            "SourceDetails": [
                {
                    "EventSource": "aws.config",
                    "MessageType": "ScheduledNotification",
                    "MaximumExecutionFrequency": "TwentyFour_Hours",
                }
            ],
        },
        "InputParameters": '{"ThresholdDays": "7", "AssumeRoleMode": "false"}',
        "ConfigRuleState": "ACTIVE",
    }
    rule.update(changes)
    return rule


def problem(rule: dict[str, Any], parameters: dict[str, str] | None = DEPLOYED) -> str:
    return identify(rule, name=NAME, functions=[FUNCTION], parameters=parameters).problem


def test_the_deployed_rule_is_ours_and_shows_what_it_runs() -> None:
    identity = identify(described(), name=NAME, functions=[FUNCTION], parameters=DEPLOYED)
    assert identity.ours
    assert (identity.owner, identity.source, identity.created_by) == ("CUSTOM_LAMBDA", FUNCTION, "")


@pytest.mark.parametrize(
    ("name", "creator"),
    [
        (f"OrgConfigRule-{NAME}-a1b2c3d4", ORGANIZATION_RULE_CREATOR),
        (f"{NAME}-conformance-pack-x9y8z7w6v", CONFORMANCE_PACK_CREATOR),
    ],
)
def test_a_rule_aws_derived_is_ours_only_when_aws_created_it(name: str, creator: str) -> None:
    assert problem(described(ConfigRuleName=name, CreatedBy=creator)) == ""
    assert "created by an account principal" in problem(described(ConfigRuleName=name))


def test_a_look_alike_name_backed_by_another_function_is_not_ours() -> None:
    other = "arn:aws:lambda:us-east-1:111122223333:function:always-compliant"
    rule = described(
        ConfigRuleName=f"OrgConfigRule-{NAME}-x",
        CreatedBy=ORGANIZATION_RULE_CREATOR,
        Source={"Owner": "CUSTOM_LAMBDA", "SourceIdentifier": other},
    )
    assert f"runs {other!r}" in problem(rule)


def test_a_managed_rule_under_our_name_is_not_ours() -> None:
    rule = described(Source={"Owner": "AWS", "SourceIdentifier": "ROOT_ACCOUNT_MFA_ENABLED"})
    assert "not a custom Lambda rule" in problem(rule)


def test_another_name_is_not_ours_even_running_our_function() -> None:
    assert "not 'root-account-usage'" in problem(described(ConfigRuleName=f"legacy-{NAME}"))


def test_a_service_cannot_lend_a_plain_name_its_authority() -> None:
    assert "created by 'config-conforms.amazonaws.com'" in problem(
        described(CreatedBy=CONFORMANCE_PACK_CREATOR)
    )


@pytest.mark.parametrize(
    "raw",
    [
        '{"ThresholdDays": "3650", "AssumeRoleMode": "false"}',
        '{"ThresholdDays": "7", "AssumeRoleMode": "false", "AssumeRootSessions": "exclude"}',
        '{"ThresholdDays": "7", "ThresholdDays": "7", "AssumeRoleMode": "false"}',
        '{"ThresholdDays": 7, "AssumeRoleMode": "false"}',
        '["ThresholdDays", "7"]',
        "not json",
    ],
)
def test_other_parameters_than_the_deployed_are_not_ours(raw: str) -> None:
    assert "parameters" in problem(described(InputParameters=raw))


def test_parameters_are_only_checked_when_asked() -> None:
    assert problem(described(InputParameters="{}"), parameters=None) == ""


def test_no_function_to_compare_with_is_never_ours() -> None:
    assert not identify(described(), name=NAME, functions=[]).ours


def test_whatever_aws_returns_is_judged_not_raised() -> None:
    identity = identify({"Source": "garbled", "ConfigRuleName": 7}, name=NAME, functions=[FUNCTION])
    assert not identity.ours
    assert identity.name == ""


def test_long_outside_text_is_cut_in_the_reason() -> None:
    reason = problem(described(ConfigRuleName="x" * 5000))
    assert len(reason) < 400


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        (NAME, True),
        (f"OrgConfigRule-{NAME}-abc123", True),
        (f"{NAME}-conformance-pack-abc123", True),
        (f"OrgConfigRule-{NAME}-strict-abc123", False),
        (f"{NAME}-v2", False),
        (f"OrgConfigRule-{NAME}-", False),
        ("", False),
    ],
)
def test_names_rule(candidate: str, expected: bool) -> None:
    assert names_rule(candidate, NAME) is expected
    assert names_rule(candidate, "") is False


def test_a_rule_an_account_created_cannot_borrow_another_accounts_function() -> None:
    central = "arn:aws:lambda:us-east-1:999988887777:function:root-account-usage"
    rule = described(Source={"Owner": "CUSTOM_LAMBDA", "SourceIdentifier": central})
    found = identify(rule, name=NAME, functions=[central], parameters=DEPLOYED)
    assert "other than its function's" in found.problem
    derived = described(
        ConfigRuleName=f"OrgConfigRule-{NAME}-a1b2c3d4",
        CreatedBy=ORGANIZATION_RULE_CREATOR,
        Source={"Owner": "CUSTOM_LAMBDA", "SourceIdentifier": central},
    )
    assert identify(derived, name=NAME, functions=[central], parameters=DEPLOYED).ours
