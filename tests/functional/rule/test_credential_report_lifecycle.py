"""The GetCredentialReport / GenerateCredentialReport lifecycle, call by call.

Every IAM call goes through a real boto3 client and botocore's Stubber, which
checks each request and response against IAM's API model.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from root_account_usage.core.exceptions import ReportUnavailableError
from root_account_usage.rule.budget import Backoff, Budget
from root_account_usage.rule.credential_report import CredentialReportFetcher
from root_account_usage.simulation.credential_report import RootUse
from tests.doubles import FakeClock, report_response, stubbed
from tests.reports import NOW, report_with_root

CONTENT = report_with_root(RootUse())
OLD_CONTENT = report_with_root(RootUse.at(password=NOW - timedelta(days=1)))


@pytest.fixture
def clock():
    return FakeClock(budget_seconds=120)


@pytest.fixture
def iam():
    client, stubber = stubbed("iam")
    with stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def fetch(client, clock, backoff=None):
    fetcher = CredentialReportFetcher(
        client,
        budget=Budget(clock.time_left),
        sleep=clock.sleep,
        backoff=backoff,
        jitter=lambda a, b: b,
    )
    return fetcher.fetch(NOW)


def test_fresh_report_takes_one_call(iam, clock):
    client, stubber = iam
    stubber.add_response(
        "get_credential_report", report_response(CONTENT, NOW - timedelta(hours=3))
    )
    fetched = fetch(client, clock)
    assert fetched.content == CONTENT
    assert fetched.generated_at == NOW - timedelta(hours=3)
    assert clock.sleeps == []


@pytest.mark.parametrize("missing", ["ReportNotPresent", "ReportExpired"])
def test_missing_report_is_generated_polled_and_fetched(iam, clock, missing):
    client, stubber = iam
    stubber.add_client_error("get_credential_report", missing, http_status_code=410)
    stubber.add_response("generate_credential_report", {"State": "STARTED"}, {})
    stubber.add_response("generate_credential_report", {"State": "INPROGRESS"}, {})
    stubber.add_response("generate_credential_report", {"State": "COMPLETE"}, {})
    stubber.add_response("get_credential_report", report_response(CONTENT, NOW))
    assert fetch(client, clock).generated_at == NOW
    # Capped exponential backoff (jitter pinned to its maximum): 1 s, then 2 s.
    assert clock.sleeps == [1.0, 2.0]


def test_report_older_than_four_hours_is_regenerated(iam, clock):
    client, stubber = iam
    stubber.add_response(
        "get_credential_report", report_response(OLD_CONTENT, NOW - timedelta(hours=4))
    )
    stubber.add_response("generate_credential_report", {"State": "COMPLETE"}, {})
    stubber.add_response("get_credential_report", report_response(CONTENT, NOW))
    assert fetch(client, clock).content == CONTENT


def test_report_in_progress_is_polled(iam, clock):
    client, stubber = iam
    stubber.add_client_error("get_credential_report", "ReportInProgress", http_status_code=404)
    stubber.add_client_error("get_credential_report", "ReportInProgress", http_status_code=404)
    stubber.add_response("get_credential_report", report_response(CONTENT, NOW))
    assert fetch(client, clock).content == CONTENT
    assert len(clock.sleeps) == 2


@pytest.mark.parametrize(
    ("code", "status"),
    [("LimitExceeded", 409), ("Throttling", 400), ("ServiceFailure", 500)],
)
def test_transient_generation_errors_are_retried(iam, clock, code, status):
    client, stubber = iam
    stubber.add_client_error("get_credential_report", "ReportNotPresent", http_status_code=410)
    stubber.add_client_error("generate_credential_report", code, http_status_code=status)
    stubber.add_response("generate_credential_report", {"State": "COMPLETE"}, {})
    stubber.add_response("get_credential_report", report_response(CONTENT, NOW))
    assert fetch(client, clock).content == CONTENT


def test_access_denied_is_not_retried(iam, clock):
    client, stubber = iam
    stubber.add_client_error(
        "get_credential_report",
        "AccessDenied",
        "User: arn:aws:sts::111122223333:assumed-role/r/s is not authorized",
        http_status_code=403,
    )
    with pytest.raises(
        ReportUnavailableError, match="GetCredentialReport failed: AccessDenied"
    ) as e:
        fetch(client, clock)
    assert e.value.code == "AccessDenied"
    assert clock.sleeps == []


def test_report_never_ready_stops_within_the_time_budget(clock):
    client, stubber = stubbed("iam")
    stubber.activate()
    stubber.add_client_error("get_credential_report", "ReportNotPresent", http_status_code=410)
    for _ in range(40):
        stubber.add_response("generate_credential_report", {"State": "INPROGRESS"}, {})
    with pytest.raises(ReportUnavailableError, match="not ready") as error:
        fetch(client, clock)
    assert error.value.code == "ReportNotReady"
    assert clock.elapsed <= clock.budget_seconds
    assert max(clock.sleeps) <= Backoff().max_delay


def test_attempt_cap_bounds_polling_without_a_deadline(iam):
    client, stubber = iam
    clock = FakeClock(budget_seconds=10**9)
    stubber.add_client_error("get_credential_report", "ReportNotPresent", http_status_code=410)
    for _ in range(4):
        stubber.add_response("generate_credential_report", {"State": "INPROGRESS"}, {})
    with pytest.raises(ReportUnavailableError, match="after 3 retries"):
        fetch(client, clock, backoff=Backoff(max_attempts=3))


def test_existing_report_is_used_when_generation_is_refused(iam, clock):
    client, stubber = iam
    stubber.add_response(
        "get_credential_report", report_response(OLD_CONTENT, NOW - timedelta(hours=6))
    )
    stubber.add_client_error("generate_credential_report", "AccessDenied", http_status_code=403)
    fetched = fetch(client, clock)
    assert fetched.content == OLD_CONTENT
    assert fetched.generated_at == NOW - timedelta(hours=6)


def test_report_after_complete_is_final_even_if_old(iam, clock):
    client, stubber = iam
    old = NOW - timedelta(hours=30)
    stubber.add_response("get_credential_report", report_response(OLD_CONTENT, old))
    stubber.add_response("generate_credential_report", {"State": "COMPLETE"}, {})
    stubber.add_response("get_credential_report", report_response(OLD_CONTENT, old))
    assert fetch(client, clock).generated_at == old


def test_connection_error_is_reported_with_its_type(clock, monkeypatch):
    client, _ = stubbed("iam")

    def unreachable(**_):
        raise EndpointConnectionError(endpoint_url="https://iam.amazonaws.com/")

    monkeypatch.setattr(client, "get_credential_report", unreachable)
    with pytest.raises(ReportUnavailableError) as error:
        fetch(client, clock)
    assert error.value.code == "EndpointConnectionError"
    # botocore's own words, which name the endpoint that could not be reached.
    assert str(error.value) == (
        "IAM GetCredentialReport failed: "
        'Could not connect to the endpoint URL: "https://iam.amazonaws.com/"'
    )


def test_an_iam_error_answered_with_http_500_is_tried_again(iam, clock):
    client, stubber = iam
    stubber.add_client_error("get_credential_report", "InternalError", "busy", 500)
    stubber.add_response("get_credential_report", report_response(CONTENT, NOW))
    assert fetch(client, clock).content == CONTENT


def test_an_iam_error_answered_with_http_499_is_not(iam, clock):
    client, stubber = iam
    stubber.add_client_error("get_credential_report", "InternalError", "busy", 499)
    with pytest.raises(ReportUnavailableError, match="InternalError: busy"):
        fetch(client, clock)


def test_backoff_is_capped_and_jittered():
    policy = Backoff(base_delay=1.0, max_delay=8.0)
    assert [policy.delay(n, lambda a, b: b) for n in range(6)] == [1, 2, 4, 8, 8, 8]
    assert [policy.delay(n, lambda a, b: a) for n in range(6)] == [0.5, 1, 2, 4, 4, 4]


def flaky(client, monkeypatch, failures):
    """GetCredentialReport fails `failures` times with a dropped connection, then answers;
    returns the list of calls made."""
    calls = []

    def answer(**_):
        calls.append(len(calls))
        if len(calls) <= failures:
            raise EndpointConnectionError(endpoint_url="https://iam.amazonaws.com/")
        return report_response(CONTENT, NOW)

    monkeypatch.setattr(client, "get_credential_report", answer)
    return calls


def test_a_dropped_connection_is_tried_three_times_in_all(clock, monkeypatch):
    client, _ = stubbed("iam")
    calls = flaky(client, monkeypatch, failures=2)
    assert fetch(client, clock).content == CONTENT  # the third try answers
    assert len(calls) == 3
    calls = flaky(client, monkeypatch, failures=3)
    with pytest.raises(ReportUnavailableError) as error:
        fetch(client, clock)
    assert len(calls) == 3  # no fourth try, though it would have answered
    assert error.value.code == "EndpointConnectionError"


def test_each_answer_gives_the_next_dropped_connection_its_own_three_tries(clock, monkeypatch):
    # Two drops, "not yet", two drops, then COMPLETE: no call needed more than its three
    # tries, so the report is fetched.
    client, _ = stubbed("iam")
    script = ["drop", "drop", "INPROGRESS", "drop", "drop", "COMPLETE"]

    def get_credential_report(**_):
        if script:  # none before the generation is over
            answer = {"Error": {"Code": "ReportNotPresent"}, "ResponseMetadata": {}}
            raise ClientError(answer, "GetCredentialReport")
        return report_response(CONTENT, NOW)

    def generate_credential_report(**_):
        step = script.pop(0)
        if step == "drop":
            raise EndpointConnectionError(endpoint_url="https://iam.amazonaws.com/")
        return {"State": step}

    monkeypatch.setattr(client, "get_credential_report", get_credential_report)
    monkeypatch.setattr(client, "generate_credential_report", generate_credential_report)
    assert fetch(client, clock).content == CONTENT
    assert script == []
