"""Event-driven re-evaluation: the EventBridge pattern (checked with moto's implementation of
EventBridge pattern matching) and the function that asks AWS Config to re-evaluate (Stubber)."""

from __future__ import annotations

import json

import pytest
from moto.events.models import EventPattern

from root_account_usage.core.exceptions import OutOfTimeError
from root_account_usage.rule import reevaluate
from tests.cfn import event_pattern
from tests.doubles import stubbed

PATTERN = event_pattern("template.yaml", "RootActivityRule", "111122223333")


def cloudtrail_event(detail_type, **detail):
    identity = detail.pop("userIdentity", {"type": "Root", "arn": "arn:aws:iam::111122223333:root"})
    return {
        "version": "0",
        "id": "5f1d0c4e-aaaa-bbbb-cccc-000000000001",
        "detail-type": detail_type,
        "source": "aws.signin" if "Sign In" in detail_type else "aws.iam",
        "account": "111122223333",
        "time": "2026-11-27T12:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {"userIdentity": identity, "eventType": "AwsApiCall", **detail},
    }


SIGN_IN = "AWS Console Sign In via CloudTrail"
API_CALL = "AWS API Call via CloudTrail"


@pytest.mark.parametrize(
    ("event", "matches"),
    [
        (cloudtrail_event(SIGN_IN, eventName="ConsoleLogin", eventType="AwsConsoleSignIn"), True),
        (cloudtrail_event(API_CALL, eventName="DeleteTrail"), True),
        (
            cloudtrail_event(
                SIGN_IN,
                eventName="ConsoleLogin",
                userIdentity={"type": "IAMUser", "userName": "root"},
            ),
            False,
        ),
        (
            cloudtrail_event(
                API_CALL,
                eventName="AssumeRole",
                userIdentity={"type": "Root", "invokedBy": "config.amazonaws.com"},
            ),
            False,
        ),
        (cloudtrail_event(API_CALL, eventName="Decrypt", eventType="AwsServiceEvent"), False),
        (cloudtrail_event("EC2 Instance State-change Notification", eventName="x"), False),
        (
            cloudtrail_event(SIGN_IN, eventName="ConsoleLogin", eventType="AwsConsoleSignIn")
            | {"account": "999999999999"},
            False,
        ),
    ],
    ids=[
        "root sign-in",
        "root API call",
        "IAM user named root",
        "service for root",
        "service event",
        "other detail-type",
        "another account",
    ],
)
def test_event_pattern_matches_root_activity_only(event, matches):
    assert EventPattern.load(PATTERN).matches_event(event) is matches


PATH = "/root-account-usage/root-account-usage"


ACCOUNT = "111122223333"
FUNCTION_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:reevaluate-root-account-usage"


class Context:
    """A Lambda context whose remaining time the test sets, or that runs down with the
    test's clock (`clock`, from the fixture)."""

    invoked_function_arn = FUNCTION_ARN

    def __init__(self, seconds=120.0, clock=None):
        self.seconds = seconds
        self.clock = clock
        self.started = clock["now"] if clock else 0.0

    def get_remaining_time_in_millis(self):
        elapsed = self.clock["now"] - self.started if self.clock else 0.0
        return int((self.seconds - elapsed) * 1000)


@pytest.fixture
def clients(monkeypatch):
    """Stubbed Config and SSM (both checked against the real API models), a fake clock."""
    config, config_stub = stubbed("config")
    ssm, ssm_stub = stubbed("ssm")
    monkeypatch.setenv("CONFIG_RULE_NAME", "root-account-usage")
    monkeypatch.setenv("ROOT_ACTIVITY_EVIDENCE", PATH)
    monkeypatch.setitem(reevaluate._state, "config", config)
    monkeypatch.setitem(reevaluate._state, "ssm", ssm)
    monkeypatch.setitem(reevaluate._state, "handled", {})
    clock = {"now": 1000.0, "sleeps": []}

    def sleep(seconds):
        clock["sleeps"].append(seconds)
        clock["now"] += seconds

    monkeypatch.setattr("time.monotonic", lambda: clock["now"])
    monkeypatch.setattr("time.sleep", sleep)
    with config_stub, ssm_stub:
        yield config_stub, ssm_stub, clock
        config_stub.assert_no_pending_responses()
        ssm_stub.assert_no_pending_responses()


def start(stub):
    stub.add_response(
        "start_config_rules_evaluation", {}, {"ConfigRuleNames": ["root-account-usage"]}
    )


