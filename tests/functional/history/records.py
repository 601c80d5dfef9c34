"""An AWS Config account for the history tests, answering by what each request asks
(not by call order), through a real boto3 client that checks every request and answer
against Config's API model (simulation.config.simulated_client). Its history
and recorders are the simulated AWS Config's: seven days a call, pages of `limit`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from root_account_usage.core.rule_identity import derived_creator
from root_account_usage.simulation.config import (
    SimulatedConfig,
    compliance_item,
    simulated_client,
)

ACCOUNT = "111122223333"
REGION = "us-east-1"
SINCE = datetime(2026, 11, 1, tzinfo=UTC)
UNTIL = datetime(2026, 11, 11, tzinfo=UTC)
NOW = datetime(2026, 11, 11, 0, 5, tzinfo=UTC)
RULE = "root-account-usage"
FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{RULE}"


def day(n: float, hours: float = 6) -> datetime:
    return SINCE + timedelta(days=n, hours=hours)


class ConfigRecords(SimulatedConfig):
    """What one account's AWS Config holds: rules, ResourceCompliance items, and the
    latest evaluation of each rule. `max_calls` stops a run that reads without end."""

    def __init__(
        self,
        rules: dict[str, str | None],  # name -> InputParameters (JSON text; None: none)
        items: list[tuple[datetime, dict[str, str]]],  # (time, rule -> compliance type)
        latest: dict[str, tuple[str, str, datetime]],  # rule -> (type, annotation, time)
        *,
        account_id: str = ACCOUNT,
        max_calls: int = 1_000,
        definitions: dict[str, dict[str, Any]] | None = None,  # rule -> fields to override
    ) -> None:
        super().__init__(NOW, account_id=account_id, rules={})
        self.rule_parameters, self.latest = rules, latest  # not the parent's rule stories
        self.definitions = definitions or {}
        self.items = [
            compliance_item(when, states, account_id=account_id) | {"configurationItemStatus": "OK"}
            for when, states in items
        ]
        self.calls: list[str] = []
        self.max_calls = max_calls

    def _called(self, operation: str) -> None:
        self.calls.append(operation)
        assert len(self.calls) <= self.max_calls, f"more than {self.max_calls} calls"

    def describe_config_rules(self, **_: Any) -> dict[str, Any]:
        self._called("DescribeConfigRules")
        return {
            "ConfigRules": [
                {key: value for key, value in rule.items() if value is not None}
                for rule in self._rules()
            ]
        }

    def _rules(self) -> list[dict[str, Any]]:
        return [
            {
                "ConfigRuleName": name,
                "Source": {"Owner": "CUSTOM_LAMBDA", "SourceIdentifier": FUNCTION},
            }
            | ({} if parameters is None else {"InputParameters": parameters})
            | ({"CreatedBy": by} if (by := derived_creator(name, RULE)) else {})
            | self.definitions.get(name, {})
            for name, parameters in self.rule_parameters.items()
        ]

    def describe_configuration_recorders(self, **request: Any) -> dict[str, Any]:
        self._called("DescribeConfigurationRecorders")
        return super().describe_configuration_recorders(**request)

    def get_resource_config_history(self, **request: Any) -> dict[str, Any]:
        self._called("GetResourceConfigHistory")
        return super().get_resource_config_history(**request)

    def get_compliance_details_by_config_rule(self, **request: Any) -> dict[str, Any]:
        self._called("GetComplianceDetailsByConfigRule")
        name = request["ConfigRuleName"]
        if name not in self.latest:
            return {"EvaluationResults": []}
        compliance, annotation, when = self.latest[name]
        if compliance not in request.get("ComplianceTypes", [compliance]):
            return {"EvaluationResults": []}
        return {
            "EvaluationResults": [
                {
                    "EvaluationResultIdentifier": {
                        "EvaluationResultQualifier": {
                            "ConfigRuleName": name,
                            "ResourceType": "AWS::::Account",
                            "ResourceId": self.account_id,
                        },
                        "OrderingTimestamp": when,
                    },
                    "ComplianceType": compliance,
                    "ResultRecordedTime": when,
                    "ConfigRuleInvokedTime": when,
                    "Annotation": annotation,
                }
            ]
        }

    def client(self) -> Any:
        return simulated_client("config", self, REGION)


def parameters(**values: Any) -> str:
    return json.dumps({"ThresholdDays": "7", **values})
