"""lambda_handler with a real periodic event against moto (in process and over HTTP).

moto's credential report lacks a root row and a current GeneratedTime; the
`root_in_credential_report` fixture adds both, as IAM would have them.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from awslambdaric.lambda_runtime_log_utils import JsonFormatter
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID

from ROOT_ACCOUNT_USAGE import lambda_handler
from root_account_usage.simulation.credential_report import RootUse, root_in_credential_report
from root_account_usage.simulation.events import periodic_event
from root_account_usage.simulation.scenarios import SCENARIOS

NOW = datetime.now(UTC).replace(microsecond=0)
USERS = ("alice", "bob", "deploy-bot")


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)


def seed_users():
    iam = boto3.client("iam", region_name="us-east-1")
    for name in USERS:
        iam.create_user(UserName=name)
    iam.create_access_key(UserName="deploy-bot")


@pytest.fixture
def account():
    with mock_aws():
        seed_users()
        yield DEFAULT_ACCOUNT_ID


def run(use, parameters=None, generated_at=NOW - timedelta(minutes=5), **event_fields):
    with root_in_credential_report(DEFAULT_ACCOUNT_ID, use, generated_at):
        event = periodic_event(DEFAULT_ACCOUNT_ID, NOW, parameters) | event_fields
        return lambda_handler(event, None)


OWN_ROLE = {"ThresholdDays": "7", "AssumeRoleMode": "false"}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda scenario: scenario.name)
def test_each_scenario_with_the_function_role(account, scenario):
    parameters = {**scenario.parameters, "AssumeRoleMode": "false"}
    [evaluation] = run(scenario.root_use(NOW), parameters)
    assert evaluation["ComplianceType"] == scenario.compliance_type
    assert scenario.annotation_contains in evaluation["Annotation"]
    assert evaluation["ComplianceResourceId"] == account
    assert evaluation["ComplianceResourceType"] == "AWS::::Account"


def test_never_used_root_is_compliant_with_the_config_role(account):
    # Default mode: rdklib assumes the event's executionRoleArn through STS.
    [evaluation] = run(RootUse(), {"ThresholdDays": "7"})
    assert evaluation["ComplianceType"] == "COMPLIANT"


def test_execution_role_name_is_assumed_for_organization_rollout(account):
    parameters = {"ThresholdDays": "7", "ExecutionRoleName": "root-account-usage-reader"}
    [evaluation] = run(
        RootUse.at(access_key_2=NOW - timedelta(hours=1)),
        parameters,
        configRuleArn=ORGANIZATION_RULE_ARN,
    )
    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert "access key 2" in evaluation["Annotation"]


def test_report_still_old_after_generation_fails_closed(account):
    # The simulated report stays two days old even after generation, so the
    # 24-hour rule fails closed rather than trusting it.
    [evaluation] = run(RootUse(), OWN_ROLE, generated_at=NOW - timedelta(days=2))
    assert evaluation["Annotation"].endswith("[StaleReport]")


def test_logs_carry_the_verdict_and_never_report_content(account, caplog):
    caplog.set_level(logging.DEBUG)
    run(RootUse.at(password=NOW - timedelta(days=1)), OWN_ROLE)
    formatter = JsonFormatter()  # the Lambda runtime's, as LogFormat JSON selects
    text = "".join(formatter.format(logging.makeLogRecord(r.__dict__)) for r in caplog.records)
    assert '"compliance_type": "NON_COMPLIANT"' in text
    for leaked in (*USERS, "arn:aws:iam::", "<root_account>", "user_creation_time"):
        assert leaked not in text


@pytest.mark.slow
def test_handler_over_real_http_against_threaded_moto_server(monkeypatch, moto_server):
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    seed_users()
    [evaluation] = run(RootUse.at(access_key_1=NOW - timedelta(hours=2)), OWN_ROLE)
    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert "access key 1" in evaluation["Annotation"]


@pytest.mark.parametrize(
    ("parameters", "named"),
    [
        ({"AssumeRoleMode": None}, "AssumeRoleMode"),  # crashed in rdklib: nothing published
        ({"AssumeRoleMode": 1}, "AssumeRoleMode"),
        ({"AssumeRoleMode": "maybe"}, "AssumeRoleMode"),  # meant true to rdklib
        ({"ExecutionRoleName": None}, "ExecutionRoleName"),
        ({"ExecutionRoleName": ["reader"]}, "ExecutionRoleName"),
        ({"ExecutionRoleRegion": 7}, "ExecutionRoleRegion"),
        ({"ExecutionRoleRegion": "moon-base-1a"}, "ExecutionRoleRegion"),
    ],
)
def test_bad_rdklib_parameter_fails_closed_naming_it_and_is_published(account, parameters, named):
    [evaluation] = run(RootUse(), parameters)
    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert evaluation["Annotation"].startswith("Unable to evaluate: ")
    assert named in evaluation["Annotation"]
    assert evaluation["Annotation"].endswith("[InvalidParameter]")


def test_a_parameter_given_twice_fails_closed_rather_than_the_last_winning(account):
    event = periodic_event(DEFAULT_ACCOUNT_ID, NOW, OWN_ROLE)
    event["ruleParameters"] = (
        '{"AssumeRoleMode": "false", "ThresholdDays": "1", "ThresholdDays": "7"}'
    )
    with root_in_credential_report(DEFAULT_ACCOUNT_ID, RootUse(), NOW - timedelta(minutes=5)):
        [evaluation] = lambda_handler(event, None)
    assert evaluation["Annotation"] == (
        "Unable to evaluate: rule parameter(s) ThresholdDays given more than once "
        "[InvalidParameter]"
    )


def test_event_for_an_account_whose_report_was_not_read_fails_closed(account):
    # The function's own role reads its own account (123456789012): not 999999999999's.
    with root_in_credential_report(DEFAULT_ACCOUNT_ID, RootUse(), NOW - timedelta(minutes=5)):
        event = periodic_event("999999999999", NOW, OWN_ROLE)
        [evaluation] = lambda_handler(event, None)
    assert evaluation["ComplianceResourceId"] == "999999999999"
    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert evaluation["Annotation"] == (
        f"Unable to evaluate: credential report belongs to account {DEFAULT_ACCOUNT_ID}, "
        "not 999999999999 [AccountMismatch]"
    )


ORGANIZATION = "o-exampleorg12"


# The member rule of an organization rule, as AWS names it (AWSConfigMultiAccountSetupPolicy).
ORGANIZATION_RULE_ARN = (
    f"arn:aws:config:us-east-1:{DEFAULT_ACCOUNT_ID}:config-rule/aws-service-rule/"
    "config-multiaccountsetup.amazonaws.com/config-rule-k3lx9q"
)


@pytest.mark.parametrize(
    ("named", "changes"),
    [
        (None, {"configRuleArn": ORGANIZATION_RULE_ARN}),
        ("o-someoneelse1", {"configRuleArn": ORGANIZATION_RULE_ARN}),
        # An outsider's own rule naming our organization (its id is no secret).
        (ORGANIZATION, {}),
        # Our organization's id, but the central account's own role: it would read itself.
        (ORGANIZATION, {"configRuleArn": ORGANIZATION_RULE_ARN, "AssumeRoleMode": "false"}),
    ],
    ids=["unnamed", "another organization", "an account's own rule", "the central account itself"],
)
def test_central_function_refuses_another_organizations_rule_quietly(
    monkeypatch, caplog, named, changes
):
    # Any account's AWS Config may invoke the central function: a rule that does not
    # name this organization gets one WARNING, no AWS call, and no failure (no alarm,
    # no on-failure message carrying its text).
    monkeypatch.setenv("ORGANIZATION_ID", ORGANIZATION)
    monkeypatch.setattr(
        "botocore.client.BaseClient._make_api_call",
        lambda *args: pytest.fail(f"an AWS call for an outsider: {args[1]}"),
    )
    parameters = {"ExecutionRoleName": "RootAccountUsageReader"}
    if named:
        parameters["OrganizationId"] = named
    if "AssumeRoleMode" in changes:
        parameters = {"OrganizationId": named, "AssumeRoleMode": changes.pop("AssumeRoleMode")}
    caplog.set_level(logging.INFO)
    event = periodic_event("999988887777", NOW, parameters) | changes
    assert lambda_handler(event, None) == []
    [record] = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert record.levelno == logging.WARNING
    assert record.fields == {"account_id": "999988887777"}


def test_central_function_evaluates_its_organizations_rule(account, monkeypatch):
    monkeypatch.setenv("ORGANIZATION_ID", ORGANIZATION)
    parameters = {"ExecutionRoleName": "reader", "OrganizationId": ORGANIZATION}
    [evaluation] = run(
        RootUse.at(access_key_2=NOW - timedelta(hours=1)),
        parameters,
        configRuleArn=ORGANIZATION_RULE_ARN,
    )
    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
