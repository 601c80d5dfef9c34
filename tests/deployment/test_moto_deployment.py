"""The templates deployed under moto's CloudFormation (in process) into an organization's
accounts and regions, and each deployed function's handler invoked for its account.

template.yaml goes into two member accounts x two regions, as plain stacks and as
service-managed StackSet instances, reading its code from the bucket of its own region;
the organization rollout (template.yaml as the central function, member-role.yaml by
StackSet, organization.yaml) evaluates a member account through its member role.

Where moto stops, and what checks that part instead:
- moto's CloudFormation skips AWS::Lambda::EventInvokeConfig, AWS::Logs::MetricFilter,
  AWS::CloudWatch::Alarm, AWS::Config::RemediationConfiguration, AWS::SNS::TopicPolicy and
  AWS::Config::OrganizationConfigRule with a warning (asserted below, so a moto that learns
  one shows up here). tests/contract/test_templates.py and cfn-lint over every region
  check them.
- It has no AWS::Config::ConfigRule: tests/deployment/moto_gaps.py creates the rule in
  moto's Config, so the event is built from the deployed rule's own InputParameters.
- moto creates functions but runs none (that needs Docker): the handler named by the
  deployed function runs here, from the repository, with the function's environment and
  credentials of the function's account (tests/contract/test_package.py runs the zip).
- Service-managed StackSets aimed at the root also land in the management account (AWS
  skips it), and AutoDeployment is ignored; the organization rule is rendered from
  organization.yaml's InputParameters, since moto cannot create it.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import importlib
import io
import json
import re
import sys
import warnings
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.iam.models import iam_backends
from moto.sts.models import sts_backends

from root_account_usage.rule.clients import _CLIENTS
from root_account_usage.simulation.credential_report import RootUse, root_in_credential_report
from root_account_usage.simulation.events import periodic_event
from tests.cfn import load_template
from tests.deployment import moto_gaps  # noqa: F401 - registers AWS::Config::ConfigRule

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
import package_lambda

# Expected, and asserted where it matters (create_stack records them).
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:Tried to parse")]

ROOT = Path(__file__).resolve().parents[2]
REGIONS = ("us-east-1", "eu-west-1")
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
CODE_KEY = "root-account-usage/root-account-usage-test.zip"
MEMBER_ROLE = "RootAccountUsageReader"
UNSUPPORTED = re.compile(r"Tried to parse (\S+) but it's not supported")


@dataclass(frozen=True)
class Account:
    """An account of the organization, reached with an access key of its own."""

    id: str
    session: boto3.Session

    def client(self, service: str, region: str = "us-east-1") -> Any:
        return self.session.client(service, region_name=region)


def enter(account_id: str) -> Account:
    """Credentials that moto maps to `account_id` (an IAM user's key, not an assumed role:
    tests/call_recorder.py takes ASIA keys for member roles)."""
    assumed = boto3.client("sts", region_name="us-east-1").assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole",
        RoleSessionName="deploy",
    )["Credentials"]
    iam = boto3.client(
        "iam",
        region_name="us-east-1",
        aws_access_key_id=assumed["AccessKeyId"],
        aws_secret_access_key=assumed["SecretAccessKey"],
        aws_session_token=assumed["SessionToken"],
    )
    iam.create_user(UserName="platform")
    key = iam.create_access_key(UserName="platform")["AccessKey"]
    return Account(
        account_id,
        boto3.Session(
            aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"]
        ),
    )


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    return package_lambda.build(tmp_path_factory.mktemp("dist"), "0.0.0-test").read_bytes()


def tagged(package: bytes, region: str) -> bytes:
    """The package with a zip comment naming its region: a function's CodeSha256 then
    shows which regional bucket its code came from."""
    buffer = io.BytesIO(package)
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.comment = f"published for {region}".encode()
    return buffer.getvalue()


def sha256_b64(content: bytes) -> str:
    return base64.b64encode(hashlib.sha256(content).digest()).decode()


@dataclass(frozen=True)
class Organization:
    id: str
    root: str
    management: Account
    members: tuple[Account, ...]


@pytest.fixture
def organization(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    with mock_aws():
        organizations = boto3.client("organizations", region_name="us-east-1")
        organization_id = organizations.create_organization(FeatureSet="ALL")["Organization"]["Id"]
        root = organizations.list_roots()["Roots"][0]["Id"]
        members = []
        for name in ("workload-a", "workload-b"):
            status = organizations.create_account(Email=f"{name}@example.com", AccountName=name)
            members.append(enter(status["CreateAccountStatus"]["AccountId"]))
        management = Account(DEFAULT_ACCOUNT_ID, boto3.Session())
        yield Organization(organization_id, root, management, tuple(members))


def publish(account: Account, package: bytes, prefix: str, regions=REGIONS) -> dict[str, bytes]:
    """`make publish`: the package in <prefix>-<region> for each region."""
    published = {}
    for region in regions:
        s3 = account.client("s3", region)
        location = {} if region == "us-east-1" else {"LocationConstraint": region}
        s3.create_bucket(Bucket=f"{prefix}-{region}", CreateBucketConfiguration=location)
        published[region] = tagged(package, region)
        s3.put_object(Bucket=f"{prefix}-{region}", Key=CODE_KEY, Body=published[region])
    return published


def parameters(**values: str) -> list[dict[str, str]]:
    return [{"ParameterKey": key, "ParameterValue": value} for key, value in values.items()]


def create_stack(account: Account, region: str, name: str, template: str, **values: str):
    """Create a stack; returns its outputs and the resource types moto skipped."""
    cloudformation = account.client("cloudformation", region)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cloudformation.create_stack(
            StackName=name,
            TemplateBody=(ROOT / template).read_text(),
            Parameters=parameters(**values),
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
        )
    [stack] = cloudformation.describe_stacks(StackName=name)["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    skipped = {m.group(1) for w in caught if (m := UNSUPPORTED.search(str(w.message)))}
    outputs = {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}
    return outputs, skipped


REGIONAL_CODE = {"CodeS3Bucket": "org-artifacts", "CodeS3BucketPerRegion": "true"}


def invoke_deployed_rule(account: Account, region: str, monkeypatch, use: RootUse):
    """Build AWS Config's event from the deployed rule and run the deployed function's
    handler with that function's environment, in its account and region."""
    [rule] = account.client("config", region).describe_config_rules()["ConfigRules"]
    function = account.client("lambda", region).get_function_configuration(
        FunctionName=rule["Source"]["SourceIdentifier"]
    )
    event = periodic_event(account.id, NOW) | {
        "ruleParameters": rule["InputParameters"],
        "configRuleName": rule["ConfigRuleName"],
        "configRuleArn": rule["ConfigRuleArn"],
    }
    return run_function(account, region, function, event, monkeypatch, use, account.id)


