"""`doctor` against this repository's templates deployed by CloudFormation on moto's
ThreadedMotoServer: a healthy deployment passes; each broken piece FAILS with its fix;
only read calls are made.

Where moto stops, the fixtures fill in (never product code): the resources moto's
CloudFormation skips (EventInvokeConfig, MetricFilter, Alarms) are created from the
template's own properties; the calls moto lacks are answered by `Gaps` below, inside
botocore (the request validated against the API model first, the answer after, as
Stubber does): AWS Config's
evaluation status, evaluations and discovered ResourceCompliance, IAM's policy
simulator (evaluated over the role's real inline policies in moto) and CloudTrail's
LookupEvents.
"""

from __future__ import annotations

import ast
import fnmatch
import io
import json
import sys
import threading
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError
from botocore.validate import validate_parameters
from moto.awslambda import utils as moto_lambda
from moto.awslambda.models import lambda_backends
from moto.organizations import utils as moto_organization_ids
from moto.organizations.models import organizations_backends

from root_account_usage.cli import doctor as doctor_module
from root_account_usage.cli.main import build_parser, main
from root_account_usage.core.health import FAIL, PASS, WARN, exit_code, render_text
from root_account_usage.history import organization
from root_account_usage.history.organization import (
    AuditorSession,
    MemberRoleOpener,
    MemberRoleRefusedError,
    session_clients,
)
from tests import call_recorder
from tests.cfn import load_template
from tests.deployment import moto_gaps  # noqa: F401 - registers AWS::Config::ConfigRule

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:Tried to parse")]

ROOT = Path(__file__).resolve().parents[3]
HOME, OTHER = "eu-west-1", "us-east-1"
ACCOUNT = "123456789012"  # moto's default
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
READ_VERBS = ("Describe", "Get", "List", "Lookup", "Simulate")
SIGN_IN = json.loads((ROOT / "events" / "eventbridge-root-console-sign-in.json").read_text())
SESSION_CALL = json.loads((ROOT / "events" / "eventbridge-root-session-api-call.json").read_text())


class Gaps:
    """Answers for the calls moto lacks, and every operation doctor made."""

    def __init__(self, iam: Any) -> None:
        self.iam = iam
        self.made: list[str] = []
        self.last_run = NOW - timedelta(hours=1)
        self.evaluated = NOW - timedelta(hours=1)
        self.events = {OTHER: [_lookup_record(SIGN_IN["detail"])], HOME: []}
        self.aggregate: list[dict[str, str]] = []
        self.delivery = "Success"
        self.snapshots = "Success"
        self.annotation = "Root user has no recorded use; threshold 7 days."
        self.compliance = "COMPLIANT"

    def answer(self, operation: str, params: dict[str, Any], region: str) -> dict[str, Any] | None:
        if operation == "DescribeConfigRuleEvaluationStatus":
            status = {"ConfigRuleName": params["ConfigRuleNames"][0]}
            return {
                "ConfigRulesEvaluationStatus": [
                    status | {"LastSuccessfulInvocationTime": self.last_run}
                ]
            }
        if operation == "GetComplianceDetailsByConfigRule":
            qualifier = {
                "ConfigRuleName": params["ConfigRuleName"],
                "ResourceType": "AWS::::Account",
                "ResourceId": ACCOUNT,
            }
            return {
                "EvaluationResults": [
                    {
                        "EvaluationResultIdentifier": {"EvaluationResultQualifier": qualifier},
                        "ComplianceType": self.compliance,
                        "ResultRecordedTime": self.evaluated,
                        "Annotation": self.annotation,
                    }
                ]
            }
        if operation == "DescribeDeliveryChannelStatus":  # moto answers 500
            return {
                "DeliveryChannelsStatus": [
                    {
                        "name": "default",
                        "configHistoryDeliveryInfo": {"lastStatus": self.delivery},
                        "configSnapshotDeliveryInfo": {"lastStatus": self.snapshots},
                    }
                ]
            }
        if operation == "ListDiscoveredResources":
            ids = [
                {"resourceType": params["resourceType"], "resourceId": i}
                for i in params["resourceIds"]
            ]
            return {"resourceIdentifiers": ids}
        if operation == "SimulatePrincipalPolicy":
            # One result per action: allowed only when allowed on every resource.
            role, resources = params["PolicySourceArn"], params["ResourceArns"]
            results = []
            for action in params["ActionNames"]:
                allowed = all(self._allowed(role, action, resource) for resource in resources)
                decision = "allowed" if allowed else "implicitDeny"
                results.append({"EvalActionName": action, "EvalDecision": decision})
            return {"EvaluationResults": results}
        if operation == "LookupEvents":
            return {"Events": self.events.get(region, [])}
        if operation == "DescribeAggregateComplianceByConfigRules":
            return {"AggregateComplianceByConfigRules": self.aggregate}
        return None

    def _allowed(self, role_arn: str, action: str, resource: str) -> bool:
        """The role's inline policies in moto, read as IAM would for one Allow."""
        role = role_arn.rsplit("/", 1)[-1]
        for name in self.iam.list_role_policies(RoleName=role)["PolicyNames"]:
            document = policy_document(self.iam, role, name)
            for statement in filter(None, document["Statement"]):  # moto keeps NoValue as None
                actions = (
                    statement["Action"]
                    if isinstance(statement["Action"], list)
                    else [statement["Action"]]
                )
                resources = (
                    statement["Resource"]
                    if isinstance(statement["Resource"], list)
                    else [statement["Resource"]]
                )
                if (
                    statement["Effect"] == "Allow"
                    and any(fnmatch.fnmatch(action, a) for a in actions)
                    and any(fnmatch.fnmatch(resource, r) for r in resources)
                ):
                    return True
        return False


