"""doctor's pure judgements (core/health.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from botocore.loaders import create_loader

from root_account_usage.core import health
from root_account_usage.core.health import FAIL, PASS, WARN

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
COMPLIANCE = "AWS::Config::ResourceCompliance"


@pytest.mark.parametrize(
    ("group", "recorded"),
    [
        ({"allSupported": True}, True),
        ({"allSupported": False, "resourceTypes": [COMPLIANCE]}, True),
        ({"allSupported": False, "resourceTypes": ["AWS::S3::Bucket"]}, False),
        ({"recordingStrategy": {"useOnly": "ALL_SUPPORTED_RESOURCE_TYPES"}}, True),
        (
            {
                "recordingStrategy": {"useOnly": "INCLUSION_BY_RESOURCE_TYPES"},
                "resourceTypes": [COMPLIANCE],
            },
            True,
        ),
        # Exclusion mode records everything not excluded (allSupported is false there).
        (
            {
                "allSupported": False,
                "recordingStrategy": {"useOnly": "EXCLUSION_BY_RESOURCE_TYPES"},
                "exclusionByResourceTypes": {"resourceTypes": ["AWS::S3::Bucket"]},
            },
            True,
        ),
        (
            {
                "allSupported": False,
                "recordingStrategy": {"useOnly": "EXCLUSION_BY_RESOURCE_TYPES"},
                "exclusionByResourceTypes": {"resourceTypes": [COMPLIANCE]},
            },
            False,
        ),
    ],
)
def test_compliance_recorded_in_every_recording_mode(group, recorded):
    assert health.records_type({"name": "default", "recordingGroup": group}, COMPLIANCE) is recorded


def test_a_recorder_without_a_recording_group_records_every_supported_type():
    # Config's API reference, RecordingGroup: "By default, Config records configuration
    # changes for all current and future supported resource types".
    assert health.records_type({"name": "default"}, COMPLIANCE) is True


def test_a_failure_after_the_last_success_fails_the_invocation_check():
    status = {
        "LastSuccessfulInvocationTime": NOW - timedelta(hours=2),
        "LastFailedInvocationTime": NOW - timedelta(hours=1),
        "LastErrorCode": "AccessDenied",
    }
    check = health.invocation(status, timedelta(hours=24), NOW)
    assert (check.status, check.saw) == (FAIL, "last run failed at 2026-11-27T11:00Z: AccessDenied")


@pytest.mark.parametrize("failed_hours_ago", [3, 2])
def test_a_failure_before_or_at_the_last_success_does_not_fail_the_invocation_check(
    failed_hours_ago,
):
    # A run that failed and then succeeded is working: only a failure after the last success
    # (or with no success at all) is a failed invocation.
    status = {
        "LastSuccessfulInvocationTime": NOW - timedelta(hours=2),
        "LastFailedInvocationTime": NOW - timedelta(hours=failed_hours_ago),
        "LastErrorCode": "AccessDenied",
    }
    check = health.invocation(status, timedelta(hours=24), NOW)
    assert (check.status, check.saw) == (
        PASS,
        "last successful run 2026-11-27T10:00Z; runs every 24 h",
    )
    failed_only = {k: v for k, v in status.items() if k != "LastSuccessfulInvocationTime"}
    assert health.invocation(failed_only, timedelta(hours=24), NOW).status == FAIL


def test_a_run_within_its_period_and_two_hours_passes_and_later_fails():
    # Two hours: the margin history allows before it calls an evaluation stale.
    every = timedelta(hours=1)
    recent = {"LastSuccessfulInvocationTime": NOW - timedelta(hours=3)}
    late = {"LastSuccessfulInvocationTime": NOW - timedelta(hours=3, seconds=1)}
    assert health.invocation(recent, every, NOW).status == PASS
    assert health.invocation(late, every, NOW).status == FAIL
    assert health.invocation({}, every, NOW).saw.startswith("never run")


HOURS = {
    "One_Hour": 1,
    "Three_Hours": 3,
    "Six_Hours": 6,
    "Twelve_Hours": 12,
    "TwentyFour_Hours": 24,
}


def test_every_frequency_aws_defines_is_known():
    model = create_loader().load_service_model("config", "service-2")
    assert set(model["shapes"]["MaximumExecutionFrequency"]["enum"]) == set(HOURS)


@pytest.mark.parametrize(("frequency", "hours"), HOURS.items())
def test_period_is_the_rules_frequency_or_24_hours(frequency, hours):
    # SourceDetail: a MaximumExecutionFrequency needs MessageType ScheduledNotification;
    # ConfigRule's own is for managed rules and snapshot-triggered custom ones.
    named = {"MessageType": "ScheduledNotification", "MaximumExecutionFrequency": frequency}
    source, every = {"SourceDetails": [named]}, timedelta(hours=hours)
    assert health.period({"Source": source}) == every
    assert health.period({"Source": {}, "MaximumExecutionFrequency": frequency}) == every
    assert health.period({"Source": {}}) == timedelta(hours=24)
    other = named | {"MessageType": "ConfigurationItemChangeNotification"}
    assert health.period({"Source": {"SourceDetails": [other]}}) == timedelta(hours=24)
    saw = health.invocation({"LastSuccessfulInvocationTime": NOW}, every, NOW).saw
    assert saw.endswith(f"; runs every {hours} h")


def test_a_multi_region_trail_covers_every_region_only_while_logging_management_events():
    trail = {"HomeRegion": "eu-west-1", "IsMultiRegionTrail": True}
    regions = ["eu-west-1", "us-east-1"]
    assert health.trail_gaps([(trail, True, True)], regions) == []
    assert health.trail_gaps([(trail, False, True)], regions) == regions
    assert health.trail_gaps([(trail, True, False)], regions) == regions
    single = {"HomeRegion": "eu-west-1", "IsMultiRegionTrail": False}
    assert health.trail_gaps([(single, True, True)], regions) == ["us-east-1"]


@pytest.mark.parametrize(
    ("selectors", "management"),
    [
        ({}, True),
        ({"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True}]}, True),
        ({"EventSelectors": [{"ReadWriteType": "ReadOnly"}]}, False),
        # CloudTrail's API reference: IncludeManagementEvents "By default, the value is true".
        ({"EventSelectors": [{"ReadWriteType": "WriteOnly"}]}, True),
        ({"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": False}]}, False),
        (
            {
                "AdvancedEventSelectors": [
                    {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}
                ]
            },
            True,
        ),
        (
            {
                "AdvancedEventSelectors": [
                    {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]}]}
                ]
            },
            False,
        ),
    ],
)
def test_management_events_read_from_basic_and_advanced_selectors(selectors, management):
    assert health.logs_management(selectors) is management


def test_patterns_compare_as_json_with_list_order_ignored():
    one = {"detail-type": ["b", "a"], "detail": {"userIdentity": {"type": ["Root"]}}}
    other = {"detail": {"userIdentity": {"type": ["Root"]}}, "detail-type": ["a", "b"]}
    key = health.pattern_key(json.dumps(one))
    assert key == health.pattern_key(json.dumps(other))
    assert key != health.pattern_key(json.dumps({**other, "account": ["1"]}))
    assert health.pattern_key("not json") is None


def test_an_optional_check_warns_and_a_failed_one_sets_the_exit_code():
    warned = health.judged("evidence.cloudtrail", False, "off")
    failed = health.judged("rule.ours", False, "runs another function")
    assert (warned.status, failed.status) == (WARN, FAIL)
    assert "'Minutes, not days'" in warned.fix
    assert health.exit_code([warned]) == 0
    assert health.exit_code([warned, failed]) == 1
    assert health.judged("rule.ours", True, "ours").fix == ""


def test_every_fix_names_a_doc_section():
    assert all("docs/deploy.md '" in fix for fix in health.FIXES.values())
    assert health.OPTIONAL.issubset(health.FIXES)


def test_text_and_json_carry_the_same_lines():
    checks = [health.judged("rule.ours", False, "runs x")._replace(account="1", region="r")]
    assert health.render_text(checks).startswith("FAIL  1 r rule.ours: runs x  -> ")
    assert json.loads(health.render_json(checks))[0]["status"] == FAIL


ARNS = tuple(
    f"arn:aws:ssm:eu-west-1:123456789012:parameter/root-account-usage/rule/{slot}"
    for slot in ("root", "assumed-root")
)
RECORDS = "arn:aws:ssm:*:*:parameter/root-account-usage/*"
DENY = {"Effect": "Deny", "Action": list(health.RECORD_CHANGES), "Resource": RECORDS}
ALL = list(health.RECORD_CHANGES)


def scp(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_the_records_guard_denies_every_change_of_every_record():
    assert health.undenied([scp(DENY)], ARNS) == []
    # As IAM reads them: an action in any case, wildcards, a statement that is not a list.
    written = DENY | {"Action": ["SSM:putparameter", "ssm:Delete*"], "Resource": ["x", "*"]}
    assert health.undenied([json.dumps({"Statement": written})], ARNS) == []
    # Each change may be denied by another policy attached on the way to the root.
    puts, deletes = DENY | {"Action": "ssm:PutParameter"}, DENY | {"Action": "ssm:Delete?arameter*"}
    assert health.undenied([scp(puts), "not json", scp(deletes)], ARNS) == []


@pytest.mark.parametrize(
    ("statements", "undenied"),
    [
        ([DENY | {"Action": "ssm:PutParameter"}], ["ssm:DeleteParameter", "ssm:DeleteParameters"]),
        ([DENY | {"Effect": "Allow"}], list(health.RECORD_CHANGES)),
        ([DENY | {"Resource": RECORDS.replace("*:*", "*:*:x")}], list(health.RECORD_CHANGES)),
        # One record left out: its erasure is not denied.
        ([DENY | {"Resource": ARNS[0]}], list(health.RECORD_CHANGES)),
        # NotAction is not read as proof, nor a statement without a Resource.
        (
            [{"Effect": "Deny", "NotAction": "ssm:Get*", "Resource": "*"}],
            list(health.RECORD_CHANGES),
        ),
        ([{"Effect": "Deny", "Action": "ssm:*"}], list(health.RECORD_CHANGES)),
        # fnmatch would take [..] as a class; IAM takes it as written.
        ([DENY | {"Resource": "arn:aws:ssm:[e]u-west-1:*"}], list(health.RECORD_CHANGES)),
        # A resource's case matters, unlike an action's.
        ([DENY | {"Resource": RECORDS.upper()}], list(health.RECORD_CHANGES)),
        # A Condition that can leave the deny unapplied is no proof: another test, another
        # key, or sparing the administrator role Organizations makes in every account.
        ([DENY | {"Condition": {"StringEquals": {"aws:RequestedRegion": "x"}}}], ALL),
        ([DENY | {"Condition": {"ArnNotLike": {"aws:SourceArn": "arn:*"}}}], ALL),
        ([DENY | {"Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:*:iam::*:role/*"}}}], ALL),
        ([DENY | {"Condition": {"ArnNotLike": {"aws:PrincipalArn": ["x", "*"]}}}], ALL),
        ([DENY | {"Condition": "ArnNotLike"}], ALL),
    ],
    ids=[
        "puts-only", "allow", "other-path", "one-record", "not-action", "no-resource",
        "brackets", "resource-case", "other-test", "other-key", "spares-roles", "spares-all",
        "not-an-object",
    ],
)  # fmt: skip
def test_a_guard_that_leaves_a_change_open_names_it(statements, undenied):
    assert health.undenied([scp(*statements)], ARNS) == undenied


def test_the_guards_condition_sparing_the_records_writers_still_denies():
    # As rdk_config/records-guard-scp.yaml spares the re-evaluation and deployer roles.
    writers = ["arn:*:iam::*:role/*-ReevaluationRole-*", "arn:*:iam::*:role/stacksets-exec-*"]
    spared = DENY | {"Condition": {"ArnNotLike": {"AWS:PrincipalArn": writers}}}
    assert health.undenied([scp(spared)], ARNS) == []


def test_no_policy_or_no_record_denies_nothing():
    assert health.undenied([], ARNS) == list(health.RECORD_CHANGES)
    assert health.undenied([scp(DENY)], ()) == list(health.RECORD_CHANGES)
