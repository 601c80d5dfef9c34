"""CloudTrail LookupEvents through Stubber (checked against CloudTrail's real API model),
and the rule with CloudTrailEvidence on."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from ROOT_ACCOUNT_USAGE import lambda_handler
from root_account_usage.rule.clients import BoundedClientFactory
from root_account_usage.rule.cloudtrail import (
    MAX_PAGES_PER_REGION,
    PAUSE_BETWEEN_CALLS,
    CloudTrailUnavailableError,
    lookup_root_activity,
)
from root_account_usage.simulation.credential_report import RootUse
from root_account_usage.simulation.events import periodic_event
from tests.doubles import FakeClock, FakeLambdaContext, report_response, stubbed
from tests.reports import ACCOUNT_ID, NOW, report_with_root

START = NOW - timedelta(days=7)


def event(name="ConsoleLogin", when="2026-11-26T10:00:00Z", region="us-east-1", **identity):
    detail = {
        "eventTime": when,
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": "203.0.113.7",
        "eventType": "AwsConsoleSignIn" if name == "ConsoleLogin" else "AwsApiCall",
        "userIdentity": {"type": "Root", **identity},
        "additionalEventData": {"MFAUsed": "Yes"},
    }
    return {
        "EventId": f"id-{name}-{when}",
        "EventName": name,
        "Username": "root",
        "CloudTrailEvent": json.dumps(detail),
    }


def request(token=None):
    expected = {
        "LookupAttributes": [{"AttributeKey": "Username", "AttributeValue": "root"}],
        "StartTime": START,
        "EndTime": NOW,
        "MaxResults": 50,
    }
    return expected | ({"NextToken": token} if token else {})


@pytest.fixture
def regions():
    clients = {}
    stubs = {}
    for region in ("us-east-1", "eu-west-1"):
        clients[region], stubs[region] = stubbed("cloudtrail")
        stubs[region].activate()
    yield clients, stubs
    for stub in stubs.values():
        stub.assert_no_pending_responses()


def lookup(clients, clock):
    return lookup_root_activity(
        clients.__getitem__,
        ("us-east-1", "eu-west-1"),
        start=START,
        end=NOW,
        time_left=clock.time_left,
        sleep=clock.sleep,
    )


def test_root_activity_is_found_in_either_region(regions):
    clients, stubs = regions
    stubs["us-east-1"].add_response("lookup_events", {"Events": [event()]}, request())
    stubs["eu-west-1"].add_response(
        "lookup_events",
        {"Events": [event("StopLogging", "2026-11-27T09:00:00Z", "eu-west-1")]},
        request(),
    )
    found = lookup(clients, FakeClock())
    assert [(a.event_name, a.lookup_region) for a in found] == [
        ("ConsoleLogin", "us-east-1"),
        ("StopLogging", "eu-west-1"),
    ]


def test_service_events_are_skipped_across_pages_with_the_rate_limit_kept(regions):
    clients, stubs = regions
    service = event("AssumeRole", invokedBy="config.amazonaws.com")
    stubs["us-east-1"].add_response(
        "lookup_events", {"Events": [service], "NextToken": "t2"}, request()
    )
    stubs["us-east-1"].add_response("lookup_events", {"Events": [event()]}, request("t2"))
    stubs["eu-west-1"].add_response("lookup_events", {"Events": []}, request())
    clock = FakeClock()
    [found] = lookup(clients, clock)
    assert found.event_name == "ConsoleLogin"
    assert clock.sleeps == [PAUSE_BETWEEN_CALLS]  # no more than 2 requests a second


def test_throttling_is_retried(regions):
    clients, stubs = regions
    stubs["us-east-1"].add_client_error(
        "lookup_events", "ThrottlingException", http_status_code=400
    )
    stubs["us-east-1"].add_response("lookup_events", {"Events": [event()]}, request())
    stubs["eu-west-1"].add_response("lookup_events", {"Events": []}, request())
    assert len(lookup(clients, FakeClock())) == 1


def test_a_record_of_odd_shape_is_skipped_with_a_warning_and_the_lookup_goes_on(regions, caplog):
    clients, stubs = regions
    odd = event() | {"EventId": "odd-1", "CloudTrailEvent": "{not json"}
    stubs["us-east-1"].add_response("lookup_events", {"Events": [odd, event()]}, request())
    stubs["eu-west-1"].add_response("lookup_events", {"Events": []}, request())
    [found] = lookup(clients, FakeClock())
    assert found.event_name == "ConsoleLogin"
    [warning] = [r for r in caplog.records if r.levelname == "WARNING"]
    assert warning.getMessage() == "CloudTrail record skipped"
    assert warning.fields["event_id"] == "odd-1"


def test_no_call_starts_that_might_outlast_the_budget(regions):
    # 12 s left is less than one LookupEvents call may take (13 s): not started.
    clients, _ = regions
    with pytest.raises(CloudTrailUnavailableError, match="time budget"):
        lookup(clients, FakeClock(budget_seconds=12))


def test_page_limit_bounds_the_lookup(regions):
    clients, stubs = regions
    service = event("Decrypt", invokedBy="kms.amazonaws.com")
    for page in range(MAX_PAGES_PER_REGION):
        token = f"t{page}" if page else None
        stubs["us-east-1"].add_response(
            "lookup_events", {"Events": [service], "NextToken": f"t{page + 1}"}, request(token)
        )
    stubs["eu-west-1"].add_response("lookup_events", {"Events": []}, request())
    assert lookup(clients, FakeClock()) == []


def test_failure_or_no_time_left_is_its_own_error(regions):
    clients, stubs = regions
    stubs["us-east-1"].add_client_error(
        "lookup_events", "AccessDeniedException", http_status_code=400
    )
    with pytest.raises(CloudTrailUnavailableError, match="AccessDeniedException"):
        lookup(clients, FakeClock())
    with pytest.raises(CloudTrailUnavailableError, match="time budget"):
        lookup(clients, FakeClock(budget_seconds=0))


@pytest.fixture
def rule_clients(monkeypatch):
    iam, iam_stub = stubbed("iam")
    config, config_stub = stubbed("config")
    trails = {region: stubbed("cloudtrail") for region in ("us-east-1", "eu-west-1")}

    def build(self, service, region=None, *args, **kwargs):
        if service == "cloudtrail":
            return trails[region][0]
        return {"iam": iam, "config": config}[service]

    monkeypatch.setattr(BoundedClientFactory, "build_client", build)
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    for stub in (iam_stub, config_stub, *(s for _, s in trails.values())):
        stub.activate()
    config_stub.add_response("put_evaluations", {"FailedEvaluations": []})
    return iam_stub, {region: stub for region, (_, stub) in trails.items()}


def run_rule(iam_stub, use=None):
    content = report_with_root(use or RootUse())
    iam_stub.add_response("get_credential_report", report_response(content, NOW))
    event = periodic_event(
        ACCOUNT_ID, NOW, {"CloudTrailEvidence": "true", "AssumeRoleMode": "false"}
    )
    [evaluation] = lambda_handler(event, FakeLambdaContext(FakeClock()))
    return evaluation


def test_rule_turns_non_compliant_on_a_sign_in_the_report_does_not_show_yet(rule_clients):
    iam_stub, trails = rule_clients
    trails["us-east-1"].add_response(
        "lookup_events", {"Events": [event()]}, request() | {"StartTime": START}
    )
    trails["eu-west-1"].add_response("lookup_events", {"Events": []}, request())
    evaluation = run_rule(iam_stub)
    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert evaluation["Annotation"].startswith(
        "Root console sign-in from 203.0.113.7 with MFA at 2026-11-26T10:00:00Z "
        "(CloudTrail us-east-1)"
    )


def test_rule_falls_back_to_the_report_when_cloudtrail_fails(rule_clients, caplog):
    iam_stub, trails = rule_clients
    trails["us-east-1"].add_client_error(
        "lookup_events", "AccessDeniedException", http_status_code=400
    )
    evaluation = run_rule(iam_stub)
    assert evaluation["ComplianceType"] == "COMPLIANT"
    assert evaluation["Annotation"].endswith("CloudTrail unavailable.")
    warnings = [r for r in caplog.records if r.levelname == "WARNING"]
    assert [w.fields["error_code"] for w in warnings] == ["CloudTrailUnavailable"]


def test_rule_without_the_option_never_calls_cloudtrail(rule_clients):
    iam_stub, _ = rule_clients
    iam_stub.add_response(
        "get_credential_report", report_response(report_with_root(RootUse()), NOW)
    )
    event = periodic_event(ACCOUNT_ID, NOW, {"AssumeRoleMode": "false"})
    [evaluation] = lambda_handler(event, FakeLambdaContext(FakeClock()))
    assert "CloudTrail" not in evaluation["Annotation"]  # an unstubbed call would have failed


def test_bad_cloudtrail_switch_fails_closed_naming_it(rule_clients):
    event = periodic_event(ACCOUNT_ID, NOW, {"CloudTrailEvidence": "yes"})
    [evaluation] = lambda_handler(event, FakeLambdaContext(FakeClock()))
    assert evaluation["Annotation"].startswith(
        'Unable to evaluate: CloudTrailEvidence must be "true"'
    )