def policy_document(iam: Any, role: str, name: str) -> dict[str, Any]:
    document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
    if isinstance(document, dict):
        return document
    try:
        return json.loads(document)
    except ValueError:  # moto keeps a CloudFormation-made policy as a Python repr
        return ast.literal_eval(document)


def _lookup_record(detail: dict[str, Any]) -> dict[str, Any]:
    return {
        "EventName": detail["eventName"],
        "EventTime": NOW,
        "CloudTrailEvent": json.dumps(detail),
    }


class Deployment:
    def __init__(self, endpoint: str) -> None:
        self.session = boto3.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=HOME
        )
        self.endpoint = endpoint
        self.gaps = Gaps(self.client("iam", HOME))

    def client(self, service: str, region: str) -> Any:
        return self.session.client(service, region_name=region, endpoint_url=self.endpoint)

    def clients(self, service: str, region: str) -> Any:
        """doctor's client factory: every call recorded, moto's gaps answered."""
        client = self.client(service, region)
        asked = threading.local()  # the call's own parameters, before serialization

        def keep(params: dict[str, Any], **_: Any) -> None:
            asked.params = params

        def before_call(model: Any, **_: Any) -> Any:
            self.gaps.made.append(model.name)
            answer = self.gaps.answer(model.name, asked.params, region)
            if answer is None:
                return None
            validate_parameters(answer, model.output_shape)  # as Stubber checks a response
            return AWSResponse("", 200, {}, None), answer

        client.meta.events.register("provide-client-params.*.*", keep)
        client.meta.events.register("before-call.*.*", before_call)
        return client

    def stack(self, region: str, name: str, template: str, **values: str) -> dict[str, str]:
        cloudformation = self.client("cloudformation", region)
        cloudformation.create_stack(
            StackName=name,
            TemplateBody=(ROOT / template).read_text(),
            Capabilities=["CAPABILITY_IAM"],
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in values.items()],
        )
        [stack] = cloudformation.describe_stacks(StackName=name)["Stacks"]
        assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
        return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}

    def run(self, *options: str, members: Any = None) -> list[Any]:
        args = build_parser().parse_args(["doctor", "--regions", f"{HOME},{OTHER}", *options])
        regions = (HOME, OTHER)
        return doctor_module.doctor(self.clients, ACCOUNT, HOME, args, regions, members, now=NOW)


@pytest.fixture
def deployed(moto_server):
    """template.yaml (CloudTrail evidence, re-evaluation, a topic) in eu-west-1, the
    us-east-1 forwarder, AWS Config recording and a multi-region trail."""
    d = Deployment(moto_server)
    s3 = d.client("s3", HOME)
    s3.create_bucket(Bucket="code", CreateBucketConfiguration={"LocationConstraint": HOME})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("ROOT_ACCOUNT_USAGE.py", "")
    s3.put_object(Bucket="code", Key="rule.zip", Body=buffer.getvalue())
    outputs = d.stack(
        HOME,
        "root-account-usage",
        "template.yaml",
        CodeS3Bucket="code",
        CodeS3Key="rule.zip",
        NotificationEmail="secops@example.com",
        CloudTrailEvidence="true",
        ReevaluateOnRootActivity="true",
    )
    d.stack(
        OTHER,
        "root-account-usage-forwarder",
        "rdk_config/forward-root-signin.yaml",
        HomeRegion=HOME,
    )
    _fill_what_moto_cloudformation_skips(d, outputs)
    config = d.client("config", HOME)
    config.put_configuration_recorder(
        ConfigurationRecorder={
            "name": "default",
            "roleARN": f"arn:aws:iam::{ACCOUNT}:role/config",
            "recordingGroup": {"allSupported": True},
        }
    )
    config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": "code"})
    config.start_configuration_recorder(ConfigurationRecorderName="default")
    trail = d.client("cloudtrail", HOME)
    trail.create_trail(Name="organization", S3BucketName="code", IsMultiRegionTrail=True)
    trail.start_logging(Name="organization")
    return d


def _fill_what_moto_cloudformation_skips(d: Deployment, outputs: dict[str, str]) -> None:
    resources = load_template("template.yaml")["Resources"]
    function = outputs["FunctionArn"]
    # moto's CloudFormation drops the function's Architectures: set them as the template does.
    lambda_backends[ACCOUNT][HOME].get_function(function).architectures = resources["Function"][
        "Properties"
    ]["Architectures"]
    configuration = d.client("lambda", HOME).get_function_configuration(FunctionName=function)
    d.client("lambda", HOME).put_function_event_invoke_config(
        FunctionName=function,
        Qualifier="$LATEST",
        DestinationConfig={"OnFailure": {"Destination": outputs["NotificationTopicArn"]}},
    )
    # moto returns no LoggingConfig: doctor then reads Lambda's default group, made here.
    log_group = f"/aws/lambda/{configuration['FunctionName']}"
    d.client("logs", HOME).create_log_group(logGroupName=log_group)
    metric_filter = resources["UnableToEvaluateMetricFilter"]["Properties"]
    d.client("logs", HOME).put_metric_filter(
        logGroupName=log_group,
        filterName="unable",
        filterPattern=metric_filter["FilterPattern"],
        metricTransformations=[
            {k[0].lower() + k[1:]: v for k, v in t.items() if k != "Unit"}
            for t in metric_filter["MetricTransformations"]
        ],
    )
    cloudwatch = d.client("cloudwatch", HOME)
    for name in ("FunctionErrorsAlarm", "UnableToEvaluateAlarm"):
        alarm = resources[name]["Properties"]
        dimensions = (
            [{"Name": "FunctionName", "Value": configuration["FunctionName"]}]
            if "Dimensions" in alarm
            else []
        )
        cloudwatch.put_metric_alarm(
            AlarmName=name,
            Namespace=alarm["Namespace"],
            MetricName=alarm["MetricName"],
            Dimensions=dimensions,
            Statistic=alarm["Statistic"],
            Period=alarm["Period"],
            EvaluationPeriods=alarm["EvaluationPeriods"],
            Threshold=alarm["Threshold"],
            ComparisonOperator=alarm["ComparisonOperator"],
        )
        cloudwatch.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="no errors")


