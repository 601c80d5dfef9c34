"""The rule reads the root events the re-evaluation function recorded (moto's SSM
Parameter Store, IAM and Config), and the CloudTrail lookup with AssumeRoot sessions
excluded (Stubber)."""

from __future__ import annotations

from datetime import timedelta

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID

from ROOT_ACCOUNT_USAGE import lambda_handler
from root_account_usage.core.annotation import RECORD_DECIDES, RootUseSeen, read_root_use
from root_account_usage.core.cloudtrail_evidence import RootActivity
from root_account_usage.core.recorded_activity import encode
from root_account_usage.rule.budget import Budget
from root_account_usage.rule.cloudtrail import lookup_root_activity
from root_account_usage.simulation.credential_report import RootUse, root_in_credential_report
from root_account_usage.simulation.events import periodic_event
from tests.doubles import (
    CLEAN_EVALUATION,
    FakeClock,
    answer_last_evaluation,
    last_evaluation,
    stubbed,
)
from tests.functional.rule.test_cloudtrail import START, event, request
from tests.reports import NOW

PATH = "/root-account-usage/root-account-usage"
SIGN_IN = RootActivity(
    NOW - timedelta(minutes=3), "ConsoleLogin", "us-east-1", None, False, "us-east-1"
)
SESSION = SIGN_IN._replace(event_name="DeleteAccessKey", mfa_used=None, assumed_root=True)


def evaluate(
    records: dict[str, str],
    use: RootUse | None = None,
    calls: list | None = None,
    last: str | None = CLEAN_EVALUATION,
    **parameters,
) -> dict:
    """One evaluation with a fresh report showing `use` and `records` in SSM, after one
    annotated `last` (None: the first); `calls` collects the AWS operations the rule makes."""
    with mock_aws():
        boto3.setup_default_session()
        if last is not None:
            answer = last_evaluation(last, DEFAULT_ACCOUNT_ID)
            answer_last_evaluation(boto3.DEFAULT_SESSION, lambda: answer)
        if calls is not None:
            boto3.DEFAULT_SESSION.events.register(
                "before-call", lambda model, **_: calls.append(model.name)
            )
        ssm = boto3.client("ssm", region_name="us-east-1")
        for slot, value in records.items():
            ssm.put_parameter(Name=f"{PATH}/{slot}", Value=value, Type="String")
        boto3.client("iam", region_name="us-east-1").generate_credential_report()
        # CloudTrail's own search is tested in test_cloudtrail.py.
        rule_parameters = {
            "AssumeRoleMode": "false",
            "CloudTrailEvidence": "false",
            "RootActivityEvidence": PATH,
            **parameters,
        }
        with root_in_credential_report(
            DEFAULT_ACCOUNT_ID, use or RootUse(), NOW - timedelta(hours=3)
        ):
            if calls is not None:
                calls.clear()  # the rule's calls only, not the fixture's
            [evaluation] = lambda_handler(
                periodic_event(DEFAULT_ACCOUNT_ID, NOW, rule_parameters), None
            )
    boto3.DEFAULT_SESSION = None
    return evaluation


def test_a_recorded_sign_in_decides_before_the_report_is_read():
    # Read first as well as last (issue 17): the slow report and the search of every
    # region are not waited for once a recorded use inside the threshold decides.
    calls: list[str] = []
    records = {"root": encode(SIGN_IN), "assumed-root": "none"}
    evaluation = evaluate(records, calls=calls, CloudTrailEvidence="true")
    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert evaluation["Annotation"] == (
        "Root console sign-in without MFA at 2026-11-27T11:57:00Z (EventBridge us-east-1), "
        "within the 7-day threshold; credential report and CloudTrail not read: a recorded "
        "root use decides."
    )
    assert "GetParameters" in calls
    assert not {"GetCredentialReport", "GenerateCredentialReport", "LookupEvents"} & set(calls)
    # The next evaluation's memory reads the use back from this annotation.
    assert read_root_use(evaluation["Annotation"]) == RootUseSeen(
        "EventBridge: console sign-in without MFA", "2026-11-27T11:57:00Z"
    )