def busy(stub):
    stub.add_client_error(
        "start_config_rules_evaluation", "LimitExceededException", http_status_code=400
    )


def recorded(stub, slot, value):
    stub.add_response(
        "put_parameter",
        {"Version": 2, "Tier": "Standard"},
        {"Name": f"{PATH}/{slot}", "Value": value, "Type": "String", "Overwrite": True},
    )


EVENT = cloudtrail_event(
    SIGN_IN,
    eventName="ConsoleLogin",
    eventType="AwsConsoleSignIn",
    eventTime="2026-11-27T11:58:02Z",
    awsRegion="us-east-1",
    sourceIPAddress="203.0.113.7",
    additionalEventData={"MFAUsed": "No"},
)
SIGN_IN_RECORD = (
    '{"assumedRoot":false,"event":"ConsoleLogin","mfa":false,'
    '"region":"us-east-1","time":"2026-11-27T11:58:02Z","v":1}'
)
SESSION_EVENT = cloudtrail_event(
    API_CALL,
    eventName="DeleteLoginProfile",
    eventTime="2026-11-27T11:59:00Z",
    awsRegion="us-east-1",
    userIdentity={
        "type": "Root",
        "arn": "arn:aws:iam::111122223333:root",
        "sessionContext": {"attributes": {"mfaAuthenticated": "false"}, "assumedRoot": "true"},
    },
)
SESSION_RECORD = (
    '{"assumedRoot":true,"event":"DeleteLoginProfile",'
    '"region":"us-east-1","time":"2026-11-27T11:59:00Z","v":1}'
)


def test_the_event_is_recorded_before_the_evaluation_starts(clients, caplog):
    config, ssm, _ = clients
    recorded(ssm, "root", SIGN_IN_RECORD)
    start(config)
    assert reevaluate.lambda_handler(EVENT, Context()) == {"started": True}
    # The record and the logs keep no address (the annotation does not need it).
    assert "203.0.113.7" not in SIGN_IN_RECORD
    assert "203.0.113.7" not in caplog.text


def test_a_burst_of_one_kind_is_debounced_but_another_kind_is_not(clients):
    config, ssm, clock = clients
    recorded(ssm, "root", SIGN_IN_RECORD)
    start(config)
    assert reevaluate.lambda_handler(EVENT, Context())["started"] is True
    # The same kind again: no record, no start (Stubber would refuse any call).
    assert reevaluate.lambda_handler(EVENT, Context()) == {"started": False, "reason": "debounced"}
    # An AssumeRoot session is another kind: with AssumeRootSessions "exclude" the first
    # evaluation could not have counted it, so it is recorded and evaluated on its own.
    recorded(ssm, "assumed-root", SESSION_RECORD)
    start(config)
    assert reevaluate.lambda_handler(SESSION_EVENT, Context())["started"] is True
    # Debounced for DEBOUNCE_SECONDS after the first was handled, and no longer.
    clock["now"] += reevaluate.DEBOUNCE_SECONDS - 1
    assert reevaluate.lambda_handler(EVENT, Context()) == {"started": False, "reason": "debounced"}
    clock["now"] += 1
    recorded(ssm, "root", SIGN_IN_RECORD)
    start(config)
    assert reevaluate.lambda_handler(EVENT, Context())["started"] is True


def test_busy_config_is_asked_again_a_minute_after_the_record(clients):
    config, ssm, clock = clients
    recorded(ssm, "root", SIGN_IN_RECORD)
    busy(config)  # an evaluation that began before the record may not see it
    start(config)
    assert reevaluate.lambda_handler(EVENT, Context()) == {"started": True}
    assert clock["sleeps"] == [reevaluate.RETRY_AFTER_SECONDS]


def test_refused_again_after_a_minute_means_a_later_evaluation_reads_the_record(clients):
    config, ssm, _ = clients
    recorded(ssm, "root", SIGN_IN_RECORD)
    busy(config)
    busy(config)
    assert reevaluate.lambda_handler(EVENT, Context()) == {
        "started": False,
        "reason": "started since recorded",
    }


def test_busy_with_too_little_time_left_fails_so_lambda_retries_later(clients):
    config, ssm, _ = clients
    recorded(ssm, "root", SIGN_IN_RECORD)
    busy(config)
    # 60 s left: not enough to wait a minute, then start (37 s at worst).
    with pytest.raises(OutOfTimeError, match="busy"):
        reevaluate.lambda_handler(EVENT, Context(seconds=60))


