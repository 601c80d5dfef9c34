"""Least privilege, proven: the AWS calls the rule makes are exactly what the
templates grant - no call outside the grants, no grant unused.

Every test in the run feeds tests/call_recorder.py; the scenarios below make sure
each path (fresh report, generated report, assumed member role) is covered even
when this file runs alone.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID

from ROOT_ACCOUNT_USAGE import lambda_handler
from root_account_usage.simulation.credential_report import RootUse, root_in_credential_report
from root_account_usage.simulation.events import periodic_event
from tests import call_recorder
from tests.cfn import actions_of, load_template, policy_statements

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
TEMPLATE_ROLE = load_template("template.yaml")["Resources"]["FunctionRole"]
MEMBER_ROLE = load_template("rdk_config/member-role.yaml")["Resources"]["MemberRole"]
RDK_ROLE = load_template("rdk_config/rdk-function-role.yaml")["Resources"]["FunctionRole"]


def granted(role, *, conditional: bool = False) -> set[str]:
    """AWS actions a role grants always, or only under a template condition (logs aside)."""
    statements = [s for s in policy_statements(role) if ("_condition" in s) == conditional]
    actions = set().union(*(actions_of(s) for s in statements))
    return {action for action in actions if not action.startswith("logs:")}


def evaluate(parameters, *, generate_first: bool) -> None:
    with mock_aws():
        iam = boto3.client("iam", region_name="us-east-1")
        iam.create_user(UserName="alice")
        if generate_first:
            iam.generate_credential_report()
        use = RootUse.at(password=NOW - timedelta(days=1))
        with root_in_credential_report(DEFAULT_ACCOUNT_ID, use, NOW):
            [evaluation] = lambda_handler(periodic_event(DEFAULT_ACCOUNT_ID, NOW, parameters), None)
    assert evaluation["ComplianceType"] == "NON_COMPLIANT"


@pytest.fixture
def scenarios(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    own_role = {"AssumeRoleMode": "false"}
    evaluate(own_role, generate_first=True)  # fresh report: Get only
    evaluate(own_role, generate_first=False)  # no report: Get, Generate, Get
    evaluate({"ExecutionRoleName": "RootAccountUsageReader"}, generate_first=False)
    # CloudTrail evidence, with the function's role and with a member role.
    evaluate({"AssumeRoleMode": "false", "CloudTrailEvidence": "true"}, generate_first=True)
    evaluate({"ExecutionRoleName": "reader", "CloudTrailEvidence": "true"}, generate_first=True)
    # Recorded root events (ReevaluateOnRootActivity), read with the function's role.
    evaluate(
        {"AssumeRoleMode": "false", "RootActivityEvidence": "/root-account-usage/rule"},
        generate_first=True,
    )


# Made with the function's role by the Lambda service, not by the rule's code: an
# invocation that still fails after Lambda's retries is published to the on-failure
# destination (template.yaml's FunctionEventInvokeConfig; Lambda Developer Guide,
# "Capturing records of Lambda asynchronous invocations": the execution role needs
# sns:Publish). No test here can record it, so it is named, with that reason.
LAMBDA_SERVICE_CALLS = {"sns:Publish"}


def test_function_role_grants_are_exactly_the_calls_it_makes(scenarios):
    own_calls = {action for action, key in call_recorder.RECORDED if not key.startswith("ASIA")}
    # sts:AssumeRole (organization rollout), cloudtrail:LookupEvents (CloudTrailEvidence),
    # ssm:GetParameters (recorded root events) and sns:Publish (a topic to send failed
    # invocations to) are granted only under their template conditions; the report and
    # PutEvaluations whenever the function reads its own account (not a central function).
    assert granted(TEMPLATE_ROLE, conditional=True) == {
        "sts:AssumeRole",
        "cloudtrail:LookupEvents",
        "account:ListRegions",
        "ssm:GetParameters",
        "sns:Publish",
        "iam:GenerateCredentialReport",
        "iam:GetCredentialReport",
        "config:PutEvaluations",
        "config:GetComplianceDetailsByConfigRule",
    }
    assert not own_calls & LAMBDA_SERVICE_CALLS  # the rule's code never publishes itself
    assert own_calls | LAMBDA_SERVICE_CALLS == granted(TEMPLATE_ROLE) | granted(
        TEMPLATE_ROLE, conditional=True
    )


def test_the_lambda_service_publishes_only_where_a_failure_destination_is_set():
    invoke_config = load_template("template.yaml")["Resources"]["FunctionEventInvokeConfig"]
    condition, destination, _ = invoke_config["Properties"]["DestinationConfig"]["Fn::If"]
    [publish] = [s for s in policy_statements(TEMPLATE_ROLE) if "sns:Publish" in actions_of(s)]
    assert publish["_condition"] == condition
    assert publish["Resource"] == destination["OnFailure"]["Destination"]


def test_rdk_function_role_grants_are_exactly_the_calls_of_the_own_role_mode(scenarios):
    own_calls = {action for action, key in call_recorder.RECORDED if not key.startswith("ASIA")}
    # Under `rdk deploy` the rule runs with AssumeRoleMode "false" (parameters.json), so
    # it never assumes a member role, and no re-evaluation function records root events
    # (only template.yaml deploys one): everything else the function's own role does.
    not_under_rdk = {"sts:AssumeRole", "ssm:GetParameters"}
    assert granted(RDK_ROLE) | granted(RDK_ROLE, conditional=True) == own_calls - not_under_rdk
    assert granted(RDK_ROLE, conditional=True) == {"cloudtrail:LookupEvents", "account:ListRegions"}


def test_member_role_grants_are_exactly_the_calls_made_with_it(scenarios):
    assumed_calls = {action for action, key in call_recorder.RECORDED if key.startswith("ASIA")}
    assert assumed_calls == granted(MEMBER_ROLE) | granted(MEMBER_ROLE, conditional=True)


# What an auditor's role needs for `root-account-usage history` (docs/audit.md).
HISTORY_ACTIONS = {
    "config:DescribeConfigRules",
    "config:DescribeConfigurationRecorders",
    "config:GetResourceConfigHistory",
    "config:GetComplianceDetailsByConfigRule",
    "config:DescribeAggregateComplianceByConfigRules",
    "config:GetAggregateComplianceDetailsByConfigRule",
    "sts:AssumeRole",  # --member-role: into each account's read role
    "sts:GetCallerIdentity",  # which account: needs no permission
}
AUDITOR_ROLE = load_template("rdk_config/auditor-read-role.yaml")["Resources"]["AuditorReadRole"]


@pytest.fixture
def history_scenarios():
    """history's every path: one account, an aggregator alone, an organization through
    its members' read roles, and the auditor's own session."""
    from root_account_usage.cli.main import main
    from root_account_usage.history.organization import (
        AuditorSession,
        collect_evidence,
        open_session,
    )
    from root_account_usage.simulation.config import AGGREGATOR, SimulatedOrganization
    from tests.doubles import stubbed
    from tests.functional.history.test_history import collect, single_account_responses
    from tests.simulation_extras import aggregator_alone

    client, stub = stubbed("config")
    with stub:
        single_account_responses(stub)
        collect(client)
    organization = SimulatedOrganization(NOW)
    where = (aggregator_alone(organization), organization.auditor, organization.region)
    collect_evidence(
        AuditorSession(*where, aggregator=AGGREGATOR),
        rule_name="root-account-usage",
        since=NOW - timedelta(days=30),
        until=NOW,
        now=NOW,
        sleep=lambda seconds: None,
    )
    assert (
        main(["history", "--demo", "organization", "--format", "json", "--output", os.devnull]) == 0
    )
    with mock_aws():
        open_session(None, "us-east-1")


def test_history_calls_exactly_the_documented_read_only_actions(history_scenarios):
    assert call_recorder.HISTORY_RECORDED == HISTORY_ACTIONS
    reads = HISTORY_ACTIONS - {"sts:AssumeRole"}
    assert all(action.split(":")[1].startswith(("Describe", "Get")) for action in reads)


def test_auditor_read_role_grants_exactly_the_calls_made_with_it(history_scenarios):
    assert granted(AUDITOR_ROLE) == call_recorder.HISTORY_ASSUMED_RECORDED


def test_reevaluation_function_calls_exactly_what_its_role_grants():
    from root_account_usage.rule import reevaluate
    from tests.doubles import stubbed

    client, stub = stubbed("config")
    stub.add_response("start_config_rules_evaluation", {}, {"ConfigRuleNames": ["rule"]})
    ssm, ssm_stub = stubbed("ssm")
    ssm_stub.add_response("put_parameter", {"Version": 1})
    reevaluate._state.update(config=client, ssm=ssm, handled={})
    os.environ.update(CONFIG_RULE_NAME="rule", ROOT_ACTIVITY_EVIDENCE="/root-account-usage/rule")
    sign_in = {
        "id": "e1",
        "detail": {
            "eventTime": "2026-11-27T11:58:02Z",
            "eventName": "ConsoleLogin",
            "awsRegion": "us-east-1",
            "userIdentity": {"type": "Root"},
        },
    }
    try:
        with stub, ssm_stub:
            reevaluate.lambda_handler(sign_in, None)
    finally:
        reevaluate._state.update(config=None, ssm=None, handled={})
        del os.environ["CONFIG_RULE_NAME"], os.environ["ROOT_ACTIVITY_EVIDENCE"]
    role = load_template("template.yaml")["Resources"]["ReevaluationRole"]
    assert granted(role) == call_recorder.REEVALUATION_RECORDED
