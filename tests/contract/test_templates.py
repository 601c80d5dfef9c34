"""Contracts of the CloudFormation templates: least privilege, StackSet safety, and
agreement with the rule's own metadata."""

from __future__ import annotations

import json
import re

import cfnlint.api
import pytest
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

from root_account_usage.core.exceptions import InvalidParameterError
from root_account_usage.core.parameters import (
    ASSUME_ROOT_SESSIONS,
    DEFAULT_THRESHOLD_DAYS,
    MAX_THRESHOLD_DAYS,
    parse_threshold_days,
)
from root_account_usage.core.recorded_activity import NOTHING_RECORDED, SLOTS, parameter_name
from root_account_usage.rule.budget import CONFIG_LIMITS, IAM_LIMITS, SSM_LIMITS, publish_reserve
from root_account_usage.rule.reevaluate import MARGIN_SECONDS, RETRY_AFTER_SECONDS
from tests.cfn import ROOT, actions_of, load_template, policy_statements

TEMPLATE = load_template("template.yaml")
RESOURCES = TEMPLATE["Resources"]
RULE_PARAMETERS = json.loads((ROOT / "ROOT_ACCOUNT_USAGE/parameters.json").read_text())[
    "Parameters"
]
FREQUENCIES = ["One_Hour", "Three_Hours", "Six_Hours", "Twelve_Hours", "TwentyFour_Hours"]
RULE_GRANTS = {
    "iam:GenerateCredentialReport",
    "iam:GetCredentialReport",
    "config:PutEvaluations",
    "config:GetComplianceDetailsByConfigRule",  # the rule's memory: its last evaluation
}
# Every CloudFormation template (the RDK region file is not one), as `make lint` finds them.
RDK_CONFIG_TEMPLATES = sorted(
    path.relative_to(ROOT).as_posix()
    for path in (ROOT / "rdk_config").glob("*.yaml")
    if path.name != "regions.yaml"
)
TEMPLATES = ["template.yaml", *RDK_CONFIG_TEMPLATES]


def of_type(template, resource_type):
    return {k: v for k, v in template["Resources"].items() if v["Type"] == resource_type}


def test_template_has_no_transform_for_service_managed_stacksets():
    assert "Transform" not in TEMPLATE


def test_function_role_grants_exactly_the_rules_actions_and_its_own_logs():
    statements = policy_statements(RESOURCES["FunctionRole"])
    unconditional = [s for s in statements if "_condition" not in s]
    actions = set().union(*(actions_of(s) for s in unconditional))
    assert actions == {"logs:CreateLogStream", "logs:PutLogEvents"}
    # The rule's own actions, whenever the function reads and publishes for its own
    # account: its own rule, or a conformance pack's (not a central organization function).
    own = [s for s in statements if s.get("_condition") == "ReadOwnAccount"]
    assert set().union(*(actions_of(s) for s in own)) == RULE_GRANTS
    assert TEMPLATE["Conditions"]["ReadOwnAccount"] == {
        "Fn::Or": [{"Condition": "CreateRule"}, {"Fn::Not": [{"Condition": "AssumeMemberRoles"}]}]
    }
    for statement in unconditional:
        if actions_of(statement) & {"logs:CreateLogStream", "logs:PutLogEvents"}:
            assert statement["Resource"] == {"Fn::GetAtt": ["FunctionLogGroup", "Arn"]}
    assert "ManagedPolicyArns" not in RESOURCES["FunctionRole"]["Properties"]
    assert all("*" not in action for s in statements for action in actions_of(s))