def by_name(checks: list[Any]) -> dict[str, Any]:
    return {check.name: check for check in checks}


def test_healthy_deployment_passes_every_check_and_makes_only_read_calls(deployed):
    checks = deployed.run()
    print(render_text(checks))
    failed = [c for c in checks if c.status == FAIL]
    assert failed == [], failed
    assert exit_code(checks) == 0
    found = by_name(checks)
    for name in (
        "rule.ours",
        "rule.invoked",
        "rule.evaluation",
        "function.runtime",
        "function.role",
        "function.alarm:Errors",
        "function.metric-filter",
        "config.recorder",
        "evidence.trail",
        "evidence.forwarders",
        "evidence.records",
    ):
        assert found[name].status == PASS, found[name]
    assert found["rule.ours"].saw == f"runs {_function(deployed)}"
    assert found[f"events:{OTHER}"].status == PASS
    assert found["rule.ours"].region == HOME  # a check of no region is the home region's
    # Three always, LookupEvents with CloudTrailEvidence, GetParameters with the records.
    assert found["function.role"].saw == "allows the 5 calls the rule makes"
    assert "console sign-in" in found[f"events:{OTHER}"].saw
    assert found[f"events:{OTHER}"].saw.startswith("use: ")
    assert deployed.gaps.made, "doctor made no call"
    writes = sorted({op for op in deployed.gaps.made if not op.startswith(READ_VERBS)})
    assert writes == []


def failing(checks: list[Any], name: str) -> Any:
    check = by_name(checks)[name]
    assert check.status == FAIL, check
    assert exit_code(checks) == 1
    return check


def test_no_recorder_fails_with_the_aws_config_fix(deployed):
    config = deployed.client("config", HOME)
    config.stop_configuration_recorder(ConfigurationRecorderName="default")
    config.delete_configuration_recorder(ConfigurationRecorderName="default")
    check = failing(deployed.run(), "config.recorder")
    assert "turn on AWS Config" in check.fix
    assert "'The stack'" in check.fix


def test_failing_delivery_fails(deployed):
    deployed.gaps.delivery = "Failure"  # as DescribeDeliveryChannelStatus spells it
    check = failing(deployed.run(), "config.delivery")
    assert check.saw == "0/1 delivering, one failing"


def test_failing_snapshots_fail_though_history_was_delivered(deployed):
    deployed.gaps.snapshots = "Failure"  # e.g. NoSuchBucket: the bucket is gone
    check = failing(deployed.run(), "config.delivery")
    assert check.saw == "0/1 delivering, one failing"


def test_a_channel_that_has_delivered_nothing_yet_is_not_a_pass(deployed):
    # DeliveryStatus Not_Applicable: nothing delivered, so nothing shown to work.
    deployed.gaps.delivery = "Not_Applicable"
    check = by_name(deployed.run())["config.delivery"]
    assert (check.status, check.saw) == (WARN, "0/1 delivering")
    assert check.fix == "run doctor again after AWS Config delivers"


@pytest.mark.parametrize(
    ("pattern", "metric"),
    [
        ('{ $.message != "unable to evaluate root account usage" }', "UnableToEvaluate"),
        ('{ $.message = "unable to evaluate root account usage" }', "Other"),
    ],
    ids=["inverted", "another metric"],
)
def test_a_metric_filter_that_does_not_feed_the_alarm_fails(deployed, pattern, metric):
    # Containing the message is not counting it into the metric the alarm watches.
    logs = deployed.client("logs", HOME)
    [metric_filter] = logs.describe_metric_filters()["metricFilters"]
    logs.delete_metric_filter(
        logGroupName=metric_filter["logGroupName"], filterName=metric_filter["filterName"]
    )
    transformation = metric_filter["metricTransformations"][0] | {"metricName": metric}
    logs.put_metric_filter(
        logGroupName=metric_filter["logGroupName"],
        filterName="unable",
        filterPattern=pattern,
        metricTransformations=[transformation],
    )
    failing(deployed.run(), "function.metric-filter")


def test_rule_backed_by_another_function_fails_as_not_ours(deployed):
    rule = _rule_as_config_describes_it(deployed)
    mine = deployed.client("lambda", HOME).get_function_configuration(
        FunctionName=_function(deployed)
    )
    other = deployed.client("lambda", HOME).create_function(
        FunctionName="someone-elses",
        Runtime="python3.13",
        Role=mine["Role"],
        Handler="x.handler",
        Code={"S3Bucket": "code", "S3Key": "rule.zip"},
    )["FunctionArn"]
    source = rule["Source"] | {"SourceIdentifier": other}
    deployed.client("config", HOME).put_config_rule(
        ConfigRule={k: rule[k] for k in ("ConfigRuleName", "InputParameters")} | {"Source": source}
    )
    checks = deployed.run()
    check = failing(checks, "rule.ours")
    assert other in check.saw
    assert "redeploy" in check.fix
    assert [c.name for c in checks if c.name.startswith("function.")] == []  # not ours to judge


def answer_instead(deployed: Deployment, monkeypatch: Any, operation: str, answer: Any) -> None:
    """doctor is given `answer` for `operation`, an answer moto cannot be brought to give."""
    moto = deployed.gaps.answer

    def instead(name: str, params: dict[str, Any], region: str) -> dict[str, Any] | None:
        return answer if name == operation else moto(name, params, region)

    monkeypatch.setattr(deployed.gaps, "answer", instead)


