"""Reading the AWS Config periodic event."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from root_account_usage.core.events import parse_periodic_event
from root_account_usage.core.exceptions import InvalidEventError
from root_account_usage.simulation.events import periodic_event
from tests.reports import ACCOUNT_ID, NOW


def test_periodic_event_gives_account_time_and_parameters():
    event = periodic_event(ACCOUNT_ID, NOW, {"ThresholdDays": "30"})
    parsed = parse_periodic_event(event)
    assert parsed.account_id == ACCOUNT_ID
    assert parsed.notification_time == NOW
    assert parsed.rule_parameters == {"ThresholdDays": "30"}


def test_milliseconds_of_notification_time_are_kept():
    moment = datetime(2026, 11, 27, 12, 0, 0, 123000, tzinfo=UTC)
    assert parse_periodic_event(periodic_event(ACCOUNT_ID, moment)).notification_time == moment


def test_missing_rule_parameters_are_empty():
    event = periodic_event(ACCOUNT_ID, NOW)
    del event["ruleParameters"]
    assert parse_periodic_event(event).rule_parameters == {}


def test_account_falls_back_to_invoking_event():
    event = periodic_event(ACCOUNT_ID, NOW)
    del event["accountId"]
    assert parse_periodic_event(event).account_id == ACCOUNT_ID


def with_invoking(**changes):
    event = periodic_event(ACCOUNT_ID, NOW)
    invoking = json.loads(event["invokingEvent"])
    invoking.update(changes)
    event["invokingEvent"] = json.dumps(invoking)
    return event


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (with_invoking(messageType="ConfigurationItemChangeNotification"), "messageType"),
        (with_invoking(notificationCreationTime=None), "no notificationCreationTime"),
        (with_invoking(notificationCreationTime="yesterday"), "not an ISO-8601"),
        (periodic_event(ACCOUNT_ID, NOW) | {"invokingEvent": "{not json"}, "not valid JSON"),
        (periodic_event(ACCOUNT_ID, NOW) | {"invokingEvent": "[]"}, "not a JSON object"),
        ({"ruleParameters": "{}"}, "no invokingEvent"),
        (periodic_event(ACCOUNT_ID, NOW) | {"ruleParameters": "7"}, "ruleParameters"),
    ],
)
def test_malformed_events_are_refused_with_the_field_named(event, message):
    with pytest.raises(InvalidEventError, match=message):
        parse_periodic_event(event)


def test_event_without_any_account_is_refused():
    event = with_invoking(awsAccountId=None)
    del event["accountId"]
    with pytest.raises(InvalidEventError, match="accountId"):
        parse_periodic_event(event)