def test_extra_grants_exist_only_under_their_conditions():
    conditional = [
        s
        for s in policy_statements(RESOURCES["FunctionRole"])
        if s.get("_condition") not in (None, "ReadOwnAccount")
    ]
    by_condition: dict[str, set[str]] = {}
    for statement in conditional:
        by_condition.setdefault(statement["_condition"], set()).update(actions_of(statement))
    assert by_condition == {
        "HasTopic": {"sns:Publish"},
        "UseCloudTrail": {"cloudtrail:LookupEvents", "account:ListRegions"},
        "AssumeMemberRoles": {"sts:AssumeRole"},
        "Reevaluate": {"ssm:GetParameters"},
    }
    [assume] = [s for s in conditional if s["_condition"] == "AssumeMemberRoles"]
    assert assume["Condition"]["StringEquals"] == {"aws:ResourceOrgID": {"Ref": "OrganizationId"}}
    assert TEMPLATE["Conditions"]["UseCloudTrail"] == {
        "Fn::Equals": [{"Ref": "CloudTrailEvidence"}, "true"]
    }


def test_no_named_iam_roles_that_would_collide_across_regions():
    for role in of_type(TEMPLATE, "AWS::IAM::Role").values():
        assert "RoleName" not in role["Properties"]


def test_invoke_permissions_are_limited_to_this_account():
    permissions = of_type(TEMPLATE, "AWS::Lambda::Permission")
    config = permissions["ConfigInvokePermission"]["Properties"]
    assert config["Principal"] == "config.amazonaws.com"
    assert config["SourceAccount"] == {"Ref": "AWS::AccountId"}
    events = permissions["RootActivityInvokePermission"]["Properties"]
    assert events["Principal"] == "events.amazonaws.com"
    assert events["SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert events["SourceArn"] == {"Fn::GetAtt": ["RootActivityRule", "Arn"]}


def test_function_runs_the_rdk_handler_on_python_313_with_time_to_wait():
    function = RESOURCES["Function"]["Properties"]
    assert function["Runtime"] == "python3.13"
    assert function["Handler"] == f"{RULE_PARAMETERS['RuleName']}.lambda_handler"
    # Two minutes to wait for a report, the last IAM call, and PutEvaluations's worst case.
    reserve = publish_reserve(function["Timeout"])
    assert reserve == CONFIG_LIMITS.worst_case_seconds
    assert function["Timeout"] - reserve >= 120 + IAM_LIMITS.worst_case_seconds
    assert function["LoggingConfig"]["LogGroup"] == {"Ref": "FunctionLogGroup"}


def test_config_rule_is_periodic_custom_lambda_after_the_permission():
    rule = RESOURCES["ConfigRule"]
    assert rule["DependsOn"] == "ConfigInvokePermission"
    source = rule["Properties"]["Source"]
    assert source["Owner"] == "CUSTOM_LAMBDA"
    assert source["SourceIdentifier"] == {"Fn::GetAtt": ["Function", "Arn"]}
    [detail] = source["SourceDetails"]
    assert detail["MessageType"] == "ScheduledNotification"
    assert detail["MaximumExecutionFrequency"] == {"Ref": "MaximumExecutionFrequency"}
    assert rule["Properties"]["InputParameters"] == {
        "ThresholdDays": {"Ref": "ThresholdDays"},
        "AssumeRoleMode": "false",
        "CloudTrailEvidence": {"Ref": "CloudTrailEvidence"},  # absent would mean "true"
        "AssumeRootSessions": {"Ref": "AssumeRootSessions"},
        "RootActivityEvidence": {
            "Fn::If": [
                "Reevaluate",
                {"Fn::Sub": "/root-account-usage/${ConfigRuleName}"},
                {"Ref": "AWS::NoValue"},
            ]
        },
    }


def test_parameters_agree_with_the_rule_metadata_and_core():
    parameters = TEMPLATE["Parameters"]
    assert parameters["MaximumExecutionFrequency"]["AllowedValues"] == FREQUENCIES
    assert parameters["MaximumExecutionFrequency"]["Default"] == RULE_PARAMETERS["SourcePeriodic"]
    threshold = parameters["ThresholdDays"]
    assert threshold["Default"] == str(DEFAULT_THRESHOLD_DAYS)
    assert threshold["Default"] == json.loads(RULE_PARAMETERS["InputParameters"])["ThresholdDays"]


def rule_accepts(text: str) -> bool:
    try:
        parse_threshold_days(text)
    except InvalidParameterError:
        return False
    return True


@pytest.mark.parametrize("path", ["template.yaml", "rdk_config/organization.yaml"])
def test_threshold_days_takes_exactly_the_whole_days_the_rule_accepts(path):
    # A Number parameter would take 7.5 or 1e1, which the rule refuses at every evaluation.
    threshold = load_template(path)["Parameters"]["ThresholdDays"]
    assert threshold["Type"] == "String"
    pattern = re.compile(threshold["AllowedPattern"])  # Java's syntax, Python's here too
    for days in range(MAX_THRESHOLD_DAYS + 50):
        text = str(days)
        assert (pattern.search(text) is not None) == rule_accepts(text), text
    for refused in ("7.5", "1e1", "-7", " 7", "07", ""):
        assert pattern.search(refused) is None, refused


def test_remediation_exists_only_under_its_condition():
    remediation_types = {
        "AWS::SSM::Document",
        "AWS::Config::RemediationConfiguration",
    }
    expected = {
        "RemediationDocument": "ProvideRemediation",
        "RemediationRole": "ProvideRemediation",
        "Remediation": "Remediate",
    }
    for name, resource in RESOURCES.items():
        if resource["Type"] in remediation_types or name == "RemediationRole":
            assert resource.get("Condition") == expected[name], name
    provide = TEMPLATE["Conditions"]["ProvideRemediation"]["Fn::And"]
    assert {"Fn::Equals": [{"Ref": "EnableRemediation"}, "true"]} in provide
    # The document is there for a conformance pack too; the configuration only for this
    # stack's rule.
    assert {"Condition": "CreateRule"} not in provide
    assert {"Condition": "CreateRule"} in TEMPLATE["Conditions"]["Remediate"]["Fn::And"]
    for output in ("RemediationDocumentName", "RemediationRoleArn"):
        assert TEMPLATE["Outputs"][output]["Condition"] == "ProvideRemediation"
    assert TEMPLATE["Parameters"]["EnableRemediation"]["Default"] == "false"


def test_remediation_role_may_only_publish_to_the_topic():
    [statement] = policy_statements(RESOURCES["RemediationRole"])
    assert actions_of(statement) == {"sns:Publish"}
    assert statement["Resource"]["Fn::If"][0] == "UseGivenTopic"


def test_remediation_maps_the_account_and_is_manual_by_default():
    properties = RESOURCES["Remediation"]["Properties"]
    assert properties["TargetType"] == "SSM_DOCUMENT"
    assert properties["Parameters"]["AccountId"] == {"ResourceValue": {"Value": "RESOURCE_ID"}}
    assert properties["Automatic"] == {"Fn::If": ["RemediateAutomatically", True, False]}
    attempts = properties["MaximumAutomaticAttempts"]["Fn::If"][1]
    assert 1 <= attempts <= 25
    document = RESOURCES["RemediationDocument"]["Properties"]
    assert document["DocumentType"] == "Automation"
    assert document["Content"]["schemaVersion"] == "0.3"
    assert set(document["Content"]["parameters"]) == set(properties["Parameters"])
    message = document["Content"]["mainSteps"][0]["inputs"]["Message"]
    for step in ("Stop using the root user", "MFA-enabled administrator", "rotate", "MFA enabled"):
        assert step in message


def test_alarms_watch_errors_and_fail_closed_evaluations():
    metric_filter = RESOURCES["UnableToEvaluateMetricFilter"]["Properties"]
    # The pattern must match what evaluation.fail_closed logs.
    assert '"unable to evaluate root account usage"' in metric_filter["FilterPattern"]
    alarms = of_type(TEMPLATE, "AWS::CloudWatch::Alarm")
    assert {a["Properties"]["MetricName"] for a in alarms.values()} == {
        "Errors",
        "UnableToEvaluate",
    }


@pytest.mark.parametrize("path", TEMPLATES)
def test_every_parameter_is_typed_and_described(path):
    for name, parameter in load_template(path).get("Parameters", {}).items():
        assert parameter.get("Type"), f"{path}: {name} has no Type"
        assert parameter.get("Description"), f"{path}: {name} has no Description"


@pytest.mark.parametrize("path", TEMPLATES)
def test_every_output_is_described_and_every_checkov_skip_justified(path):
    template = load_template(path)
    for name, output in template.get("Outputs", {}).items():
        assert output.get("Description"), f"{path}: output {name} has no Description"
    for name, resource in template["Resources"].items():
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
            assert len(skip.get("comment", "")) > 20, f"{path}: {name} skips {skip['id']} silently"


def test_conformance_pack_holds_only_rules_and_remediations():
    pack = load_template("rdk_config/conformance-pack.yaml")
    allowed = {"AWS::Config::ConfigRule", "AWS::Config::RemediationConfiguration"}
    assert {r["Type"] for r in pack["Resources"].values()} <= allowed
    rule = pack["Resources"]["RootAccountUsageRule"]["Properties"]
    assert rule["Source"]["SourceIdentifier"] == {"Ref": "RootAccountUsageFunctionArn"}
    assert pack["Parameters"]["ThresholdDays"]["Default"] == str(DEFAULT_THRESHOLD_DAYS)


def test_organization_rule_runs_the_central_function_through_member_roles():
    organization = load_template("rdk_config/organization.yaml")
    [rule] = of_type(organization, "AWS::Config::OrganizationConfigRule").values()
    metadata = rule["Properties"]["OrganizationCustomRuleMetadata"]
    assert metadata["OrganizationConfigRuleTriggerTypes"] == ["ScheduledNotification"]
    assert "ExecutionRoleName" in metadata["InputParameters"]["Fn::Sub"]
    assert "ThresholdDays" in metadata["InputParameters"]["Fn::Sub"]
    assert '"AssumeRootSessions": "${AssumeRootSessions}"' in metadata["InputParameters"]["Fn::Sub"]
    assert rule["DependsOn"] == "MemberConfigInvokePermission"


def test_member_role_grants_the_rules_actions_to_the_central_role_only():
    member = load_template("rdk_config/member-role.yaml")
    role = member["Resources"]["MemberRole"]
    always = [s for s in policy_statements(role) if "_condition" not in s]
    assert set().union(*(actions_of(s) for s in always)) == RULE_GRANTS
    optional = [s for s in policy_statements(role) if "_condition" in s]
    assert {s["_condition"] for s in optional} == {"UseCloudTrail"}
    assert set().union(*map(actions_of, optional)) == {
        "cloudtrail:LookupEvents",
        "account:ListRegions",
    }
    [trust] = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"AWS": {"Ref": "CentralFunctionRoleArn"}}
    assert role["Properties"]["Path"] == "/"


