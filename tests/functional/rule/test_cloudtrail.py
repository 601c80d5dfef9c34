"""CloudTrail LookupEvents through Stubber (checked against CloudTrail's real API model),
and the rule with CloudTrailEvidence on."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from ROOT_ACCOUNT_USAGE import lambda_handler
from root_account_usage.core import annotation as text
from root_account_usage.rule.budget import CONFIG_LIMITS, Budget, limits_for
from root_account_usage.rule.clients import BoundedClientFactory
from root_account_usage.rule.cloudtrail import (
    MAX_PAGES_PER_REGION,
    PAUSE_BETWEEN_CALLS,
    THROTTLE_BACKOFF,
    enabled_regions,
    lookup_root_activity,
)
from root_account_usage.simulation.credential_report import RootUse
from root_account_usage.simulation.events import periodic_event
from tests.cfn import load_template
from tests.doubles import (
    FakeClock,
    FakeLambdaContext,
    expect_no_last_evaluation,
    report_response,
    stubbed,
)
from tests.reports import ACCOUNT_ID, NOW, read_report_only, report_with_root

START = NOW - timedelta(days=7)
STATUSES = ["ENABLED", "ENABLED_BY_DEFAULT"]  # account:ListRegions: the enabled regions


def event(name="ConsoleLogin", when="2026-11-26T10:00:00Z", region="us-east-1", **identity):
    detail = {
        "eventTime": when,
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": "203.0.113.7",
        "eventType": "AwsConsoleSignIn" if name == "ConsoleLogin" else "AwsApiCall",
        "userIdentity": {"type": "Root", "accountId": ACCOUNT_ID, **identity},
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
        budget=Budget(clock.time_left),
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
    search = lookup(clients, FakeClock())
    assert not search.incomplete
    assert [(a.event_name, a.lookup_region) for a in search.found] == [
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
    [found] = lookup(clients, clock).found
    assert found.event_name == "ConsoleLogin"
    assert clock.sleeps == [PAUSE_BETWEEN_CALLS]  # no more than 2 requests a second


def test_throttling_is_retried(regions):
    clients, stubs = regions
    stubs["us-east-1"].add_client_error(
        "lookup_events", "ThrottlingException", http_status_code=400
    )
    stubs["us-east-1"].add_response("lookup_events", {"Events": [event()]}, request())
    stubs["eu-west-1"].add_response("lookup_events", {"Events": []}, request())
    search = lookup(clients, FakeClock())
    assert (len(search.found), search.incomplete) == (1, {})


def test_a_record_of_odd_shape_is_skipped_and_leaves_its_region_incomplete(regions, caplog):
    clients, stubs = regions
    odd = event() | {"EventId": "odd-1", "CloudTrailEvent": "{not json"}
    stubs["us-east-1"].add_response("lookup_events", {"Events": [odd, event()]}, request())
    stubs["eu-west-1"].add_response("lookup_events", {"Events": []}, request())
    search = lookup(clients, FakeClock())
    [found] = search.found
    assert found.event_name == "ConsoleLogin"
    # The lookup named it root's: it may be the use that matters, so never a clean region.
    assert search.incomplete == {"us-east-1": "1 unreadable record(s) in us-east-1"}
    [skipped, _] = [r for r in caplog.records if r.levelname == "WARNING"]
    assert skipped.getMessage() == "CloudTrail record skipped"
    assert skipped.fields["event_id"] == "odd-1"


def test_no_call_starts_that_might_outlast_the_budget(regions):
    # 12 s left is less than one LookupEvents call may take (13 s): not started.
    clients, _ = regions
    search = lookup(clients, FakeClock(budget_seconds=12))
    assert search.unavailable
    assert search.incomplete == {
        "us-east-1": "time budget exhausted in us-east-1",
        "eu-west-1": "time budget exhausted in eu-west-1",
    }


def test_the_page_limit_leaves_the_search_incomplete_never_clean(regions, caplog):
    # An IAM user named root fills the pages (LookupEvents filters on Username alone):
    # stopping there is reported as a search that did not finish, not as "nothing found".
    clients, stubs = regions
    named_root = event("ListBuckets", type="IAMUser", userName="root")
    for page in range(MAX_PAGES_PER_REGION):
        token = f"t{page}" if page else None
        stubs["us-east-1"].add_response(
            "lookup_events",
            {"Events": [named_root] * 50, "NextToken": f"t{page + 1}"},
            request(token),
        )
    stubs["eu-west-1"].add_response("lookup_events", {"Events": []}, request())
    search = lookup(clients, FakeClock())
    assert search.found == []
    assert search.incomplete == {
        "us-east-1": f"stopped at the page limit ({MAX_PAGES_PER_REGION} pages) in us-east-1"
    }
    assert not search.unavailable  # pages were read: incomplete, not unavailable
    [warning] = [r for r in caplog.records if r.levelname == "WARNING"]
    assert warning.fields["pages"] == MAX_PAGES_PER_REGION


@pytest.mark.parametrize("failure", ["ThrottlingException", "AccessDeniedException"])
def test_a_region_that_fails_keeps_what_another_region_found(regions, failure):
    clients, stubs = regions
    stubs["us-east-1"].add_response("lookup_events", {"Events": [event()]}, request())
    # Throttled past its retries (a first try and 3 more), or denied at once.
    tries = THROTTLE_BACKOFF.max_attempts + 1 if failure == "ThrottlingException" else 1
    for _ in range(tries):
        stubs["eu-west-1"].add_client_error("lookup_events", failure, http_status_code=400)
    search = lookup(clients, FakeClock())
    assert [a.event_name for a in search.found] == ["ConsoleLogin"]
    assert search.incomplete == {"eu-west-1": f"LookupEvents in eu-west-1: {failure}"}


def test_a_failure_after_a_page_keeps_what_that_page_showed(regions):
    clients, stubs = regions
    failed = event() | {"EventId": "failed-1"}
    failed["CloudTrailEvent"] = failed["CloudTrailEvent"].replace(
        '"eventTime"', '"responseElements": {"ConsoleLogin": "Failure"}, "eventTime"'
    )
    stubs["us-east-1"].add_response(
        "lookup_events", {"Events": [failed], "NextToken": "t2"}, request()
    )
    stubs["us-east-1"].add_client_error(
        "lookup_events", "AccessDeniedException", http_status_code=400
    )
    stubs["eu-west-1"].add_response("lookup_events", {"Events": []}, request())
    search = lookup(clients, FakeClock())
    assert [(a.event_name, a.attempt) for a in search.found] == [("ConsoleLogin", True)]
    assert set(search.incomplete) == {"us-east-1"}


def test_failure_or_no_time_left_leaves_the_region_unsearched(regions):
    clients, stubs = regions
    stubs["us-east-1"].add_client_error(
        "lookup_events", "AccessDeniedException", http_status_code=400
    )
    stubs["eu-west-1"].add_client_error(
        "lookup_events", "AccessDeniedException", http_status_code=400
    )
    search = lookup(clients, FakeClock())
    assert search.unavailable
    assert search.incomplete["us-east-1"] == "LookupEvents in us-east-1: AccessDeniedException"
    assert lookup(clients, FakeClock(budget_seconds=0)).unavailable


def test_a_region_without_a_client_is_unsearched_and_the_others_still_are(regions):
    clients, stubs = regions
    stubs["eu-west-1"].add_response("lookup_events", {"Events": [event()]}, request())

    def build(region):
        if region == "us-east-1":
            raise RuntimeError("no endpoint")
        return clients[region]

    search = lookup_root_activity(
        build,
        ("us-east-1", "eu-west-1"),
        start=START,
        end=NOW,
        budget=Budget(FakeClock().time_left),
    )
    assert [a.lookup_region for a in search.found] == ["eu-west-1"]
    assert search.incomplete == {"us-east-1": "LookupEvents in us-east-1: RuntimeError"}


def stub_rule(monkeypatch, regions=("us-east-1", "eu-west-1")):
    """The rule's clients as Stubbers: IAM, Config (no last evaluation, a PutEvaluations),
    account:ListRegions answering `regions`, and CloudTrail in each of them."""
    iam, iam_stub = stubbed("iam")
    config, config_stub = stubbed("config")
    account, account_stub = stubbed("account")
    trails = {region: stubbed("cloudtrail") for region in regions}

    def build(self, service, region=None, *args, **kwargs):
        if service == "cloudtrail":
            return trails[region][0]
        return {"iam": iam, "config": config, "account": account}[service]

    monkeypatch.setattr(BoundedClientFactory, "build_client", build)
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    for stub in (iam_stub, config_stub, account_stub, *(s for _, s in trails.values())):
        stub.activate()
    expect_no_last_evaluation(config_stub)
    listed = {"Regions": [{"RegionName": r, "RegionOptStatus": "ENABLED"} for r in regions]}
    account_stub.add_response("list_regions", listed, {"RegionOptStatusContains": STATUSES})
    config_stub.add_response("put_evaluations", {"FailedEvaluations": []})
    return iam_stub, {region: stub for region, (_, stub) in trails.items()}


@pytest.fixture
def rule_clients(monkeypatch):
    return stub_rule(monkeypatch)


def run_rule(iam_stub, use=None, **parameters):
    content = report_with_root(use or RootUse())
    iam_stub.add_response("get_credential_report", report_response(content, NOW))
    parameters = {"CloudTrailEvidence": "true", "AssumeRoleMode": "false", **parameters}
    event = periodic_event(ACCOUNT_ID, NOW, parameters)
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
    for region in ("us-east-1", "eu-west-1"):
        trails[region].add_client_error(
            "lookup_events", "AccessDeniedException", http_status_code=400
        )
    evaluation = run_rule(iam_stub)
    assert evaluation["ComplianceType"] == "COMPLIANT"
    assert evaluation["Annotation"].endswith("CloudTrail unavailable.")
    warnings = [r for r in caplog.records if r.levelname == "WARNING"]
    assert [w.fields["error_code"] for w in warnings] == ["CloudTrailUnavailable"] * 2


@pytest.mark.parametrize("failure", ["ThrottlingException", "AccessDeniedException"])
def test_a_sign_in_found_in_us_east_1_counts_when_the_home_region_fails(rule_clients, failure):
    iam_stub, trails = rule_clients
    trails["us-east-1"].add_response("lookup_events", {"Events": [event()]}, request())
    tries = THROTTLE_BACKOFF.max_attempts + 1 if failure == "ThrottlingException" else 1
    for _ in range(tries):
        trails["eu-west-1"].add_client_error("lookup_events", failure, http_status_code=400)
    evaluation = run_rule(iam_stub, RootUse.at(password=NOW - timedelta(days=100)))
    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert evaluation["Annotation"].startswith(
        "Root console sign-in from 203.0.113.7 with MFA at 2026-11-26T10:00:00Z "
        "(CloudTrail us-east-1), within the 7-day threshold"
    )
    assert evaluation["Annotation"].endswith(" CloudTrail search incomplete in eu-west-1.")


def test_a_search_stopped_at_the_page_limit_is_never_called_clean(rule_clients):
    iam_stub, trails = rule_clients
    named_root = event("ListBuckets", type="IAMUser", userName="root")
    for page in range(MAX_PAGES_PER_REGION):
        trails["us-east-1"].add_response(
            "lookup_events",
            {"Events": [named_root] * 50, "NextToken": f"t{page + 1}"},
            request(f"t{page}" if page else None),
        )
    trails["eu-west-1"].add_response("lookup_events", {"Events": []}, request())
    evaluation = run_rule(iam_stub, RootUse.at(password=NOW - timedelta(days=100)))
    assert evaluation["ComplianceType"] == "COMPLIANT"  # the report decides; CloudTrail
    assert "No root activity in CloudTrail" not in evaluation["Annotation"]  # proves nothing
    assert evaluation["Annotation"].endswith(" CloudTrail search incomplete in us-east-1.")


def test_cloudtrail_evidence_off_never_calls_cloudtrail_and_says_report_only(rule_clients):
    iam_stub, _ = rule_clients
    iam_stub.add_response(
        "get_credential_report", report_response(report_with_root(RootUse()), NOW)
    )
    parameters = {"AssumeRoleMode": "false", "CloudTrailEvidence": "false"}
    event = periodic_event(ACCOUNT_ID, NOW, parameters)
    [evaluation] = lambda_handler(event, FakeLambdaContext(FakeClock()))
    # An unstubbed call would have failed; the annotation says what was read.
    assert evaluation["Annotation"].endswith(text.REPORT_ONLY)
    assert read_report_only(evaluation["Annotation"])


def test_default_deployment_catches_a_root_key_used_then_deleted(rule_clients):
    # The report shows no key (deleted: N/A) and no use; CloudTrail shows root creating,
    # using and deleting it yesterday. template.yaml's defaults, as its rule passes them.
    iam_stub, trails = rule_clients
    defaults = {
        name: spec["Default"]
        for name, spec in load_template("template.yaml")["Parameters"].items()
        if name in ("ThresholdDays", "CloudTrailEvidence")
    }
    deleted = event("DeleteAccessKey", "2026-11-26T10:05:00Z", "eu-west-1", accessKeyId="AKIA1")
    trails["us-east-1"].add_response("lookup_events", {"Events": []}, request())
    trails["eu-west-1"].add_response(
        "lookup_events", {"Events": [deleted]}, request() | {"StartTime": START}
    )
    iam_stub.add_response(
        "get_credential_report", report_response(report_with_root(RootUse()), NOW)
    )
    event_ = periodic_event(ACCOUNT_ID, NOW, {"AssumeRoleMode": "false", **defaults})
    [evaluation] = lambda_handler(event_, FakeLambdaContext(FakeClock()))
    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert evaluation["Annotation"].startswith("Root API call DeleteAccessKey in eu-west-1 at")


def test_bad_cloudtrail_switch_fails_closed_naming_it(rule_clients):
    event = periodic_event(ACCOUNT_ID, NOW, {"CloudTrailEvidence": "yes"})
    [evaluation] = lambda_handler(event, FakeLambdaContext(FakeClock()))
    assert evaluation["Annotation"].startswith(
        'Unable to evaluate: CloudTrailEvidence must be "true"'
    )


def failed_sign_in(when="2026-11-27T09:00:00Z"):
    """A root console sign-in with a wrong password, as CloudTrail records it."""
    record = event(when=when) | {"EventId": f"failed-{when}"}
    detail = json.loads(record["CloudTrailEvent"])
    detail |= {
        "eventSource": "signin.amazonaws.com",
        "sourceIPAddress": "198.51.100.66",
        "errorMessage": "Failed authentication",
        "responseElements": {"ConsoleLogin": "Failure"},
        "additionalEventData": {"MFAUsed": "No"},
    }
    return record | {"CloudTrailEvent": json.dumps(detail)}


def test_a_failed_root_sign_in_is_named_but_never_non_compliant(rule_clients):
    iam_stub, trails = rule_clients
    trails["us-east-1"].add_response("lookup_events", {"Events": [failed_sign_in()]}, request())
    trails["eu-west-1"].add_response("lookup_events", {"Events": []}, request())
    evaluation = run_rule(iam_stub)
    assert evaluation["ComplianceType"] == "COMPLIANT"
    assert evaluation["Annotation"].endswith(
        # The clean sentence names its scope, so the attempt is named without its address.
        " Failed root sign-in attempt at 2026-11-27T09:00:00Z "
        "(CloudTrail us-east-1). No root use in CloudTrail (2 regions, last 7 days)."
    )


def test_a_newer_failed_sign_in_never_hides_an_older_use(regions):
    clients, stubs = regions
    stubs["us-east-1"].add_response(
        "lookup_events", {"Events": [failed_sign_in()], "NextToken": "t2"}, request()
    )
    stubs["us-east-1"].add_response("lookup_events", {"Events": [event()]}, request("t2"))
    stubs["eu-west-1"].add_response("lookup_events", {"Events": []}, request())
    search = lookup(clients, FakeClock())
    assert [(a.event_name, a.attempt) for a in search.found] == [
        ("ConsoleLogin", False),
        ("ConsoleLogin", True),
    ]


def test_of_several_failed_sign_ins_the_newest_is_named(regions):
    # Events come newest first: the first attempt read is the one to name.
    clients, stubs = regions
    newest, older = failed_sign_in("2026-11-27T09:00:00Z"), failed_sign_in("2026-11-26T08:00:00Z")
    stubs["us-east-1"].add_response("lookup_events", {"Events": [newest, older]}, request())
    stubs["eu-west-1"].add_response("lookup_events", {"Events": []}, request())
    [attempt] = lookup(clients, FakeClock()).found
    assert (attempt.attempt, attempt.time.isoformat()) == (True, "2026-11-27T09:00:00+00:00")


def run_with_us_east_1(iam_stub, trails, *records, use=None):
    trails["us-east-1"].add_response("lookup_events", {"Events": list(records)}, request())
    trails["eu-west-1"].add_response("lookup_events", {"Events": []}, request())
    return run_rule(iam_stub, use)


def test_root_creating_its_access_key_in_the_console_is_root_use(rule_clients):
    # invokedBy signin.amazonaws.com is the console itself, not a service for root.
    iam_stub, trails = rule_clients
    created = event("CreateAccessKey", invokedBy="signin.amazonaws.com")
    evaluation = run_with_us_east_1(iam_stub, trails, created)
    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert evaluation["Annotation"].startswith(
        "Root access key creation in us-east-1 at 2026-11-26T10:00:00Z (CloudTrail us-east-1)"
    )


@pytest.mark.parametrize("invoker", ["AWS Internal", "config.amazonaws.com"])
def test_a_service_acting_for_root_is_not_root_use(rule_clients, invoker):
    iam_stub, trails = rule_clients
    evaluation = run_with_us_east_1(iam_stub, trails, event("AssumeRole", invokedBy=invoker))
    assert evaluation["ComplianceType"] == "COMPLIANT"
    assert evaluation["Annotation"].endswith(
        " No root activity in CloudTrail (2 regions, last 7 days)."
    )


@pytest.mark.parametrize("flag", ["YES", "yes", " Yes"])
def test_the_mfa_flag_is_read_whatever_its_case(rule_clients, flag):
    iam_stub, trails = rule_clients
    detail = json.loads(event()["CloudTrailEvent"]) | {"additionalEventData": {"MFAUsed": flag}}
    record = event() | {"CloudTrailEvent": json.dumps(detail)}
    evaluation = run_with_us_east_1(iam_stub, trails, record)
    assert "sign-in from 203.0.113.7 with MFA at" in evaluation["Annotation"]


def test_a_failed_password_change_is_root_use_made_signed_in(rule_clients):
    iam_stub, trails = rule_clients
    detail = json.loads(event("PasswordUpdated")["CloudTrailEvent"]) | {
        "eventType": "AwsConsoleSignIn",
        "responseElements": {"PasswordUpdated": "Failure"},
    }
    record = event("PasswordUpdated") | {"CloudTrailEvent": json.dumps(detail)}
    evaluation = run_with_us_east_1(iam_stub, trails, record)
    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert evaluation["Annotation"].startswith("Root console password change in us-east-1 at")


def with_recipient(record, account):
    detail = json.loads(record["CloudTrailEvent"]) | {"recipientAccountId": account}
    return record | {"CloudTrailEvent": json.dumps(detail)}


@pytest.mark.parametrize(
    "record",
    [
        event(accountId="999999999999"),
        # Another account's root acting on this account's resources (CloudTrail user
        # guide, "CloudTrail userIdentity element": cross-account calls).
        with_recipient(event(accountId="999999999999"), ACCOUNT_ID),
        with_recipient(event(), "999999999999"),
    ],
    ids=["another root", "another root, here", "this root, elsewhere"],
)
def test_another_accounts_root_record_does_not_decide_this_account(rule_clients, record):
    iam_stub, trails = rule_clients
    evaluation = run_with_us_east_1(iam_stub, trails, record)
    assert evaluation["ComplianceType"] == "COMPLIANT"
    # Read, and not this account's: the search is whole, not "incomplete".
    assert " No root activity in CloudTrail (2 regions, last 7 days)." in evaluation["Annotation"]


@pytest.mark.parametrize(
    "record",
    [
        event(accountId=None),  # a root record that names no account
        {
            "EventId": "dup",
            "CloudTrailEvent": event()["CloudTrailEvent"][:-1]
            + ', "eventTime": "2020-01-01T00:00:00Z"}',
        },
        event()
        | {"CloudTrailEvent": event()["CloudTrailEvent"].replace("2026-11-26T10:00:00Z", "soon")},
    ],
    ids=["no account", "a key twice", "no time"],
)
def test_a_root_record_that_cannot_be_read_leaves_the_search_incomplete(rule_clients, record):
    iam_stub, trails = rule_clients
    evaluation = run_with_us_east_1(iam_stub, trails, record)
    assert evaluation["ComplianceType"] == "COMPLIANT"
    assert evaluation["Annotation"].endswith(" CloudTrail search incomplete in us-east-1.")


def test_nothing_is_looked_up_once_the_evaluation_has_failed_closed(rule_clients, caplog):
    # The report is another account's: the verdict is fixed, and no LookupEvents is made
    # (the stubs hold no answer: a call would be logged as an incomplete search).
    iam_stub, _ = rule_clients
    content = report_with_root(RootUse(), account_id="999999999999")
    iam_stub.add_response("get_credential_report", report_response(content, NOW))
    event = periodic_event(
        ACCOUNT_ID, NOW, {"CloudTrailEvidence": "true", "AssumeRoleMode": "false"}
    )
    [evaluation] = lambda_handler(event, FakeLambdaContext(FakeClock()))
    assert evaluation["Annotation"].endswith("[AccountMismatch]")
    assert not [r for r in caplog.records if r.name.endswith("cloudtrail")]


def test_every_enabled_region_is_searched_and_the_clean_sentence_names_its_scope(monkeypatch):
    # A root call in ap-south-1 (neither us-east-1 nor the home region) counts; with a
    # 365-day threshold CloudTrail's 90 days are searched, and said to be all it keeps.
    iam_stub, trails = stub_rule(monkeypatch, ("us-east-1", "eu-west-1", "ap-south-1"))
    window = request() | {"StartTime": NOW - timedelta(days=90)}
    for region in ("us-east-1", "eu-west-1"):
        trails[region].add_response("lookup_events", {"Events": []}, window)
    trails["ap-south-1"].add_response(
        "lookup_events", {"Events": [event("RunInstances", region="ap-south-1")]}, window
    )
    evaluation = run_rule(iam_stub, ThresholdDays="365")
    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert "(CloudTrail ap-south-1), within the 365-day threshold" in evaluation["Annotation"]


def test_a_clean_search_longer_than_cloudtrail_keeps_says_so(monkeypatch):
    iam_stub, trails = stub_rule(monkeypatch)
    window = request() | {"StartTime": NOW - timedelta(days=90)}
    for region in ("us-east-1", "eu-west-1"):
        trails[region].add_response("lookup_events", {"Events": []}, window)
    evaluation = run_rule(iam_stub, ThresholdDays="365")
    assert evaluation["Annotation"].endswith(
        " No root activity in CloudTrail (2 regions, last 90 days: all it keeps)."
    )


def test_regions_not_listed_fall_back_to_every_region_of_the_partition(caplog):
    account, account_stub = stubbed("account")
    account_stub.add_client_error("list_regions", "AccessDeniedException", http_status_code=403)
    with account_stub:
        regions = enabled_regions(lambda: account, "eu-west-1", Budget(FakeClock().time_left))
    assert regions[:2] == ["us-east-1", "eu-west-1"]  # the sign-in region, then home
    assert {"ap-south-1", "sa-east-1", "eu-central-1"} <= set(regions)
    assert not any(r.startswith(("cn-", "us-gov-")) for r in regions)  # this partition's
    [warning] = [r for r in caplog.records if r.levelname == "WARNING"]
    assert warning.fields["error_code"] == "AccessDeniedException"


def test_only_region_names_listed_are_searched():
    # RegionName is any 1 to 50 characters to the Account API's model: one that is not a region name
    # never becomes an endpoint to call.
    account, account_stub = stubbed("account")
    listed = ["eu-central-1", "EU-WEST-3", "evil.example.com/x", "ap-south-1"]
    account_stub.add_response("list_regions", {"Regions": [{"RegionName": r} for r in listed]})
    with account_stub:
        regions = enabled_regions(lambda: account, "eu-west-1", Budget(FakeClock().time_left))
    assert regions == ["us-east-1", "eu-west-1", "eu-central-1", "ap-south-1"]


def test_regions_listed_without_end_fall_back_to_the_partition_in_time(caplog):
    """account:ListRegions giving a new token with every slow page (no cycle for the cycle
    check): its pages stop while a call still fits, not after 1,000 pages."""
    account, account_stub = stubbed("account")
    clock = FakeClock(budget_seconds=60)
    account.meta.events.register("before-call.*.*", lambda **_: clock.sleep(0.5))
    for n in range(1_000):
        page = {"Regions": [{"RegionName": "eu-west-1"}], "NextToken": f"t{n + 1}"}
        account_stub.add_response("list_regions", page)
    with account_stub:
        regions = enabled_regions(lambda: account, "eu-west-1", Budget(clock.time_left))
    assert {"ap-south-1", "sa-east-1", "eu-central-1"} <= set(regions)  # the partition's
    worst_case = limits_for("account").worst_case_seconds
    assert worst_case - 0.5 <= clock.time_left() < worst_case  # the last page fitted
    [warning] = [r for r in caplog.records if r.levelname == "WARNING"]
    assert warning.fields["error_code"] == "OutOfTime"


def test_the_rule_publishes_in_time_when_regions_are_listed_without_end(monkeypatch):
    """The same endless ListRegions under the handler: it once paged to t=299.5 s of a
    300 s Lambda and its PutEvaluations timed out; now the verdict is published in time."""
    clock = FakeClock(budget_seconds=300)  # template.yaml: Timeout 300
    monkeypatch.setattr("time.sleep", clock.sleep)
    iam, iam_stub = stubbed("iam")
    config, config_stub = stubbed("config")
    account, account_stub = stubbed("account")
    trail, trail_stub = stubbed("cloudtrail")  # no time is left for it: never called
    clients = {"iam": iam, "config": config, "account": account, "cloudtrail": trail}
    monkeypatch.setattr(BoundedClientFactory, "build_client", lambda _, s, *a, **k: clients[s])
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    account.meta.events.register("before-call.*.*", lambda **_: clock.sleep(0.5))
    for stub in (iam_stub, config_stub, account_stub, trail_stub):
        stub.activate()
    expect_no_last_evaluation(config_stub)
    iam_stub.add_response(
        "get_credential_report", report_response(report_with_root(RootUse()), NOW)
    )
    for n in range(1_000):
        page = {"Regions": [{"RegionName": "eu-west-1"}], "NextToken": f"t{n + 1}"}
        account_stub.add_response("list_regions", page)
    config_stub.add_response("put_evaluations", {"FailedEvaluations": []})
    event = periodic_event(ACCOUNT_ID, NOW, {"CloudTrailEvidence": "true"})
    [evaluation] = lambda_handler(event, FakeLambdaContext(clock))
    config_stub.assert_no_pending_responses()  # published
    assert clock.time_left() > CONFIG_LIMITS.worst_case_seconds  # with its reserve kept
    assert evaluation["ComplianceType"] == "COMPLIANT"  # the report decides, and says
    assert evaluation["Annotation"].endswith(" CloudTrail unavailable.")  # what it lacked
