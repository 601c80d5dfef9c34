"""Evaluate one account (the Lambda handler and the CLI); what stops a decision fails
closed: a NON_COMPLIANT 'Unable to evaluate' verdict and one ERROR log line."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from ..core import annotation as text
from ..core.cloudtrail_evidence import RootActivity, apply_activity, counted
from ..core.events import PeriodicEvent
from ..core.exceptions import InvalidParameterError, ReportUnavailableError, RootAccountUsageError
from ..core.parameters import EXCLUDE_ASSUME_ROOT, parse_rule_parameters
from ..core.plain_text import shortened
from ..core.report import parse_credential_report
from ..core.verdict import (
    NON_COMPLIANT,
    RESOURCE_TYPE,
    Verdict,
    apply_memory,
    decide,
    remembered_use,
    require_account,
    unable_to_evaluate,
)
from .aws import error_code, error_message
from .budget import Budget, limits_for
from .cloudtrail import HISTORY_DAYS, enabled_regions, lookup_root_activity
from .credential_report import CredentialReportFetcher, FetchedReport
from .recorded_events import RecordedEvents, read_recorded_activity

if TYPE_CHECKING:
    from mypy_boto3_config import ConfigServiceClient
    from mypy_boto3_iam import IAMClient

logger = logging.getLogger(__name__)

# rdklib's ClientFactory.build_client: build(service, region=None).
Build = Callable[..., Any]
# template.yaml's metric filter counts this message: change both together.
FAIL_CLOSED_LOG_MESSAGE = "unable to evaluate root account usage"


class LastEvaluationUnavailableError(RootAccountUsageError):
    """This rule's last evaluation could not be read (the annotation says so)."""


def evaluate_periodic_event(
    periodic: PeriodicEvent, build: Build, *, home_region: str, context: object
) -> Verdict:
    """Judge the account a periodic event names, keeping the last evaluation's use."""
    budget = Budget.for_lambda(context)
    # Read first, while the budget is whole: the one source a deletion cannot erase.
    annotation, unavailable = None, False
    try:
        annotation = last_annotation(
            build("config"), periodic.rule_name, periodic.account_id, budget=budget
        )
    except Exception as error:  # refused, unreachable, no time, no role: said, not raised
        _log(logging.WARNING, "this rule's last evaluation unavailable", error)
        unavailable = True
    remembered = remembered_use(annotation) if annotation else None
    # Records decide first only after a full evaluation (not failed closed, not decided by
    # a record): it carried every source's use into the memory, and no record may be older.
    early_since = None
    if annotation and not text.is_unable(annotation) and text.RECORD_DECIDES not in annotation:
        early_since = remembered.time if remembered else datetime.min.replace(tzinfo=UTC)
    verdict = _judge(periodic, build, home_region, budget, early_since)
    return apply_memory(
        verdict,
        remembered,
        now=periodic.notification_time,
        threshold_days=verdict.threshold_days,
        unavailable=unavailable,
    )


def last_annotation(
    config: ConfigServiceClient, rule_name: str, account_id: str, *, budget: Budget
) -> str | None:
    """The annotation of `rule_name`'s latest evaluation of the account, None if none.
    Raises LastEvaluationUnavailableError or OutOfTimeError."""
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