REEVALUATION = {
    "RootActivityRecord",
    "AssumedRootActivityRecord",
    "ReevaluationLogGroup",
    "ReevaluationRole",
    "ReevaluationFunction",
    "RootActivityRule",
    "RootActivityInvokePermission",
}


@pytest.mark.parametrize(
    "path",
    [
        "template.yaml",
        "rdk_config/organization.yaml",
        "rdk_config/member-role.yaml",
        "rdk_config/rdk-function-role.yaml",
        "rdk_config/conformance-pack.yaml",
    ],
)
def test_every_path_searches_cloudtrail_by_default(path):
    # A root key used and deleted within one report cycle is seen only there (17.2); the
    # grant of cloudtrail:LookupEvents follows the same parameter (least privilege tests).
    assert load_template(path)["Parameters"]["CloudTrailEvidence"]["Default"] == "true"


def test_reevaluation_is_off_by_default():
    parameters = TEMPLATE["Parameters"]
    assert parameters["ReevaluateOnRootActivity"]["Default"] == "false"
    for name in REEVALUATION:
        assert RESOURCES[name]["Condition"] == "Reevaluate", name
    assert {"Fn::Equals": [{"Ref": "ReevaluateOnRootActivity"}, "true"]} in TEMPLATE["Conditions"][
        "Reevaluate"
    ]["Fn::And"]