@pytest.mark.parametrize(
    ("changes", "name", "saw"),
    [
        ({"Architectures": ["x86_64"]}, "function.runtime", "python3.13 on ['x86_64']"),
        ({"LastUpdateStatus": "Failed"}, "function.active", "Active, Failed"),
    ],
)
def test_a_function_built_otherwise_or_whose_update_failed_fails(
    deployed, monkeypatch, changes, name, saw
):
    lambdas = deployed.client("lambda", HOME)
    built = lambdas.get_function_configuration(FunctionName=_function(deployed))
    built = {k: v for k, v in built.items() if k != "ResponseMetadata"}
    answer_instead(deployed, monkeypatch, "GetFunctionConfiguration", built | changes)
    assert failing(deployed.run(), name).saw == saw


def test_a_stack_without_its_root_activity_rule_fails_the_forwarders(deployed, monkeypatch):
    stacks = deployed.client("cloudformation", HOME).describe_stacks(StackName="root-account-usage")
    [stack] = stacks["Stacks"]
    outputs = [o for o in stack["Outputs"] if o["OutputKey"] != "RootActivityRuleArn"]
    answer_instead(
        deployed, monkeypatch, "DescribeStacks", {"Stacks": [stack | {"Outputs": outputs}]}
    )
    check = failing(deployed.run(), "evidence.forwarders")
    assert check.saw == "no deployed RootActivityRule to compare"


def test_no_evaluation_of_the_account_fails(deployed, monkeypatch):
    answer_instead(
        deployed, monkeypatch, "GetComplianceDetailsByConfigRule", {"EvaluationResults": []}
    )
    assert failing(deployed.run(), "rule.evaluation").saw == "no evaluation of the account"


def test_a_function_without_its_alarm_fails(deployed):
    cloudwatch = deployed.client("cloudwatch", HOME)
    alarms = [a["AlarmName"] for a in cloudwatch.describe_alarms()["MetricAlarms"]]
    cloudwatch.delete_alarms(AlarmNames=alarms)
    assert failing(deployed.run(), "function.alarm:Errors").saw == "no alarm"


def test_a_recorder_whose_last_recording_failed_fails(deployed, monkeypatch):
    status = deployed.client("config", HOME).describe_configuration_recorder_status()
    [recorder] = status["ConfigurationRecordersStatus"]
    answer = {"ConfigurationRecordersStatus": [recorder | {"lastStatus": "Failure"}]}
    answer_instead(deployed, monkeypatch, "DescribeConfigurationRecorderStatus", answer)
    assert failing(deployed.run(), "config.recorder").saw == "0/1 recording"


def test_stale_evaluation_fails(deployed):
    deployed.gaps.last_run = deployed.gaps.evaluated = NOW - timedelta(days=3)
    checks = deployed.run()
    assert "2026-11-24" in failing(checks, "rule.invoked").saw
    assert "72 h ago" in failing(checks, "rule.evaluation").saw


def test_runs_and_an_evaluation_due_exactly_now_pass_and_a_minute_later_fail(deployed):
    # A daily rule may run two hours late (GRACE), as history judges staleness: 26 hours
    # ago is still on time, a minute more is not.
    deployed.gaps.last_run = deployed.gaps.evaluated = NOW - timedelta(hours=26)
    found = by_name(deployed.run())
    assert (found["rule.invoked"].status, found["rule.evaluation"].status) == (PASS, PASS)
    deployed.gaps.last_run = deployed.gaps.evaluated = NOW - timedelta(hours=26, minutes=1)
    found = by_name(deployed.run())
    assert (found["rule.invoked"].status, found["rule.evaluation"].status) == (FAIL, FAIL)


def test_a_non_compliant_evaluation_naming_the_root_use_is_the_rule_working(deployed):
    deployed.gaps.compliance = "NON_COMPLIANT"
    deployed.gaps.annotation = (
        "Root console password was used at 2026-11-27T09:00:00Z, within the 7-day threshold; "
        "report generated 2026-11-27T10:00:00Z."
    )
    assert by_name(deployed.run())["rule.evaluation"].status == PASS
    deployed.gaps.annotation = "Unable to evaluate: credential report not readable [AccessDenied]"
    assert failing(deployed.run(), "rule.evaluation").saw.startswith("UNABLE_TO_EVALUATE 1 h ago")


def test_a_function_without_an_on_failure_destination_warns(deployed):
    lambdas = deployed.client("lambda", HOME)
    lambdas.delete_function_event_invoke_config(FunctionName=_function(deployed))
    check = by_name(deployed.run())["function.on-failure"]
    assert (check.status, check.saw) == (WARN, "no on-failure destination")


def test_a_region_without_a_trail_fails(deployed):
    trail = deployed.client("cloudtrail", HOME)
    trail.delete_trail(Name="organization")
    trail.create_trail(Name="home-only", S3BucketName="code", IsMultiRegionTrail=False)
    trail.start_logging(Name="home-only")
    check = failing(deployed.run(), "evidence.trail")
    assert check.saw == f"no trail in {OTHER}"
    assert "multi-region trail" in check.fix


def test_missing_forwarder_fails_naming_its_region(deployed):
    deployed.client("cloudformation", OTHER).delete_stack(StackName="root-account-usage-forwarder")
    check = failing(deployed.run(), "evidence.forwarders")
    assert check.saw == f"missing in {OTHER}"
    assert "forward-root-signin.yaml" in check.fix


def test_role_missing_an_action_fails_naming_it(deployed):
    iam = deployed.client("iam", HOME)
    function = deployed.client("lambda", HOME).get_function_configuration(
        FunctionName=_function(deployed)
    )
    role = function["Role"].rsplit("/", 1)[-1]
    document = policy_document(iam, role, "root-account-usage")
    document["Statement"] = [
        s for s in document["Statement"] if s and s.get("Sid") != "LookUpRootActivity"
    ]
    iam.put_role_policy(
        RoleName=role, PolicyName="root-account-usage", PolicyDocument=json.dumps(document)
    )
    check = failing(deployed.run(), "function.role")
    assert check.saw == "missing cloudtrail:LookupEvents"