def test_busy_without_a_record_counts_as_done(clients, monkeypatch):
    config, _, clock = clients
    monkeypatch.delenv("ROOT_ACTIVITY_EVIDENCE")
    busy(config)
    assert reevaluate.lambda_handler(EVENT, Context()) == {
        "started": False,
        "reason": "already running",
    }
    assert clock["sleeps"] == []


def test_a_failed_record_still_starts_then_fails_so_the_retry_records_it(clients):
    config, ssm, _ = clients
    ssm.add_client_error("put_parameter", "AccessDeniedException", http_status_code=400)
    start(config)
    with pytest.raises(reevaluate.RootEventNotRecordedError, match="AccessDeniedException"):
        reevaluate.lambda_handler(EVENT, Context())
    # Not debounced: Lambda's retry records the event and starts again.
    recorded(ssm, "root", SIGN_IN_RECORD)
    start(config)
    assert reevaluate.lambda_handler(EVENT, Context())["started"] is True


def test_an_event_that_is_not_root_use_is_not_recorded_but_still_evaluated(clients):
    config, _, _ = clients
    start(config)
    service = cloudtrail_event(
        API_CALL, eventName="Decrypt", userIdentity={"type": "Root", "invokedBy": "kms"}
    )
    assert reevaluate.lambda_handler(service, Context()) == {"started": True}


def test_other_errors_fail_the_invocation_so_lambda_retries(clients, monkeypatch):
    config, _, _ = clients
    monkeypatch.delenv("ROOT_ACTIVITY_EVIDENCE")
    config.add_client_error(
        "start_config_rules_evaluation", "NoSuchConfigRuleException", http_status_code=400
    )
    with pytest.raises(Exception, match="NoSuchConfigRuleException"):
        reevaluate.lambda_handler(EVENT, None)


def test_its_own_clients_are_bounded_in_time_like_the_rules(monkeypatch):
    from root_account_usage.rule.budget import limits_for

    monkeypatch.setitem(reevaluate._state, "config", None)
    monkeypatch.setitem(reevaluate._state, "ssm", None)
    for service in ("config", "ssm"):
        client = reevaluate._client(service)
        limits = limits_for(service)
        assert client.meta.config.connect_timeout == limits.connect_timeout
        assert client.meta.config.read_timeout == limits.read_timeout
        assert client.meta.config.retries["total_max_attempts"] == limits.max_attempts


def other_account_event(**where):
    """EVENT as another account's: in the bus event, the record, or its root identity."""
    other = "999999999999"
    event = json.loads(json.dumps(EVENT))
    if "account" in where:
        event["account"] = other
    if "recipient" in where:
        event["detail"]["recipientAccountId"] = other
    if "identity" in where:
        event["detail"]["userIdentity"]["accountId"] = other
    return event


@pytest.mark.parametrize("where", ["account", "recipient", "identity"])
def test_another_accounts_root_event_is_neither_recorded_nor_evaluated(clients, where, caplog):
    # Stubber refuses any call: nothing is recorded in this account, nothing started.
    event = other_account_event(**{where: True})
    assert reevaluate.lambda_handler(event, Context()) == {
        "started": False,
        "reason": "another account",
    }
    assert "root event of another account ignored" in caplog.text


def test_this_accounts_root_event_names_it_everywhere_and_is_recorded(clients):
    config, ssm, _ = clients
    recorded(ssm, "root", SIGN_IN_RECORD)
    start(config)
    event = json.loads(json.dumps(EVENT))
    event["detail"] |= {"recipientAccountId": ACCOUNT}
    event["detail"]["userIdentity"]["accountId"] = ACCOUNT
    assert reevaluate.lambda_handler(event, Context()) == {"started": True}


def test_the_function_reads_its_account_from_its_arn():
    assert reevaluate.own_account(Context()) == ACCOUNT
    assert reevaluate.own_account(None) is None  # outside Lambda: nothing to compare with
    short = Context()
    short.invoked_function_arn = "arn:aws:lambda:eu-west-1"  # no account part: none read
    assert reevaluate.own_account(short) is None
    assert reevaluate.other_account(other_account_event(account=True), None) is None


FAILED_SIGN_IN = cloudtrail_event(
    SIGN_IN,
    eventName="ConsoleLogin",
    eventType="AwsConsoleSignIn",
    eventSource="signin.amazonaws.com",
    eventTime="2026-11-27T11:57:30Z",
    awsRegion="us-east-1",
    sourceIPAddress="198.51.100.66",
    errorMessage="Failed authentication",
    responseElements={"ConsoleLogin": "Failure"},
    additionalEventData={"MFAUsed": "No"},
)