def test_reevaluation_may_only_start_this_rule_and_write_its_records():
    [start, record, logs] = policy_statements(RESOURCES["ReevaluationRole"])
    assert actions_of(start) == {"config:StartConfigRulesEvaluation"}
    assert start["Resource"] == {"Fn::GetAtt": ["ConfigRule", "Arn"]}
    assert actions_of(record) == {"ssm:PutParameter"}
    assert [arn["Fn::Sub"].rsplit(":", 1)[1] for arn in record["Resource"]] == [
        "parameter${RootActivityRecord}",
        "parameter${AssumedRootActivityRecord}",
    ]
    assert logs["Resource"] == {"Fn::GetAtt": ["ReevaluationLogGroup", "Arn"]}
    function = RESOURCES["ReevaluationFunction"]["Properties"]
    assert function["Handler"] == "root_account_usage.rule.reevaluate.lambda_handler"
    variables = function["Environment"]["Variables"]
    assert variables["CONFIG_RULE_NAME"] == {"Ref": "ConfigRule"}
    # Its longest path: a record, a minute's wait after it (the first start inside it),
    # a second start, the last log line; each call at its worst (budget.CallLimits).
    longest = (
        SSM_LIMITS.worst_case_seconds
        + RETRY_AFTER_SECONDS
        + CONFIG_LIMITS.worst_case_seconds
        + MARGIN_SECONDS
    )
    assert function["Timeout"] >= longest