def _function(d: Deployment) -> str:
    outputs = d.client("cloudformation", HOME).describe_stacks(StackName="root-account-usage")[
        "Stacks"
    ][0]["Outputs"]
    return next(o["OutputValue"] for o in outputs if o["OutputKey"] == "FunctionArn")


def test_organization_lists_an_unreadable_account_and_calls_out_the_management_account(deployed):
    deployed.client("organizations", "us-east-1").create_organization(FeatureSet="ALL")
    member = "222222222222"
    deployed.gaps.aggregate = [
        {"ConfigRuleName": "root-account-usage", "AccountId": a, "AwsRegion": HOME}
        for a in (ACCOUNT, member)
    ]

    class Refusing:
        description = "test"

        def open(self, account_id: str, region: str) -> Any:
            raise MemberRoleRefusedError(
                f"cannot assume arn:aws:iam::{account_id}:role/Reader: AccessDenied"
            )

    checks = deployed.run("--aggregator", "org", "--member-role", "Reader", members=Refusing())
    unreadable = [c for c in checks if c.account == member]
    assert [(c.name, c.status) for c in unreadable] == [("account", FAIL)]
    assert "AccessDenied" in unreadable[0].saw
    assert any(c.account == f"{ACCOUNT} (management)" and c.name == "rule.ours" for c in checks)


def test_runtime_and_architecture_are_the_templates():
    function = load_template("template.yaml")["Resources"]["Function"]["Properties"]
    assert (function["Runtime"], function["Architectures"]) == (
        doctor_module.RUNTIME,
        [doctor_module.ARCHITECTURE],
    )


def test_a_role_allowed_more_than_the_rule_needs_warns(deployed):
    iam = deployed.client("iam", HOME)
    function = deployed.client("lambda", HOME).get_function_configuration(
        FunctionName=_function(deployed)
    )
    role = function["Role"].rsplit("/", 1)[-1]
    everything = {"Effect": "Allow", "Action": "iam:*", "Resource": "*"}
    document = {"Version": "2012-10-17", "Statement": [everything]}
    iam.put_role_policy(RoleName=role, PolicyName="broad", PolicyDocument=json.dumps(document))
    check = by_name(deployed.run())["function.role.least"]
    assert (check.status, check.saw) == (
        "WARN",
        "also allows iam:CreateAccessKey, iam:DeleteLoginProfile",
    )


def test_the_command_prints_json_and_exits_by_the_worst_check(deployed, monkeypatch, capsys):
    """The installed command end to end (real boto3 session, moto's endpoint): the calls
    moto lacks are WARN lines naming why, never a traceback."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", deployed.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    code = main(["doctor", "--region", HOME, "--regions", f"{HOME},{OTHER}", "--format", "json"])
    out, err = capsys.readouterr()
    assert not err, err
    lines = json.loads(out)
    statuses = {line["name"]: line["status"] for line in lines}
    assert statuses["stack"] == PASS
    assert statuses["config.recorder"] == PASS
    assert statuses["rule.ours"] == PASS  # kept: checked before the call moto lacks
    assert statuses["rule"] == "WARN"  # moto has no DescribeConfigRuleEvaluationStatus
    # Every call the command made with its real clients, as tests/call_recorder.py saw it.
    assert "config:DescribeConfigRules" in call_recorder.DOCTOR_RECORDED
    made = {action.split(":")[1] for action in call_recorder.DOCTOR_RECORDED}
    assert {name for name in made if not name.startswith(READ_VERBS)} == set()
    assert code == (1 if FAIL in statuses.values() else 0)


def member_role_opener(deployed: Deployment, monkeypatch: Any) -> MemberRoleOpener:
    """history's member-role opener (role Reader) on moto, with doctor's client factory."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", deployed.endpoint)
    session = deployed.session
    return MemberRoleOpener(
        session.client("sts", region_name=HOME),
        lambda _, credentials: session_clients(session, credentials),
        role_name="Reader",
        partition="aws",
        own_account=ACCOUNT,
    )


def test_member_accounts_are_read_with_their_own_credentials(deployed, monkeypatch):
    """history's member-role opener, with doctor's client factory: the member's empty
    moto account is what doctor sees there, not the auditor's deployment."""
    opener = member_role_opener(deployed, monkeypatch)
    member = "222222222222"
    deployed.gaps.aggregate = [
        {"ConfigRuleName": "root-account-usage", "AccountId": a, "AwsRegion": HOME}
        for a in (ACCOUNT, member)
    ]
    checks = deployed.run("--aggregator", "org", "--member-role", "Reader", members=opener)
    theirs = by_name([c for c in checks if c.account == member])
    assert theirs["rule.exists"].status == FAIL
    assert theirs["rule.exists"].saw == f"no rule root-account-usage in {HOME}"
    assert by_name([c for c in checks if c.account == ACCOUNT])["rule.ours"].status == PASS


MANAGEMENT = "999999999999"
ORGANIZATION_READS = ("ListParents", "ListPoliciesForTarget", "DescribePolicy")
RECORDS = "/root-account-usage/root-account-usage"  # template.yaml's, for its rule name
ALL_CHANGES = "ssm:PutParameter, ssm:DeleteParameter, ssm:DeleteParameters"