def test_a_record_without_awsregion_is_placed_where_the_event_or_function_is(monkeypatch):
    # awsRegion first, then the EventBridge event's region, then the function's, then
    # us-east-1 (where a console sign-in is recorded): whichever is a region name.
    detail = {"eventName": "CreateAccessKey", "eventTime": "2026-11-27T11:57:30Z"}
    event = cloudtrail_event(API_CALL, eventSource="iam.amazonaws.com", **detail)
    monkeypatch.setenv("AWS_REGION", "ap-southeast-2")
    assert reevaluate.activity_of(event).region == "us-east-1"  # the event's own
    event["region"] = "eu-west-1"
    event["detail"]["awsRegion"] = "not a region"
    assert reevaluate.activity_of(event).lookup_region == "eu-west-1"
    del event["region"]
    assert reevaluate.activity_of(event).lookup_region == "ap-southeast-2"
    monkeypatch.delenv("AWS_REGION")
    assert reevaluate.activity_of(event).lookup_region == "us-east-1"


def test_a_failed_sign_in_is_not_recorded_and_never_holds_back_a_real_one(clients):
    config, ssm, _ = clients
    # Anyone who knows the root e-mail address can fail a sign-in: no record, no start.
    assert reevaluate.lambda_handler(FAILED_SIGN_IN, Context()) == {
        "started": False,
        "reason": "not a use",
    }
    # The real sign-in a moment later is not debounced by it.
    recorded(ssm, "root", SIGN_IN_RECORD)
    start(config)
    assert reevaluate.lambda_handler(EVENT, Context()) == {"started": True}


def worst_case_calls(clock, *clients_and_limits):
    """Every call takes the longest it may (budget.CallLimits), on the test's clock."""
    for client, limits in clients_and_limits:

        def take_longest(limits=limits, **kwargs):
            clock["now"] += limits.worst_case_seconds

        client.meta.events.register_first("before-call.*.*", take_longest)


@pytest.mark.parametrize("seconds", [45.0, 120.0])
def test_throttled_recording_leaves_the_start_its_time_and_ends_in_time(clients, seconds):
    from root_account_usage.rule import budget

    config, ssm, clock = clients
    worst_case_calls(
        clock,
        (reevaluate._state["ssm"], budget.SSM_LIMITS),
        (reevaluate._state["config"], budget.CONFIG_LIMITS),
    )
    # Throttled for ever: with 45 s one try fits beside the start; with 120 s, the retries.
    tries = 1 if seconds < 60 else 3
    for _ in range(tries):
        ssm.add_client_error("put_parameter", "ThrottlingException", http_status_code=400)
    start(config)
    context = Context(seconds, clock)
    with pytest.raises(reevaluate.RootEventNotRecordedError, match="Throttling"):
        reevaluate.lambda_handler(EVENT, context)
    # The start was made (the fixture checks), and all ended before Lambda's timeout.
    assert context.get_remaining_time_in_millis() >= reevaluate.MARGIN_SECONDS * 1000


def test_too_little_time_for_a_start_fails_so_lambda_retries(clients):
    # A start may take 37 s (botocore's retries): with less, none begins.
    with pytest.raises(OutOfTimeError, match="too little time"):
        reevaluate.lambda_handler(EVENT, Context(seconds=30))


FORWARD_PATTERN = event_pattern(
    "rdk_config/forward-root-signin.yaml", "ForwardRootActivity", "111122223333"
)


@pytest.mark.parametrize("pattern", [PATTERN, FORWARD_PATTERN], ids=["home", "forwarder"])
@pytest.mark.parametrize(
    "invoker",
    [None, "signin.amazonaws.com", "AWS Internal", "config.amazonaws.com", "kms", "Signin"],
)
def test_the_patterns_start_a_re_evaluation_exactly_for_what_the_rule_counts(pattern, invoker):
    from root_account_usage.core.cloudtrail_evidence import ROOT_CONSOLE_INVOKERS

    identity = {"type": "Root", "accountId": "111122223333"}
    identity |= {} if invoker is None else {"invokedBy": invoker}
    event = cloudtrail_event(
        API_CALL,
        eventName="CreateAccessKey",
        eventTime="2026-11-27T11:00:00Z",
        userIdentity=identity,
    )
    counted = reevaluate.activity_of(event) is not None
    assert EventPattern.load(pattern).matches_event(event) is counted
    listed = json.loads(pattern)["detail"]["userIdentity"]["invokedBy"]
    assert listed == [{"exists": False}, *ROOT_CONSOLE_INVOKERS]
