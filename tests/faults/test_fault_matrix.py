"""The fault matrix: every call the rule makes, under every fault it can meet.

Each row runs the real lambda_handler against a moto account whose credential
report says root signed in two days ago (so an evaluated verdict is NON_COMPLIANT),
with one fault injected at the HTTP boundary. The outcome must be the correct
verdict after bounded retries, a fail-closed NON_COMPLIANT naming the cause, or,
when nothing can reach AWS Config, a raised error - always within the Lambda's
remaining time. docs/development.md's failure table is this matrix (tests/contract/test_docs.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID

from ROOT_ACCOUNT_USAGE import EvaluationNotPublishedError, lambda_handler
from root_account_usage.rule import budget
from root_account_usage.simulation.credential_report import (
    REPORT_COLUMNS,
    RootUse,
    root_in_credential_report,
    root_row,
)
from root_account_usage.simulation.events import periodic_event
from tests.doubles import DripEndpoint, FakeClock, FakeLambdaContext
from tests.faults import injector as inject
from tests.reports import render_report, user_row

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
FRESH = "2026-11-27T11:55:00Z"
ROOT_USE = RootUse.at(password=NOW - timedelta(days=2))
BUDGET_SECONDS = 300.0

GET = "iam.GetCredentialReport"
GENERATE = "iam.GenerateCredentialReport"
PUT = "config-service.PutEvaluations"
MEMORY = "config-service.GetComplianceDetailsByConfigRule"
ASSUME = "sts.AssumeRole"


def connection_error(url: str) -> Exception:
    return EndpointConnectionError(endpoint_url=url)


def read_timeout(url: str) -> Exception:
    return ReadTimeoutError(endpoint_url=url)


def big_report(rows: int) -> bytes:
    users = [user_row(DEFAULT_ACCOUNT_ID, f"user-{n:05d}") for n in range(rows)]
    users.append(root_row(DEFAULT_ACCOUNT_ID, ROOT_USE))
    return render_report(users)


@dataclass(frozen=True)
class Row:
    call: str
    fault: str
    faults: tuple[tuple[str, object, int | None], ...]
    expect: str  # "verdict", "fail:<code>", or "raise"
    fresh_report: bool = True  # a fresh report exists, so the first Get succeeds
    parameters: tuple[tuple[str, str], ...] = (("AssumeRoleMode", "false"),)
    budget: float = BUDGET_SECONDS
    account: str = DEFAULT_ACCOUNT_ID  # the account the event names
    user_path: str | None = None  # an IAM user created under this path
    drip: bool = False  # AWS Config's endpoint drips its answers over real TCP

    @property
    def id(self) -> str:
        return f"{self.call}: {self.fault}"


# The root row's password_enabled field turned into bytes that are not UTF-8.
NOT_UTF8 = big_report(3).replace(b"not_supported", b"\xff\xfe", 1)
DATE_ONLY_USE = render_report(
    [root_row(DEFAULT_ACCOUNT_ID, RootUse(password_last_used="2026-11-25"))]
)
MISSING_COLUMNS = render_report(
    [root_row(DEFAULT_ACCOUNT_ID, ROOT_USE)],
    columns=tuple(c for c in REPORT_COLUMNS if c != "access_key_1_last_used_date"),
)

MATRIX = [
    # GetCredentialReport
    Row(
        "GetCredentialReport",
        "AccessDenied",
        ((GET, inject.error("AccessDenied", 403), None),),
        "fail:AccessDenied",
    ),
    Row(
        "GetCredentialReport",
        "Throttling then success",
        ((GET, inject.error("Throttling", 400), 6),),
        "verdict",
    ),
    Row(
        "GetCredentialReport",
        "Throttling forever",
        ((GET, inject.error("Throttling", 400), None),),
        "fail:ReportNotReady",
    ),
    Row(
        "GetCredentialReport",
        "ServiceFailure (500) then success",
        ((GET, inject.error("ServiceFailure", 500), 2),),
        "verdict",
    ),
    Row(
        "GetCredentialReport",
        "ReportInProgress forever",
        ((GET, inject.error("ReportInProgress", 404), None),),
        "fail:ReportNotReady",
    ),
    Row("GetCredentialReport", "ReportNotPresent: generated", (), "verdict", fresh_report=False),
    Row(
        "GetCredentialReport",
        "ReportExpired: regenerated",
        ((GET, inject.error("ReportExpired", 410), 1),),
        "verdict",
    ),
    Row(
        "GetCredentialReport",
        "EndpointConnectionError",
        ((GET, inject.raises(connection_error), None),),
        "fail:EndpointConnectionError",
    ),
    Row(
        "GetCredentialReport",
        "ReadTimeoutError",
        ((GET, inject.raises(read_timeout), None),),
        "fail:ReadTimeoutError",
    ),
    Row(
        "GetCredentialReport",
        "ReadTimeoutError then success",
        ((GET, inject.raises(read_timeout), 1),),
        "verdict",
    ),
    Row(
        "GetCredentialReport",
        "Throttling once, 20 s left",
        ((GET, inject.error("Throttling", 400), 1),),
        "verdict",
        budget=20.0,
    ),
    Row(
        "GetCredentialReport",
        "report of another account (event for 999999999999)",
        (),
        "fail:AccountMismatch",
        account="999999999999",
    ),
    Row(
        "GetCredentialReport",
        "an IAM user under the path `/<root_account>/`",
        (),
        "verdict",
        user_path="/<root_account>/",
    ),
    Row(
        "GetCredentialReport",
        "GeneratedTime out of range",
        ((GET, inject.report_bytes(big_report(3), "9999-12-31T23:59:59-01:00"), None),),
        "fail:MalformedResponse",
    ),
    Row(
        "GetCredentialReport",
        "last use a date without a time",
        ((GET, inject.report_bytes(DATE_ONLY_USE, FRESH), None),),
        "fail:MalformedReport",
    ),
    Row(
        "GetCredentialReport",
        "Content not base64",
        ((GET, inject.credential_report_body("!!not*base64", FRESH), None),),
        "fail:MalformedResponse",
    ),
    Row(
        "GetCredentialReport",
        "Content not UTF-8",
        (
            (
                GET,
                inject.report_bytes(big_report(3).replace(b"not_supported", b"\xff\xfe", 1), FRESH),
                None,
            ),
        ),
        "fail:MalformedReport",
    ),
    Row(
        "GetCredentialReport",
        "Content not CSV",
        ((GET, inject.report_bytes(b'"unterminated\n\x00', FRESH), None),),
        "fail:MalformedReport",
    ),
    Row(
        "GetCredentialReport",
        "missing required columns",
        ((GET, inject.report_bytes(MISSING_COLUMNS, FRESH), None),),
        "fail:MalformedReport",
    ),
    Row(
        "GetCredentialReport",
        "50,000-row report",
        ((GET, inject.report_bytes(big_report(50_000), FRESH), None),),
        "verdict",
    ),
    Row(
        "GetCredentialReport",
        "report older than 24 h, regeneration refused",
        (
            (GET, inject.report_bytes(big_report(3), "2026-11-26T08:00:00Z"), None),
            (GENERATE, inject.error("AccessDenied", 403), None),
        ),
        "fail:StaleReport",
    ),
    # GenerateCredentialReport (no report exists yet)
    Row(
        "GenerateCredentialReport",
        "AccessDenied",
        ((GENERATE, inject.error("AccessDenied", 403), None),),
        "fail:AccessDenied",
        fresh_report=False,
    ),
    Row(
        "GenerateCredentialReport",
        "LimitExceeded then success",
        ((GENERATE, inject.error("LimitExceeded", 409), 2),),
        "verdict",
        fresh_report=False,
    ),
    Row(
        "GenerateCredentialReport",
        "Throttling then success",
        ((GENERATE, inject.error("Throttling", 400), 6),),
        "verdict",
        fresh_report=False,
    ),
    Row(
        "GenerateCredentialReport",
        "Throttling forever",
        ((GENERATE, inject.error("Throttling", 400), None),),
        "fail:ReportNotReady",
        fresh_report=False,
    ),
    Row(
        "GenerateCredentialReport",
        "ServiceFailure (500) then success",
        ((GENERATE, inject.error("ServiceFailure", 500), 2),),
        "verdict",
        fresh_report=False,
    ),
    Row(
        "GenerateCredentialReport",
        "INPROGRESS forever",
        ((GENERATE, inject.generation_state("INPROGRESS"), None),),
        "fail:ReportNotReady",
        fresh_report=False,
    ),
    Row(
        "GenerateCredentialReport",
        "EndpointConnectionError",
        ((GENERATE, inject.raises(connection_error), None),),
        "fail:EndpointConnectionError",
        fresh_report=False,
    ),
    Row(
        "GenerateCredentialReport",
        "context nearly out of time",
        ((GENERATE, inject.generation_state("INPROGRESS"), None),),
        "fail:ReportNotReady",
        fresh_report=False,
        budget=35.0,
    ),
    # PutEvaluations
    # The rule's memory: its last evaluation, said unavailable, never read as no use.
    Row(
        "GetComplianceDetailsByConfigRule",
        "AccessDenied",
        ((MEMORY, inject.error("AccessDeniedException", 400), None),),
        "verdict",
    ),
    Row(
        "GetComplianceDetailsByConfigRule",
        "EndpointConnectionError",
        ((MEMORY, inject.raises(connection_error), None),),
        "verdict",
    ),
    Row(
        "PutEvaluations",
        "AccessDenied",
        ((PUT, inject.error("AccessDeniedException", 400), None),),
        "raise",
    ),
    Row(
        "PutEvaluations",
        "Throttling then success",
        ((PUT, inject.error("ThrottlingException", 400), 2),),
        "verdict",
    ),
    Row(
        "PutEvaluations",
        "Throttling forever",
        ((PUT, inject.error("ThrottlingException", 400), None),),
        "raise",
    ),
    Row(
        "PutEvaluations",
        "InternalFailure (500) then success",
        ((PUT, inject.error("InternalFailure", 500), 2),),
        "verdict",
    ),
    Row(
        "PutEvaluations",
        "EndpointConnectionError",
        ((PUT, inject.raises(connection_error), None),),
        "raise",
    ),
    Row(
        "PutEvaluations",
        "answer dripped a byte every 0.5 s over TCP",
        (),
        "raise",
        budget=20.0,
        drip=True,
    ),
    Row(
        "PutEvaluations",
        "200 with FailedEvaluations",
        (
            (
                PUT,
                inject.json_body(
                    {
                        "FailedEvaluations": [
                            {
                                "ComplianceResourceType": "AWS::::Account",
                                "ComplianceResourceId": DEFAULT_ACCOUNT_ID,
                                "ComplianceType": "NON_COMPLIANT",
                                "OrderingTimestamp": 1795000000,
                            }
                        ]
                    }
                ),
                None,
            ),
        ),
        "raise",
    ),
    # sts AssumeRole (an execution role, as in the organization rollout)
    Row(
        "AssumeRole",
        "AccessDenied",
        ((ASSUME, inject.error("AccessDenied", 403), None),),
        "raise",
        parameters=(("ExecutionRoleName", "reader"),),
    ),
    Row(
        "AssumeRole",
        "Throttling then success",
        ((ASSUME, inject.error("Throttling", 400), 2),),
        "verdict",
        parameters=(("ExecutionRoleName", "reader"),),
    ),
    Row(
        "AssumeRole",
        "EndpointConnectionError",
        ((ASSUME, inject.raises(connection_error), None),),
        "raise",
        parameters=(("ExecutionRoleName", "reader"),),
    ),
]


@pytest.fixture
def account(monkeypatch):
    clock = FakeClock(budget_seconds=BUDGET_SECONDS)
    monkeypatch.setattr("time.sleep", clock.sleep)  # our backoff and botocore's retries
    with mock_aws():
        monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
        boto3.setup_default_session()
        faults = inject.FaultInjector()
        faults.install(boto3.DEFAULT_SESSION)
        boto3.client("iam", region_name="us-east-1").create_user(UserName="alice")
        yield clock, faults


def run_row(row: Row, clock: FakeClock, faults: inject.FaultInjector):
    clock.budget_seconds = row.budget
    if row.user_path is not None:
        iam = boto3.client("iam", region_name="us-east-1")
        iam.create_user(UserName="mallory", Path=row.user_path)
    if row.fresh_report:
        boto3.client("iam", region_name="us-east-1").generate_credential_report()
        faults.attempts.clear()
    for target, respond, times in row.faults:
        faults.add(target, respond, times)
    event = periodic_event(row.account, NOW, dict(row.parameters))
    with root_in_credential_report(DEFAULT_ACCOUNT_ID, ROOT_USE, NOW - timedelta(minutes=5)):
        return lambda_handler(event, FakeLambdaContext(clock))


@pytest.fixture
def drip(row, monkeypatch):
    """A drip endpoint for AWS Config, with 3 s calls (one 2 s read each), in real
    time: the Lambda's time (the fake clock) stands still while it drips."""
    if not row.drip:
        yield
        return
    endpoint = DripEndpoint(interval=0.5, seconds=30.0)
    monkeypatch.setenv("AWS_ENDPOINT_URL_CONFIG_SERVICE", endpoint.url)
    short = budget.CallLimits(connect_timeout=1.0, read_timeout=2.0, max_attempts=1)
    monkeypatch.setattr(budget, "CONFIG_LIMITS", short)
    start = time.monotonic()
    yield
    endpoint.close()
    assert endpoint.connections  # it was asked
    assert time.monotonic() - start < row.budget  # no call outlived the Lambda's time