def run_function(account, region, function, event, monkeypatch, use, report_account):
    credentials = account.session.get_credentials()
    for name, value in function.get("Environment", {}).get("Variables", {}).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_REGION", region)
    monkeypatch.setenv("AWS_DEFAULT_REGION", region)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", credentials.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", credentials.secret_key)
    _CLIENTS.clear()  # a warm container never changes account; this test does
    module_name, handler_name = function["Handler"].rsplit(".", 1)
    handler = getattr(importlib.import_module(module_name), handler_name)
    with root_in_credential_report(report_account, use, NOW - timedelta(hours=1)):
        [evaluation] = handler(event, None)
    return evaluation


def assert_evaluates_its_own_account(account, region, published, monkeypatch):
    lambda_client = account.client("lambda", region)
    [function] = [
        f
        for f in lambda_client.list_functions()["Functions"]
        if f["Handler"] == "ROOT_ACCOUNT_USAGE.lambda_handler"
    ]
    assert function["FunctionArn"].split(":")[3:5] == [region, account.id]
    assert function["CodeSha256"] == sha256_b64(published[region])  # its region's bucket
    evaluation = invoke_deployed_rule(
        account, region, monkeypatch, RootUse.at(password=NOW - timedelta(days=2))
    )
    assert evaluation["ComplianceResourceId"] == account.id
    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert "console password was used at 2026-11-25T12:00:00Z" in evaluation["Annotation"]


