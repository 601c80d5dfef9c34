"""The AWS Config periodic event, reduced to what the rule needs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

from .exceptions import InvalidEventError
from .plain_text import NAME, SHORT, VALUE, load_with_repeats, shortened
from .timestamps import EARLIEST_EVALUATION_TIME, format_timestamp, parse_timestamp

SCHEDULED_NOTIFICATION = "ScheduledNotification"
MAX_INVOKING_EVENT_CHARS = 64 * 1024  # a periodic invokingEvent is a few hundred characters
MAX_RULE_PARAMETERS_CHARS = 4 * 1024  # room to spare over AWS Config's 1,024-character cap
ACCOUNT_ID = re.compile(r"[0-9]{12}")  # an AWS account id: fullmatch, no trailing newline
# notificationCreationTime as AWS Config writes it: rdklib sends it back as PutEvaluations'
# OrderingTimestamp, which botocore refuses in some forms Python reads ("...00.Z").
_AWS_TIMESTAMP = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})"
)


class PeriodicEvent(NamedTuple):
    """One scheduled invocation: which account, and the instant it is judged at."""

    account_id: str
    notification_time: datetime
    rule_parameters: Mapping[str, object]
    execution_role_arn: str = ""
    repeated_parameters: frozenset[str] = frozenset()  # keys given twice in ruleParameters
    rule_name: str = ""  # configRuleName: whose last evaluation the rule reads back


def parse_periodic_event(event: Mapping[str, Any]) -> PeriodicEvent:
    """The event's account, time and ruleParameters. Raises InvalidEventError naming a fault."""
    if not isinstance(event, Mapping):
        raise InvalidEventError("event is not a JSON object")
    invoking_event, repeated = load_json_object(
        event.get("invokingEvent"), "invokingEvent", MAX_INVOKING_EVENT_CHARS
    )
    if repeated:
        raise InvalidEventError(
            "invokingEvent has key(s) " + ", ".join(sorted(repeated)[:3]) + " more than once"
        )
    message_type = invoking_event.get("messageType")
    if message_type != SCHEDULED_NOTIFICATION:
        raise InvalidEventError(
            f"invokingEvent messageType is {shortened(message_type, NAME)!r}, "
            f"not {SCHEDULED_NOTIFICATION}"
        )
    raw_time = invoking_event.get("notificationCreationTime")
    if not isinstance(raw_time, str):
        raise InvalidEventError("invokingEvent has no notificationCreationTime")
    try:
        if not _AWS_TIMESTAMP.fullmatch(raw_time):
            raise ValueError(raw_time)
        notification_time = parse_timestamp(raw_time)
    except ValueError:
        raise InvalidEventError(
            f"notificationCreationTime {shortened(raw_time, VALUE)!r} is not an ISO-8601 "
            "timestamp as AWS Config writes it (2026-11-27T12:00:00.000Z)"
        ) from None
    if notification_time < EARLIEST_EVALUATION_TIME:
        raise InvalidEventError(
            f"notificationCreationTime {shortened(raw_time, VALUE)!r} is before "
            f"{format_timestamp(EARLIEST_EVALUATION_TIME)}"
        )
    # accountId and invokingEvent's awsAccountId are the same: two that differ are refused.
    account_id = event["accountId"] if "accountId" in event else invoking_event.get("awsAccountId")
    if not isinstance(account_id, str) or not ACCOUNT_ID.fullmatch(account_id):
        raise InvalidEventError("event has no accountId of 12 digits")
    named = invoking_event.get("awsAccountId", account_id)
    if named != account_id:
        raise InvalidEventError(
            f"event's accountId {account_id} is not invokingEvent's awsAccountId "
            f"{shortened(named, SHORT)!r}"
        )
    # Absent means none; present, rdklib json.loads it, so it must be a JSON string.
    parameters, repeated = load_json_object(event.get("ruleParameters", "{}"))
    # rdklib reads both on every invocation, executionRoleArn even in its own-role mode.
    for field in ("resultToken", "executionRoleArn"):
        if not isinstance(event.get(field), str) or not event[field]:
            raise InvalidEventError(f"event has no {field}")
    return PeriodicEvent(
        account_id,
        notification_time,
        parameters,
        execution_role_arn=event["executionRoleArn"],
        repeated_parameters=repeated,
        rule_name=event["configRuleName"] if isinstance(event.get("configRuleName"), str) else "",
    )


def load_json_object(
    raw: object, name: str = "ruleParameters", max_chars: int = MAX_RULE_PARAMETERS_CHARS
) -> tuple[dict[str, Any], frozenset[str]]:
    """The JSON object in `raw` and the keys its top level gives twice. Raises
    InvalidEventError naming `name` for no JSON object, or one too long."""
    if not isinstance(raw, str):
        raise InvalidEventError(f"event has no {name} JSON string")
    if len(raw) > max_chars:
        raise InvalidEventError(f"{name} is {len(raw)} characters, over the {max_chars} limit")
    try:
        loaded, repeated = load_with_repeats(raw)
    except ValueError:
        raise InvalidEventError(f"{name} is not valid JSON") from None
    if not isinstance(loaded, dict):
        raise InvalidEventError(f"{name} is not a JSON object")
    return loaded, repeated[-1]