@pytest.mark.parametrize("row", MATRIX, ids=[row.id for row in MATRIX])
def test_fault_matrix(row, account, drip):
    clock, faults = account
    if row.expect == "raise":
        with pytest.raises((EvaluationNotPublishedError, EndpointConnectionError)):
            run_row(row, clock, faults)
    else:
        [evaluation] = run_row(row, clock, faults)
        assert evaluation["ComplianceType"] == "NON_COMPLIANT"
        if row.expect == "verdict":
            assert evaluation["Annotation"].startswith("Root console password was used at")
            if row.call == "GetComplianceDetailsByConfigRule":
                assert evaluation["Annotation"].endswith(
                    " This rule's last evaluation unavailable."
                )
        else:
            code = row.expect.removeprefix("fail:")
            assert evaluation["Annotation"].startswith("Unable to evaluate: ")
            assert evaluation["Annotation"].endswith(f"[{code}]")
    # Bounded: every retry, ours and botocore's, fits in the Lambda's remaining time.
    assert clock.elapsed <= row.budget
    assert sum(faults.attempts.values()) < 200


def test_matrix_covers_every_call_the_rule_makes():
    assert {row.call for row in MATRIX} == {
        "GetCredentialReport",
        "GenerateCredentialReport",
        "GetComplianceDetailsByConfigRule",
        "PutEvaluations",
        "AssumeRole",
    }