def test_stacks_in_two_accounts_and_two_regions_each_evaluate_their_own_account(
    organization, package, monkeypatch
):
    published = publish(organization.management, package, "org-artifacts")
    for account in organization.members:
        for region in REGIONS:
            _, skipped = create_stack(
                account, region, "root-account-usage", "template.yaml",
                CodeS3Key=CODE_KEY, **REGIONAL_CODE,
            )  # fmt: skip
            assert skipped == {
                "AWS::Lambda::EventInvokeConfig",
                "AWS::Logs::MetricFilter",
                "AWS::CloudWatch::Alarm",
            }
    for account in organization.members:
        for region in REGIONS:
            assert_evaluates_its_own_account(account, region, published, monkeypatch)


def test_stackset_instances_in_two_accounts_and_two_regions_each_evaluate_their_account(
    organization, package, monkeypatch
):
    published = publish(organization.management, package, "org-artifacts")
    cloudformation = organization.management.client("cloudformation")
    cloudformation.create_stack_set(
        StackSetName="root-account-usage",
        TemplateBody=(ROOT / "template.yaml").read_text(),
        PermissionModel="SERVICE_MANAGED",
        AutoDeployment={"Enabled": True, "RetainStacksOnAccountRemoval": False},
        Capabilities=["CAPABILITY_IAM"],
        Parameters=parameters(CodeS3Key=CODE_KEY, **REGIONAL_CODE),
    )
    cloudformation.create_stack_instances(
        StackSetName="root-account-usage",
        DeploymentTargets={"OrganizationalUnitIds": [organization.root]},
        Regions=list(REGIONS),
    )
    instances = cloudformation.list_stack_instances(StackSetName="root-account-usage")
    landed = {(i["Account"], i["Region"]) for i in instances["Summaries"]}
    for account in organization.members:
        for region in REGIONS:
            assert (account.id, region) in landed
            assert_evaluates_its_own_account(account, region, published, monkeypatch)


def test_every_option_deploys_and_only_the_known_types_are_left_to_the_contract_tests(
    organization, package, monkeypatch
):
    [account, _] = organization.members
    publish(account, package, "artifacts", regions=("eu-west-1",))
    outputs, skipped = create_stack(
        account, "eu-west-1", "root-account-usage", "template.yaml",
        CodeS3Bucket="artifacts-eu-west-1", CodeS3Key=CODE_KEY,
        NotificationEmail="secops@example.com", EnableRemediation="true",
        AutomaticRemediation="true", CloudTrailEvidence="true",
        ReevaluateOnRootActivity="true", IncludeReadOnlyRootCalls="true",
    )  # fmt: skip
    assert skipped == {
        "AWS::Lambda::EventInvokeConfig",
        "AWS::Logs::MetricFilter",
        "AWS::CloudWatch::Alarm",
        "AWS::Config::RemediationConfiguration",
    }
    assert set(outputs) == {
        "FunctionArn",
        "FunctionRoleArn",
        "ConfigRuleName",
        "NotificationTopicArn",
        "RemediationDocumentName",
        "RemediationRoleArn",
        "RootActivityRuleArn",
    }
    [rule] = account.client("events", "eu-west-1").list_rules()["Rules"]
    assert rule["State"] == "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
    role_name = outputs["FunctionRoleArn"].rsplit("/", 1)[1]
    [policy] = account.client("iam").list_role_policies(RoleName=role_name)["PolicyNames"]
    document = account.client("iam").get_role_policy(RoleName=role_name, PolicyName=policy)
    policy_document = document["PolicyDocument"]
    if isinstance(policy_document, str):  # moto keeps CloudFormation's dict as its repr
        policy_document = ast.literal_eval(policy_document)
    # moto leaves AWS::NoValue as None where CloudFormation drops the statement.
    statements = {s["Sid"]: s for s in policy_document["Statement"] if s is not None}
    assert statements["PublishFailedInvocations"]["Resource"] == outputs["NotificationTopicArn"]
    evaluation = invoke_deployed_rule(
        account, "eu-west-1", monkeypatch, RootUse.at(access_key_2=NOW - timedelta(hours=5))
    )
    assert evaluation["ComplianceType"] == "NON_COMPLIANT"


