"""`rdk deploy` end to end, offline: the real rdk CLI deploys the rule folder into a moto
server (its own CloudFormation template, its own zip of the folder), and the zip rdk
uploaded then runs the handler as Lambda would, with rdklib from a layer.

moto stands in for AWS here, with two differences the test says out loud: moto's
CloudFormation creates no AWS::Config::ConfigRule (tests/deployment/moto_gaps.py fills
that gap), and moto drops the rdklib layer ARN rdk passes (the test supplies rdklib as
the layer's folder, as /opt/python holds it in Lambda). `rdk init`, which creates the code
bucket and a recorder, is not run: the bucket is created by hand.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import zipfile
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path, PurePosixPath

import boto3
import pytest
import rdk
import yaml

from root_account_usage.simulation.credential_report import RootUse, root_in_credential_report
from root_account_usage.simulation.events import periodic_event
from tests.deployment import moto_gaps  # noqa: F401 - registers AWS::Config::ConfigRule
from tests.lambda_runtime import run_handler, runtime_path

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
RULE = "ROOT_ACCOUNT_USAGE"
RDK = Path(sys.executable).with_name("rdk")
ACCOUNT = "123456789012"  # moto's default account
REGION = "us-east-1"
FUNCTION = "RDK-Rule-Function-ROOTACCOUNTUSAGE"  # rdk's name: the folder's, without "_"


def client(service, endpoint):
    return boto3.client(service, region_name=REGION, endpoint_url=endpoint)


def deploy_the_documented_role(endpoint):
    cloudformation = client("cloudformation", endpoint)
    cloudformation.create_stack(
        StackName="root-account-usage-rdk-role",
        TemplateBody=(ROOT / "rdk_config" / "rdk-function-role.yaml").read_text(),
        Capabilities=["CAPABILITY_IAM"],
    )
    [stack] = cloudformation.describe_stacks(StackName="root-account-usage-rdk-role")["Stacks"]
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}["FunctionRoleArn"]


def rdk_deploy(folder, endpoint, *options):
    environment = {
        "PATH": "/usr/bin:/bin",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }
    result = subprocess.run(
        [str(RDK), "deploy", RULE, *options],
        cwd=folder,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def rdklib_layer(folder: Path) -> Path:
    """The rdklib layer's content: python/rdklib, as Lambda mounts it under /opt."""
    distribution = metadata.distribution("rdklib")
    package = Path(str(distribution.locate_file("rdklib")))
    shutil.copytree(package, folder / "python" / "rdklib", ignore=shutil.ignore_patterns("*.pyc"))
    return folder / "python"


@pytest.fixture
def deployed(moto_server, tmp_path):
    role_arn = deploy_the_documented_role(moto_server)
    bucket = f"config-rule-code-bucket-{ACCOUNT}-{REGION}"  # `rdk init` creates it
    client("s3", moto_server).create_bucket(Bucket=bucket)
    # rdk zips the rule folder it finds in its working directory (and copies the zip back
    # into it): a copy keeps the repository clean.
    work = tmp_path / "rules"
    shutil.copytree(ROOT / RULE, work / RULE, ignore=shutil.ignore_patterns("__pycache__", "*.zip"))
    rdk_deploy(work, moto_server, "--lambda-timeout", "300", "--lambda-role-arn", role_arn)
    return {"endpoint": moto_server, "role_arn": role_arn, "bucket": bucket}


def test_rdk_deploy_creates_the_function_with_our_role_and_timeout(deployed):
    function = client("lambda", deployed["endpoint"]).get_function_configuration(
        FunctionName=FUNCTION
    )
    assert function["Role"] == deployed["role_arn"]
    assert function["Timeout"] == 300
    assert function["Handler"] == f"{RULE}.lambda_handler"
    assert function["Runtime"] == "python3.13"


