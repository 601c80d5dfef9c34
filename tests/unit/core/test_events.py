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


def test_account_id_with_a_trailing_newline_is_refused():
    event = periodic_event(ACCOUNT_ID, NOW) | {"accountId": ACCOUNT_ID + "\n"}
    with pytest.raises(InvalidEventError, match="accountId"):
        parse_periodic_event(event)


def test_rule_parameters_given_twice_are_reported_not_last_wins():
    event = periodic_event(ACCOUNT_ID, NOW)
    event["ruleParameters"] = '{"ThresholdDays": "3650", "ThresholdDays": "7"}'
    parsed = parse_periodic_event(event)
    assert parsed.repeated_parameters == {"ThresholdDays"}


def test_nested_repeats_are_not_top_level_parameters():
    event = periodic_event(ACCOUNT_ID, NOW)
    event["ruleParameters"] = '{"ThresholdDays": {"a": 1, "a": 2}}'
    assert parse_periodic_event(event).repeated_parameters == frozenset()


def test_invoking_event_with_a_key_given_twice_is_refused():
    event = periodic_event(ACCOUNT_ID, NOW)
    event["invokingEvent"] = event["invokingEvent"].replace(
        '"messageType"', '"notificationCreationTime": "2026-11-20T00:00:00.000Z", "messageType"'
    )
    with pytest.raises(InvalidEventError, match="notificationCreationTime more than once"):
        parse_periodic_event(event)


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ("9999-12-31T23:59:59-01:00", "not an ISO-8601"),
        ("0001-01-01T00:00:00+01:00", "not an ISO-8601"),
        ("0001-01-02T00:00:00Z", "before 2000-01-01"),  # now - 3650 days would overflow
        ("2026-11-27", "not an ISO-8601"),
    ],
)
def test_notification_time_out_of_range_or_without_a_time_is_refused(when, message):
    with pytest.raises(InvalidEventError, match=message):
        parse_periodic_event(with_invoking(notificationCreationTime=when))


def test_an_integer_past_pythons_digit_limit_is_refused_not_a_value_error():
    invoking = json.loads(periodic_event(ACCOUNT_ID, NOW)["invokingEvent"])
    text = json.dumps(invoking)[:-1] + ', "recordVersion2": ' + "9" * 5000 + "}"
    event = periodic_event(ACCOUNT_ID, NOW) | {"invokingEvent": text}
    with pytest.raises(InvalidEventError, match="not valid JSON"):
        parse_periodic_event(event)


def test_deeply_nested_rule_parameters_are_refused_not_a_recursion_error():
    event = periodic_event(ACCOUNT_ID, NOW) | {"invokingEvent": "[" * 60_000 + "]" * 60_000}
    with pytest.raises(InvalidEventError):
        parse_periodic_event(event)


@pytest.mark.parametrize(
    "when",
    [
        "2026-11-20T10:00:00.Z",  # Python reads it; botocore refuses it at PutEvaluations
        "2026-11-20 10:00:00Z",
        "2026-11-20T10:00:00,123Z",
        "2026-11-20T10:00:00",  # no zone
        "2026-11-20T10:00Z",
        "2026-11-20T10:00:00.000Z\n",
    ],
)
def test_a_notification_time_not_as_aws_config_writes_it_is_refused_before_any_work(when):
    # rdklib sends the raw string back as OrderingTimestamp: refused here, it cannot fail
    # after a whole evaluation.
    with pytest.raises(InvalidEventError, match="as AWS Config writes it"):
        parse_periodic_event(with_invoking(notificationCreationTime=when))


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("2026-11-20T10:00:00.123Z", datetime(2026, 11, 20, 10, 0, 0, 123000, tzinfo=UTC)),
        ("2026-11-20T10:00:00Z", datetime(2026, 11, 20, 10, tzinfo=UTC)),
        ("2026-11-20T15:30:00+05:30", datetime(2026, 11, 20, 10, tzinfo=UTC)),
    ],
)
def test_notification_times_as_aws_writes_them_are_read(when, expected):
    parsed = parse_periodic_event(with_invoking(notificationCreationTime=when))
    assert parsed.notification_time == expected


def test_an_account_id_that_differs_from_the_invoking_events_is_refused():
    # AWS Config writes both, the same: which account is meant cannot be told.
    event = with_invoking(awsAccountId="999999999999")
    with pytest.raises(InvalidEventError, match="awsAccountId"):
        parse_periodic_event(event)


def test_an_empty_account_id_is_refused_not_replaced():
    event = periodic_event(ACCOUNT_ID, NOW) | {"accountId": ""}
    with pytest.raises(InvalidEventError, match="accountId of 12 digits"):
        parse_periodic_event(event)


@pytest.mark.parametrize(
    ("field", "limit"), [("invokingEvent", 64 * 1024), ("ruleParameters", 4096)]
)
def test_a_json_field_of_exactly_its_limit_is_read_one_character_more_is_refused(field, limit):
    event = periodic_event(ACCOUNT_ID, NOW)
    padded = event[field] + " " * (limit - len(event[field]))
    assert parse_periodic_event(event | {field: padded}).account_id == ACCOUNT_ID
    over = f"{field} is {limit + 1} characters, over the {limit} limit"
    with pytest.raises(InvalidEventError, match=over):
        parse_periodic_event(event | {field: padded + " "})


def test_the_earliest_notification_time_is_read_a_millisecond_before_it_is_refused():
    earliest = with_invoking(notificationCreationTime="2000-01-01T00:00:00.000Z")
    assert parse_periodic_event(earliest).notification_time == datetime(2000, 1, 1, tzinfo=UTC)
    with pytest.raises(InvalidEventError, match="before 2000-01-01"):
        parse_periodic_event(with_invoking(notificationCreationTime="1999-12-31T23:59:59.999Z"))


@pytest.mark.parametrize("field", ["resultToken", "executionRoleArn"])
@pytest.mark.parametrize("value", [None, "", 7], ids=["absent", "empty", "a number"])
def test_an_event_without_its_result_token_or_role_is_refused_naming_it(field, value):
    event = periodic_event(ACCOUNT_ID, NOW) | {field: value}
    if value is None:
        del event[field]
    with pytest.raises(InvalidEventError, match=f"^event has no {field}$"):
        parse_periodic_event(event)


def test_keys_the_invoking_event_gives_twice_are_named_three_at_most():
    event = periodic_event(ACCOUNT_ID, NOW)
    twice = ", ".join(f'"{key}": 1, "{key}": 1' for key in "dcba")
    event["invokingEvent"] = event["invokingEvent"][:-1] + ", " + twice + "}"
    with pytest.raises(InvalidEventError, match=r"key\(s\) a, b, c more than once$"):
        parse_periodic_event(event)