def test_the_conformance_pack_path_gets_its_remediation_document(organization, package):
    # docs/deploy.md path 4: the function and the remediation, no rule of its own; the
    # pack takes RemediationDocumentName and RemediationRoleArn.
    [account, _] = organization.members
    publish(account, package, "artifacts", regions=("eu-west-1",))
    outputs, _ = create_stack(
        account, "eu-west-1", "root-account-usage", "template.yaml",
        CodeS3Bucket="artifacts-eu-west-1", CodeS3Key=CODE_KEY, CreateConfigRule="false",
        NotificationEmail="secops@example.com", EnableRemediation="true",
    )  # fmt: skip
    assert {"RemediationDocumentName", "RemediationRoleArn", "FunctionArn"} <= set(outputs)
    assert "ConfigRuleName" not in outputs


def test_central_topic_deploys_with_its_policy_left_to_the_contract_tests(organization):
    security = organization.members[0]
    outputs, skipped = create_stack(
        security, "us-east-1", "root-account-usage-notifications",
        "rdk_config/central-notifications.yaml",
        OrganizationId=organization.id, NotificationEmail="secops@example.com",
    )  # fmt: skip
    assert skipped == {"AWS::SNS::TopicPolicy"}
    assert outputs["TopicArn"].startswith(f"arn:aws:sns:us-east-1:{security.id}:")


def organization_rule_parameters(values: dict[str, str]) -> str:
    """organization.yaml's InputParameters as CloudFormation renders them (moto cannot
    create an organization rule)."""
    template = load_template("rdk_config/organization.yaml")
    rule = template["Resources"]["RootAccountUsageOrganizationRule"]
    defaults = {name: str(p.get("Default", "")) for name, p in template["Parameters"].items()}
    text = rule["Properties"]["OrganizationCustomRuleMetadata"]["InputParameters"]["Fn::Sub"]
    return re.sub(r"\$\{(\w+)\}", lambda match: (defaults | values)[match.group(1)], text)