def test_a_long_recorded_use_keeps_what_makes_the_next_evaluation_a_full_one():
    # A long event name, and the AssumeRoot sessions' parameter missing: the words that
    # say a record decided are never what 256 characters cut, or records decide again.
    long = SIGN_IN._replace(
        event_name="DescribeInferenceRecommendationsJobStepsForModelPackages",
        mfa_used=None,
        region="ap-southeast-2",
        lookup_region="ap-southeast-2",
    )
    first = evaluate({"root": encode(long)}, CloudTrailEvidence="true")
    assert first["ComplianceType"] == "NON_COMPLIANT"
    assert first["Annotation"].endswith(f"{RECORD_DECIDES} Recorded root event missing.")
    assert len(first["Annotation"]) <= 256
    # ... nor the words the next evaluation's memory (and doctor) read the use from.
    assert read_root_use(first["Annotation"]) is not None
    calls: list[str] = []
    evaluate({"root": encode(long)}, calls=calls, last=first["Annotation"])
    assert "GetCredentialReport" in calls


def test_a_threshold_of_exactly_cloudtrails_90_days_still_lets_a_recorded_use_decide():
    calls: list[str] = []
    records = {"root": encode(SIGN_IN), "assumed-root": "none"}
    evaluation = evaluate(records, calls=calls, CloudTrailEvidence="true", ThresholdDays="90")
    assert "90-day threshold; credential report and CloudTrail not read" in evaluation["Annotation"]
    assert "GetCredentialReport" not in calls


EARLY_DECIDED = (
    "Root console sign-in without MFA at 2026-11-26T11:00:00Z (EventBridge us-east-1), within "
    "the 7-day threshold; credential report and CloudTrail not read: a recorded root use decides."
)
# A full evaluation that named a use newer than the recorded one (CloudTrail saw it).
NEWER_USE = (
    "Root RunInstances at 2026-11-27T11:59:00Z (CloudTrail eu-central-1), within the 7-day "
    "threshold; report generated 2026-11-27T09:00:00Z."
)


@pytest.mark.parametrize(
    ("records", "parameters", "last", "read_first"),
    [
        # Longer than CloudTrail's 90 days: a use the skipped sources hold could be gone
        # from CloudTrail before a full evaluation carries it into the memory.
        ({"root": "SIGN_IN"}, {"ThresholdDays": "91"}, CLEAN_EVALUATION, False),
        # Without CloudTrail, a use only the report showed would never reach the memory.
        ({"root": "SIGN_IN"}, {"CloudTrailEvidence": "false"}, CLEAN_EVALUATION, False),
        # The first evaluation, one after a fail-closed one (which bound no report to the
        # account), and one after an early one: the next reads every source.
        ({"root": "SIGN_IN"}, {}, None, False),
        ({"root": "SIGN_IN"}, {}, "Unable to evaluate: AccessDenied [AccessDenied]", False),
        ({"root": "SIGN_IN"}, {}, EARLY_DECIDED, False),
        # A record older than the use the memory holds never stands in for it.
        ({"root": "SIGN_IN"}, {}, NEWER_USE, True),
        ({"root": "OLD"}, {}, CLEAN_EVALUATION, True),  # outside the threshold
        ({"assumed-root": "SESSION"}, {}, CLEAN_EVALUATION, True),  # excluded by default
    ],
    ids=[
        "threshold-over-90-days",
        "report-only",
        "first-evaluation",
        "after-fail-closed",
        "after-early",
        "older-than-memory",
        "old",
        "excluded-session",
    ],
)
def test_otherwise_everything_is_read(records, parameters, last, read_first):
    activities = {
        "SIGN_IN": SIGN_IN,
        "OLD": SIGN_IN._replace(time=NOW - timedelta(days=8)),
        "SESSION": SESSION,
    }
    calls: list[str] = []
    stored = {"root": "none", "assumed-root": "none"}
    stored.update({slot: encode(activities[name]) for slot, name in records.items()})
    evaluation = evaluate(
        stored, calls=calls, last=last, **{"CloudTrailEvidence": "true", **parameters}
    )
    assert "GetCredentialReport" in calls
    # Read before the report when it may decide, and after it.
    assert calls.count("GetParameters") == (2 if read_first else 1)
    assert "not read" not in evaluation["Annotation"]