def _judge(
    periodic: PeriodicEvent, build: Build, home_region: str, budget: Budget, since: datetime | None
) -> Verdict:
    """The verdict from the report, CloudTrail and the records (first: a use since `since`)."""
    try:
        parameters = parse_rule_parameters(periodic.rule_parameters, periodic.repeated_parameters)
    except InvalidParameterError as error:
        return fail_closed(error)
    now, days = periodic.notification_time, parameters.threshold_days
    exclude = parameters.assume_root_sessions == EXCLUDE_ASSUME_ROOT
    include = partial(counted, exclude_assume_root=exclude)

    path = parameters.root_activity_evidence
    # Read first as well as last, to decide at once without the report's wait or the search;
    # only where the next, full, evaluation still finds a use the skipped sources hold.
    if since and path and parameters.cloudtrail_evidence and days <= HISTORY_DAYS:
        start = max(since, now - timedelta(days=days))
        try:
            early = read_recorded_activity(lambda: build("ssm"), path, budget=budget)
        except RootAccountUsageError:
            early = RecordedEvents([], {})  # read again, and said, after the report
        uses = [a for a in early.found if include(a) and not a.attempt and a.time >= start]
        if uses:  # else the problems are logged after the second read
            latest = max(uses, key=lambda activity: activity.time)
            return Verdict(
                NON_COMPLIANT,
                text.record_decides(latest.seen(text.MAX_RECORD_DESCRIPTION), days, early.note()),
                days,
                credential=latest.source.lower(),
                last_used=latest.time,
            )
    verdict = evaluate_account(
        lambda: build("iam"),
        now=now,
        threshold_days=days,
        budget=budget,
        account_id=periodic.account_id,
    )
    # A verdict that failed closed stays as it is (apply_activity): nothing more is read
    # for it, so that no CloudTrail or SSM quota is spent on a result thrown away.
    if not verdict.evaluated:
        return verdict
    activities: list[RootActivity] = []
    unavailable: list[str] = []
    off = text.REPORT_ONLY if path is None else text.CLOUDTRAIL_OFF
    notes = [] if parameters.cloudtrail_evidence else [off]
    cloudtrail_read, scope = False, ""
    if parameters.cloudtrail_evidence:
        regions = enabled_regions(lambda: build("account"), home_region, budget)
        searched_days = min(days, HISTORY_DAYS)
        scope = text.searched_scope(len(regions), searched_days, days)
        search = lookup_root_activity(
            lambda region: build("cloudtrail", region),
            regions,
            start=now - timedelta(days=searched_days),
            end=now,
            budget=budget,
            include=include,
            account_id=periodic.account_id,
        )
        # What any region found counts, even when another failed.
        activities += search.found
        if search.unavailable:
            unavailable.append(text.CLOUDTRAIL)
        elif search.incomplete:
            # One region named; when none finished, "incomplete" says it all.
            [where, *more] = [r for r in regions if r in search.incomplete]
            notes.append(text.incomplete_note(text.CLOUDTRAIL, None if more else where))
        cloudtrail_read = not search.incomplete
    if path is not None:
        # Read last, after the slow report and CloudTrail: an evaluation already running
        # when the re-evaluation function records an event then still sees it.
        try:
            recorded = read_recorded_activity(lambda: build("ssm"), path, budget=budget)
        except RootAccountUsageError as error:  # unreadable, or no time to read
            _log(logging.WARNING, "recorded root events unavailable", error)
            unavailable.append(text.RECORDED_EVENTS)
        else:
            notes.append(recorded.note())
            activities += filter(include, recorded.found)
    return apply_activity(
        verdict,
        activities,
        now=now,
        threshold_days=parameters.threshold_days,
        cloudtrail_read=cloudtrail_read,
        scope=scope,
        unavailable=unavailable,
        notes=notes,
    )


def _log(level: int, message: str, error: Exception) -> None:
    if level == logging.WARNING:
        message += "; the other evidence decides"
    code = str(getattr(error, "code", None) or error_code(error))
    logger.log(level, message, extra={"fields": {"error_code": code, "reason": shortened(error)}})


def evaluate_account(
    build_iam_client: Callable[[], IAMClient],
    *,
    now: datetime,
    threshold_days: int,
    budget: Budget,
    account_id: str | None = None,
) -> Verdict:
    """Fetch the credential report through IAM and judge it (evaluate_report)."""

    def fetch() -> FetchedReport:
        # In assume-role mode building the client calls STS, which can be refused.
        try:
            iam = build_iam_client()
        except Exception as error:  # ClientError, BotoCoreError or rdklib's bare Exception
            code = error_code(error)
            reason = f"could not get credentials to read IAM: {code}: {error_message(error)}"
            raise ReportUnavailableError(shortened(reason.rstrip(": ")), code=code) from None
        return CredentialReportFetcher(iam, budget=budget).fetch(now)

    return evaluate_report(fetch, now=now, threshold_days=threshold_days, account_id=account_id)


def evaluate_report(
    fetch: Callable[[], Any], *, now: datetime, threshold_days: int, account_id: str | None = None
) -> Verdict:
    """Judge the report `fetch` returns, which must be `account_id`'s when given."""
    generated_at, root = None, None
    try:
        report = fetch()
        generated_at = report.generated_at
        root = parse_credential_report(report.content)
        if account_id is not None:
            require_account(root, account_id)
        return decide(
            root, now=now, threshold_days=threshold_days, report_generated_at=generated_at
        )
    except RootAccountUsageError as error:
        named = account_id or (root.account_id if root else None)  # the report says whose
        return fail_closed(
            error, threshold_days=threshold_days, report_generated_at=generated_at, account_id=named
        )


def fail_closed(error: RootAccountUsageError, **evidence: Any) -> Verdict:
    """Log the reason once at ERROR; unable_to_evaluate(error, **evidence)."""
    _log(logging.ERROR, FAIL_CLOSED_LOG_MESSAGE, error)
    return unable_to_evaluate(error, **evidence)
