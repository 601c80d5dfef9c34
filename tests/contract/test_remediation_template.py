"""rdk_config/root-credentials-removal.yaml and forward-compliance-changes.yaml: the
document runs exactly the tested module, its role grants exactly what the script calls,
and automatic removal is off unless asked for and fires only on root use."""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

import pytest
from moto.events.models import EventPattern

from root_account_usage.remediation import remove_root_credentials as removal
from tests.cfn import ROOT, actions_of, load_template, policy_statements

sys.path.insert(0, str(ROOT / "tools"))
import embed_remediation_script

TEMPLATE = load_template("rdk_config/root-credentials-removal.yaml")
RESOURCES = TEMPLATE["Resources"]
DOCUMENT = RESOURCES["RemovalDocument"]["Properties"]["Content"]
[STEP] = DOCUMENT["mainSteps"]
FORWARDER = load_template("rdk_config/forward-compliance-changes.yaml")["Resources"]
SAMPLE = json.loads((ROOT / "events" / "compliance-change-non-compliant.json").read_text())


def test_the_document_embeds_the_tested_modules_verbatim():
    held = embed_remediation_script.modules()
    # The removal last, after the core modules it imports (standard library only), each
    # the package's file as it is.
    assert list(held) == [
        "root_account_usage.core.plain_text",
        "root_account_usage.core.timestamps",
        "root_account_usage.core.annotation",
        "root_account_usage.core.regions",
        "root_account_usage.core.rule_identity",
        "root_account_usage.remediation.remove_root_credentials",
    ]
    assert held[list(held)[-1]] == Path(removal.__file__).read_text()
    for name, source in held.items():
        ast.parse(source, feature_version=(3, 11))  # the automation's runtime
        assert f"{name!r}: r'''{source}'''" in STEP["inputs"]["Script"]
    script = embed_remediation_script.script()
    assert STEP["inputs"]["Script"] == script.rstrip("\n")
    # ... and the tool that writes it leaves the template as it is.
    text = embed_remediation_script.TEMPLATE.read_text()
    assert embed_remediation_script.embedded(text, script) == text


def test_the_step_runs_the_handler_on_python_311_within_the_action_limit():
    assert STEP["action"] == "aws:executeScript"
    assert STEP["inputs"]["Runtime"] == "python3.11"
    assert STEP["inputs"]["Handler"] == removal.handler.__name__
    assert STEP["timeoutSeconds"] <= 600
    # Every document parameter reaches the script, besides the role it runs as.
    payload = STEP["inputs"]["InputPayload"]
    assert set(DOCUMENT["parameters"]) - {"AutomationAssumeRole"} <= set(payload)
    assert payload["Region"] == "{{ global:REGION }}"


def test_dry_run_is_the_default_and_the_extras_are_opt_in():
    parameters = DOCUMENT["parameters"]
    assert parameters["DryRun"]["default"] == "true"
    assert parameters["AlsoDelete"]["default"] == []
    assert parameters["AlsoDelete"]["allowedValues"] == list(removal.OPTIONAL_CREDENTIALS)
    assert TEMPLATE["Parameters"]["AutomaticRemoval"]["Default"] == "off"
    automatic = {"ForwardedEventsPolicy", "StartRemovalRole", "NonCompliantAccountRule"}
    for name, resource in RESOURCES.items():
        assert (resource.get("Condition") == "Automatic") == (name in automatic), name


