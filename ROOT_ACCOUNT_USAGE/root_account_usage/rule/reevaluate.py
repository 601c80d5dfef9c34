"""Lambda for the EventBridge rule on root activity: ask AWS Config to re-evaluate now.

Handler `root_account_usage.rule.reevaluate.lambda_handler`, shipped in the same package as
the rule. Bursts are debounced twice: a container that started an evaluation in the
last few minutes does not start another, and AWS Config refuses a new evaluation while
one is running (LimitExceededException), which counts as done here.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from botocore.exceptions import ClientError

from .aws import error_code
from .logs import configure_json_logging

logger = logging.getLogger(__name__)

DEBOUNCE_SECONDS = 300.0
ALREADY_RUNNING = "LimitExceededException"

_state: dict[str, Any] = {"client": None, "last_started": None}


def lambda_handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """Start an evaluation of CONFIG_RULE_NAME unless one was started moments ago."""
    configure_json_logging()
    rule_name = os.environ["CONFIG_RULE_NAME"]
    # Log what happened, not who or from where: the event carries the root's IP address.
    fields = {"event_id": event.get("id"), "detail_type": event.get("detail-type")}
    last = _state["last_started"]
    if last is not None and time.monotonic() - last < DEBOUNCE_SECONDS:
        logger.info("re-evaluation debounced", extra={"fields": fields})
        return {"started": False, "reason": "debounced"}
    if _state["client"] is None:
        import boto3

        _state["client"] = boto3.client("config")
    try:
        _state["client"].start_config_rules_evaluation(ConfigRuleNames=[rule_name])
    except ClientError as error:
        if error_code(error) != ALREADY_RUNNING:
            raise  # EventBridge retries, and Lambda's Errors metric shows it
        logger.info("evaluation already running", extra={"fields": fields})
        return {"started": False, "reason": "already running"}
    _state["last_started"] = time.monotonic()
    logger.info("re-evaluation started", extra={"fields": fields | {"rule": rule_name}})
    return {"started": True}