def guard_policy(organizations: Any, **changed: Any) -> str:
    """rdk_config/records-guard-scp.yaml's policy as CloudFormation would create it with its
    defaults (`changed` replaces fields of its records' statement); its id."""
    template = load_template("rdk_config/records-guard-scp.yaml")
    defaults = {name: p["Default"] for name, p in template["Parameters"].items() if "Default" in p}
    policy = template["Resources"]["RecordsGuard"]["Properties"]["Content"]
    statement = policy["Statement"][0]  # the records'
    resource = statement["Resource"]["Fn::Sub"].replace("${AWS::Partition}", "aws")
    [(test, spared)] = statement["Condition"].items()
    assert (test, list(spared)) == ("ArnNotLike", ["aws:PrincipalArn"])  # as resolved here
    writers = [defaults["ReevaluationRoleName"], *defaults["DeployerRoleNames"].split(",")]
    condition = {test: {"aws:PrincipalArn": [f"arn:*:iam::*:role/{name}" for name in writers]}}
    statement = statement | {"Resource": resource, "Condition": condition} | changed
    document = {"Version": "2012-10-17", "Statement": [statement]}
    created = organizations.create_policy(
        Content=json.dumps(document), Description="guard", Name="guard",
        Type="SERVICE_CONTROL_POLICY",
    )  # fmt: skip
    return str(created["Policy"]["PolicySummary"]["Id"])


def member_of_an_organization(deployed: Deployment, monkeypatch: Any) -> tuple[Any, str, str]:
    """The deployment's account moved into an OU of an organization MANAGEMENT manages, and
    doctor reading the organization as its delegated administrator does. moto keeps SCPs to
    the management account's credentials and makes member ids at random: both filled here.
    Returns the management account's client, the OU and the root."""
    sts = deployed.client("sts", HOME)
    role = f"arn:aws:iam::{MANAGEMENT}:role/OrganizationAdmin"
    keys = sts.assume_role(RoleArn=role, RoleSessionName="doctor")["Credentials"]

    def manager(service: str = "organizations", region: str = "us-east-1") -> Any:
        return deployed.session.client(
            service, region_name=region, endpoint_url=deployed.endpoint,
            aws_access_key_id=keys["AccessKeyId"], aws_secret_access_key=keys["SecretAccessKey"],
            aws_session_token=keys["SessionToken"],
        )  # fmt: skip

    organizations = manager()
    # moto's reset keeps which account is whose member: this test's is undone with it.
    monkeypatch.setattr(organizations_backends, "master_accounts", {})
    organizations.create_organization(FeatureSet="ALL")
    with monkeypatch.context() as patched:
        patched.setattr(moto_organization_ids, "make_random_account_id", lambda: ACCOUNT)
        organizations.create_account(AccountName="workload", Email="workload@example.com")
    root = organizations.list_roots()["Roots"][0]["Id"]
    made = organizations.create_organizational_unit(ParentId=root, Name="workloads")
    ou = made["OrganizationalUnit"]["Id"]
    organizations.move_account(AccountId=ACCOUNT, SourceParentId=root, DestinationParentId=ou)
    client = deployed.client
    monkeypatch.setattr(
        deployed, "client", lambda s, r: manager(s, r) if s == "organizations" else client(s, r)
    )
    return organizations, ou, root


@pytest.mark.parametrize("where", ["account", "ou", "root"])
def test_the_records_guard_scp_attached_above_the_account_passes(deployed, monkeypatch, where):
    organizations, ou, root = member_of_an_organization(deployed, monkeypatch)
    target = {"account": ACCOUNT, "ou": ou, "root": root}[where]
    organizations.attach_policy(PolicyId=guard_policy(organizations), TargetId=target)
    check = by_name(deployed.run())["evidence.records-guard"]
    assert check.status == PASS, check
    assert check.saw == f"the SCPs on {ACCOUNT} < {ou} < {root} deny changing {RECORDS}"


def test_the_guard_at_the_root_reaches_an_account_five_ous_deep(deployed, monkeypatch):
    organizations, ou, root = member_of_an_organization(deployed, monkeypatch)
    chain = [ou]  # the most AWS allows under a root for SCPs: five
    for depth in range(2, 6):
        made = organizations.create_organizational_unit(ParentId=chain[-1], Name=f"level{depth}")
        chain.append(made["OrganizationalUnit"]["Id"])
    organizations.move_account(AccountId=ACCOUNT, SourceParentId=ou, DestinationParentId=chain[-1])
    organizations.attach_policy(PolicyId=guard_policy(organizations), TargetId=root)
    check = by_name(deployed.run())["evidence.records-guard"]
    assert check.status == PASS, check
    assert check.saw.startswith(f"the SCPs on {' < '.join([ACCOUNT, *chain[::-1], root])} deny")


def test_a_parent_answer_of_another_shape_warns_on_the_guards_line(deployed, monkeypatch):
    # The model lets ListParents answer an empty page (with a token, or none): no proof.
    organizations, _, root = member_of_an_organization(deployed, monkeypatch)
    organizations.attach_policy(PolicyId=guard_policy(organizations), TargetId=root)
    answer_instead(deployed, monkeypatch, "ListParents", {"Parents": []})
    check = by_name(deployed.run())["evidence.records-guard"]
    assert (check.status, check.saw) == (WARN, "SCPs not readable here (ValueError)")


def test_a_records_guard_attached_elsewhere_warns_naming_what_is_not_denied(deployed, monkeypatch):
    # It once passed on any SCP of the organization, wherever attached, or attached nowhere.
    organizations, ou, root = member_of_an_organization(deployed, monkeypatch)
    sandbox = organizations.create_organizational_unit(ParentId=root, Name="sandbox")
    sibling = sandbox["OrganizationalUnit"]["Id"]
    organizations.attach_policy(PolicyId=guard_policy(organizations), TargetId=sibling)
    check = by_name(deployed.run())["evidence.records-guard"]
    assert check.status == WARN
    assert (
        check.saw
        == f"{ALL_CHANGES} on {RECORDS} not denied by the SCPs on {ACCOUNT} < {ou} < {root}"
    )
    assert "records' guard SCP" in check.fix


