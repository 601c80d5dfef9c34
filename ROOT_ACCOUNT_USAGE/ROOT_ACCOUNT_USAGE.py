"""AWS Config custom rule ROOT_ACCOUNT_USAGE: rdklib's ConfigRule and the Lambda handler."""

from __future__ import annotations

import logging
import os
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from rdklib import ComplianceType, ConfigRule, Evaluation

from root_account_usage.core.events import PeriodicEvent, parse_periodic_event
from root_account_usage.core.exceptions import EvaluationNotPublishedError, OutOfTimeError
from root_account_usage.core.parameters import ORGANIZATION_PARAMETER, usable_role_choice
from root_account_usage.core.verdict import RESOURCE_TYPE
from root_account_usage.rule.aws import error_code
from root_account_usage.rule.budget import RETURN_SECONDS, Budget
from root_account_usage.rule.clients import BoundedClientFactory
from root_account_usage.rule.evaluation import evaluate_periodic_event

__all__ = ["ROOT_ACCOUNT_USAGE", "EvaluationNotPublishedError", "lambda_handler"]

logger = logging.getLogger(__name__)

# Only AWS creates rules under this path: the organization rule in each account.
ORGANIZATION_RULE_PATH = ":config-rule/aws-service-rule/config-multiaccountsetup.amazonaws.com/"


class ROOT_ACCOUNT_USAGE(ConfigRule):  # type: ignore[misc]  # noqa: N801 - rdk's class name
    """Periodic rule on AWS::::Account: was root used within ThresholdDays?"""

    def __init__(self, periodic: PeriodicEvent, context: object = None) -> None:
        super().__init__()
        self.periodic, self.context = periodic, context

    def evaluate_periodic(
        self, event: dict[str, Any], client_factory: Any, valid_rule_parameters: dict[str, Any]
    ) -> list[Evaluation]:
        # Parameters are validated there, so that a bad one is a published NON_COMPLIANT.
        verdict = evaluate_periodic_event(
            self.periodic,
            client_factory.build_client,
            home_region=os.environ.get("AWS_REGION", "us-east-1"),
            context=self.context,
        )
        fields = {n: getattr(verdict, n) for n in ("compliance_type", "credential", "error_code")}
        logger.info("evaluated root account usage", extra={"fields": fields})
        return [
            Evaluation(
                getattr(ComplianceType, verdict.compliance_type),
                resourceId=self.periodic.account_id,
                resourceType=RESOURCE_TYPE,
                annotation=verdict.annotation,
            )
        ]


def lambda_handler(event: dict[str, Any], context: object) -> list[dict[str, Any]]:
    """Evaluate, publish and return the evaluations ([] for another organization's rule).
    Raises InvalidEventError, or EvaluationNotPublishedError when nothing reached Config."""
    periodic = parse_periodic_event(event)
    parameters = periodic.rule_parameters
    # Any account's AWS Config may invoke a central function: only this organization's rule
    # (one AWS created, naming the organization, reading members through their role, not
    # the central account itself as AssumeRoleMode "false" would) gets a call or an alarm.
    organization = os.environ.get("ORGANIZATION_ID")
    if organization and not (
        parameters.get(ORGANIZATION_PARAMETER) == organization
        and ORGANIZATION_RULE_PATH in str(event.get("configRuleArn", ""))
        and str(parameters.get("AssumeRoleMode", "")).strip().lower() != "false"
    ):
        logger.warning(
            "event refused: not this organization's rule",
            extra={"fields": {"account_id": periodic.account_id}},
        )
        return []
    # A bad role parameter fails the verdict closed (evaluate_periodic), which is still
    # published with the role rdklib would use were that parameter absent.
    role = usable_role_choice(parameters)
    # AssumeRole ends within the budget that keeps time to publish; no call, PutEvaluations
    # included, outlives the Lambda's time (less a second to return).
    deadline = Budget.for_lambda(context, reserve=lambda _: RETURN_SECONDS)
    client_factory = BoundedClientFactory(
        periodic.execution_role_arn, role, within=Budget.for_lambda(context), by=deadline
    )
    rule = ROOT_ACCOUNT_USAGE(periodic, context)
    evaluations = rule.evaluate_periodic(event, client_factory, dict(parameters))
    # Ordered by the event's notification time, through rdklib's public Evaluation API.
    for evaluation in evaluations:
        evaluation.import_fields_from_periodic_event(event)
    published = [evaluation.get_json() for evaluation in evaluations]
    token = event["resultToken"]
    failure: Exception | None = None
    try:
        answer = client_factory.build_client("config").put_evaluations(
            Evaluations=published,
            ResultToken=token,
            TestMode=token == "TESTMODE",  # noqa: S105 - rdk test's token, not a secret
        )
        # 200 with FailedEvaluations: Config accepted the call and recorded nothing.
        failed = isinstance(answer, dict) and answer.get("FailedEvaluations")
        code = "FailedEvaluations" if failed else None
    except (ClientError, BotoCoreError, OutOfTimeError) as error:
        # PutEvaluations or AssumeRole refused (after botocore's retries), or no time.
        failure, code = error, error_code(error)
    if code is not None:  # nothing reached Config: the invocation must fail visibly
        logger.error("evaluation was not published", extra={"fields": {"error_code": code}})
        raise EvaluationNotPublishedError(
            f"evaluation was not published to AWS Config: {code}"
        ) from failure
    return published
