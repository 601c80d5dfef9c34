"""What only the tests ask of the simulation (simulation/ keeps what the demos need)."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from root_account_usage.simulation.config import SimulatedOrganization, simulated_client

if TYPE_CHECKING:
    from mypy_boto3_config import ConfigServiceClient


class RecordingOrganization(SimulatedOrganization):
    """The simulated organization; `assumed` lists the roles asked for."""

    def __init__(self, now: datetime) -> None:
        super().__init__(now)
        self.assumed: list[str] = []
        self._lock = threading.Lock()

    def assume_role(self, **request: Any) -> dict[str, Any]:
        with self._lock:
            self.assumed.append(request["RoleArn"])
        return super().assume_role(**request)


class AggregatorDetails:
    """The auditor's simulated AWS Config, also answering what its aggregator holds of
    each account (history without --member-role)."""

    def __init__(self, organization: SimulatedOrganization) -> None:
        self.configs = organization.configs
        self.auditor = organization.configs[organization.auditor]

    def __getattr__(self, operation: str) -> Any:
        return getattr(self.auditor, operation)

    def get_aggregate_compliance_details_by_config_rule(self, **request: Any) -> dict[str, Any]:
        """What the aggregator holds of another account: only COMPLIANT and NON_COMPLIANT."""
        self.auditor.throttle()
        source = self.configs.get(request["AccountId"])
        name = request["ConfigRuleName"]
        if source is None or name not in source.evaluations:
            return {"AggregateEvaluationResults": []}
        return {
            "AggregateEvaluationResults": [
                result | {"AccountId": request["AccountId"], "AwsRegion": request["AwsRegion"]}
                for result in source.latest_results(name, ["COMPLIANT", "NON_COMPLIANT"])
            ]
        }


def aggregator_alone(organization: SimulatedOrganization) -> ConfigServiceClient:
    """The auditor's AWS Config client, its aggregator answering for every account."""
    return cast("ConfigServiceClient", simulated_client("config", AggregatorDetails(organization)))
