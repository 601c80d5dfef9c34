"""`make deploy` and `make publish` call the AWS CLI as documented (a recording stand-in
replaces `aws`): where the user's credentials point, never a region of the Makefile's."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.aws_stand_in import AwsStandIn

ROOT = Path(__file__).resolve().parents[2]
MAKE = shutil.which("make") or "make"
pytestmark = pytest.mark.slow
KEY = r"root-account-usage/root-account-usage-[\d.]+-[0-9a-f]{16}\.zip"
REGION_VARIABLES = ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE")


def make(*args: str, **environment: str) -> subprocess.CompletedProcess[str]:
    """Run make with the test's environment less any region or profile, plus `environment`."""
    base = {k: v for k, v in os.environ.items() if k not in REGION_VARIABLES}
    return subprocess.run(
        [MAKE, "--no-print-directory", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env=base | {"MAKEFLAGS": ""} | environment,
    )


@pytest.fixture
def aws(tmp_path):
    stand_in = AwsStandIn(tmp_path)
    stand_in.answer("sts get-caller-identity", "111122223333")
    return stand_in


def test_deploy_uploads_a_content_addressed_package_and_deploys_the_template(aws):
    result = make(
        "deploy",
        f"AWS={aws.path}",
        "CODE_BUCKET=artifacts-bucket",
        "THRESHOLD_DAYS=30",
        "NOTIFICATION_EMAIL=secops@example.com",
        "ENABLE_REMEDIATION=true",
        AWS_REGION="eu-central-1",
    )
    assert result.returncode == 0, result.stderr
    [upload] = aws.calls_to("s3 cp")
    [deploy] = aws.calls_to("cloudformation deploy")
    assert re.fullmatch(r"dist/root-account-usage-[\d.]+\.zip", upload.args[2])
    key = re.fullmatch(f"s3://artifacts-bucket/({KEY})", upload.args[3])
    assert key
    assert deploy.option("--template-file") == "template.yaml"
    assert "CAPABILITY_IAM" in deploy.args
    overrides = deploy.args[deploy.args.index("--parameter-overrides") + 1 :]
    assert "CodeS3Bucket=artifacts-bucket" in overrides
    assert "CodeS3BucketPerRegion=false" in overrides
    assert f"CodeS3Key={key.group(1)}" in overrides
    assert "ThresholdDays=30" in overrides
    assert "NotificationEmail=secops@example.com" in overrides
    assert "EnableRemediation=true" in overrides
    assert "CreateConfigRule=true" in overrides
    assert "MemberRoleName=" in overrides


def test_deploy_goes_to_the_profiles_region_not_a_default_of_the_makefile(aws):
    aws.answer("configure get region", "eu-west-1")
    result = make(
        "deploy", f"AWS={aws.path}", "CODE_BUCKET=artifacts-bucket", AWS_PROFILE="security"
    )
    assert result.returncode == 0, result.stderr
    [upload] = aws.calls_to("s3 cp")
    [deploy] = aws.calls_to("cloudformation deploy")
    assert upload.option("--region") == deploy.option("--region") == "eu-west-1"
    for call in aws.calls():
        # No region slipped in through the environment; the profile reached every call.
        assert call.env == {"AWS_PROFILE": "security"}, call


def test_deploy_says_which_account_and_region_before_it_changes_anything(aws):
    result = make("deploy", f"AWS={aws.path}", "CODE_BUCKET=b-1", AWS_DEFAULT_REGION="ap-south-1")
    assert result.returncode == 0, result.stderr
    assert "to account 111122223333 in region ap-south-1" in result.stdout
    commands = [call.command for call in aws.calls()]
    assert commands[0].startswith("sts get-caller-identity --query Account")
    assert commands[1].startswith("s3 cp")


def test_aws_region_wins_over_aws_default_region_and_the_profile(aws):
    aws.answer("configure get region", "eu-west-1")
    result = make(
        "deploy",
        f"AWS={aws.path}",
        "CODE_BUCKET=b-1",
        AWS_REGION="ca-central-1",
        AWS_DEFAULT_REGION="us-west-2",
    )
    assert result.returncode == 0, result.stderr
    assert aws.calls_to("configure") == []
    [deploy] = aws.calls_to("cloudformation deploy")
    assert deploy.option("--region") == "ca-central-1"


def test_region_variable_names_the_region_explicitly(aws):
    result = make("deploy", f"AWS={aws.path}", "CODE_BUCKET=b-1", "REGION=sa-east-1")
    assert result.returncode == 0, result.stderr
    [deploy] = aws.calls_to("cloudformation deploy")
    assert deploy.option("--region") == "sa-east-1"


def test_deploy_with_a_bucket_prefix_reads_the_bucket_of_its_region(aws):
    result = make(
        "deploy", f"AWS={aws.path}", "CODE_BUCKET_PREFIX=org-artifacts", AWS_REGION="eu-west-1"
    )
    assert result.returncode == 0, result.stderr
    [upload] = aws.calls_to("s3 cp")
    assert upload.args[3].startswith("s3://org-artifacts-eu-west-1/")
    [deploy] = aws.calls_to("cloudformation deploy")
    assert "CodeS3Bucket=org-artifacts-eu-west-1" in deploy.args


def test_deploy_without_a_region_says_what_is_missing(aws):
    result = make("deploy", f"AWS={aws.path}", "CODE_BUCKET=b-1")
    assert result.returncode != 0
    assert "no AWS region" in result.stderr
    assert aws.calls_to("s3") == []
    assert aws.calls_to("cloudformation") == []


def test_deploy_without_a_bucket_says_what_is_missing():
    result = make("deploy", "AWS=/bin/false")
    assert result.returncode != 0
    assert "set CODE_BUCKET" in result.stderr


def test_publish_uploads_the_same_key_to_each_regional_bucket(aws):
    result = make(
        "publish",
        f"AWS={aws.path}",
        "CODE_BUCKET_PREFIX=org-artifacts",
        "REGIONS=us-east-1 eu-west-1",
    )
    assert result.returncode == 0, result.stderr
    key = re.search(f"^CodeS3Key=({KEY})$", result.stdout, re.MULTILINE)
    assert key
    uploads = aws.calls_to("s3 cp")
    assert [(call.args[3], call.option("--region")) for call in uploads] == [
        (f"s3://org-artifacts-us-east-1/{key.group(1)}", "us-east-1"),
        (f"s3://org-artifacts-eu-west-1/{key.group(1)}", "eu-west-1"),
    ]


def test_publish_without_regions_says_what_is_missing(aws):
    result = make("publish", f"AWS={aws.path}", "CODE_BUCKET_PREFIX=org-artifacts")
    assert result.returncode != 0
    assert "set REGIONS" in result.stderr
    assert aws.calls() == []


def test_each_setting_stays_one_argument_whatever_it_holds(aws):
    # A value with a space must not split into another parameter override (or argument).
    result = make(
        "deploy",
        f"AWS={aws.path}",
        "CODE_BUCKET=artifacts-bucket",
        "THRESHOLD_DAYS=7 CodeS3Key=evil.zip",
        "STACK_NAME=a b",
        AWS_REGION="eu-central-1",
    )
    assert result.returncode == 0, result.stderr
    [deploy] = aws.calls_to("cloudformation deploy")
    assert deploy.option("--stack-name") == "a b"
    overrides = deploy.args[deploy.args.index("--parameter-overrides") + 1 :]
    assert "ThresholdDays=7 CodeS3Key=evil.zip" in overrides
    assert [o for o in overrides if o.startswith("CodeS3Key=")] == [
        o for o in overrides if o.startswith("CodeS3Key=") and o != "CodeS3Key=evil.zip"
    ]


def test_exported_region_and_stack_name_do_not_choose_the_deploy(aws):
    # Only the command line sets a Makefile setting: a REGION or STACK_NAME left in the
    # environment (for another tool) must not send the deploy elsewhere.
    result = make(
        "deploy",
        f"AWS={aws.path}",
        "CODE_BUCKET=artifacts-bucket",
        AWS_REGION="eu-central-1",
        REGION="ap-south-1",
        STACK_NAME="someone-elses-stack",
        THRESHOLD_DAYS="1",
    )
    assert result.returncode == 0, result.stderr
    [deploy] = aws.calls_to("cloudformation deploy")
    assert deploy.option("--region") == "eu-central-1"
    assert deploy.option("--stack-name") == "root-account-usage"
    assert "ThresholdDays=7" in deploy.args


def test_settings_pass_literally_no_dollar_or_backtick_expansion(aws, tmp_path):
    marker = tmp_path / "ran"
    result = make(
        "deploy",
        f"AWS={aws.path}",
        "CODE_BUCKET=artifacts-bucket",
        "NOTIFICATION_EMAIL=sec$ops@example.com",
        f"STACK_NAME=a`touch {marker}`'b$(HOME)",
        AWS_REGION="eu-central-1",
    )
    assert result.returncode == 0, result.stderr
    [deploy] = aws.calls_to("cloudformation deploy")
    assert "NotificationEmail=sec$ops@example.com" in deploy.args
    assert deploy.option("--stack-name") == f"a`touch {marker}`'b$(HOME)"
    assert not marker.exists()