def test_records_are_where_the_function_writes_and_the_rule_reads():
    path = RESOURCES["ReevaluationFunction"]["Properties"]["Environment"]["Variables"][
        "ROOT_ACTIVITY_EVIDENCE"
    ]
    rule_path = RESOURCES["ConfigRule"]["Properties"]["InputParameters"]["RootActivityEvidence"]
    assert rule_path["Fn::If"][1] == path
    names = {
        RESOURCES[name]["Properties"]["Name"]["Fn::Sub"]
        for name in ("RootActivityRecord", "AssumedRootActivityRecord")
    }
    assert names == {parameter_name(path["Fn::Sub"], slot) for slot in SLOTS}
    for name in ("RootActivityRecord", "AssumedRootActivityRecord"):
        record = RESOURCES[name]["Properties"]
        assert (record["Type"], record["Value"]) == ("String", NOTHING_RECORDED)
    [read] = [
        s
        for s in policy_statements(RESOURCES["FunctionRole"])
        if s.get("_condition") == "Reevaluate"
    ]
    assert {arn["Fn::Sub"].split(":parameter", 1)[1] for arn in read["Resource"]} == names
    assert TEMPLATE["Parameters"]["AssumeRootSessions"]["AllowedValues"] == list(
        ASSUME_ROOT_SESSIONS
    )
    assert TEMPLATE["Parameters"]["AssumeRootSessions"]["Default"] == ASSUME_ROOT_SESSIONS[0]


def test_us_east_1_forwarder_uses_the_same_pattern_and_may_only_put_on_the_home_bus():
    forward = load_template("rdk_config/forward-root-signin.yaml")["Resources"]
    pattern = RESOURCES["RootActivityRule"]["Properties"]["EventPattern"]
    assert forward["ForwardRootActivity"]["Properties"]["EventPattern"] == pattern
    [statement] = policy_statements(forward["ForwardRole"])
    assert actions_of(statement) == {"events:PutEvents"}
    assert "event-bus/default" in statement["Resource"]["Fn::Sub"]


NOTIFICATION_TOPIC = {
    "Fn::If": ["UseGivenTopic", {"Ref": "NotificationTopicArn"}, {"Ref": "NotificationTopic"}]
}
SECONDS = {
    "One_Hour": 3600,
    "Three_Hours": 3 * 3600,
    "Six_Hours": 6 * 3600,
    "Twelve_Hours": 12 * 3600,
    "TwentyFour_Hours": 24 * 3600,
}
LAMBDA_MAXIMUM_EVENT_AGE = 21600


def resolve_if(value, true_conditions):
    """Pick the Fn::If branches a set of true condition names selects (nested ifs too)."""
    while isinstance(value, dict) and "Fn::If" in value:
        condition, when_true, when_false = value["Fn::If"]
        value = when_true if condition in true_conditions else when_false
    return value


