"""This rule's last evaluation of the account, read back from AWS Config (core/verdict.py)
with the client rdklib publishes with, so from the account it publishes to."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core.exceptions import RootAccountUsageError
from ..core.verdict import RESOURCE_TYPE
from .aws import error_code
from .budget import Budget, limits_for

if TYPE_CHECKING:
    from mypy_boto3_config import ConfigServiceClient


class LastEvaluationUnavailableError(RootAccountUsageError):
    """This rule's last evaluation could not be read (the annotation says so)."""


def last_annotation(
    config: ConfigServiceClient, rule_name: str, account_id: str, *, budget: Budget
) -> str | None:
    """The annotation of `rule_name`'s latest evaluation of the account; None when it has
    none. Raises LastEvaluationUnavailableError (or OutOfTimeError)."""
    if not rule_name:
        raise LastEvaluationUnavailableError("the event names no configRuleName")
    reason = "no time left to read the last evaluation"
    budget.require(limits_for("config").worst_case_seconds, reason)
    try:
        # One resource per account (AWS::::Account): the first page holds it.
        answer: Any = config.get_compliance_details_by_config_rule(
            ConfigRuleName=rule_name, ComplianceTypes=["COMPLIANT", "NON_COMPLIANT"], Limit=100
        )
    except Exception as error:  # ClientError, BotoCoreError: said in the annotation
        code = error_code(error)
        raise LastEvaluationUnavailableError(
            f"GetComplianceDetailsByConfigRule: {code}", code=code
        ) from None
    ours = [r for r in answer.get("EvaluationResults", []) if _names(r, rule_name, account_id)]
    if not ours:
        return None
    latest = max(ours, key=lambda result: result.get("ResultRecordedTime") or 0)
    return str(latest.get("Annotation") or "")


def _names(result: dict[str, Any], rule_name: str, account_id: str) -> bool:
    qualifier = result.get("EvaluationResultIdentifier", {}).get("EvaluationResultQualifier", {})
    named = (qualifier.get(k) for k in ("ConfigRuleName", "ResourceType", "ResourceId"))
    return tuple(named) == (rule_name, RESOURCE_TYPE, account_id)