def test_the_automation_role_grants_exactly_what_the_script_calls():
    statements = policy_statements(RESOURCES["AutomationRole"])
    granted = set().union(*(actions_of(s) for s in statements))
    # GetCallerIdentity needs no permission; the root session's calls are the task
    # policy's (tests/functional/remediation checks them against it).
    assert granted == {
        "sts:AssumeRoot",
        "iam:ListOrganizationsFeatures",
        "organizations:DescribeOrganization",
        "sns:Publish",
        "sts:AssumeRole",  # the member's rule reader, for automatic starts only
        # Automatic starts only: AssumeRoot calls in this account's own event history.
        "cloudtrail:LookupEvents",
        "ec2:DescribeRegions",
    }
    [grant] = [s for s in statements if actions_of(s) == {"sts:AssumeRole"}]
    assert grant["_condition"] == "Automatic"
    [search] = [s for s in statements if "cloudtrail:LookupEvents" in actions_of(s)]
    assert search["_condition"] == "Automatic"
    assert grant["Resource"] == {
        "Fn::Sub": "arn:${AWS::Partition}:iam::*:role/${RuleReaderRoleName}"
    }
    assert grant["Condition"]["StringEquals"] == {"aws:ResourceOrgID": {"Ref": "OrganizationId"}}
    [assume] = [s for s in statements if actions_of(s) == {"sts:AssumeRoot"}]
    assert assume["Condition"]["StringEquals"]["sts:TaskPolicyArn"] == {
        "Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/root-task/" + removal.ROOT_TASK_POLICY
    }
    trust = RESOURCES["AutomationRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust[0]["Principal"] == {"Service": "ssm.amazonaws.com"}


def test_eventbridge_may_start_only_this_automation_as_only_its_role():
    start, pass_role = policy_statements(RESOURCES["StartRemovalRole"])
    assert actions_of(start) == {"ssm:StartAutomationExecution"}
    assert "automation-definition/${RemovalDocument}" in start["Resource"]["Fn::Sub"]
    assert pass_role["Resource"] == {"Fn::GetAtt": ["AutomationRole", "Arn"]}
    assert pass_role["Condition"]["StringEquals"] == {"iam:PassedToService": "ssm.amazonaws.com"}
    policy = RESOURCES["ForwardedEventsPolicy"]["Properties"]["Statement"]
    # The organization's accounts, and only the compliance changes they forward.
    assert policy["Condition"] == {
        "StringEquals": {
            "aws:PrincipalOrgID": {"Ref": "OrganizationId"},
            "events:detail-type": "Config Rules Compliance Change",
        },
        "ForAllValues:StringEquals": {"events:source": ["aws.config"]},
        "Null": {"events:source": "false"},
    }
    pattern = RESOURCES["NonCompliantAccountRule"]["Properties"]["EventPattern"]
    assert pattern["source"] == ["aws.config"]
    assert pattern["detail-type"] == [policy["Condition"]["StringEquals"]["events:detail-type"]]


def resolved(pattern):
    """The pattern with the rule name filled in, as CloudFormation would."""
    text = json.dumps(pattern)
    text = text.replace('{"Ref": "ConfigRuleName"}', '"root-account-usage"')
    text = text.replace(
        '{"Fn::Sub": "OrgConfigRule-${ConfigRuleName}-"}', '"OrgConfigRule-root-account-usage-"'
    )
    text = text.replace(
        '{"Fn::Sub": "${ConfigRuleName}-conformance-pack-"}',
        '"root-account-usage-conformance-pack-"',
    )
    return text


PATTERN = RESOURCES["NonCompliantAccountRule"]["Properties"]["EventPattern"]


def with_result(compliance, annotation="Root console sign-in ..."):
    event = json.loads(json.dumps(SAMPLE))
    event["detail"]["newEvaluationResult"] |= {
        "complianceType": compliance,
        "annotation": annotation,
    }
    return event


@pytest.mark.parametrize(
    ("event", "starts"),
    [
        (SAMPLE, True),
        (with_result("COMPLIANT"), False),
        (with_result("NON_COMPLIANT", "Unable to evaluate: denied [AccessDenied]"), False),
    ],
    ids=["root use", "compliant", "fail closed"],
)
def test_removal_starts_only_on_root_use(event, starts):
    assert EventPattern.load(resolved(PATTERN)).matches_event(event) is starts


def with_rule(name):
    event = json.loads(json.dumps(SAMPLE))
    event["detail"]["configRuleName"] = name
    return event


@pytest.mark.parametrize(
    ("rule", "matches"),
    [
        ("root-account-usage", True),
        ("OrgConfigRule-root-account-usage-ab12cd34", True),
        ("root-account-usage-conformance-pack-x1y2z3w4", True),
        # Prefix matches: the pattern lets them through, the automation refuses them.
        ("OrgConfigRule-root-account-usage-strict-ab12cd34", True),
        ("legacy-root-account-usage", False),
        ("s3-bucket-logging", False),
    ],
)
def test_the_pattern_lets_through_every_name_the_rule_can_have(rule, matches):
    assert EventPattern.load(resolved(PATTERN)).matches_event(with_rule(rule)) is matches


def test_the_forwarder_sends_exactly_what_the_management_rule_acts_on():
    forwarded = FORWARDER["ForwardNonCompliantAccount"]["Properties"]["EventPattern"]
    assert forwarded == PATTERN
    [statement] = policy_statements(FORWARDER["ForwardRole"])
    assert actions_of(statement) == {"events:PutEvents"}
    assert "${ManagementAccountId}:event-bus/default" in statement["Resource"]["Fn::Sub"]


def test_the_target_passes_the_account_of_the_event_and_the_chosen_mode():
    [target] = RESOURCES["NonCompliantAccountRule"]["Properties"]["Targets"]
    transformer = target["InputTransformer"]
    assert transformer["InputPathsMap"] == {
        "account": "$.detail.awsAccountId",
        "rule": "$.detail.configRuleName",
        "ruleArn": "$.detail.configRuleARN",
        "annotation": "$.detail.newEvaluationResult.annotation",
    }
    condition, with_extras, keys_only = transformer["InputTemplate"]["Fn::If"]
    assert condition == "AlsoDeleteAutomatically"
    for variant in (with_extras, keys_only):
        template, values = variant["Fn::Sub"]
        assert '"AccountId": [<account>]' in template
        # The automation checks the rule that started it (an event pattern cannot).
        assert '"TriggeringRuleName": [<rule>], "RuleName": ["${ConfigRuleName}"]' in template
        assert '"TriggeringRuleArn": [<ruleArn>], "Annotation": [<annotation>]' in template
        assert values["DryRun"] == {"Fn::If": ["DeleteAutomatically", "false", "true"]}
        named = {part.split('"')[1] for part in template.split("{", 1)[1].split("], ")}
        assert named <= set(DOCUMENT["parameters"])


def test_the_rule_it_must_find_is_the_stacks_unless_a_person_says_otherwise():
    parameters = DOCUMENT["parameters"]
    assert parameters["RuleFunctionArns"]["default"] == {"Ref": "ConfigRuleFunctionArns"}
    assert parameters["RuleParameters"]["default"] == {"Ref": "ConfigRuleParameters"}
    assert parameters["RuleReaderRole"]["default"] == {"Ref": "RuleReaderRoleName"}
    [rule] = TEMPLATE["Rules"].values()
    asserted = [a["Assert"] for a in rule["Assertions"]]
    assert {"Fn::Not": [{"Fn::Equals": [{"Ref": "ConfigRuleFunctionArns"}, ""]}]} in asserted


def test_the_member_reader_may_only_describe_config_rules_for_the_management_account():
    role = FORWARDER["RuleReaderRole"]["Properties"]
    [statement] = policy_statements(FORWARDER["RuleReaderRole"])
    assert actions_of(statement) == {"config:DescribeConfigRules"}
    [trust] = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {
        "AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${ManagementAccountId}:root"}
    }
    forwarder = load_template("rdk_config/forward-compliance-changes.yaml")["Parameters"]
    assert (
        forwarder["RuleReaderRoleName"]["Default"]
        == TEMPLATE["Parameters"]["RuleReaderRoleName"]["Default"]
    )