def test_a_guard_denying_only_writes_leaves_erasure_named(deployed, monkeypatch):
    # A deleted record is evidence gone: the guard must deny deletions too.
    organizations, _, root = member_of_an_organization(deployed, monkeypatch)
    policy = guard_policy(organizations, Action="ssm:PutParameter")
    organizations.attach_policy(PolicyId=policy, TargetId=root)
    check = by_name(deployed.run())["evidence.records-guard"]
    assert check.status == WARN
    assert check.saw.startswith(f"ssm:DeleteParameter, ssm:DeleteParameters on {RECORDS} not ")


def test_a_members_scps_are_read_with_the_callers_credentials(deployed, monkeypatch):
    """Across an organization each member is read through its role, but a member may not
    list SCPs: the organization is read with the caller's own credentials."""
    organizations, ou, root = member_of_an_organization(deployed, monkeypatch)
    made = organizations.create_account(AccountName="other", Email="other@example.com")
    member = made["CreateAccountStatus"]["AccountId"]
    organizations.move_account(AccountId=member, SourceParentId=root, DestinationParentId=ou)
    organizations.attach_policy(PolicyId=guard_policy(organizations), TargetId=ou)
    opener = member_role_opener(deployed, monkeypatch)
    [rule] = deployed.client("config", HOME).describe_config_rules()["ConfigRules"]
    config = opener.open(member, HOME)("config", HOME)
    with monkeypatch.context() as patched:  # moto finds a rule's function in its own account
        central = lambda_backends[ACCOUNT]
        patched.setattr(moto_lambda, "get_backend", lambda _, region: central[region])
        given = {k: rule[k] for k in ("ConfigRuleName", "Source", "InputParameters")}
        config.put_config_rule(ConfigRule=given)
    deployed.gaps.aggregate = [
        {"ConfigRuleName": "root-account-usage", "AccountId": a, "AwsRegion": HOME}
        for a in (ACCOUNT, member)
    ]
    deployed.gaps.made.clear()
    options = ("--aggregator", "org", "--member-role", "Reader", "--max-workers", "1")
    checks = deployed.run(*options, members=opener)
    for account in (ACCOUNT, member):
        check = by_name([c for c in checks if c.account == account])["evidence.records-guard"]
        assert check.status == PASS, check
        assert check.saw == f"the SCPs on {account} < {ou} < {root} deny changing {RECORDS}"
    # The OU and the root both accounts sit below are read once: each account's own parent
    # and SCPs, then the OU's parent, the OU's and root's SCPs, and each SCP's text.
    read = [op for op in deployed.gaps.made if op in ORGANIZATION_READS]
    assert sorted(read) == sorted(
        ["ListParents"] * 3 + ["ListPoliciesForTarget"] * 4 + ["DescribePolicy"] * 2
    )  # two SCPs: the guard, and the FullAWSAccess every target has


def test_the_management_account_is_never_guarded_by_an_scp(deployed):
    # SCPs never apply to the management account: the guard attached to its root once passed.
    organizations = deployed.client("organizations", "us-east-1")
    organizations.create_organization(FeatureSet="ALL")
    root = organizations.list_roots()["Roots"][0]["Id"]
    organizations.attach_policy(PolicyId=guard_policy(organizations), TargetId=root)
    check = by_name(deployed.run())["evidence.records-guard"]
    assert (check.status, check.saw) == (WARN, "SCPs never apply to the management account")


@pytest.mark.parametrize("arn", ["foo", "arn:aws:lambda:us-east-1:123:function:x"])
def test_a_malformed_function_arn_is_a_one_line_usage_error(arn, capsys):
    # It once reached doctor's checks and ended in "unexpected IndexError".
    with pytest.raises(SystemExit) as exit_:
        main(["doctor", "--function-arn", arn])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "is not a Lambda function ARN" in err
    assert err.count("\n") == 1


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_an_annotation_is_shown_cut_to_200_characters_and_escaped_on_a_terminal(
    deployed, monkeypatch
):
    """Config shows what any rule wrote (a member's own rule of the name too): the command
    on a terminal shows 200 characters of it, no control character live."""
    hostile = "Root user \x1b]0;owned\x07 used " + "x" * 300
    deployed.gaps.annotation = hostile
    auditor = AuditorSession(None, ACCOUNT, HOME, deployed.session)  # no Config client: unread
    monkeypatch.setattr(organization, "open_session", lambda profile, region: auditor)
    monkeypatch.setattr(organization, "session_clients", lambda session: deployed.clients)
    monkeypatch.setattr(sys, "stdout", terminal := Terminal())
    main(["doctor", "--regions", f"{HOME},{OTHER}"])
    out = terminal.getvalue()
    [line] = [line for line in out.splitlines() if " rule.evaluation: " in line]
    shown = hostile[:200].replace("\x1b", "\\x1b").replace("\x07", "\\x07")
    assert f"h ago: {shown}" in line
    assert f"{shown}x" not in line  # the 201st character is not shown
    assert "\x1b" not in out
    assert "\x07" not in out


def test_a_root_record_is_described_as_the_rule_would_cut_to_100_characters(deployed):
    """A long (real) event name in an AssumeRoot session: the description the rule's
    annotation would give, cut at 100 characters with "...", then when and where."""
    detail = SESSION_CALL["detail"] | {
        "eventSource": "s3.amazonaws.com",
        "eventName": "PutBucketIntelligentTieringConfiguration",
    }
    deployed.gaps.events[OTHER] = [_lookup_record(detail)]
    saw = by_name(deployed.run())[f"events:{OTHER}"].saw
    described = (
        "privileged session from the management account (AssumeRoot): "
        "PutBucketIntelligentTieringConfiguration in us-east-1"
    )
    assert len(described) > 100
    assert saw.startswith(f"AssumeRoot session: {described[:97]}... at 2026-11-27T11:40:15")
    assert saw.endswith(f"(CloudTrail {OTHER})")


def _rule_as_config_describes_it(d: Deployment) -> dict[str, Any]:
    config = d.client("config", HOME)
    [rule] = config.describe_config_rules(ConfigRuleNames=["root-account-usage"])["ConfigRules"]
    return rule


