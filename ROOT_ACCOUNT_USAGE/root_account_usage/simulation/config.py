"""A simulated AWS Config holding a rule's history, for `history --demo` and `make evidence`.

The history is what the real rule would have recorded: one evaluation a day, each
judged by the real verdict code on the simulated account's root activity (a console
sign-in, a day the report could not be read, an access key used two hours ago).

`simulated_config_client` is a real boto3 client: botocore validates each request
against the API model and runs its paginators; only the HTTP exchange is replaced by
the simulation's answer (validated against the model too, as Stubber does).
Never imported by the Lambda handler.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.validate import validate_parameters

from ..core.exceptions import ReportUnavailableError
from ..core.report import parse_credential_report
from ..core.verdict import RESOURCE_TYPE, Verdict, decide, unable_to_evaluate
from .credential_report import RootUse, render_report, root_row

if TYPE_CHECKING:
    from mypy_boto3_config import ConfigServiceClient

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
                captured = moment + timedelta(minutes=1)
                self.items.append(compliance_item(captured, {RULE_NAME: verdict.compliance_type}))
                previous = verdict.compliance_type

    def describe_config_rules(self, **_: Any) -> dict[str, Any]:
        return {
            "ConfigRules": [
                {
                    "ConfigRuleName": RULE_NAME,
                    "Source": {
                        "Owner": "CUSTOM_LAMBDA",
                        "SourceIdentifier": f"arn:aws:lambda:{DEMO_REGION}:{DEMO_ACCOUNT}:"
                        "function:root-account-usage",
                        "SourceDetails": [
                            {
                                "EventSource": "aws.config",
                                "MessageType": "ScheduledNotification",
                                "MaximumExecutionFrequency": "TwentyFour_Hours",
                            }
                        ],
                    },
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
            raise _ServiceError("InvalidTimeRangeException", "more than 7 days")
        items = [
            item
            for item in self.items
            if (earlier is None or item["configurationItemCaptureTime"] >= earlier)
            and (later is None or item["configurationItemCaptureTime"] <= later)
        ]
        if request.get("chronologicalOrder") != "Forward":
            items.reverse()
        start = int(request.get("nextToken") or 0)
        end = start + (request.get("limit") or 10)
        page: dict[str, Any] = {"configurationItems": items[start:end]}
        if end < len(items):
            page["nextToken"] = str(end)
        return page

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


def compliance_item(
    captured_at: datetime,
    rules: Mapping[str, str],
    *,
    account_id: str = DEMO_ACCOUNT,
    region: str = DEMO_REGION,
    status: str = "ResourceDiscovered",
) -> dict[str, Any]:
    """A configuration item of AWS::Config::ResourceCompliance for the account resource,
    as GetResourceConfigHistory returns it: `rules` maps rule name -> compliance type."""
    entries = [
        {
            "configRuleArn": f"arn:aws:config:{region}:{account_id}:config-rule/config-rule-{n}",
            "configRuleId": f"config-rule-{n}",
            "configRuleName": name,
            "complianceType": compliance_type,
        }
        for n, (name, compliance_type) in enumerate(rules.items())
    ]
    overall = "NON_COMPLIANT" if "NON_COMPLIANT" in rules.values() else "COMPLIANT"
    configuration = {
        "complianceType": overall,
        "targetResourceId": account_id,
        "targetResourceType": RESOURCE_TYPE,
        "configRuleList": entries,
    }
    return {
        "version": "1.3",
        "accountId": account_id,
        "configurationItemCaptureTime": captured_at,
        "configurationItemStatus": status,
        "resourceType": "AWS::Config::ResourceCompliance",
        "resourceId": f"{RESOURCE_TYPE}/{account_id}",
        "awsRegion": region,
        "configuration": json.dumps(configuration),
    }


class _ServiceError(Exception):
    """An error answer of the simulated service (becomes a botocore ClientError)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def simulated_config_client(simulation: Any, region: str = DEMO_REGION) -> ConfigServiceClient:
    """A real boto3 AWS Config client whose answers come from `simulation`.

    `simulation` has a method per operation, named as boto3 names it, taking the
    request's parameters. Requests and answers are checked against the API model.
    """
    client = boto3.client(
        "config",
        region_name=region,
        aws_access_key_id="simulated",
        aws_secret_access_key="simulated",  # noqa: S106 - never sent anywhere
    )
    names = {api: python for python, api in client.meta.method_to_api_mapping.items()}

    def remember_request(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["simulated_request"] = dict(params)

    def answer(model: Any, context: dict[str, Any], **_: Any) -> tuple[AWSResponse, Any]:
        operation = getattr(simulation, names[model.name])
        try:
            parsed = operation(**context["simulated_request"])
        except _ServiceError as error:
            failure = {"Error": {"Code": error.code, "Message": str(error)}}
            return AWSResponse(None, 400, {}, None), failure  # type: ignore[arg-type]
        if model.output_shape is not None:
            validate_parameters(parsed, model.output_shape)
        return AWSResponse(None, 200, {}, None), parsed  # type: ignore[arg-type]

    client.meta.events.register_first("before-parameter-build.config.*", remember_request)
    client.meta.events.register_first("before-call.config.*", answer)  # type: ignore[arg-type]
    return client
