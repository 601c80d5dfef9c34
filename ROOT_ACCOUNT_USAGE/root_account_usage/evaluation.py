"""Evaluate one account: fetch the report, parse it, decide, and fail closed.

Shared by the Lambda handler and the CLI. Any reason the rule cannot decide
becomes a NON_COMPLIANT 'Unable to evaluate' verdict and one ERROR log line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from .cloudtrail import SIGN_IN_REGION, CloudTrailUnavailableError, lookup_root_activity
from .cloudtrail_evidence import apply_cloudtrail
from .credential_report import CredentialReportFetcher, TimeLeft, time_budget
from .events import PeriodicEvent
from .exceptions import InvalidParameterError, ReportUnavailableError, RootAccountUsageError
from .parameters import parse_rule_parameters
from .report import parse_credential_report
from .verdict import Verdict, decide, unable_to_evaluate

logger = logging.getLogger(__name__)

# Time kept back from the Lambda's remaining time: one more IAM call with the SDK's own
# retries (up to about 15 s of backoff in botocore's legacy mode), then PutEvaluations.
SAFETY_MARGIN_SECONDS = 30.0
# Waiting budget when there is no Lambda context (CLI, local tests).
DEFAULT_BUDGET_SECONDS = 60.0
# template.yaml's metric filter counts this message: change both together.
FAIL_CLOSED_LOG_MESSAGE = "unable to evaluate root account usage"


def evaluate_periodic_event(
    periodic: PeriodicEvent,
    build_iam_client: Callable[[], Any],
    *,
    build_cloudtrail_client: Callable[[str], Any] | None = None,
    home_region: str = SIGN_IN_REGION,
    context: object = None,
    sleep: Callable[[float], None] | None = None,
) -> Verdict:
    """Judge the account named by a (parsed) AWS Config periodic event.

    Every problem fails closed; an unreadable event is refused earlier, by
    parse_periodic_event, since there is then no time to order an evaluation by.
    With CloudTrailEvidence on, root activity in CloudTrail (us-east-1 and the home
    region) also counts; if it cannot be read, the report alone decides.
    """
    try:
        parameters = parse_rule_parameters(periodic.rule_parameters)
    except InvalidParameterError as error:
        return fail_closed(error)
    now = periodic.notification_time
    time_left = time_left_for(context)
    verdict = evaluate_account(
        build_iam_client,
        now=now,
        threshold_days=parameters.threshold_days,
        time_left=time_left,
        sleep=sleep,
    )
    if not parameters.cloudtrail_evidence or build_cloudtrail_client is None:
        return verdict
    try:
        activities = lookup_root_activity(
            build_cloudtrail_client,
            (SIGN_IN_REGION, home_region),
            start=now - timedelta(days=parameters.threshold_days),
            end=now,
            time_left=time_left,
            sleep=sleep,
        )
    except CloudTrailUnavailableError as error:
        logger.warning(
            "CloudTrail unavailable; the credential report decides alone",
            extra={"fields": {"error_code": error.code, "reason": str(error)[:200]}},
        )
        return apply_cloudtrail(
            verdict, [], now=now, threshold_days=parameters.threshold_days, unavailable=str(error)
        )
    return apply_cloudtrail(verdict, activities, now=now, threshold_days=parameters.threshold_days)


def time_left_for(context: object) -> TimeLeft:
    """Seconds left to wait for IAM: the Lambda's remaining time less a margin."""
    remaining_millis = getattr(context, "get_remaining_time_in_millis", None)
    if callable(remaining_millis):
        return lambda: remaining_millis() / 1000 - SAFETY_MARGIN_SECONDS
    return time_budget(DEFAULT_BUDGET_SECONDS)


def evaluate_account(
    build_iam_client: Callable[[], Any],
    *,
    now: datetime,
    threshold_days: int,
    time_left: TimeLeft,
    sleep: Callable[[float], None] | None = None,
) -> Verdict:
    """Fetch the account's credential report through IAM and judge it."""
    try:
        iam = _build_client(build_iam_client)
        fetched = CredentialReportFetcher(iam, time_left=time_left, sleep=sleep).fetch(now)
    except RootAccountUsageError as error:
        return fail_closed(error, threshold_days=threshold_days)
    return evaluate_report(
        fetched.content,
        now=now,
        threshold_days=threshold_days,
        report_generated_at=fetched.generated_at,
    )


def evaluate_report(
    content: bytes | str,
    *,
    now: datetime,
    threshold_days: int,
    report_generated_at: datetime | None,
) -> Verdict:
    """Judge a credential report already in hand (pure apart from logging)."""
    try:
        root = parse_credential_report(content)
        return decide(
            root,
            now=now,
            threshold_days=threshold_days,
            report_generated_at=report_generated_at,
        )
    except RootAccountUsageError as error:
        return fail_closed(
            error, threshold_days=threshold_days, report_generated_at=report_generated_at
        )


def fail_closed(
    error: RootAccountUsageError,
    *,
    threshold_days: int | None = None,
    report_generated_at: datetime | None = None,
) -> Verdict:
    """Log the reason once at ERROR and return the NON_COMPLIANT fail-closed verdict."""
    verdict = unable_to_evaluate(
        error, threshold_days=threshold_days, report_generated_at=report_generated_at
    )
    logger.error(
        FAIL_CLOSED_LOG_MESSAGE,
        extra={"fields": {"error_code": error.code, "reason": str(error)[:200]}},
    )
    return verdict


def _build_client(build_iam_client: Callable[[], Any]) -> Any:
    # In assume-role mode building the client calls STS, which can be refused.
    try:
        return build_iam_client()
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "Unknown")
        raise ReportUnavailableError(
            f"could not get credentials to read IAM: {code}", code=code
        ) from None
    except Exception as error:
        # BotoCoreError (no network, no credentials) or rdklib's bare Exception.
        raise ReportUnavailableError(
            f"could not get credentials to read IAM: {error}"[:200], code=type(error).__name__
        ) from None
