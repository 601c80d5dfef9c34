"""The rollout guides in docs/deploy.md run as written: every shell block of a section,
in order, in one bash with `set -euo pipefail`, against a recording stand-in for `aws`
(the real make targets run too). The test then checks the calls: each in the account and
region the step names, with the values the earlier steps produced, in a workable order."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import botocore.session
import pytest

from tests.aws_stand_in import AwsStandIn, Call

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "deploy.md"
pytestmark = pytest.mark.slow

ORG_ID = "o-exampleorg12"
ROOT_OU = "r-ab12"
SECURITY_ACCOUNT = "222233334444"
TOPIC_ARN = f"arn:aws:sns:eu-west-1:{SECURITY_ACCOUNT}:root-account-usage-notifications-Topic-1"
FUNCTION_ARN = f"arn:aws:lambda:eu-west-1:{SECURITY_ACCOUNT}:function:central-Function-1"
FUNCTION_ROLE_ARN = f"arn:aws:iam::{SECURITY_ACCOUNT}:role/central-FunctionRole-1"
MEMBER_RULE = "OrgConfigRule-root-account-usage-ab12cd34"


PREREQUISITES = "Organization prerequisites, step by step"
PILOT_OU = "ou-ab12-pilot001"


def shell_blocks(*sections: str) -> str:
    text = GUIDE.read_text()
    blocks = []
    for section in sections:
        start = text.index(f"## {section}\n")
        end = text.find("\n## ", start + 1)
        found = re.findall(r"```sh\n(.*?)```", text[start : end if end != -1 else None], re.DOTALL)
        assert found, section
        blocks.extend(found)
    return "\n".join(blocks)


def outputs_query(stack: str, output: str) -> str:
    return (
        f"cloudformation describe-stacks --profile security-tooling --region eu-west-1 "
        f"--stack-name {stack} --query Stacks[0].Outputs[?OutputKey=='{output}'].OutputValue"
    )


@pytest.fixture
def aws(tmp_path):
    stand_in = AwsStandIn(tmp_path)
    answers = {
        "sts get-caller-identity --profile security-tooling": SECURITY_ACCOUNT,
        "sts get-caller-identity": "111122223333",
        "organizations describe-organization": ORG_ID,
        "organizations list-roots": ROOT_OU,
        outputs_query("root-account-usage-notifications", "TopicArn"): TOPIC_ARN,
        outputs_query("root-account-usage-central", "FunctionArn"): FUNCTION_ARN,
        outputs_query("root-account-usage-central", "FunctionRoleArn"): FUNCTION_ROLE_ARN,
        "cloudformation create-stack-instances": "op-create-1",
        "cloudformation delete-stack-instances": "op-delete-1",
        "cloudformation describe-stack-set-operation": "SUCCEEDED",
        "configservice describe-config-rules": MEMBER_RULE,
        "cloudwatch describe-alarms": "root-account-usage-central-FunctionErrorsAlarm-X1",
    }
    for prefix, output in answers.items():
        stand_in.answer(prefix, output)
    return stand_in


def run_section(*sections: str, aws: AwsStandIn, succeed: bool = True) -> str:
    script = "set -euo pipefail\nsleep() { :; }  # the guide waits for AWS; the stand-in does not\n"
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "MAKEFLAGS"
    }
    environment["PATH"] = f"{aws.path.parent}{os.pathsep}{environment['PATH']}"
    result = subprocess.run(
        [shutil.which("bash") or "bash", "-c", script + shell_blocks(*sections)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert (result.returncode == 0) == succeed, result.stdout + result.stderr
    return result.stdout + result.stderr


def profile(call: Call) -> str | None:
    return call.option("--profile") if "--profile" in call.args else call.env.get("AWS_PROFILE")


def index_of(calls: list[Call], prefix: str, *contains: str) -> int:
    for index, call in enumerate(calls):
        if call.command.startswith(prefix) and all(text in call.args for text in contains):
            return index
    raise AssertionError(f"no call {prefix} {contains}")


def test_organization_rollout_runs_step_by_step_in_the_right_accounts(aws):
    run_section(PREREQUISITES, "Organization rollout, step by step", aws=aws)
    calls = aws.calls()
    for call in calls:
        assert profile(call), f"no account named: {call.command}"
        if not call.command.startswith(("organizations", "sts", "iam")):
            assert call.option("--region") == "eu-west-1", call.command

    [trusted_access] = aws.calls_to("cloudformation activate-organizations-access")
    assert profile(trusted_access) == "org-management"
    delegates = aws.calls_to("organizations register-delegated-administrator")
    assert {d.option("--service-principal") for d in delegates} == {
        "config-multiaccountsetup.amazonaws.com",  # organization rules
        "config.amazonaws.com",  # the organization aggregator history --aggregator reads
    }
    for delegate in delegates:
        assert delegate.option("--account-id") == SECURITY_ACCOUNT
        assert profile(delegate) == "org-management"
    [aggregator] = aws.calls_to("configservice put-configuration-aggregator")
    assert profile(aggregator) == "security-tooling"
    source = aggregator.option("--organization-aggregation-source")
    assert f"RoleArn=arn:aws:iam::{SECURITY_ACCOUNT}:role/root-account-usage-aggregator" in source

    [topic] = [
        c
        for c in aws.calls_to("cloudformation deploy")
        if "rdk_config/central-notifications.yaml" in c.args
    ]
    assert f"OrganizationId={ORG_ID}" in topic.args
    assert profile(topic) == "security-tooling"

    # make deploy: the central function, in the security account, no rule of its own.
    [central] = [c for c in aws.calls_to("cloudformation deploy") if "template.yaml" in c.args]
    assert profile(central) == "security-tooling"
    assert central.option("--stack-name") == "root-account-usage-central"
    for override in (
        "CreateConfigRule=false",
        "MemberRoleName=RootAccountUsageReader",
        f"OrganizationId={ORG_ID}",
        f"NotificationTopicArn={TOPIC_ARN}",
        "CodeS3Bucket=security-artifacts-eu-west-1",
    ):
        assert override in central.args, override
    [upload] = aws.calls_to("s3 cp")
    assert upload.args[3].startswith("s3://security-artifacts-eu-west-1/")

    member_role_set = "--stack-set-name root-account-usage-member-role"
    [member_set] = aws.calls_to(f"cloudformation create-stack-set {member_role_set}")
    assert "file://rdk_config/member-role.yaml" in member_set.args
    assert f"ParameterKey=CentralFunctionRoleArn,ParameterValue={FUNCTION_ROLE_ARN}" in (
        member_set.args
    )
    assert profile(member_set) == "org-management"
    pilot, instances = aws.calls_to(f"cloudformation create-stack-instances {member_role_set}")
    assert pilot.option("--deployment-targets") == f"OrganizationalUnitIds={PILOT_OU}"
    assert instances.option("--deployment-targets") == f"OrganizationalUnitIds={ROOT_OU}"
    assert instances.option("--regions") == "eu-west-1"  # one home region: IAM is global
    [recorders] = aws.calls_to("cloudformation create-stack-set --stack-set-name enable-aws-config")
    assert profile(recorders) == "org-management"
    # Config only where Control Tower does not manage it: never the root OU.
    [config_instances] = aws.calls_to(
        "cloudformation create-stack-instances --stack-set-name enable-aws-config"
    )
    assert (
        config_instances.option("--deployment-targets") == "OrganizationalUnitIds=ou-ab12-legacy01"
    )
    [management_role] = [
        c for c in aws.calls_to("cloudformation deploy") if "rdk_config/member-role.yaml" in c.args
    ]
    assert profile(management_role) == "org-management"

    [rule] = [
        c for c in aws.calls_to("cloudformation deploy") if "rdk_config/organization.yaml" in c.args
    ]
    assert f"CentralFunctionArn={FUNCTION_ARN}" in rule.args
    assert f"OrganizationId={ORG_ID}" in rule.args  # the central function refuses others
    assert profile(rule) == "security-tooling"

    [evaluation] = aws.calls_to("configservice start-config-rules-evaluation")
    assert evaluation.option("--config-rule-names") == MEMBER_RULE
    assert profile(evaluation) == "workload-dev"
    assert aws.calls_to("configservice get-organization-config-rule-detailed-status")
    assert aws.calls_to("cloudwatch set-alarm-state")

    # A workable order: the role exists before the rule that assumes it, and roll-back
    # removes the rule first and the function last.
    assert calls.index(instances) < calls.index(rule)
    assert calls.index(central) < calls.index(member_set)
    deletes = [c.option("--stack-name") for c in aws.calls_to("cloudformation delete-stack ")]
    assert deletes == [
        "root-account-usage-organization",
        "root-account-usage-member-role",
        "root-account-usage-central",
        "root-account-usage-notifications",
    ]
    assert index_of(calls, "cloudformation delete-stack-instances") < index_of(
        calls, "cloudformation delete-stack-set"
    )


def test_stackset_rollout_publishes_per_region_and_deploys_to_the_root(aws):
    run_section(PREREQUISITES, "StackSet rollout, step by step", aws=aws)
    upload, _ = aws.calls_to("s3 cp")  # make publish, then make deploy (management account)
    assert upload.env.get("AWS_PROFILE") == "org-management"
    key = upload.args[3].removeprefix("s3://security-artifacts-eu-west-1/")
    [stack_set] = aws.calls_to(
        "cloudformation create-stack-set --stack-set-name root-account-usage"
    )
    assert "file://template.yaml" in stack_set.args
    for parameter in (
        "ParameterKey=CodeS3Bucket,ParameterValue=security-artifacts",
        "ParameterKey=CodeS3BucketPerRegion,ParameterValue=true",
        f"ParameterKey=CodeS3Key,ParameterValue={key}",
        f"ParameterKey=NotificationTopicArn,ParameterValue={TOPIC_ARN}",
    ):
        assert parameter in stack_set.args, parameter
    pilot, instances = aws.calls_to("cloudformation create-stack-instances --stack-set-name root")
    assert pilot.option("--deployment-targets") == f"OrganizationalUnitIds={PILOT_OU}"
    assert instances.option("--deployment-targets") == f"OrganizationalUnitIds={ROOT_OU}"
    calls = aws.calls()
    [verify] = aws.calls_to("configservice start-config-rules-evaluation")
    assert calls.index(pilot) < calls.index(verify) < calls.index(instances)
    [alarm] = aws.calls_to("cloudwatch set-alarm-state")
    assert profile(alarm) == "workload-dev"
    # Service-managed StackSets skip the management account: a stack of its own there.
    [management] = [c for c in aws.calls_to("cloudformation deploy") if "template.yaml" in c.args]
    assert profile(management) == "org-management"
    assert f"NotificationTopicArn={TOPIC_ARN}" in management.args


def test_every_stack_set_operation_is_paced_and_waited_for(aws):
    model = botocore.session.get_session().get_service_model("cloudformation")
    preferences = model.shape_for("StackSetOperationPreferences").members
    run_section(PREREQUISITES, "StackSet rollout, step by step", aws=aws)
    calls = aws.calls()
    operations = aws.calls_to("cloudformation create-stack-instances")
    assert len(operations) == 3  # enable-aws-config, the pilot OU, the root
    for call in operations:
        chosen = dict(pair.split("=") for pair in call.option("--operation-preferences").split(","))
        for key, value in chosen.items():
            enum = getattr(preferences[key], "enum", None)
            assert not enum or value in enum, (key, value)
        assert chosen["ConcurrencyMode"] == "SOFT_FAILURE_TOLERANCE"
        assert chosen["RegionConcurrencyType"] == "PARALLEL"
        assert int(chosen["FailureTolerancePercentage"]) > 0
        # The next call is the wait for this operation.
        wait = calls[calls.index(call) + 1]
        assert wait.command.startswith("cloudformation describe-stack-set-operation")
        assert wait.option("--operation-id") == "op-create-1"


@pytest.mark.parametrize("status", ["FAILED", "STOPPED"])
def test_a_failed_operation_stops_the_rollout_and_lists_the_failed_accounts(aws, status):
    aws.answer("cloudformation describe-stack-set-operation", status)
    aws.answer(
        "cloudformation list-stack-set-operation-results",
        "444455556666\teu-west-1\tFAILED\tNo AWS Config recorder",
    )
    output = run_section(PREREQUISITES, "StackSet rollout, step by step", aws=aws, succeed=False)
    assert "444455556666" in output
    assert f"ended {status}" in output
    [results] = aws.calls_to("cloudformation list-stack-set-operation-results")
    assert results.option("--operation-id") == "op-create-1"
    # Stopped at the first operation (the recorders): no rule stack set deployed anywhere.
    assert not aws.calls_to("cloudformation create-stack-instances --stack-set-name root")


def test_root_credentials_removal_is_enabled_then_rehearsed_then_run(aws):
    aws.answer(
        "cloudformation describe-stacks --stack-name root-credentials-removal --query "
        "Stacks[0].Outputs[?OutputKey=='RemovalDocumentName']",
        "root-credentials-removal-Document-1",
    )
    aws.answer(
        "cloudformation describe-stacks --stack-name root-credentials-removal --query "
        "Stacks[0].Outputs[?OutputKey=='AutomationRoleArn']",
        "arn:aws:iam::111122223333:role/removal-AutomationRole-1",
    )
    run_section("Centralized root access (AssumeRoot)", aws=aws)
    calls = aws.calls()
    assert {call.env.get("AWS_PROFILE") for call in calls} == {"org-management"}
    enable = index_of(calls, "iam enable-organizations-root-credentials-management")
    assert index_of(calls, "organizations enable-aws-service-access") < enable
    # The guard first (an SCP on the organization's root), then the document.
    guard, deploy = aws.calls_to("cloudformation deploy")
    assert guard.option("--template-file") == "rdk_config/records-guard-scp.yaml"
    assert f"TargetIds={ROOT_OU}" in guard.args
    assert deploy.option("--template-file") == "rdk_config/root-credentials-removal.yaml"
    assert enable < calls.index(guard) < calls.index(deploy)
    rehearsal, removal = aws.calls_to("ssm start-automation-execution")
    assert calls.index(deploy) < calls.index(rehearsal) < calls.index(removal)
    for run in (rehearsal, removal):
        assert run.option("--document-name") == "root-credentials-removal-Document-1"
        assert "AutomationAssumeRole=arn:aws:iam::111122223333:role/removal-AutomationRole-1" in (
            run.option("--parameters")
        )
    assert "DryRun" not in rehearsal.option("--parameters")  # the document's default: dry
    assert removal.option("--parameters").endswith(",DryRun=false")


def test_every_rollout_command_block_of_the_guide_is_run_by_a_test():
    text = GUIDE.read_text()
    run = {
        PREREQUISITES,
        "Organization rollout, step by step",
        "StackSet rollout, step by step",
        "Centralized root access (AssumeRoot)",
    }
    sections = re.split(r"\n## ", text)
    for section in sections:
        title = section.splitlines()[0]
        if "aws organizations" in section or "create-stack-set" in section:
            assert title in run, f"untested rollout commands under '{title}'"
