"""Event-driven re-evaluation: the EventBridge pattern (checked with moto's implementation of
EventBridge pattern matching) and the function that asks AWS Config to re-evaluate (Stubber)."""

from __future__ import annotations

import json

import pytest
from moto.events.models import EventPattern

from root_account_usage.rule import reevaluate
from tests.cfn import load_template
from tests.doubles import stubbed

PATTERN = load_template("template.yaml")["Resources"]["RootActivityRule"]["Properties"][
    "EventPattern"
]


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
    ],
    ids=[
        "root sign-in",
        "root API call",
        "IAM user named root",
        "service for root",
        "service event",
        "other detail-type",
    ],
)
def test_event_pattern_matches_root_activity_only(event, matches):
    assert EventPattern.load(json.dumps(PATTERN)).matches_event(event) is matches


@pytest.fixture
def config(monkeypatch):
    client, stub = stubbed("config")
    monkeypatch.setenv("CONFIG_RULE_NAME", "root-account-usage")
    monkeypatch.setitem(reevaluate._state, "client", client)
    monkeypatch.setitem(reevaluate._state, "last_started", None)
    with stub:
        yield stub
        stub.assert_no_pending_responses()


def start(stub):
    stub.add_response(
        "start_config_rules_evaluation", {}, {"ConfigRuleNames": ["root-account-usage"]}
    )


EVENT = cloudtrail_event(SIGN_IN, eventName="ConsoleLogin", sourceIPAddress="203.0.113.7")


def test_root_activity_starts_an_evaluation_and_a_burst_is_debounced(config, caplog):
    start(config)
    assert reevaluate.lambda_handler(EVENT, None) == {"started": True}
    # The next events of the burst make no further calls (Stubber would refuse them).
    assert reevaluate.lambda_handler(EVENT, None) == {"started": False, "reason": "debounced"}
    assert "203.0.113.7" not in caplog.text  # the root's address is not logged


def test_evaluation_already_running_counts_as_done(config):
    config.add_client_error(
        "start_config_rules_evaluation", "LimitExceededException", http_status_code=400
    )
    assert reevaluate.lambda_handler(EVENT, None) == {"started": False, "reason": "already running"}


def test_other_errors_fail_the_invocation_so_eventbridge_retries(config):
    config.add_client_error(
        "start_config_rules_evaluation", "NoSuchConfigRuleException", http_status_code=400
    )
    with pytest.raises(Exception, match="NoSuchConfigRuleException"):
        reevaluate.lambda_handler(EVENT, None)


def test_debounce_ends_after_its_window(config, monkeypatch):
    start(config)
    start(config)
    clock = iter([1000.0, 1000.0 + reevaluate.DEBOUNCE_SECONDS + 1, 2000.0])
    monkeypatch.setattr("time.monotonic", lambda: next(clock))
    assert reevaluate.lambda_handler(EVENT, None)["started"] is True
    assert reevaluate.lambda_handler(EVENT, None)["started"] is True
