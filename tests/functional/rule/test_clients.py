"""The rule's SDK clients are bounded in time, and the budget keeps time to publish."""

from __future__ import annotations

import argparse
import socket
import threading

import boto3
import pytest
from botocore.exceptions import ReadTimeoutError
from moto import mock_aws

from root_account_usage.cli import evaluate
from root_account_usage.core.exceptions import OutOfTimeError
from root_account_usage.core.parameters import RoleChoice
from root_account_usage.history import organization
from root_account_usage.rule import budget, clients
from root_account_usage.rule.budget import (
    CLOUDTRAIL_LIMITS,
    CONFIG_LIMITS,
    IAM_LIMITS,
    SSM_LIMITS,
    STS_LIMITS,
    Budget,
    CallLimits,
    publish_reserve,
)
from root_account_usage.rule.clients import (
    BoundedClientFactory,
    regional_sts_client,
    sts_limits_within,
)
from root_account_usage.rule.credential_report import CredentialReportFetcher
from tests.doubles import FakeClock, FakeLambdaContext, report_response, stubbed
from tests.reports import NOW

EVENT_ROLE = "arn:aws:iam::123456789012:role/aws-service-role/config.amazonaws.com/Config"
SERVICES = {
    "iam": IAM_LIMITS,
    "cloudtrail": CLOUDTRAIL_LIMITS,
    "ssm": SSM_LIMITS,
    "config": CONFIG_LIMITS,
}


def bounds(client: object) -> tuple[float, float, dict[str, object]]:
    config = client.meta.config  # type: ignore[attr-defined]
    return config.connect_timeout, config.read_timeout, config.retries


@pytest.mark.parametrize("role", [RoleChoice(assume_role=False), RoleChoice(role_name="reader")])
@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_client_the_rule_builds_has_explicit_timeouts_and_attempts(role, service):
    limits = SERVICES[service]
    with mock_aws():
        client = BoundedClientFactory(EVENT_ROLE, role).build_client(service, "eu-west-1")
    assert bounds(client) == (
        limits.connect_timeout,
        limits.read_timeout,
        {"mode": "standard", "total_max_attempts": limits.max_attempts},
    )
    if service != "iam":  # IAM is global
        assert client.meta.region_name == "eu-west-1"


def test_assume_role_asks_the_regional_sts_endpoint_even_under_legacy_settings(monkeypatch):
    # Legacy settings (older botocore's default) send us-east-1 to sts.amazonaws.com.
    monkeypatch.setenv("AWS_STS_REGIONAL_ENDPOINTS", "legacy")
    assert boto3.client("sts", region_name="us-east-1").meta.endpoint_url.endswith(
        "//sts.amazonaws.com"
    )
    client = regional_sts_client("us-east-1")
    assert client.meta.endpoint_url == "https://sts.us-east-1.amazonaws.com"
    assert bounds(client)[:2] == (STS_LIMITS.connect_timeout, STS_LIMITS.read_timeout)
    assert regional_sts_client("cn-north-1").meta.endpoint_url.endswith(".amazonaws.com.cn")


def test_execution_role_name_is_assumed_in_the_events_account():
    factory = BoundedClientFactory(EVENT_ROLE, RoleChoice(role_name="audit/reader"))
    assert factory._role_arn == "arn:aws:iam::123456789012:role/audit/reader"
    assert BoundedClientFactory(EVENT_ROLE, RoleChoice())._role_arn == EVENT_ROLE


def test_the_role_is_assumed_once_in_the_execution_role_region_as_rdklib_asks(monkeypatch):
    # rdklib's ClientFactory: session configLambdaExecution for 900 s (STS's shortest).
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    sts, stub = stubbed("sts")
    credentials = {"AccessKeyId": "ASIA" + "A" * 16, "SecretAccessKey": "s", "SessionToken": "t"}
    answer = {"Credentials": credentials | {"Expiration": NOW}}
    asked = {"RoleArn": EVENT_ROLE, "RoleSessionName": "configLambdaExecution"}
    stub.add_response("assume_role", answer, asked | {"DurationSeconds": 900})
    regions: list[str | None] = []

    def regional_sts(region: str | None, *_: object) -> object:
        regions.append(region)
        return sts

    monkeypatch.setattr(clients, "regional_sts_client", regional_sts)
    factory = BoundedClientFactory(EVENT_ROLE, RoleChoice(region="eu-west-1"))
    with stub:
        built = [factory.build_client("config"), factory.build_client("ssm")]
    stub.assert_no_pending_responses()
    assert regions == ["eu-west-1"]
    assert [client.meta.region_name for client in built] == ["eu-west-1", "eu-west-1"]


def test_worst_case_of_a_call_counts_every_attempt_and_the_longest_backoffs():
    limits = CallLimits(connect_timeout=2.0, read_timeout=3.0, max_attempts=3)
    # 3 x (2 + 3) s, then waits of at most 1 and 2 s, each lengthened by retry-after (5 s).
    assert limits.worst_case_seconds == 15 + (1 + 5) + (2 + 5)
    assert IAM_LIMITS.worst_case_seconds == IAM_LIMITS.connect_timeout + IAM_LIMITS.read_timeout


def test_publish_reserve_scales_with_the_time_left():
    assert publish_reserve(8) == budget.MIN_PUBLISH_RESERVE_SECONDS
    assert publish_reserve(20) == 5
    assert publish_reserve(60) == 15
    # From about 150 s on, PutEvaluations's own worst case is kept whole.
    assert publish_reserve(300) == publish_reserve(900) == CONFIG_LIMITS.worst_case_seconds


