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


def shell_blocks(section: str) -> str:
    text = GUIDE.read_text()
    start = text.index(f"## {section}\n")
    end = text.find("\n## ", start + 1)
    body = text[start : end if end != -1 else None]
    blocks = re.findall(r"```sh\n(.*?)```", body, re.DOTALL)
    assert blocks, section
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


def run_section(section: str, aws: AwsStandIn) -> None:
    script = "set -euo pipefail\nsleep() { :; }  # the guide waits for AWS; the stand-in does not\n"
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "MAKEFLAGS"
    }
    environment["PATH"] = f"{aws.path.parent}{os.pathsep}{environment['PATH']}"
    result = subprocess.run(
        [shutil.which("bash") or "bash", "-c", script + shell_blocks(section)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def profile(call: Call) -> str | None:
    return call.option("--profile") if "--profile" in call.args else call.env.get("AWS_PROFILE")


def index_of(calls: list[Call], prefix: str, *contains: str) -> int:
    for index, call in enumerate(calls):
        if call.command.startswith(prefix) and all(text in call.args for text in contains):
            return index
    raise AssertionError(f"no call {prefix} {contains}")


def test_organization_rollout_runs_step_by_step_in_the_right_accounts(aws):
    run_section("Organization rollout, step by step", aws)
    calls = aws.calls()
    for call in calls:
        assert profile(call), f"no account named: {call.command}"
        if not call.command.startswith(("organizations", "sts")):
            assert call.option("--region") == "eu-west-1", call.command

    [trusted_access] = aws.calls_to("cloudformation activate-organizations-access")
    assert profile(trusted_access) == "org-management"
    [delegate] = aws.calls_to("organizations register-delegated-administrator")
    assert delegate.option("--account-id") == SECURITY_ACCOUNT
    assert delegate.option("--service-principal") == "config-multiaccountsetup.amazonaws.com"
    assert profile(delegate) == "org-management"

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
    [instances] = aws.calls_to(f"cloudformation create-stack-instances {member_role_set}")
    assert instances.option("--deployment-targets") == f"OrganizationalUnitIds={ROOT_OU}"
    assert instances.option("--regions") == "eu-west-1"  # one home region: IAM is global
    [recorders] = aws.calls_to("cloudformation create-stack-set --stack-set-name enable-aws-config")
    assert profile(recorders) == "org-management"
    [management_role] = [
        c for c in aws.calls_to("cloudformation deploy") if "rdk_config/member-role.yaml" in c.args
    ]
    assert profile(management_role) == "org-management"

    [rule] = [
        c for c in aws.calls_to("cloudformation deploy") if "rdk_config/organization.yaml" in c.args
    ]
    assert f"CentralFunctionArn={FUNCTION_ARN}" in rule.args
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
    run_section("StackSet rollout, step by step", aws)
    [upload] = aws.calls_to("s3 cp")
    assert upload.env.get("AWS_PROFILE") == "org-management"
    key = upload.args[3].removeprefix("s3://org-artifacts-eu-west-1/")
    [stack_set] = aws.calls_to("cloudformation create-stack-set")
    assert "file://template.yaml" in stack_set.args
    for parameter in (
        "ParameterKey=CodeS3Bucket,ParameterValue=org-artifacts",
        "ParameterKey=CodeS3BucketPerRegion,ParameterValue=true",
        f"ParameterKey=CodeS3Key,ParameterValue={key}",
        f"ParameterKey=NotificationTopicArn,ParameterValue={TOPIC_ARN}",
    ):
        assert parameter in stack_set.args, parameter
    [instances] = aws.calls_to("cloudformation create-stack-instances")
    assert instances.option("--deployment-targets") == f"OrganizationalUnitIds={ROOT_OU}"
    [alarm] = aws.calls_to("cloudwatch set-alarm-state")
    assert profile(alarm) == "workload-dev"


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
    run_section("Centralized root access (AssumeRoot)", aws)
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
        "Organization rollout, step by step",
        "StackSet rollout, step by step",
        "Centralized root access (AssumeRoot)",
    }
    sections = re.split(r"\n## ", text)
    for section in sections:
        title = section.splitlines()[0]
        if "aws organizations" in section or "create-stack-set" in section:
            assert title in run, f"untested rollout commands under '{title}'"