def test_central_function_evaluates_a_member_through_its_member_role(
    organization, package, monkeypatch
):
    security, workload = organization.members
    publish(security, package, "security-artifacts", regions=("us-east-1",))
    central, _ = create_stack(
        security, "us-east-1", "root-account-usage-central", "template.yaml",
        CodeS3Bucket="security-artifacts-us-east-1", CodeS3Key=CODE_KEY,
        CreateConfigRule="false", MemberRoleName=MEMBER_ROLE, OrganizationId=organization.id,
    )  # fmt: skip
    cloudformation = organization.management.client("cloudformation")
    cloudformation.create_stack_set(
        StackSetName="root-account-usage-member-role",
        TemplateBody=(ROOT / "rdk_config" / "member-role.yaml").read_text(),
        PermissionModel="SERVICE_MANAGED",
        AutoDeployment={"Enabled": True, "RetainStacksOnAccountRemoval": False},
        Capabilities=["CAPABILITY_NAMED_IAM"],
        Parameters=parameters(CentralFunctionRoleArn=central["FunctionRoleArn"]),
    )
    cloudformation.create_stack_instances(
        StackSetName="root-account-usage-member-role",
        DeploymentTargets={"OrganizationalUnitIds": [organization.root]},
        Regions=["us-east-1"],
    )
    stack_values = {
        "ThresholdDays": "7",
        "MemberRoleName": MEMBER_ROLE,
        "OrganizationId": organization.id,
    }
    _, skipped = create_stack(
        security, "us-east-1", "root-account-usage-organization", "rdk_config/organization.yaml",
        CentralFunctionArn=central["FunctionArn"], **stack_values,
    )  # fmt: skip
    assert skipped == {"AWS::Config::OrganizationConfigRule"}

    # The member account lends its role to the central function's role only.
    role = workload.client("iam").get_role(RoleName=MEMBER_ROLE)["Role"]
    [trust] = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"AWS": central["FunctionRoleArn"]}
    # Every member's AWS Config may invoke the central function.
    policy = json.loads(
        security.client("lambda").get_policy(FunctionName=central["FunctionArn"])["Policy"]
    )
    assert {s["Principal"]["Service"] for s in policy["Statement"]} == {"config.amazonaws.com"}

    # AWS Config in the workload account invokes the central function for its own rule.
    event = periodic_event(workload.id, NOW) | {
        "ruleParameters": organization_rule_parameters(
            stack_values | {"CloudTrailEvidence": "false"}
        ),
        "configRuleName": "OrgConfigRule-root-account-usage-ab12cd34",
        # The member rule AWS creates (moto skips the organization rule): only such a rule
        # may use the central function.
        "configRuleArn": f"arn:aws:config:us-east-1:{workload.id}:config-rule/aws-service-rule/"
        "config-multiaccountsetup.amazonaws.com/config-rule-k3lx9q",
    }
    function = security.client("lambda").get_function_configuration(
        FunctionName=central["FunctionArn"]
    )
    use = RootUse.at(password=NOW - timedelta(days=3))
    evaluation = run_function(security, "us-east-1", function, event, monkeypatch, use, workload.id)
    assert evaluation["ComplianceResourceId"] == workload.id
    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    # It read the workload account's report, through the workload's member role.
    assert iam_backends[workload.id]["aws"].credential_report is not None
    assert iam_backends[security.id]["aws"].credential_report is None
    assumed = {role.role_arn for role in sts_backends[workload.id]["aws"].assumed_roles}
    assert f"arn:aws:iam::{workload.id}:role/{MEMBER_ROLE}" in assumed


def test_the_forwarder_as_one_stackset_gives_every_other_region_the_home_pattern(organization):
    # Root calls are recorded (and delivered by EventBridge) in the endpoint's region: one
    # StackSet of forward-root-signin.yaml over every region sends each region's to home.
    regions = ["us-east-1", "eu-west-1", "ap-south-1", "sa-east-1", "eu-central-1"]
    [account, _] = organization.members
    cloudformation = organization.management.client("cloudformation")
    cloudformation.create_stack_set(
        StackSetName="root-account-usage-forwarders",
        TemplateBody=(ROOT / "rdk_config/forward-root-signin.yaml").read_text(),
        PermissionModel="SERVICE_MANAGED",
        AutoDeployment={"Enabled": True, "RetainStacksOnAccountRemoval": False},
        Capabilities=["CAPABILITY_IAM"],
        Parameters=parameters(HomeRegion="eu-west-1"),
    )
    cloudformation.create_stack_instances(
        StackSetName="root-account-usage-forwarders",
        DeploymentTargets={"OrganizationalUnitIds": [organization.root]},
        Regions=regions,
    )
    home = load_template("template.yaml")["Resources"]["RootActivityRule"]["Properties"]
    expected = json.loads(
        json.dumps(home["EventPattern"]).replace('{"Ref": "AWS::AccountId"}', f'"{account.id}"')
    )
    for region in regions:
        events = account.client("events", region)
        rules = events.list_rules()["Rules"]
        if region == "eu-west-1":
            assert rules == []  # the home region's own rule is template.yaml's
            continue
        [rule] = rules
        assert json.loads(rule["EventPattern"]) == expected, region
        [target] = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
        assert target["Arn"] == f"arn:aws:events:eu-west-1:{account.id}:event-bus/default"
