"""Lambda for EventBridge's root events: record the event, ask AWS Config to re-evaluate."""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from botocore.exceptions import ClientError

from ..core import annotation as text
from ..core.cloudtrail_evidence import RootActivity, root_activity_in_record
from ..core.events import ACCOUNT_ID
from ..core.recorded_activity import slot_of
from ..core.regions import COMMERCIAL_SIGN_IN_REGION, is_region_name
from .aws import error_code
from .budget import CONFIG_LIMITS, Budget
from .clients import new_client
from .recorded_events import record_activity

logger = logging.getLogger(__name__)

DEBOUNCE_SECONDS = 300.0
ALREADY_RUNNING = "LimitExceededException"
# AWS Config allows one start a minute: asking again this long after the record was
# written, a refusal proves an evaluation that reads the record.
RETRY_AFTER_SECONDS = 65.0
MARGIN_SECONDS = 2.0  # kept back from the function's time for its last log line
DEFAULT_SECONDS = 120.0  # without a Lambda context: template.yaml's timeout
NOT_ROOT_ACTIVITY = "other"  # debounce key of events that are not root use by our reading
_START_SECONDS = CONFIG_LIMITS.worst_case_seconds  # no start begins with less time left
BUSY = "EvaluationBusy"  # the code of OutOfTimeError when no start can be asked for

_state: dict[str, Any] = {"config": None, "ssm": None, "handled": {}}


class RootEventNotRecordedError(RuntimeError):
    """The root event could not be recorded; Lambda retries the invocation."""


def lambda_handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """Record the root event (when ROOT_ACTIVITY_EVIDENCE is set) and start an evaluation
    of CONFIG_RULE_NAME, unless this container handled the same kind moments ago."""
    rule_name = os.environ["CONFIG_RULE_NAME"]
    path = os.environ.get("ROOT_ACTIVITY_EVIDENCE") or None
    budget = Budget.for_lambda(
        context, reserve=lambda _: MARGIN_SECONDS, default_seconds=DEFAULT_SECONDS - MARGIN_SECONDS
    )
    activity = activity_of(event)
    kind = slot_of(activity) if activity is not None else NOT_ROOT_ACTIVITY
    # Log what happened, not who or from where: the event carries the root's IP address.
    fields = {"event_id": event.get("id"), "detail_type": event.get("detail-type"), "kind": kind}
    if other_account(event, own_account(context)) is not None:
        logger.warning("root event of another account ignored", extra={"fields": fields})
        return {"started": False, "reason": "another account"}
    if activity is not None and activity.attempt:
        logger.info("root sign-in attempt that did not authenticate", extra={"fields": fields})
        return {"started": False, "reason": "not a use"}
    handled = _state["handled"].get(kind)
    if handled is not None and time.monotonic() - handled < DEBOUNCE_SECONDS:
        logger.info("re-evaluation debounced", extra={"fields": fields})
        return {"started": False, "reason": "debounced"}

    recorded_at: float | None = None
    not_recorded: Exception | None = None
    if path is not None and activity is not None:
        try:
            # The record leaves the time one start may take.
            left = budget.less(_START_SECONDS)
            name = record_activity(_client("ssm"), path, activity, budget=left)
        except Exception as error:  # ClientError, BotoCoreError: retried by Lambda below
            not_recorded = error
            logger.error(
                "root event not recorded",
                extra={"fields": fields | {"error_code": error_code(error)}},
            )
        else:
            recorded_at = time.monotonic()
            logger.info("root event recorded", extra={"fields": fields | {"parameter": name}})

    # Start even when recording failed: CloudTrail or the report may already show the use.
    outcome = _start(rule_name, recorded_at, budget, fields)
    if not_recorded is not None:
        raise RootEventNotRecordedError(
            f"root event not recorded: {error_code(not_recorded)}"
        ) from not_recorded
    _state["handled"][kind] = time.monotonic()
    return outcome


def activity_of(event: dict[str, Any]) -> RootActivity | None:
    """The root activity an EventBridge CloudTrail event carries, else None."""
    detail = event.get("detail") if isinstance(event, dict) else None
    if not isinstance(detail, dict):
        return None
    # The region the record names, where a record can hold it (any region name).
    candidates = (detail.get("awsRegion"), event.get("region"), os.environ.get("AWS_REGION"))
    region = next((r for r in candidates if isinstance(r, str) and is_region_name(r)), None)
    return root_activity_in_record(
        detail, region or COMMERCIAL_SIGN_IN_REGION, source=text.EVENTBRIDGE
    )


def own_account(context: object) -> str | None:
    """The function's account, from its ARN in the Lambda context (None outside Lambda)."""
    arn = getattr(context, "invoked_function_arn", None)
    parts = arn.split(":") if isinstance(arn, str) else []
    return parts[4] if len(parts) > 4 and ACCOUNT_ID.fullmatch(parts[4]) else None


def other_account(event: dict[str, Any], account: str | None) -> str | None:
    """The first account the event, its record or its root names that is not `account`."""
    if account is None:
        return None
    detail = _object(event.get("detail"))
    identity = _object(detail.get("userIdentity"))
    named = (event.get("account"), detail.get("recipientAccountId"), identity.get("accountId"))
    return next((str(n)[:12] for n in named if n is not None and n != account), None)


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _start(
    rule_name: str, recorded_at: float | None, budget: Budget, fields: dict[str, Any]
) -> dict[str, Any]:
    started = _try_start(rule_name, budget)
    if not started and recorded_at is not None:
        wait = max(0.0, recorded_at + RETRY_AFTER_SECONDS - time.monotonic())
        reason = "AWS Config is busy and too little time is left to ask again"
        budget.require(_START_SECONDS, reason, wait=wait, code=BUSY)
        time.sleep(wait)
        if not _try_start(rule_name, budget):
            # Refused again more than a minute after the record: a later evaluation reads it.
            logger.info("evaluation started since the event was recorded", extra={"fields": fields})
            return {"started": False, "reason": "started since recorded"}
    elif not started:
        # Nothing new to see: the running evaluation decides as this one would.
        logger.info("evaluation already running", extra={"fields": fields})
        return {"started": False, "reason": "already running"}
    logger.info("re-evaluation started", extra={"fields": fields | {"rule": rule_name}})
    return {"started": True}


def _try_start(rule_name: str, budget: Budget) -> bool:
    """Start the rule's evaluation; False when AWS Config refuses as already running."""
    budget.require(_START_SECONDS, "too little time is left to ask AWS Config to start", code=BUSY)
    try:
        _client("config").start_config_rules_evaluation(ConfigRuleNames=[rule_name])
    except ClientError as error:
        if error_code(error) != ALREADY_RUNNING:
            raise  # Lambda retries, and its Errors metric shows it
        return False
    return True


def _client(service: str) -> Any:
    # Bounded like the rule's clients, so that a hung endpoint cannot outlast the function.
    if _state[service] is None:
        _state[service] = new_client(service)
    return _state[service]