def true_conditions_for_frequency(frequency):
    return {
        name
        for name, condition in TEMPLATE["Conditions"].items()
        if condition.get("Fn::Equals") == [{"Ref": "MaximumExecutionFrequency"}, frequency]
    }


def test_asynchronous_invocations_retry_and_then_reach_the_topic():
    config = RESOURCES["FunctionEventInvokeConfig"]
    assert config["Type"] == "AWS::Lambda::EventInvokeConfig"
    properties = config["Properties"]
    assert properties["FunctionName"] == {"Ref": "Function"}
    assert properties["Qualifier"] == "$LATEST"
    assert properties["MaximumRetryAttempts"] == 2
    destination = properties["DestinationConfig"]
    assert destination["Fn::If"][0] == "HasTopic"
    assert destination["Fn::If"][1] == {"OnFailure": {"Destination": NOTIFICATION_TOPIC}}
    assert destination["Fn::If"][2] == {"Ref": "AWS::NoValue"}
    # Lambda publishes to the destination with the function's role: the grant names the
    # same topic, under the same condition.
    [publish] = [
        s for s in policy_statements(RESOURCES["FunctionRole"]) if "sns:Publish" in actions_of(s)
    ]
    assert (publish["_condition"], publish["Resource"]) == ("HasTopic", NOTIFICATION_TOPIC)


@pytest.mark.parametrize("frequency", FREQUENCIES)
def test_a_failed_evaluation_is_retried_until_the_next_scheduled_run_at_most(frequency):
    age = resolve_if(
        RESOURCES["FunctionEventInvokeConfig"]["Properties"]["MaximumEventAgeInSeconds"],
        true_conditions_for_frequency(frequency),
    )
    assert age == min(SECONDS[frequency], LAMBDA_MAXIMUM_EVENT_AGE)
    assert 60 <= age <= LAMBDA_MAXIMUM_EVENT_AGE  # what EventInvokeConfig accepts


def test_checkov_skip_of_a_dead_letter_queue_says_why_truthfully():
    skips = RESOURCES["Function"]["Metadata"]["checkov"]["skip"]
    [dead_letter] = [skip for skip in skips if skip["id"] == "CKV_AWS_116"]
    assert "asynchronously" in dead_letter["comment"]
    assert "synchronously;" not in dead_letter["comment"]


def test_automatic_remediation_describes_retry_attempt_seconds_as_a_window():
    description = TEMPLATE["Parameters"]["AutomaticRemediation"]["Description"]
    properties = RESOURCES["Remediation"]["Properties"]
    attempts = properties["MaximumAutomaticAttempts"]["Fn::If"][1]
    window = properties["RetryAttemptSeconds"]["Fn::If"][1]
    assert f"at most {attempts} attempts within" in description
    assert f"{window}-second window" in description
    assert "apart" not in description


def regions_without(resource_type):
    return sorted(
        region
        for region in cfnlint.api.REGIONS
        if resource_type not in PROVIDER_SCHEMA_MANAGER.get_resource_types(region)
    )


def test_remediation_stays_out_of_regions_without_remediation_configuration():
    available = TEMPLATE["Conditions"]["RemediationConfigurationAvailable"]
    listed = sorted(
        equals["Fn::Equals"][1]
        for equals in available["Fn::Not"][0]["Fn::Or"]
        if equals["Fn::Equals"][0] == {"Ref": "AWS::Region"}
    )
    assert listed == regions_without("AWS::Config::RemediationConfiguration")
    assert {"Condition": "RemediationConfigurationAvailable"} in TEMPLATE["Conditions"][
        "Remediate"
    ]["Fn::And"]


@pytest.mark.parametrize("path", TEMPLATES)
def test_templates_nest_conditions_in_long_form(path):
    # moto reads `!Condition X` inside Fn::And / Fn::Or / Fn::Not as false (or true under
    # Not), which would make the offline deployment tests prove a different template.
    assert "!Condition" not in (ROOT / path).read_text()