def test_automatic_removal_never_takes_mfa_without_the_password():
    allowed = TEMPLATE["Parameters"]["AutomaticAlsoDelete"]["AllowedValues"]
    for value in allowed:
        names = [name for name in value.split(",") if name]
        assert set(names) <= set(removal.OPTIONAL_CREDENTIALS)
        assert "MFADevices" not in names or "LoginProfile" in names, value
    assert "LoginProfile,MFADevices" in allowed


def test_the_step_outputs_each_deletion_and_whether_the_topic_was_told():
    outputs = {output["Name"]: output for output in STEP["outputs"]}
    assert outputs["Deleted"] == {
        "Name": "Deleted",
        "Selector": "$.Payload.Deleted",
        "Type": "StringList",
    }
    assert outputs["Notified"]["Selector"] == "$.Payload.Notified"


GUARD = load_template("rdk_config/records-guard-scp.yaml")
STACK = load_template("template.yaml")


def resolved_exempts() -> list[str]:
    statement = GUARD["Resources"]["RecordsGuard"]["Properties"]["Content"]["Statement"][0]
    delimiter, sub = statement["Condition"]["ArnNotLike"]["aws:PrincipalArn"]["Fn::Split"]
    text, values = sub["Fn::Sub"]
    joiner, _ = values["Deployers"]["Fn::Join"]
    defaults = GUARD["Parameters"]
    deployers = joiner.join(defaults["DeployerRoleNames"]["Default"].split(","))
    text = text.replace("${ReevaluationRoleName}", defaults["ReevaluationRoleName"]["Default"])
    return text.replace("${Deployers}", deployers).split(delimiter)