def test_nothing_recorded_leaves_the_report_to_decide_and_cloudtrail_off_is_said():
    # README: with CloudTrailEvidence "false" each annotation says so; the records read
    # besides the report once left it unsaid.
    evaluation = evaluate({"root": "none", "assumed-root": "none"})
    assert evaluation["ComplianceType"] == "COMPLIANT"
    assert evaluation["Annotation"] == (
        "Root user has no recorded use of its console password or access keys; threshold 7 "
        "days; report generated 2026-11-27T09:00:00Z. CloudTrail not searched: "
        "CloudTrailEvidence is false."
    )


def test_a_missing_record_leaves_the_report_to_decide_and_is_named(caplog):
    # The stack creates both parameters: one that does not exist was deleted.
    evaluation = evaluate({"root": "none"})
    assert evaluation["ComplianceType"] == "COMPLIANT"
    assert evaluation["Annotation"].endswith(" Recorded root event missing.")
    [warning] = [r for r in caplog.records if r.levelname == "WARNING"]
    assert warning.fields["parameter"] == f"{PATH}/assumed-root"
    assert warning.fields["problem"] == "missing"


def test_none_written_over_a_record_is_named_reset(caplog):
    with mock_aws():
        ssm = boto3.client("ssm", region_name="us-east-1")
        for slot in ("root", "assumed-root"):
            ssm.put_parameter(Name=f"{PATH}/{slot}", Value="none", Type="String")
        # The function records a sign-in (version 2); someone writes none over it (3).
        for value in (encode(SIGN_IN), "none"):
            ssm.put_parameter(Name=f"{PATH}/root", Value=value, Type="String", Overwrite=True)
        boto3.client("iam", region_name="us-east-1").generate_credential_report()
        parameters = {
            "AssumeRoleMode": "false",
            "CloudTrailEvidence": "false",
            "RootActivityEvidence": PATH,
        }
        with root_in_credential_report(DEFAULT_ACCOUNT_ID, RootUse(), NOW - timedelta(hours=3)):
            [evaluation] = lambda_handler(periodic_event(DEFAULT_ACCOUNT_ID, NOW, parameters), None)
    # The use is gone from the record (the report and CloudTrail still show it later),
    # but the erasure is said.
    assert evaluation["ComplianceType"] == "COMPLIANT"
    assert evaluation["Annotation"].endswith(" Recorded root event reset.")
    [warning] = [r for r in caplog.records if r.levelname == "WARNING"]
    assert (warning.fields["problem"], warning.fields["reason"]) == (
        "reset",
        "none written at version 3",
    )


@pytest.mark.parametrize("bad_slot", ["root", "assumed-root"])
def test_a_malformed_record_never_drops_its_valid_sibling(bad_slot):
    records = {"root": encode(SIGN_IN), "assumed-root": encode(SESSION)}
    records[bad_slot] = '{"v":1,"time":"garbage"}'
    evaluation = evaluate(records, AssumeRootSessions="count")
    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    kept = "privileged session" if bad_slot == "root" else "console sign-in"
    assert kept in evaluation["Annotation"]
    assert evaluation["Annotation"].endswith(" Recorded root event unreadable.")


def test_a_record_giving_a_key_twice_is_unreadable_not_read_last_wins():
    # An old time given again after the recorded one: last-wins would drop the use.
    tampered = encode(SIGN_IN)[:-1] + ', "time": "2020-01-01T00:00:00Z"}'
    evaluation = evaluate({"root": tampered, "assumed-root": "none"})
    assert evaluation["Annotation"].endswith(" Recorded root event unreadable.")


def test_a_recorded_event_outside_the_threshold_does_not_count():
    old = SIGN_IN._replace(time=NOW - timedelta(days=7, seconds=1))
    assert evaluate({"root": encode(old)})["ComplianceType"] == "COMPLIANT"


def test_sessions_count_only_when_asked_and_never_hide_the_root_users_own_use():
    records = {"root": "none", "assumed-root": encode(SESSION)}
    counted = evaluate(records, AssumeRootSessions="count")
    assert counted["ComplianceType"] == "NON_COMPLIANT"
    assert "privileged session from the management account (AssumeRoot)" in counted["Annotation"]
    assert evaluate(records, AssumeRootSessions="exclude")["ComplianceType"] == "COMPLIANT"
    assert evaluate(records)["ComplianceType"] == "COMPLIANT"  # excluded by default
    # A sanctioned session recorded after a root sign-in keeps its own slot.
    both = {"root": encode(SIGN_IN), "assumed-root": encode(SESSION)}
    excluded = evaluate(both, AssumeRootSessions="exclude")
    assert excluded["ComplianceType"] == "NON_COMPLIANT"
    assert excluded["Annotation"].startswith("Root console sign-in")