def test_make_lint_runs_cfn_lint_over_every_region_and_every_template():
    # `make lint` (run by CI) is where cfn-lint proves every template in every region; run
    # again here it would add minutes to `make test` and prove nothing more.
    makefile = (ROOT / "Makefile").read_text()
    assert "cfn-lint --regions ALL_REGIONS -- $(TEMPLATES)" in makefile
    [templates] = re.findall(r"^TEMPLATES := (.+)$", makefile, re.MULTILINE)
    assert "rdk_config/*.yaml" in templates
    assert "filter-out rdk_config/regions.yaml" in templates


def test_code_is_read_from_the_bucket_in_the_stacks_own_region():
    for name in ("Function", "ReevaluationFunction"):
        code = RESOURCES[name]["Properties"]["Code"]
        assert code["S3Bucket"] == {
            "Fn::If": [
                "CodeInRegionalBuckets",
                {"Fn::Sub": "${CodeS3Bucket}-${AWS::Region}"},
                {"Ref": "CodeS3Bucket"},
            ]
        }
    assert TEMPLATE["Conditions"]["CodeInRegionalBuckets"] == {
        "Fn::Equals": [{"Ref": "CodeS3BucketPerRegion"}, "true"]
    }
    assert TEMPLATE["Parameters"]["CodeS3BucketPerRegion"]["Default"] == "false"


def test_read_only_root_calls_reach_the_rule_only_when_asked():
    state = RESOURCES["RootActivityRule"]["Properties"]["State"]
    assert state == {
        "Fn::If": ["IncludeReadOnly", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS", "ENABLED"]
    }
    assert TEMPLATE["Parameters"]["IncludeReadOnlyRootCalls"]["Default"] == "false"
    assert TEMPLATE["Conditions"]["IncludeReadOnly"] == {
        "Fn::Equals": [{"Ref": "IncludeReadOnlyRootCalls"}, "true"]
    }
    forward = load_template("rdk_config/forward-root-signin.yaml")
    assert forward["Resources"]["ForwardRootActivity"]["Properties"]["State"] == state


def test_sign_ins_match_under_both_spellings_of_their_detail_type():
    detail_types = RESOURCES["RootActivityRule"]["Properties"]["EventPattern"]["detail-type"]
    # What CloudTrail sends, and what the EventBridge guide writes.
    assert "AWS Console Sign In via CloudTrail" in detail_types
    assert "AWS Console Signin via CloudTrail" in detail_types
    assert "AWS API Call via CloudTrail" in detail_types


def test_organization_rule_is_deployed_in_one_home_region():
    description = load_template("rdk_config/organization.yaml")["Description"]
    assert "each region" not in description
    assert "ONE home region" in description


CENTRAL = load_template("rdk_config/central-notifications.yaml")


def publishers(policy):
    return {
        statement["Sid"]: (statement["Principal"], statement["Condition"]["StringEquals"])
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Action"] == "sns:Publish"
    }


def test_central_topic_takes_alarms_by_source_org_and_roles_by_principal_org():
    policy = CENTRAL["Resources"]["TopicPolicy"]
    organization = {"Ref": "OrganizationId"}
    # CloudWatch alarms publish as the service (aws:SourceOrgID); the function's role
    # (on-failure destination) and the remediation role publish as themselves.
    assert publishers(policy) == {
        "AlarmsOfTheOrganization": (
            {"Service": "cloudwatch.amazonaws.com"},
            {"aws:SourceOrgID": organization},
        ),
        "PublishingRolesOfTheOrganization": ({"AWS": "*"}, {"aws:PrincipalOrgID": organization}),
    }
    for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
        assert statement["Effect"] == "Allow"
        assert statement["Resource"] == {"Ref": "Topic"}
    assert CENTRAL["Parameters"]["OrganizationId"]["AllowedPattern"] == "^o-[a-z0-9]{10,32}$"


def test_auditor_read_role_only_reads_config_and_trusts_only_the_auditor_in_the_organization():
    from root_account_usage.simulation.config import READ_ROLE

    template = load_template("rdk_config/auditor-read-role.yaml")
    role = template["Resources"]["AuditorReadRole"]
    [statement] = policy_statements(role)
    assert actions_of(statement) == {
        "config:DescribeConfigRules",
        "config:DescribeConfigurationRecorders",
        "config:GetResourceConfigHistory",
        "config:GetComplianceDetailsByConfigRule",
    }
    assert statement["Effect"] == "Allow"
    assert "ManagedPolicyArns" not in role["Properties"]
    [trust] = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Action"] == "sts:AssumeRole"
    assert trust["Principal"] == {
        "AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AuditorAccountId}:root"}
    }
    condition = trust["Condition"]
    assert condition["ArnLike"] == {"aws:PrincipalArn": {"Ref": "AuditorPrincipalArn"}}
    _, with_external_id, without = condition["StringEquals"]["Fn::If"]
    organization = {"aws:PrincipalOrgID": {"Ref": "OrganizationId"}}
    assert with_external_id == organization | {"sts:ExternalId": {"Ref": "ExternalId"}}
    assert without == organization
    assert role["Properties"]["MaxSessionDuration"] <= 3600
    # The role's default name is the one the docs and the demo use.
    assert template["Parameters"]["RoleName"]["Default"] == READ_ROLE
    assert template["Parameters"]["ExternalId"]["NoEcho"] is True


