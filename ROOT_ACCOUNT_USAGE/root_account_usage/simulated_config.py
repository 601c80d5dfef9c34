"""A simulated AWS Config holding a rule's history, for `history --demo` and `make evidence`.

The history is what the real rule would have recorded: one evaluation a day, each
judged by the real verdict code on the simulated account's root activity (a console
sign-in, a day the report could not be read, an access key used two hours ago).
It answers the calls config_history.py makes, with the shapes and the seven-day limit
of the real API. Never imported by the Lambda handler.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from .exceptions import ReportUnavailableError
from .report import parse_credential_report
from .simulated_aws import RootUse, render_report, root_row
from .verdict import RESOURCE_TYPE, Verdict, decide, unable_to_evaluate

RULE_NAME = "root-account-usage"
DEMO_ACCOUNT = "123456789012"
DEMO_REGION = "us-east-1"


def _daily_verdicts(now: datetime, days: int) -> list[tuple[datetime, Verdict]]:
    sign_in = now - timedelta(days=52, hours=5)
    unreadable_day = (now - timedelta(days=20)).date()
    key_use = now - timedelta(hours=2)
    first = (now - timedelta(days=days)).replace(hour=6, minute=0, second=0, microsecond=0)
    verdicts = []
    moment = first
    while moment <= now - timedelta(hours=1):
        generated = moment - timedelta(minutes=20)
        if moment.date() == unreadable_day:
            error = ReportUnavailableError(
                "IAM GetCredentialReport failed: AccessDenied", code="AccessDenied"
            )
            verdicts.append((moment, unable_to_evaluate(error, threshold_days=7)))
        else:
            used = [t for t in (sign_in,) if t <= generated]
            use = RootUse.at(password=max(used) if used else None)
            root = parse_credential_report(render_report([root_row(DEMO_ACCOUNT, use)]))
            verdicts.append(
                (moment, decide(root, now=moment, threshold_days=7, report_generated_at=generated))
            )
        moment += timedelta(days=1)
    # The latest run, minutes ago, sees the access key used two hours ago.
    latest = now - timedelta(minutes=10)
    root = parse_credential_report(
        render_report([root_row(DEMO_ACCOUNT, RootUse.at(password=sign_in, access_key_1=key_use))])
    )
    verdicts.append(
        (latest, decide(root, now=latest, threshold_days=7, report_generated_at=latest))
    )
    return verdicts


class SimulatedConfig:
    """Answers the AWS Config calls of `history` for one simulated account."""

    def __init__(self, now: datetime, days: int = 120) -> None:
        self.evaluations = _daily_verdicts(now, days)
        self.items: list[dict[str, Any]] = []
        previous = None
        for moment, verdict in self.evaluations:
            if verdict.compliance_type != previous:
                self.items.append(_compliance_item(moment, verdict.compliance_type))
                previous = verdict.compliance_type

    def describe_config_rules(self, **_: Any) -> dict[str, Any]:
        return {
            "ConfigRules": [
                {
                    "ConfigRuleName": RULE_NAME,
                    "InputParameters": json.dumps(
                        {"ThresholdDays": "7", "AssumeRoleMode": "false"}
                    ),
                }
            ]
        }

    def describe_configuration_recorders(self, **_: Any) -> dict[str, Any]:
        return {
            "ConfigurationRecorders": [
                {"name": "default", "recordingGroup": {"allSupported": True}}
            ]
        }

    def get_resource_config_history(self, **request: Any) -> dict[str, Any]:
        earlier, later = request.get("earlierTime"), request.get("laterTime")
        if earlier is not None and later is not None and later - earlier > timedelta(days=7):
            raise ClientError(
                {"Error": {"Code": "InvalidTimeRangeException", "Message": "more than 7 days"}},
                "GetResourceConfigHistory",
            )
        items = [
            item
            for item in self.items
            if (earlier is None or item["configurationItemCaptureTime"] >= earlier)
            and (later is None or item["configurationItemCaptureTime"] <= later)
        ]
        if request.get("chronologicalOrder") != "Forward":
            items.reverse()
        return {"configurationItems": items[: request.get("limit", 10)]}

    def get_compliance_details_by_config_rule(self, **_: Any) -> dict[str, Any]:
        moment, verdict = self.evaluations[-1]
        return {
            "EvaluationResults": [
                {
                    "EvaluationResultIdentifier": {
                        "EvaluationResultQualifier": {
                            "ConfigRuleName": RULE_NAME,
                            "ResourceType": RESOURCE_TYPE,
                            "ResourceId": DEMO_ACCOUNT,
                        },
                        "OrderingTimestamp": moment,
                    },
                    "ComplianceType": verdict.compliance_type,
                    "ResultRecordedTime": moment + timedelta(seconds=40),
                    "ConfigRuleInvokedTime": moment,
                    "Annotation": verdict.annotation,
                }
            ]
        }


def _compliance_item(moment: datetime, compliance_type: str) -> dict[str, Any]:
    configuration = {
        "complianceType": compliance_type,
        "targetResourceId": DEMO_ACCOUNT,
        "targetResourceType": RESOURCE_TYPE,
        "configRuleList": [
            {
                "configRuleArn": (
                    f"arn:aws:config:{DEMO_REGION}:{DEMO_ACCOUNT}:config-rule/config-rule-demo"
                ),
                "configRuleId": "config-rule-demo",
                "configRuleName": RULE_NAME,
                "complianceType": compliance_type,
            }
        ],
    }
    return {
        "version": "1.3",
        "accountId": DEMO_ACCOUNT,
        "configurationItemCaptureTime": moment + timedelta(minutes=1),
        "configurationItemStatus": "ResourceDiscovered",
        "resourceType": "AWS::Config::ResourceCompliance",
        "resourceId": f"{RESOURCE_TYPE}/{DEMO_ACCOUNT}",
        "awsRegion": DEMO_REGION,
        "configuration": json.dumps(configuration),
    }