def test_a_lambda_budget_is_its_remaining_time_less_the_reserve_and_runs_down_with_it():
    clock = FakeClock(budget_seconds=300)
    deadline = Budget.for_lambda(FakeLambdaContext(clock), reserve=lambda seconds: seconds / 100)
    assert deadline.left() == 297  # 300 s left (in milliseconds), 3 kept back
    clock.sleep(290)
    assert (deadline.left(), deadline.fits(7), deadline.fits(7.5)) == (7, True, False)


def test_without_a_lambda_context_the_budget_is_fixed_and_runs_down_too():
    clock = FakeClock()
    fixed = Budget.for_lambda(None, default_seconds=60)
    assert 50 < fixed.left() <= 60  # the real clock: a moment has passed
    own = Budget.fixed(60, clock=lambda: clock.elapsed)
    clock.sleep(45)
    assert own.left() == 15


def test_with_20_seconds_left_a_throttled_report_read_is_retried_after_a_short_wait():
    clock = FakeClock(budget_seconds=20)
    client, stubber = stubbed("iam")
    stubber.add_client_error("get_credential_report", "Throttling", http_status_code=400)
    stubber.add_response("get_credential_report", report_response(b"x", NOW))
    with stubber:
        budget = Budget.for_lambda(FakeLambdaContext(clock))
        fetcher = CredentialReportFetcher(client, budget=budget, sleep=clock.sleep)
        assert fetcher.fetch(NOW).content == b"x"
    [wait] = clock.sleeps
    assert wait <= 1


def test_with_template_yaml_s_300_seconds_a_hanging_sts_and_iam_still_leave_publish_whole():
    # Assume role, read IAM through three tries, look up CloudTrail in two regions, read
    # the recorded root events twice: each call allowed by the budget, and at its worst.
    clock = FakeClock(budget_seconds=300)
    budget = Budget.for_lambda(FakeLambdaContext(clock))
    calls = [sts_limits_within(budget), IAM_LIMITS, IAM_LIMITS, IAM_LIMITS]
    calls += [CLOUDTRAIL_LIMITS, CLOUDTRAIL_LIMITS, SSM_LIMITS, SSM_LIMITS]
    for limits in calls:
        budget.require(limits.worst_case_seconds, "test")
        clock.sleep(limits.worst_case_seconds)
    assert calls[0] == STS_LIMITS
    assert clock.time_left() >= CONFIG_LIMITS.worst_case_seconds


def test_assume_role_gets_as_many_sdk_attempts_as_end_in_the_time_left():
    def within(seconds: float) -> Budget:
        return Budget(lambda: seconds)

    assert sts_limits_within(within(STS_LIMITS.worst_case_seconds)) == STS_LIMITS
    two = STS_LIMITS._replace(max_attempts=2)
    assert sts_limits_within(within(STS_LIMITS.worst_case_seconds - 1)) == two
    one = STS_LIMITS._replace(max_attempts=1)
    assert sts_limits_within(within(one.worst_case_seconds)) == one
    with pytest.raises(OutOfTimeError) as error:
        sts_limits_within(within(one.worst_case_seconds - 0.1))
    assert error.value.code == "AssumeRoleOutOfTime"


def test_a_call_that_never_answers_ends_by_its_limits_and_cannot_hold_the_process():
    # The CLI exits while such a call still waits: its worker must not keep Python alive.
    release = threading.Event()
    iam = boto3.client("iam", region_name="us-east-1")
    iam.get_credential_report = lambda **_: release.wait(30)  # accepted, never answered
    limits = CallLimits(connect_timeout=0.1, read_timeout=0.1, max_attempts=1)
    before = set(threading.enumerate())
    try:
        with pytest.raises(ReadTimeoutError, match=r"no answer in 0\.2 s"):
            clients.DeadlineClient(iam, limits, None).get_credential_report()
        waiting = [thread for thread in threading.enumerate() if thread not in before]
        assert waiting
        assert all(thread.daemon for thread in waiting)
    finally:
        release.set()


def test_a_server_sending_a_byte_at_a_time_cannot_hold_a_cli_call():
    # botocore's read timeout is per read: a byte every 0.2 s would hold a plain client
    # for hours (this server gives up after 5 s, so a broken bound fails, not hangs).
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def drip() -> None:
        connection, _ = server.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
            for _ in range(25):
                if stop.wait(0.2):
                    return
                connection.sendall(b" ")

    threading.Thread(target=drip, daemon=True).start()
    session = boto3.Session(
        aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1"
    )
    endpoint = f"http://127.0.0.1:{server.getsockname()[1]}"
    limits = CallLimits(connect_timeout=0.5, read_timeout=0.5, max_attempts=1)
    config = clients.session_client(session, "config", limits, endpoint_url=endpoint)
    try:
        with pytest.raises(ReadTimeoutError, match="no answer in"):
            config.describe_config_rules()
    finally:
        stop.set()
        server.close()


def test_the_cli_builds_its_clients_bounded():
    session = boto3.Session(
        aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1"
    )
    for made in (
        organization.session_clients(session)("config", "eu-west-1"),
        evaluate._live_iam(argparse.ArgumentParser(), None, "us-east-1")(),  # evaluate's
    ):
        assert isinstance(made, clients.DeadlineClient)
    history = organization.session_clients(session)("config", "eu-west-1")
    retries = {"mode": "standard", "total_max_attempts": budget.CLI_LIMITS.max_attempts}
    assert bounds(history.client) == (10.0, 30.0, retries)
