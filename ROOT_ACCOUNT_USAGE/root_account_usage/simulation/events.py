"""AWS Config's periodic invoking event (the samples in events/ are alike; a test checks it)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any


def periodic_event(
    account_id: str, now: datetime, rule_parameters: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """A ScheduledNotification event as AWS Config sends it to a custom Lambda rule."""
    notification_time = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
    return {
        "version": "1.0",
        "invokingEvent": json.dumps(
            {
                "awsAccountId": account_id,
                "notificationCreationTime": notification_time,
                "messageType": "ScheduledNotification",
                "recordVersion": "1.0",
            }
        ),
        "ruleParameters": json.dumps(dict(rule_parameters or {"ThresholdDays": "7"})),
        "resultToken": "TESTMODE",  # rdklib's test-mode token: PutEvaluations with TestMode
        "eventLeftScope": False,
        "executionRoleArn": f"arn:aws:iam::{account_id}:role/aws-service-role/"
        "config.amazonaws.com/AWSServiceRoleForConfig",
        "configRuleArn": f"arn:aws:config:us-east-1:{account_id}:config-rule/config-rule-abc123",
        "configRuleName": "root-account-usage",
        "configRuleId": "config-rule-abc123",
        "accountId": account_id,
    }
