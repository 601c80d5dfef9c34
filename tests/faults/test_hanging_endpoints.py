"""Endpoints that accept the connection and never answer, in real time.

The handler runs against a real clock and a Lambda context whose remaining time runs
down with it; IAM, CloudTrail or STS is a loopback server that never answers. Every
invocation must end well inside the remaining time, with the verdict published
(or, when STS hangs, nothing can be published: raised, once, in time). The SDK
bounds are made small (seconds) so that these tests stay short; the shipped bounds are
checked against the same arithmetic in tests/functional/rule/test_clients.py.

On code without bounds the handler would hang for minutes (botocore's 60 s timeouts,
retried); the handler runs in a thread so that such a run fails here instead.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID

from ROOT_ACCOUNT_USAGE import EvaluationNotPublishedError, lambda_handler
from root_account_usage.rule import budget
from root_account_usage.simulation.credential_report import RootUse, root_in_credential_report
from root_account_usage.simulation.events import periodic_event
from tests.doubles import MonotonicLambdaContext, SilentEndpoint

pytestmark = pytest.mark.slow

NOW = datetime.now(UTC).replace(microsecond=0)
LAMBDA_SECONDS = 10.0  # what the Lambda has left when the invocation starts
SHORT = budget.CallLimits(connect_timeout=1.0, read_timeout=2.0, max_attempts=1)


@pytest.fixture
def silent(monkeypatch):
    endpoint = SilentEndpoint()
    for name in ("IAM_LIMITS", "CLOUDTRAIL_LIMITS"):
        monkeypatch.setattr(budget, name, SHORT, raising=False)
    monkeypatch.setattr(budget, "STS_LIMITS", SHORT._replace(max_attempts=2), raising=False)
    yield endpoint
    endpoint.close()


@pytest.fixture
def account():
    with mock_aws():
        boto3.client("iam", region_name="us-east-1").create_user(UserName="alice")
        boto3.client("iam", region_name="us-east-1").generate_credential_report()
        yield


def invoke(parameters: dict[str, str], seconds_left: float = LAMBDA_SECONDS) -> tuple[Any, float]:
    """Run the handler with `seconds_left`; (its result or error, seconds taken)."""
    event = periodic_event(DEFAULT_ACCOUNT_ID, NOW, parameters)
    outcome: dict[str, Any] = {}

    def handler() -> None:
        use = RootUse.at(password=NOW - timedelta(days=30))
        with root_in_credential_report(DEFAULT_ACCOUNT_ID, use, NOW - timedelta(minutes=5)):
            try:
                outcome["result"] = lambda_handler(event, MonotonicLambdaContext(seconds_left))
            except Exception as error:
                outcome["result"] = error

    start = time.monotonic()
    thread = threading.Thread(target=handler, daemon=True)
    thread.start()
    thread.join(timeout=seconds_left + 5)
    assert not thread.is_alive(), f"still running after {seconds_left + 5} s"
    return outcome["result"], time.monotonic() - start


def test_hanging_iam_fails_closed_and_publishes_well_inside_the_lambda_time(
    silent, account, monkeypatch
):
    monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", silent.url)
    [evaluation], seconds = invoke({"AssumeRoleMode": "false"})
    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert evaluation["Annotation"].startswith("Unable to evaluate: IAM GetCredentialReport")
    assert evaluation["Annotation"].endswith("[ReadTimeoutError]")
    # Two tries of 2 s, a short wait, and no third: the publish reserve is untouched.
    assert len(silent.connections) == 2
    assert seconds < LAMBDA_SECONDS - budget.publish_reserve(LAMBDA_SECONDS)


def test_hanging_cloudtrail_leaves_the_verdict_to_the_report(silent, account, monkeypatch):
    # 40 s left: time enough to start a lookup (the call itself takes 2 s at most here).
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDTRAIL", silent.url)
    parameters = {"AssumeRoleMode": "false", "CloudTrailEvidence": "true"}
    [evaluation], seconds = invoke(parameters, seconds_left=40)
    assert evaluation["ComplianceType"] == "COMPLIANT"
    assert evaluation["Annotation"].startswith("Root last used at")
    # 30 s of budget is less than a Config read may take (37 s): said, not read.
    assert evaluation["Annotation"].endswith(
        "CloudTrail unavailable. This rule's last evaluation unavailable."
    )
    # moto lists no regions: every region of the partition, one lookup each, each given
    # up after its read timeout. One after another they would need far more than the
    # 40 s, so every region asked within the deadline means they ran concurrently (how
    # close to one call's time is measured by `make bench`, not here).
    regions = boto3.session.Session().get_available_regions("cloudtrail")
    assert len(regions) * SHORT.read_timeout > 40
    assert len(silent.connections) == len(regions)
    assert seconds < 40 - budget.publish_reserve(40)


def test_hanging_sts_fails_the_invocation_in_time_asking_sts_once(silent, account, monkeypatch):
    # No credentials, so nothing can be published: the invocation must fail visibly,
    # in time, without asking STS again to publish (nor at another endpoint).
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", silent.url)
    error, seconds = invoke({"ExecutionRoleName": "reader"}, seconds_left=30)
    assert isinstance(error, EvaluationNotPublishedError)
    assert "ReadTimeoutError" in str(error)
    assert len(silent.connections) == 2  # one AssumeRole, the SDK's two attempts
    assert seconds < 30 - budget.publish_reserve(30)


def test_sts_gets_only_the_attempts_that_fit_in_the_time_left(silent, account, monkeypatch):
    # 10 s left, 7 s of budget: one attempt (3 s) fits, two (12 s) would not.
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", silent.url)
    error, seconds = invoke({"ExecutionRoleName": "reader"})
    assert isinstance(error, EvaluationNotPublishedError)
    assert len(silent.connections) == 1
    assert seconds < LAMBDA_SECONDS - budget.publish_reserve(LAMBDA_SECONDS)


def test_no_assume_role_starts_without_time_for_one_attempt(silent, account, monkeypatch):
    # 5 s left, 2 s of budget: not even one attempt (3 s) fits, so STS is never asked.
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", silent.url)
    error, seconds = invoke({"ExecutionRoleName": "reader"}, seconds_left=5)
    assert isinstance(error, EvaluationNotPublishedError)
    assert "AssumeRoleOutOfTime" in str(error)
    assert silent.connections == []
    assert seconds < 1
