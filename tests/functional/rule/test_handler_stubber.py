"""lambda_handler end to end with Stubber-checked IAM and Config clients.

The rule's client factory is pointed at the stubbed clients; everything else is the
real handler, so the exact PutEvaluations request is what Config would receive.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from ROOT_ACCOUNT_USAGE import EvaluationNotPublishedError, lambda_handler
from root_account_usage.rule.clients import BoundedClientFactory
from root_account_usage.simulation.credential_report import RootUse
from root_account_usage.simulation.events import periodic_event
from tests.doubles import (
    FakeClock,
    FakeLambdaContext,
    expect_no_last_evaluation,
    report_response,
    stubbed,
)
from tests.reports import ACCOUNT_ID, NOW, report_with_root

ORDERING = "2026-11-27T12:00:00.000Z"
# The report's lifecycle alone (CloudTrail's search: test_cloudtrail.py).
REPORT_ONLY = {"CloudTrailEvidence": "false"}


@pytest.fixture
def clients(monkeypatch):
    iam, iam_stub = stubbed("iam")
    config, config_stub = stubbed("config")
    built = {"iam": iam, "config": config}
    monkeypatch.setattr(
        BoundedClientFactory, "build_client", lambda self, service, *args, **kwargs: built[service]
    )
    with iam_stub, config_stub:
        yield iam_stub, config_stub
        iam_stub.assert_no_pending_responses()
        config_stub.assert_no_pending_responses()


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock(budget_seconds=300)
    monkeypatch.setattr("time.sleep", fake.sleep)
    monkeypatch.setattr("random.uniform", lambda low, high: high)  # jitter at its maximum
    return fake


def expect_put(
    config_stub, compliance, annotation, test_mode=True, token="TESTMODE", remembered=True
):
    if remembered:  # else: too little time to read this rule's last evaluation (37 s)
        expect_no_last_evaluation(config_stub)
    config_stub.add_response(
        "put_evaluations",
        {"FailedEvaluations": []},
        {
            "Evaluations": [
                {
                    "ComplianceResourceId": ACCOUNT_ID,
                    "ComplianceResourceType": "AWS::::Account",
                    "ComplianceType": compliance,
                    "OrderingTimestamp": ORDERING,
                    "Annotation": annotation,
                }
            ],
            "ResultToken": token,
            "TestMode": test_mode,
        },
    )


def test_missing_report_is_generated_and_the_verdict_published(clients, clock):
    iam_stub, config_stub = clients
    content = report_with_root(RootUse.at(access_key_1=NOW - timedelta(hours=2)))
    iam_stub.add_client_error("get_credential_report", "ReportNotPresent", http_status_code=410)
    iam_stub.add_response("generate_credential_report", {"State": "STARTED"}, {})
    iam_stub.add_response("generate_credential_report", {"State": "COMPLETE"}, {})
    iam_stub.add_response("get_credential_report", report_response(content, NOW))
    annotation = (
        "Root access key 1 was used at 2026-11-27T10:00:00Z, within the 7-day threshold; "
        "report generated 2026-11-27T12:00:00Z. Credential report only: CloudTrailEvidence "
        "is false."
    )
    expect_put(config_stub, "NON_COMPLIANT", annotation)

    result = lambda_handler(periodic_event(ACCOUNT_ID, NOW, REPORT_ONLY), FakeLambdaContext(clock))

    assert result == [
        {
            "ComplianceResourceId": ACCOUNT_ID,
            "ComplianceResourceType": "AWS::::Account",
            "ComplianceType": "NON_COMPLIANT",
            "OrderingTimestamp": ORDERING,
            "Annotation": annotation,
        }
    ]
    assert len(clock.sleeps) == 1


def test_real_result_token_is_not_test_mode(clients, clock):
    iam_stub, config_stub = clients
    iam_stub.add_response(
        "get_credential_report", report_response(report_with_root(RootUse()), NOW)
    )
    expect_put(
        config_stub,
        "COMPLIANT",
        "Root user has no recorded use of its console password or access keys; "
        "threshold 30 days; report generated 2026-11-27T12:00:00Z. Credential report only: "
        "CloudTrailEvidence is false.",
        test_mode=False,
        token="real-token",
    )
    parameters = {"ThresholdDays": "30", **REPORT_ONLY}
    event = periodic_event(ACCOUNT_ID, NOW, parameters) | {"resultToken": "real-token"}
    lambda_handler(event, FakeLambdaContext(clock))


def test_access_denied_fails_closed(clients, clock, caplog):
    iam_stub, config_stub = clients
    iam_stub.add_client_error(
        "get_credential_report", "AccessDenied", "not authorized", http_status_code=403
    )
    expect_put(
        config_stub,
        "NON_COMPLIANT",
        "Unable to evaluate: IAM GetCredentialReport failed: AccessDenied: not authorized "
        "[AccessDenied]",
    )
    lambda_handler(periodic_event(ACCOUNT_ID, NOW), FakeLambdaContext(clock))
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1
    assert errors[0].fields["error_code"] == "AccessDenied"


def test_report_never_ready_fails_closed_within_the_lambda_time(clients, clock):
    iam_stub, config_stub = clients
    clock.budget_seconds = 80
    iam_stub.add_client_error("get_credential_report", "ReportNotPresent", http_status_code=410)
    # 80 s less a quarter kept to publish leaves 60 s; no wait may start unless an IAM
    # call (13 s at worst) still fits after it: waits of 1, 2, 4, then 8 s up to 47 s,
    # the ninth poll at 47 s, and no time for a tenth.
    for _ in range(9):
        iam_stub.add_response("generate_credential_report", {"State": "INPROGRESS"}, {})
    expect_put(
        config_stub,
        "NON_COMPLIANT",
        "Unable to evaluate: credential report not ready: GenerateCredentialReport still "
        "INPROGRESS after 8 retries, time budget exhausted [ReportNotReady]",
    )
    lambda_handler(periodic_event(ACCOUNT_ID, NOW), FakeLambdaContext(clock))
    assert clock.sleeps == [1, 2, 4, 8, 8, 8, 8, 8]


def test_throttled_once_with_20_seconds_left_is_retried_and_judged(clients, clock):
    # A margin of a fixed 30 s failed this at once, "after 0 retries".
    iam_stub, config_stub = clients
    clock.budget_seconds = 20
    content = report_with_root(RootUse.at(password=NOW - timedelta(days=2)))
    iam_stub.add_client_error("get_credential_report", "Throttling", http_status_code=400)
    iam_stub.add_response("get_credential_report", report_response(content, NOW))
    expect_put(
        config_stub,
        "NON_COMPLIANT",
        "Root console password was used at 2026-11-25T12:00:00Z, within the 7-day threshold; "
        "report generated 2026-11-27T12:00:00Z. Credential report only: CloudTrailEvidence is "
        "false. This rule's last evaluation unavailable.",
        remembered=False,
    )
    lambda_handler(periodic_event(ACCOUNT_ID, NOW, REPORT_ONLY), FakeLambdaContext(clock))
    assert len(clock.sleeps) == 1
    assert 0 < clock.sleeps[0] <= 1


def test_no_time_for_one_iam_call_fails_closed_at_once_and_still_publishes(clients, clock):
    _, config_stub = clients
    clock.budget_seconds = 15  # 3.75 s kept to publish: 11.25 s is less than one IAM call
    expect_put(
        config_stub,
        "NON_COMPLIANT",
        "Unable to evaluate: no time left to call IAM GetCredentialReport within the "
        "Lambda's remaining time. This rule's last evaluation unavailable. [ReportNotReady]",
        remembered=False,
    )
    lambda_handler(periodic_event(ACCOUNT_ID, NOW), FakeLambdaContext(clock))
    assert clock.sleeps == []


def test_stale_report_fails_closed(clients, clock):
    iam_stub, config_stub = clients
    old = NOW - timedelta(hours=25)
    content = report_with_root(RootUse())
    iam_stub.add_response("get_credential_report", report_response(content, old))
    iam_stub.add_client_error("generate_credential_report", "AccessDenied", http_status_code=403)
    expect_put(
        config_stub,
        "NON_COMPLIANT",
        "Unable to evaluate: newest credential report was generated 2026-11-26T11:00:00Z, "
        "more than 24 hours before 2026-11-27T12:00:00Z [StaleReport]",
    )
    lambda_handler(periodic_event(ACCOUNT_ID, NOW), FakeLambdaContext(clock))


@pytest.mark.parametrize(
    ("parameters", "reason"),
    [
        ({"ThresholdDays": "abc"}, "ThresholdDays must be a whole number"),
        ({"ThresholdDays": "0"}, "ThresholdDays must be from 1 to 3650 days, got 0"),
        ({"Threshold": "7"}, "unknown rule parameter(s) Threshold"),
    ],
)
def test_bad_parameter_fails_closed_without_reading_iam(clients, clock, parameters, reason):
    _, config_stub = clients
    expect_no_last_evaluation(config_stub)
    config_stub.add_response("put_evaluations", {"FailedEvaluations": []})
    result = lambda_handler(periodic_event(ACCOUNT_ID, NOW, parameters), FakeLambdaContext(clock))
    assert result[0]["ComplianceType"] == "NON_COMPLIANT"
    assert result[0]["Annotation"].startswith("Unable to evaluate: " + reason)
    assert result[0]["Annotation"].endswith("[InvalidParameter]")


def test_refused_put_evaluations_fails_the_invocation(clients, clock):
    iam_stub, config_stub = clients
    iam_stub.add_response(
        "get_credential_report", report_response(report_with_root(RootUse()), NOW)
    )
    expect_no_last_evaluation(config_stub)
    config_stub.add_client_error("put_evaluations", "AccessDeniedException", http_status_code=400)
    with pytest.raises(EvaluationNotPublishedError, match="AccessDeniedException"):
        lambda_handler(periodic_event(ACCOUNT_ID, NOW), FakeLambdaContext(clock))


def test_put_evaluations_answering_failed_evaluations_fails_the_invocation(clients, clock, caplog):
    # 200, and Config recorded nothing: the invocation must fail, with one ERROR line.
    iam_stub, config_stub = clients
    iam_stub.add_response(
        "get_credential_report", report_response(report_with_root(RootUse()), NOW)
    )
    failed = {
        "ComplianceResourceType": "AWS::::Account",
        "ComplianceResourceId": ACCOUNT_ID,
        "ComplianceType": "COMPLIANT",
        "OrderingTimestamp": NOW,
    }
    expect_no_last_evaluation(config_stub)
    config_stub.add_response("put_evaluations", {"FailedEvaluations": [failed]})
    with pytest.raises(EvaluationNotPublishedError, match="FailedEvaluations"):
        lambda_handler(periodic_event(ACCOUNT_ID, NOW), FakeLambdaContext(clock))
    [error] = [r for r in caplog.records if r.levelname == "ERROR"]
    assert error.fields["error_code"] == "FailedEvaluations"


def test_malformed_event_fails_the_invocation(clients, clock):
    event = periodic_event(ACCOUNT_ID, NOW)
    invoking = json.loads(event["invokingEvent"])
    invoking["notificationCreationTime"] = "not a time"
    event["invokingEvent"] = json.dumps(invoking)
    with pytest.raises(Exception, match="notificationCreationTime"):
        lambda_handler(event, FakeLambdaContext(clock))