def asserted(rule_name):
    rule = TEMPLATE["Rules"][rule_name]
    return rule["RuleCondition"], [a["Assert"] for a in rule["Assertions"]]


def test_parameter_combinations_that_would_silently_do_nothing_are_refused():
    # The re-evaluation and automatic remediation act on this stack's rule: without it
    # they would deploy and never run.
    condition, asserts = asserted("ReevaluationNeedsTheRule")
    assert condition == {"Fn::Equals": [{"Ref": "ReevaluateOnRootActivity"}, "true"]}
    assert asserts == [{"Fn::Equals": [{"Ref": "CreateConfigRule"}, "true"]}]
    condition, asserts = asserted("AutomaticRemediationNeedsTheRemediation")
    assert condition == {"Fn::Equals": [{"Ref": "AutomaticRemediation"}, "true"]}
    assert asserts == [
        {"Fn::Equals": [{"Ref": "EnableRemediation"}, "true"]},
        {"Fn::Equals": [{"Ref": "CreateConfigRule"}, "true"]},
    ]


def test_auditor_external_id_is_one_sts_accepts_or_none():
    import re

    import botocore.session

    shape = botocore.session.get_session().get_service_model("sts").shape_for("externalIdType")
    low, high = shape.metadata["min"], shape.metadata["max"]
    template = load_template("rdk_config/auditor-read-role.yaml")
    pattern = re.compile(template["Parameters"]["ExternalId"]["AllowedPattern"])
    assert pattern.fullmatch("")  # none required
    assert not pattern.fullmatch("x" * (low - 1))
    assert pattern.fullmatch("x" * low)
    assert pattern.fullmatch("a1+=,.@:/_-" + "x" * (high - 11))
    assert not pattern.fullmatch("x" * (high + 1))


def test_central_topic_takes_only_the_two_publishing_roles_of_template_yaml():
    import fnmatch

    [roles] = [
        statement
        for statement in CENTRAL["Resources"]["TopicPolicy"]["Properties"]["PolicyDocument"][
            "Statement"
        ]
        if statement["Principal"] == {"AWS": "*"}
    ]
    allowed = roles["Condition"]["ArnLike"]["aws:PrincipalArn"]["Fn::Sub"].replace(
        "${AWS::Partition}", "aws"
    )
    for name, resource in of_type(TEMPLATE, "AWS::IAM::Role").items():
        path = resource["Properties"].get("Path", "/")
        arn = f"arn:aws:iam::111122223333:role{path}stack-{name}-ABC123"
        publishes = any("sns:Publish" in actions_of(s) for s in policy_statements(resource))
        assert fnmatch.fnmatchcase(arn, allowed) == publishes, name