def test_a_garbled_record_never_turns_a_use_compliant(caplog):
    garbled = {"root": '{"v":1,"time":"garbage"}', "assumed-root": "none"}
    used = RootUse.at(password=NOW - timedelta(days=1))
    evaluation = evaluate(garbled, use=used)
    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert evaluation["Annotation"].endswith(" Recorded root event unreadable.")
    clean = evaluate(garbled)
    assert clean["ComplianceType"] == "COMPLIANT"  # the report decides, and says why
    assert clean["Annotation"].endswith(" Recorded root event unreadable.")
    warnings = [r for r in caplog.records if r.levelname == "WARNING"]
    assert {w.fields["error_code"] for w in warnings} == {"RecordedEventsUnavailable"}


def test_ssm_refusing_leaves_the_report_to_decide(monkeypatch):
    from root_account_usage.rule import recorded_events

    def denied(self, client, operation, **request):
        raise RuntimeError("AccessDeniedException")

    monkeypatch.setattr(recorded_events.Retrier, "call", denied)
    evaluation = evaluate({})
    assert evaluation["ComplianceType"] == "COMPLIANT"
    unavailable = " Recorded root events unavailable. CloudTrail not searched: "
    assert evaluation["Annotation"].endswith(unavailable + "CloudTrailEvidence is false.")


@pytest.fixture
def trail():
    client, stub = stubbed("cloudtrail")
    with stub:
        yield client, stub
        stub.assert_no_pending_responses()


def test_an_excluded_newer_session_does_not_hide_an_older_sign_in(trail):
    client, stub = trail
    session = event("DeleteAccessKey", "2026-11-27T10:00:00Z")
    session_detail = session["CloudTrailEvent"].replace(
        '"type": "Root"', '"type": "Root", "sessionContext": {"assumedRoot": "true"}'
    )
    stub.add_response(
        "lookup_events",
        {"Events": [session | {"CloudTrailEvent": session_detail}], "NextToken": "t2"},
        request(),
    )
    stub.add_response("lookup_events", {"Events": [event()]}, request("t2"))
    [found] = lookup_root_activity(
        lambda region: client,
        ("us-east-1",),
        start=START,
        end=NOW,
        budget=Budget(FakeClock().time_left),
        sleep=FakeClock().sleep,
        include=lambda activity: not activity.assumed_root,
    ).found
    assert (found.event_name, found.assumed_root) == ("ConsoleLogin", False)


def test_no_time_left_skips_the_read_and_says_so():
    from root_account_usage.core.exceptions import OutOfTimeError
    from root_account_usage.rule.recorded_events import read_recorded_activity

    def never():
        raise AssertionError("no client may be built without time left")

    with pytest.raises(OutOfTimeError, match="time budget"):
        read_recorded_activity(never, PATH, budget=Budget(lambda: 0.0))
    # Less than one GetParameters may take (5 s): not started either, the reserve kept.
    with pytest.raises(OutOfTimeError, match="time budget"):
        read_recorded_activity(never, PATH, budget=Budget(lambda: 4.0))


def test_a_clean_entry_listed_again_never_clears_a_problem_an_earlier_entry_showed():
    from root_account_usage.core.recorded_activity import SLOTS, parameter_name
    from root_account_usage.rule.recorded_events import read_recorded_activity

    root, session = (parameter_name(PATH, slot) for slot in SLOTS)
    ssm, stub = stubbed("ssm")
    # SSM does not repeat a name; a malformed answer that does must not clear the first
    # entry's problem with a later, clean one.
    answer = [
        {"Name": root, "Value": "{", "Version": 2},
        {"Name": root, "Value": "none", "Version": 1},
        {"Name": session, "Value": "none", "Version": 1},
    ]
    stub.add_response("get_parameters", {"Parameters": answer}, {"Names": [root, session]})
    with stub:
        read = read_recorded_activity(lambda: ssm, PATH, budget=Budget(lambda: 60.0))
    assert read.found == []
    assert [(name, problem) for name, (problem, _) in read.problems.items()] == [
        (root, "unreadable")
    ]
    assert read.note() == " Recorded root event unreadable."
