"""The AWS Config periodic event, reduced to what the rule needs."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .exceptions import InvalidEventError
from .timestamps import parse_timestamp

SCHEDULED_NOTIFICATION = "ScheduledNotification"


@dataclass(frozen=True)
class PeriodicEvent:
    """One scheduled invocation: which account, and the instant it is judged at."""

    account_id: str
    notification_time: datetime
    rule_parameters: Mapping[str, object]


def parse_periodic_event(event: Mapping[str, Any]) -> PeriodicEvent:
    """Read accountId, notificationCreationTime and ruleParameters from the event."""
    invoking_event = _load_json_object(event.get("invokingEvent"), "invokingEvent")
    message_type = invoking_event.get("messageType")
    if message_type != SCHEDULED_NOTIFICATION:
        raise InvalidEventError(
            f"invokingEvent messageType is {str(message_type)[:60]!r}, not {SCHEDULED_NOTIFICATION}"
        )
    raw_time = invoking_event.get("notificationCreationTime")
    if not isinstance(raw_time, str):
        raise InvalidEventError("invokingEvent has no notificationCreationTime")
    try:
        notification_time = parse_timestamp(raw_time)
    except ValueError:
        raise InvalidEventError(
            f"notificationCreationTime {raw_time[:40]!r} is not an ISO-8601 timestamp"
        ) from None
    account_id = event.get("accountId") or invoking_event.get("awsAccountId")
    if not isinstance(account_id, str) or not account_id:
        raise InvalidEventError("event has no accountId")
    raw_parameters = event.get("ruleParameters")
    parameters = (
        {} if raw_parameters in (None, "") else _load_json_object(raw_parameters, "ruleParameters")
    )
    return PeriodicEvent(account_id, notification_time, parameters)


def _load_json_object(raw: object, name: str) -> dict[str, Any]:
    if isinstance(raw, Mapping):
        return dict(raw)
    if not isinstance(raw, str):
        raise InvalidEventError(f"event has no {name}")
    try:
        loaded = json.loads(raw)
    except json.JSONDecodeError:
        raise InvalidEventError(f"{name} is not valid JSON") from None
    if not isinstance(loaded, dict):
        raise InvalidEventError(f"{name} is not a JSON object")
    return loaded