def test_the_rule_of_the_exact_name_is_judged_before_one_aws_derived(deployed, monkeypatch):
    """An organization rule whose name AWS derived from ours, running another function,
    listed first: doctor judges the rule of the exact name."""
    exact = _rule_as_config_describes_it(deployed)
    derived = exact | {
        "ConfigRuleName": "OrgConfigRule-root-account-usage-ab12cd34",
        "CreatedBy": "config-multiaccountsetup.amazonaws.com",
        "Source": exact["Source"] | {"SourceIdentifier": f"{_function(deployed)}-other"},
    }
    answer = {"ConfigRules": [derived, exact]}
    answer_instead(deployed, monkeypatch, "DescribeConfigRules", answer)
    found = by_name(deployed.run())
    assert found["rule.exists"].saw.startswith("root-account-usage (")
    assert found["rule.ours"].status == PASS


def test_a_function_in_another_account_is_left_to_a_doctor_run_there(deployed, monkeypatch):
    """An organization rule running the delegated administrator's function."""
    rule = _rule_as_config_describes_it(deployed)
    elsewhere = "arn:aws:lambda:eu-west-1:210987654321:function:root-account-usage"
    rule["Source"] = rule["Source"] | {"SourceIdentifier": elsewhere}
    rule["ConfigRuleName"] = "OrgConfigRule-root-account-usage-ab12cd34"
    rule["CreatedBy"] = "config-multiaccountsetup.amazonaws.com"
    answer_instead(deployed, monkeypatch, "DescribeConfigRules", {"ConfigRules": [rule]})
    checks = deployed.run("--function-arn", elsewhere)
    functions = [(c.name, c.status, c.saw) for c in checks if c.name.startswith("function.")]
    assert functions == [
        ("function.active", WARN, "in account 210987654321"),
    ]


def test_a_rule_reading_through_a_role_leaves_the_role_check_to_that_account(deployed, monkeypatch):
    rule = _rule_as_config_describes_it(deployed)
    parameters = json.loads(rule["InputParameters"]) | {"AssumeRoleMode": "true"}
    rule["InputParameters"] = json.dumps(parameters)
    answer_instead(deployed, monkeypatch, "DescribeConfigRules", {"ConfigRules": [rule]})
    found = by_name(deployed.run())
    assert (found["function.role"].status, found["function.role"].saw) == (
        WARN,
        "reads through a role: run doctor there",
    )
    assert "function.role.least" not in found


def test_an_action_denied_on_one_record_is_named_missing(deployed, monkeypatch):
    """The simulator answers a decision per action and one per resource asked about
    (ResourceSpecificResults): an action is missing when any of them is not "allowed"."""
    moto = deployed.gaps.answer

    def last_record_denied(name: str, params: dict[str, Any], region: str) -> Any:
        answer = moto(name, params, region)
        if name == "SimulatePrincipalPolicy" and params["ResourceArns"] != ["*"]:
            *allowed, denied = params["ResourceArns"]
            for result in answer["EvaluationResults"]:
                result["ResourceSpecificResults"] = [
                    {"EvalResourceName": r, "EvalResourceDecision": "allowed"} for r in allowed
                ] + [{"EvalResourceName": denied, "EvalResourceDecision": "explicitDeny"}]
                assert result["EvalDecision"] == "allowed"
        return answer

    monkeypatch.setattr(deployed.gaps, "answer", last_record_denied)
    assert failing(deployed.run(), "function.role").saw == "missing ssm:GetParameters"


def refusing(deployed: Deployment, monkeypatch: Any, operation: str) -> None:
    """Every organizations client doctor makes refuses `operation`, as IAM would."""
    make = deployed.client

    def refuse(**_: Any) -> None:
        error = {"Error": {"Code": "AccessDeniedException", "Message": "not authorized"}}
        raise ClientError(error, operation)  # type: ignore[arg-type]

    def client(service: str, region: str) -> Any:
        made = make(service, region)
        if service == "organizations":
            made.meta.events.register(f"before-call.organizations.{operation}", refuse)
        return made

    monkeypatch.setattr(deployed, "client", client)


def test_scps_that_cannot_be_read_warn_naming_why(deployed, monkeypatch):
    organizations, _, root = member_of_an_organization(deployed, monkeypatch)
    organizations.attach_policy(PolicyId=guard_policy(organizations), TargetId=root)
    refusing(deployed, monkeypatch, "ListParents")  # as to a member that may not list SCPs
    check = by_name(deployed.run())["evidence.records-guard"]
    assert (check.status, check.saw) == (WARN, "SCPs not readable here (AccessDeniedException)")


def test_without_the_management_account_known_no_scp_is_proof(deployed, monkeypatch):
    # The guard at the root of the organization this account manages, readable, but not
    # which account manages it: read as a member's, it once passed.
    organizations = deployed.client("organizations", "us-east-1")
    organizations.create_organization(FeatureSet="ALL")
    root = organizations.list_roots()["Roots"][0]["Id"]
    organizations.attach_policy(PolicyId=guard_policy(organizations), TargetId=root)
    refusing(deployed, monkeypatch, "DescribeOrganization")
    check = by_name(deployed.run())["evidence.records-guard"]
    expected = "SCPs not readable here (DescribeOrganization: AccessDeniedException)"
    assert (check.status, check.saw) == (WARN, expected)


@pytest.mark.parametrize(("function_given", "status"), [(True, WARN), (False, FAIL)])
def test_a_stack_that_cannot_be_read_fails_unless_the_function_is_given(
    deployed, function_given, status
):
    given = ["--function-arn", _function(deployed)] if function_given else []
    check = by_name(deployed.run("--stack-name", "not-deployed", *given))["stack"]
    assert (check.status, check.saw) == (status, "not-deployed not readable: ValidationError")
