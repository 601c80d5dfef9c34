"""Lambda for the EventBridge rule on root activity: record the event, then ask AWS Config
to re-evaluate now.

Handler `root_account_usage.rule.reevaluate.lambda_handler`, shipped in the same package as
the rule. The event is recorded first (ROOT_ACTIVITY_EVIDENCE, an SSM path; see
core/recorded_activity.py), so the evaluation it starts sees the use however far
CloudTrail event history and the credential report lag behind.

AWS Config refuses a start while an evaluation runs or within a minute of the last start
(LimitExceededException). An evaluation started before the record was written may not
see it, so the function asks once more when that minute is over; refused again, an
evaluation was started (or still runs) after the record was written, and reads it.

Bursts are debounced per kind of root activity: a container that recorded and started
for one kind in the last few minutes does neither again for that kind, since the
evaluation it started saw an event of the same kind, and so reaches the same verdict.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from botocore.exceptions import ClientError

from ..core import annotation as text
from ..core.cloudtrail_evidence import RootActivity, root_activity_in_record
from ..core.recorded_activity import slot_of
from .aws import error_code
from .clients import new_client
from .logs import configure_json_logging
from .recorded_events import record_activity

logger = logging.getLogger(__name__)

DEBOUNCE_SECONDS = 300.0
ALREADY_RUNNING = "LimitExceededException"
# AWS Config allows one start a minute: asking again this long after the record was
# written, a refusal proves an evaluation that reads the record.
RETRY_AFTER_SECONDS = 65.0
# Time kept back for the second call and the log line (the function's timeout is 120 s).
MARGIN_SECONDS = 15.0
NOT_ROOT_ACTIVITY = "other"  # debounce key of events that are not root use by our reading

_state: dict[str, Any] = {"config": None, "ssm": None, "handled": {}}


class RootEventNotRecordedError(RuntimeError):
    """The root event could not be recorded; Lambda retries the invocation."""


class EvaluationBusyError(RuntimeError):
    """AWS Config kept refusing to start; Lambda retries the invocation later."""


def lambda_handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """Record the root event (when ROOT_ACTIVITY_EVIDENCE is set) and start an evaluation
    of CONFIG_RULE_NAME, unless this container handled the same kind moments ago."""
    configure_json_logging()
    rule_name = os.environ["CONFIG_RULE_NAME"]
    path = os.environ.get("ROOT_ACTIVITY_EVIDENCE") or None
    activity = activity_of(event)
    kind = slot_of(activity) if activity is not None else NOT_ROOT_ACTIVITY
    # Log what happened, not who or from where: the event carries the root's IP address.
    fields = {"event_id": event.get("id"), "detail_type": event.get("detail-type"), "kind": kind}
    handled = _state["handled"].get(kind)
    if handled is not None and time.monotonic() - handled < DEBOUNCE_SECONDS:
        logger.info("re-evaluation debounced", extra={"fields": fields})
        return {"started": False, "reason": "debounced"}

    recorded_at: float | None = None
    not_recorded: Exception | None = None
    if path is not None and activity is not None:
        try:
            name = record_activity(_ssm(), path, activity)
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
    outcome = _start(rule_name, recorded_at, context, fields)
    if not_recorded is not None:
        raise RootEventNotRecordedError(
            f"root event not recorded: {error_code(not_recorded)}"
        ) from not_recorded
    _state["handled"][kind] = time.monotonic()
    return outcome


def activity_of(event: dict[str, Any]) -> RootActivity | None:
    """The root activity an EventBridge CloudTrail event carries; None when it carries none
    (not a CloudTrail record, or not the root user's own action by the rule's reading)."""
    detail = event.get("detail") if isinstance(event, dict) else None
    if not isinstance(detail, dict):
        return None
    region = str(detail.get("awsRegion") or event.get("region") or "unknown")
    return root_activity_in_record(detail, region, source=text.EVENTBRIDGE)


def _start(
    rule_name: str, recorded_at: float | None, context: object, fields: dict[str, Any]
) -> dict[str, Any]:
    if _try_start(rule_name):
        logger.info("re-evaluation started", extra={"fields": fields | {"rule": rule_name}})
        return {"started": True}
    if recorded_at is None:
        # Nothing new to see: the running evaluation decides as this one would.
        logger.info("evaluation already running", extra={"fields": fields})
        return {"started": False, "reason": "already running"}
    wait = max(0.0, recorded_at + RETRY_AFTER_SECONDS - time.monotonic())
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if callable(remaining) and remaining() / 1000 < wait + MARGIN_SECONDS:
        raise EvaluationBusyError("AWS Config is busy and too little time is left to ask again")
    time.sleep(wait)
    if _try_start(rule_name):
        logger.info("re-evaluation started", extra={"fields": fields | {"rule": rule_name}})
        return {"started": True}
    # Refused again more than a minute after the record: a later evaluation reads it.
    logger.info("evaluation started since the event was recorded", extra={"fields": fields})
    return {"started": False, "reason": "started since recorded"}


def _try_start(rule_name: str) -> bool:
    """Start the rule's evaluation; False when AWS Config refuses as already running."""
    try:
        _config().start_config_rules_evaluation(ConfigRuleNames=[rule_name])
    except ClientError as error:
        if error_code(error) != ALREADY_RUNNING:
            raise  # Lambda retries, and its Errors metric shows it
        return False
    return True


def _config() -> Any:
    # Bounded like the rule's clients, so that a hung endpoint cannot outlast the function.
    if _state["config"] is None:
        _state["config"] = new_client("config")
    return _state["config"]


def _ssm() -> Any:
    if _state["ssm"] is None:
        _state["ssm"] = new_client("ssm")
    return _state["ssm"]
