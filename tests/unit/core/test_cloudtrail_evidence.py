"""CloudTrail as supplementary evidence: which events count, and how they join the verdict."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from root_account_usage.core.annotation import MAX_ANNOTATION_LENGTH
from root_account_usage.core.cloudtrail_evidence import (
    RootActivity,
    UnreadableRecordError,
    apply_activity,
    counted,
    root_activity,
)
from root_account_usage.core.exceptions import ReportUnavailableError
from root_account_usage.core.report import parse_credential_report
from root_account_usage.core.verdict import (
    COMPLIANT,
    NON_COMPLIANT,
    decide,
    unable_to_evaluate,
)
from root_account_usage.simulation.credential_report import RootUse
from tests.reports import NOW, apply_cloudtrail, report_with_root


def cloudtrail_event(**detail_changes):
    detail = {
        "eventTime": "2026-11-26T10:00:00Z",
        "eventName": "ConsoleLogin",
        "eventSource": "signin.amazonaws.com",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.7",
        "eventType": "AwsConsoleSignIn",
        "userIdentity": {"type": "Root", "arn": "arn:aws:iam::111122223333:root"},
        "additionalEventData": {"MFAUsed": "No"},
        "responseElements": {"ConsoleLogin": "Success"},
    }
    detail.update(detail_changes)
    return {"EventName": detail["eventName"], "CloudTrailEvent": json.dumps(detail)}


def test_root_console_sign_in_is_root_activity():
    activity = root_activity(cloudtrail_event(), "us-east-1")
    assert activity == RootActivity(
        datetime(2026, 11, 26, 10, tzinfo=UTC),
        "ConsoleLogin",
        "us-east-1",
        "203.0.113.7",
        False,
        "us-east-1",
    )
    assert activity.describe() == "console sign-in from 203.0.113.7 without MFA"


def test_root_api_call_is_described_by_name_and_region():
    event = cloudtrail_event(
        eventName="DeleteTrail",
        awsRegion="eu-west-1",
        eventType="AwsApiCall",
        additionalEventData=None,
    )
    assert root_activity(event, "eu-west-1").describe() == "API call DeleteTrail in eu-west-1"


@pytest.mark.parametrize(
    "changes",
    [
        {"userIdentity": {"type": "IAMUser", "userName": "root"}},  # an IAM user named root
        {
            "userIdentity": {"type": "Root", "invokedBy": "config.amazonaws.com"}
        },  # a service for root
        {"eventType": "AwsServiceEvent"},
    ],
)
def test_events_that_are_not_the_root_users_own_do_not_count(changes):
    assert root_activity(cloudtrail_event(**changes), "us-east-1") is None


@pytest.mark.parametrize(
    "record",
    [
        {"CloudTrailEvent": "{nope"},
        {"CloudTrailEvent": "[]"},
        {"CloudTrailEvent": {"userIdentity": {"type": "Root"}}},  # not a string
        {"CloudTrailEvent": 7},
        {"CloudTrailEvent": json.dumps({"userIdentity": "Root"})},
        {"CloudTrailEvent": "[" * 50_000 + "]" * 50_000},
        # An integer past Python's 4,300-digit limit: json.loads's plain ValueError.
        {"CloudTrailEvent": '{"userIdentity": {"type": "Root"}, "n": ' + "9" * 5000 + "}"},
    ],
)
def test_records_of_odd_shape_are_refused_as_unreadable(record):
    with pytest.raises(UnreadableRecordError):
        root_activity(record, "us-east-1")


@pytest.mark.parametrize("odd", ["Yes", ["MFAUsed", "Yes"], 3])
def test_odd_additional_event_data_keeps_the_root_action_without_its_mfa_flag(odd):
    event = cloudtrail_event()
    detail = json.loads(event["CloudTrailEvent"]) | {"additionalEventData": odd}
    activity = root_activity(event | {"CloudTrailEvent": json.dumps(detail)}, "us-east-1")
    assert activity is not None
    assert activity.mfa_used is None
    assert "with" not in activity.describe()


@pytest.mark.parametrize("when", ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00"])
def test_overflowing_event_time_without_a_fallback_is_unreadable(when):
    event = cloudtrail_event()
    detail = json.loads(event["CloudTrailEvent"]) | {"eventTime": when}
    with pytest.raises(UnreadableRecordError, match="event time"):
        root_activity({"CloudTrailEvent": json.dumps(detail)}, "us-east-1")


def test_overflowing_event_time_falls_back_to_the_records_event_time():
    event = cloudtrail_event()
    detail = json.loads(event["CloudTrailEvent"]) | {"eventTime": "9999-12-31T23:59:59-01:00"}
    record = {"CloudTrailEvent": json.dumps(detail), "EventTime": NOW - timedelta(days=1)}
    activity = root_activity(record, "us-east-1")
    assert activity is not None
    assert activity.time == NOW - timedelta(days=1)


def report_verdict(use=None, threshold=7):
    root = parse_credential_report(report_with_root(use or RootUse()))
    return decide(
        root, now=NOW, threshold_days=threshold, report_generated_at=NOW - timedelta(hours=1)
    )


def activity_at(when, name="ConsoleLogin"):
    return RootActivity(when, name, "us-east-1", "198.51.100.4", True, "us-east-1")


def test_cloudtrail_activity_in_the_window_makes_a_clean_report_non_compliant():
    verdict = apply_cloudtrail(
        report_verdict(), [activity_at(NOW - timedelta(days=2))], now=NOW, threshold_days=7
    )
    assert verdict.compliance_type == NON_COMPLIANT
    assert verdict.annotation.startswith(
        "Root console sign-in from 198.51.100.4 with MFA at 2026-11-25T12:00:00Z "
        "(CloudTrail us-east-1), "
        "within the 7-day threshold"
    )


def test_window_edges_are_exact():
    edge = apply_cloudtrail(
        report_verdict(), [activity_at(NOW - timedelta(days=7))], now=NOW, threshold_days=7
    )
    outside = apply_cloudtrail(
        report_verdict(),
        [activity_at(NOW - timedelta(days=7, seconds=1))],
        now=NOW,
        threshold_days=7,
    )
    assert edge.compliance_type == NON_COMPLIANT
    assert outside.compliance_type == COMPLIANT
    assert outside.annotation.endswith("No root activity in CloudTrail.")


def test_the_most_recent_evidence_is_named():
    recent_key = report_verdict(RootUse.at(access_key_1=NOW - timedelta(hours=1)))
    older_sign_in = apply_cloudtrail(
        recent_key, [activity_at(NOW - timedelta(days=1))], now=NOW, threshold_days=7
    )
    assert older_sign_in.annotation.startswith("Root access key 1 was used at")
    assert "CloudTrail also: console sign-in" in older_sign_in.annotation
    old_key = report_verdict(RootUse.at(access_key_1=NOW - timedelta(days=3)))
    newer_call = apply_cloudtrail(
        old_key, [activity_at(NOW - timedelta(hours=2), "StopLogging")], now=NOW, threshold_days=7
    )
    assert newer_call.annotation.startswith("Root API call StopLogging in us-east-1")


def test_what_cloudtrail_also_saw_is_described_in_70_characters_at_most():
    recent_key = report_verdict(RootUse.at(access_key_1=NOW - timedelta(hours=1)))
    long_call = activity_at(NOW - timedelta(days=1), "Put" + "A" * 80)
    verdict = apply_cloudtrail(recent_key, [long_call], now=NOW, threshold_days=7)
    described = verdict.annotation.split(" also: ")[1].split(" at 2026-")[0]
    assert (len(described), described[-3:]) == (70, "...")


def test_lookup_failure_leaves_the_report_verdict_and_says_so():
    verdict = apply_cloudtrail(
        report_verdict(), [], now=NOW, threshold_days=7, unavailable="Throttled"
    )
    assert verdict.compliance_type == COMPLIANT
    assert verdict.annotation.endswith("CloudTrail unavailable.")


def test_fail_closed_verdict_stays_fail_closed():
    failed = unable_to_evaluate(
        ReportUnavailableError("denied", code="AccessDenied"), threshold_days=7
    )
    assert apply_cloudtrail(failed, [activity_at(NOW)], now=NOW, threshold_days=7) == failed


def test_longest_annotations_fit():
    ipv6 = "2001:0db8:85a3:0000:0000:8a2e:0370:7334"
    longest = RootActivity(NOW, "X" * 120, "ap-southeast-4", ipv6, False, "ap-southeast-4")
    for base in (report_verdict(threshold=3650), report_verdict(RootUse.at(password=NOW), 3650)):
        for activities in ([longest], [longest._replace(event_name="ConsoleLogin")], []):
            for unavailable in (None, "x" * 300):
                verdict = apply_cloudtrail(
                    base, activities, now=NOW, threshold_days=3650, unavailable=unavailable
                )
                assert len(verdict.annotation) <= MAX_ANNOTATION_LENGTH


# AssumeRoot sessions: the member-account record of an action taken in a privileged root
# session (AWS's "Track privileged tasks in CloudTrail": type Root, assumedRoot "true").
SESSION_IDENTITY = {
    "type": "Root",
    "arn": "arn:aws:iam::111122223333:root",
    "accessKeyId": "ASIAIOSFODNN7EXAMPLE",
    "sessionContext": {
        "attributes": {"creationDate": "2026-11-26T09:59:50Z", "mfaAuthenticated": "false"},
        "assumedRoot": "true",
    },
}


def session_event(**changes):
    detail = {
        "eventName": "DeleteLoginProfile",
        "eventSource": "iam.amazonaws.com",
        "eventType": "AwsApiCall",
        "userIdentity": SESSION_IDENTITY,
        "requestParameters": None,
        "additionalEventData": None,
    }
    return cloudtrail_event(**(detail | changes))


def test_an_assume_root_session_is_root_activity_named_as_such():
    activity = root_activity(session_event(), "us-east-1")
    assert activity.assumed_root is True
    assert activity.describe() == (
        "privileged session from the management account (AssumeRoot): "
        "DeleteLoginProfile in us-east-1"
    )


@pytest.mark.parametrize("flag", ["false", None, False, {"x": 1}])
def test_only_an_assumed_root_flag_of_true_is_a_session(flag):
    context = {"attributes": {}} if flag is None else {"assumedRoot": flag}
    identity = SESSION_IDENTITY | {"sessionContext": context}
    assert root_activity(session_event(userIdentity=identity), "us-east-1").assumed_root is False


def test_excluded_sessions_do_not_count_but_the_root_users_own_use_always_does():
    session = root_activity(session_event(), "us-east-1")
    sign_in = root_activity(cloudtrail_event(), "us-east-1")
    assert counted(session, exclude_assume_root=False) is True
    assert counted(session, exclude_assume_root=True) is False
    assert counted(sign_in, exclude_assume_root=True) is True


def test_a_source_that_could_not_be_read_is_said_and_the_others_still_decide():
    recorded = activity_at(NOW - timedelta(hours=1))._replace(source="EventBridge", source_ip=None)
    verdict = apply_activity(
        report_verdict(), [recorded], now=NOW, threshold_days=7, unavailable=("CloudTrail",)
    )
    assert verdict.compliance_type == NON_COMPLIANT
    assert verdict.annotation.startswith(
        "Root console sign-in with MFA at 2026-11-27T11:00:00Z (EventBridge us-east-1)"
    )
    assert verdict.annotation.endswith(" CloudTrail unavailable.")
    assert (verdict.credential, verdict.last_used) == ("eventbridge", NOW - timedelta(hours=1))
    nothing = apply_activity(
        report_verdict(),
        [],
        now=NOW,
        threshold_days=7,
        cloudtrail_read=True,
        unavailable=("Recorded root events",),
    )
    assert nothing.compliance_type == COMPLIANT
    assert nothing.annotation.endswith(
        "No root activity in CloudTrail. Recorded root events unavailable."
    )


# Sign-in attempts that did not authenticate: the shape CloudTrail logs for a root console
# sign-in with a wrong password (AWS's sign-in event reference; peers' detections of "root
# login failed" key on the same fields), for a failed MFA check, and for "Forgot password?".
FAILED_SIGN_IN = {
    "errorMessage": "Failed authentication",
    "responseElements": {"ConsoleLogin": "Failure"},
    "sourceIPAddress": "198.51.100.66",
}


@pytest.mark.parametrize(
    ("changes", "attempt"),
    [
        (FAILED_SIGN_IN, True),
        ({"responseElements": {"ConsoleLogin": "Failure"}}, True),
        ({"errorMessage": "Failed authentication", "responseElements": None}, True),
        ({"eventName": "CheckMfa", "responseElements": {"CheckMfa": "Failure"}}, True),
        (
            {
                "eventName": "PasswordRecoveryRequested",
                "responseElements": {"PasswordRecoveryRequested": "Success"},
            },
            True,
        ),
        ({}, False),  # a successful sign-in
        ({"eventName": "CheckMfa", "responseElements": {"CheckMfa": "Success"}}, False),
        (
            {
                "eventName": "PasswordRecoveryCompleted",
                "responseElements": {"PasswordRecoveryCompleted": "Success"},
            },
            False,  # takes the root e-mail inbox, and leaves a new root password: a use
        ),
        (
            # A denied API call was still signed with root's credentials: a use.
            {
                "eventName": "DeleteTrail",
                "eventSource": "cloudtrail.amazonaws.com",
                "eventType": "AwsApiCall",
                "errorCode": "AccessDenied",
                "errorMessage": "User is not authorized",
                "responseElements": None,
            },
            False,
        ),
    ],
    ids=[
        "wrong password",
        "outcome Failure",
        "errorMessage, no outcome",
        "failed MFA",
        "password recovery asked",
        "sign-in",
        "MFA passed",
        "password recovery completed",
        "denied API call",
    ],
)
def test_a_sign_in_that_did_not_authenticate_is_an_attempt_not_a_use(changes, attempt):
    assert root_activity(cloudtrail_event(**changes), "us-east-1").attempt is attempt


def failed_at(when, ip="198.51.100.66", name="ConsoleLogin"):
    return RootActivity(when, name, "us-east-1", ip, False, "us-east-1", attempt=True)


def test_a_failed_sign_in_never_makes_the_account_non_compliant_and_is_named():
    verdict = apply_activity(
        report_verdict(),
        [failed_at(NOW - timedelta(hours=2))],
        now=NOW,
        threshold_days=7,
        cloudtrail_read=True,
    )
    assert verdict.compliance_type == COMPLIANT
    assert verdict.annotation.endswith(
        "report generated 2026-11-27T11:00:00Z. Failed root sign-in attempt from "
        "198.51.100.66 at 2026-11-27T10:00:00Z (CloudTrail us-east-1). "
        "No root use in CloudTrail."
    )


def test_an_attempt_is_named_only_where_there_is_room_and_only_by_its_address():
    # Text where an address belongs is not copied: the note cannot read as a use.
    odd = failed_at(NOW, ip="x at 2026-01-01T00:00:00Z (CloudTrail us-east-1), within")
    recovery = failed_at(NOW, name="PasswordRecoveryRequested")
    assert odd.describe() == "Failed root sign-in attempt"
    assert recovery.describe() == "Root password recovery requested from 198.51.100.66"
    long_use = activity_at(NOW - timedelta(hours=1), "X" * 120)
    verdict = apply_activity(
        report_verdict(threshold=3650),
        [long_use, recovery],
        now=NOW,
        threshold_days=3650,
        unavailable=("Recorded root events",),
        notes=(" CloudTrail search incomplete in ap-southeast-2.",),
    )
    assert verdict.compliance_type == NON_COMPLIANT
    assert "recovery" not in verdict.annotation  # no room: the use and the notes first
    assert verdict.annotation.endswith(
        " Recorded root events unavailable. CloudTrail search incomplete in ap-southeast-2."
    )


def test_an_attempt_without_room_for_its_address_is_named_without_it():
    ipv6 = "2001:db8:85a3:1111:2222:8a2e:370:7334"
    verdict = apply_activity(
        report_verdict(),
        [failed_at(NOW - timedelta(hours=2), ip=ipv6)],
        now=NOW,
        threshold_days=7,
        cloudtrail_read=True,
    )
    assert verdict.annotation.endswith(
        " Failed root sign-in attempt at 2026-11-27T10:00:00Z (CloudTrail us-east-1). "
        "No root use in CloudTrail."
    )


@pytest.mark.parametrize("name", ["CredentialChallenge", "CredentialVerification"])
def test_sign_in_challenge_events_are_not_root_activity(name):
    # IAM Identity Center and WorkSpaces sign-in steps: userIdentity type Unknown, and an
    # AwsServiceEvent; their outcome is in serviceEventDetails. Never the root user's own.
    challenge = cloudtrail_event(
        eventName=name,
        eventType="AwsServiceEvent",
        userIdentity={"type": "Unknown", "principalId": "111122223333"},
        responseElements=None,
        serviceEventDetails={name: "Failure"},
    )
    assert root_activity(challenge, "us-east-1") is None