def test_the_guard_denies_writing_and_deleting_the_records_to_all_but_their_writers():
    policy = GUARD["Resources"]["RecordsGuard"]["Properties"]
    assert policy["Type"] == "SERVICE_CONTROL_POLICY"
    statement, memory = policy["Content"]["Statement"]
    assert statement["Effect"] == "Deny"
    # The rule's memory (its evaluations in AWS Config) is erased by nobody but deployers.
    assert (memory["Effect"], memory["Action"]) == ("Deny", "config:DeleteEvaluationResults")
    assert set(statement["Action"]) == {
        "ssm:PutParameter",
        "ssm:DeleteParameter",
        "ssm:DeleteParameters",
    }
    # The records' path, as template.yaml names its two parameters.
    assert statement["Resource"] == {
        "Fn::Sub": "arn:${AWS::Partition}:ssm:*:*:parameter/root-account-usage/*"
    }
    names = [
        resource["Properties"]["Name"]["Fn::Sub"]
        for resource in STACK["Resources"].values()
        if resource["Type"] == "AWS::SSM::Parameter"
    ]
    assert names
    assert all(name.startswith("/root-account-usage/") for name in names)


@pytest.mark.parametrize(
    ("principal", "may_write"),
    [
        # template.yaml's ReevaluationRole, as CloudFormation names it in a StackSet instance
        ("arn:aws:iam::222233334444:role/StackSet-root-usage-1a2b-ReevaluationRole-AbCdEf", True),
        ("arn:aws:iam::222233334444:role/stacksets-exec-0123456789abcdef", True),
        ("arn:aws:iam::222233334444:role/AWSCloudFormationStackSetExecutionRole", True),
        ("arn:aws:iam::222233334444:role/AWSReservedSSO_PowerUserAccess_0123abcd", False),
        ("arn:aws:iam::222233334444:role/StackSet-root-usage-1a2b-FunctionRole-AbCdEf", False),
        ("arn:aws:iam::222233334444:user/ops", False),
    ],
)
def test_only_the_reevaluation_role_and_the_deployers_escape_the_guard(principal, may_write):
    from fnmatch import fnmatchcase

    exempt = any(fnmatchcase(principal, pattern) for pattern in resolved_exempts())
    assert exempt is may_write
    role = STACK["Resources"]["ReevaluationRole"]["Properties"]
    assert "RoleName" not in role  # CloudFormation names it <stack>-ReevaluationRole-<id>