def test_rdk_deploy_gives_the_rule_assume_role_mode_false(deployed):
    config = client("config", deployed["endpoint"])
    [rule] = config.describe_config_rules(ConfigRuleNames=[RULE])["ConfigRules"]
    # The rule is named after the folder, not the CLI's default `root-account-usage`.
    assert rule["ConfigRuleName"] == RULE
    parameters = json.loads(rule["InputParameters"])
    # Without it rdklib would assume the event's executionRoleArn: with the service-linked
    # AWSServiceRoleForConfig that fails, and nothing is published.
    assert parameters == {
        "ThresholdDays": "7",
        "AssumeRoleMode": "false",
        "CloudTrailEvidence": "true",  # the default (17.2)
        "AssumeRootSessions": "exclude",
    }
    [detail] = rule["Source"]["SourceDetails"]
    assert detail["MaximumExecutionFrequency"] == "TwentyFour_Hours"
    assert rule["Source"]["SourceIdentifier"].endswith(f":function:{FUNCTION}")


def test_the_zip_rdk_built_runs_the_handler_with_rdklib_from_the_layer(deployed, tmp_path):
    endpoint = deployed["endpoint"]
    body = client("s3", endpoint).get_object(Bucket=deployed["bucket"], Key=f"{RULE}/{RULE}.zip")
    archive = zipfile.ZipFile(io.BytesIO(body["Body"].read()))
    code_dir = tmp_path / "task"
    archive.extractall(code_dir)
    # rdk ships the whole folder: the CLI, history and simulation rooms come along.
    folders = {PurePosixPath(n).parts[1] for n in archive.namelist() if n.count("/") >= 2}
    assert {"core", "rule", "cli", "history", "simulation"} <= folders

    config = client("config", endpoint)
    [rule] = config.describe_config_rules(ConfigRuleNames=[RULE])["ConfigRules"]
    function = client("lambda", endpoint).get_function_configuration(FunctionName=FUNCTION)
    now = datetime.now(UTC).replace(microsecond=0)
    event = periodic_event(ACCOUNT, now) | {
        "ruleParameters": rule["InputParameters"],  # what AWS Config sends, verbatim
        "configRuleName": rule["ConfigRuleName"],
        "configRuleArn": rule["ConfigRuleArn"],
    }
    client("iam", endpoint).generate_credential_report()
    environment = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION,
        "LOG_LEVEL": "WARNING",
    }
    use = RootUse.at(access_key_1=now - timedelta(hours=3))
    with root_in_credential_report(ACCOUNT, use, now):
        run = run_handler(
            code_dir,
            event,
            environment,
            layers=(rdklib_layer(tmp_path / "layer"),),
            runtime_dir=runtime_path(tmp_path / "runtime"),
            handler=function["Handler"],
        )
    [evaluation] = run["result"]
    assert evaluation["ComplianceResourceId"] == ACCOUNT
    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert "Root access key 1 was used" in evaluation["Annotation"]
    assert run["origins"]["ROOT_ACCOUNT_USAGE"].startswith(str(code_dir))
    assert run["origins"]["rdklib"].startswith(str(tmp_path / "layer"))
    # ... and those extra rooms are dead weight only: the handler never imports them.
    rooms = {name.split(".")[1] for name in run["package_modules"]}
    assert rooms <= {"core", "rule"}


def test_rdk_defaults_that_the_deploy_guide_overrides_are_still_rdks():
    from rdk.rdk import get_deployment_parser

    arguments = get_deployment_parser().parse_args([RULE])
    assert int(arguments.lambda_timeout) == 60  # docs/deploy.md: pass --lambda-timeout 300
    versions = yaml.safe_load((Path(rdk.__file__).parent / "rdklib_versions.yaml").read_text())
    layer_regions = set(versions["rdklib_layer_versions"])
    # docs/deploy.md: the rdklib layer exists only in these; elsewhere --rdklib-layer-arn.
    assert {"us-east-1", "eu-west-1"} <= layer_regions
    assert "ap-east-1" not in layer_regions
    assert len(layer_regions) == 16
