"""Read what AWS Config recorded for the rule: the only module of `history` that calls AWS.

get_resource_config_history spans at most seven days a call, so the period is read
in seven-day windows, page by page. Throttling is retried with backoff; an account
that cannot be read is reported, never dropped.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from ..core.exceptions import RootAccountUsageError
from ..core.verdict import RESOURCE_TYPE
from ..rule.aws import THROTTLING_CODES, Retrier, error_code, error_message
from ..rule.budget import Sleep
from .model import (
    AccountHistory,
    ComplianceChange,
    CurrentEvaluation,
    EvidenceReport,
    UnreadableAccount,
)
from .timeline import change_from_item

if TYPE_CHECKING:
    from mypy_boto3_config import ConfigServiceClient

logger = logging.getLogger(__name__)

COMPLIANCE_RESOURCE_TYPE = "AWS::Config::ResourceCompliance"
WINDOW = timedelta(days=7)  # the API's limit for one call
# AWS Config also answers LimitExceededException when called too fast.
THROTTLED = THROTTLING_CODES | {"LimitExceededException"}


class HistoryUnavailableError(RootAccountUsageError):
    """AWS Config could not be read for the history."""

    code = "HistoryUnavailable"


Progress = Callable[[str], None]


def _quiet(message: str) -> None:
    """Default progress sink: say nothing."""


class ConfigHistoryReader:
    """Calls AWS Config with paging, seven-day windows and retries on throttling."""

    def __init__(
        self,
        config: ConfigServiceClient,
        *,
        sleep: Sleep | None = None,
        progress: Progress = _quiet,
    ) -> None:
        self._config = config
        self._retrier = Retrier(THROTTLED, sleep=sleep)
        self._progress = progress

    def matching_rules(self, name: str) -> dict[str, dict[str, Any]]:
        """Rules named `name`, or carrying it between a conformance pack's or an
        organization rule's prefix and suffix; name -> InputParameters."""
        rules: dict[str, dict[str, Any]] = {}
        for page in self._pages("describe_config_rules"):
            for rule in page.get("ConfigRules", []):
                candidate = rule.get("ConfigRuleName", "")
                if _names_rule(candidate, name):
                    rules[candidate] = _parameters(rule.get("InputParameters"))
        return rules

    def records_compliance(self) -> bool:
        """Whether a configuration recorder records AWS::Config::ResourceCompliance."""
        response = self._call("describe_configuration_recorders")
        for recorder in response.get("ConfigurationRecorders", []):
            group = recorder.get("recordingGroup", {})
            excluded = group.get("exclusionByResourceTypes", {}).get("resourceTypes", [])
            if COMPLIANCE_RESOURCE_TYPE in excluded:
                continue
            if group.get("allSupported") or COMPLIANCE_RESOURCE_TYPE in group.get(
                "resourceTypes", []
            ):
                return True
        return False

    def history(
        self, account_id: str, region: str, rule_names: list[str], since: datetime, until: datetime
    ) -> AccountHistory:
        """The account's compliance changes in [since, until) and its state at `since`."""
        resource_id = f"{RESOURCE_TYPE}/{account_id}"
        try:
            before = self._call(
                "get_resource_config_history",
                resourceType=COMPLIANCE_RESOURCE_TYPE,
                resourceId=resource_id,
                laterTime=since,
                limit=1,
            )
        except HistoryUnavailableError as error:
            if error.code != "ResourceNotDiscoveredException":
                raise
            return AccountHistory(account_id, region, history_note="no compliance history recorded")
        start_state = None
        for item in before.get("configurationItems", []):
            change = change_from_item(item, rule_names)
            start_state = change.compliance_type if change else None
        changes: list[ComplianceChange] = []
        for start, end in _windows(since, until):
            self._progress(f"reading compliance history {start:%Y-%m-%d} .. {end:%Y-%m-%d}")
            for page in self._pages(
                "get_resource_config_history",
                page_size=100,
                resourceType=COMPLIANCE_RESOURCE_TYPE,
                resourceId=resource_id,
                earlierTime=start,
                laterTime=end,
                chronologicalOrder="Forward",
            ):
                for item in page.get("configurationItems", []):
                    change = change_from_item(item, rule_names)
                    if change is not None and since <= change.time < until:
                        changes.append(change)
        return AccountHistory(account_id, region, tuple(_deduplicated(changes)), start_state)

    def current(self, account_id: str, rule_names: list[str]) -> CurrentEvaluation | None:
        """The latest evaluation of the account under any of the rules."""
        latest: CurrentEvaluation | None = None
        for rule_name in rule_names:
            for page in self._pages(
                "get_compliance_details_by_config_rule",
                page_size=100,
                ConfigRuleName=rule_name,
                ComplianceTypes=["COMPLIANT", "NON_COMPLIANT"],
            ):
                found = (_evaluation(r, account_id) for r in page.get("EvaluationResults", []))
                latest = _latest(found, latest)
        return latest

    def aggregate(
        self, aggregator: str, rule_name: str, only_account: str | None = None
    ) -> tuple[list[AccountHistory], list[UnreadableAccount]]:
        """Current state per account and region from an aggregator (one account if asked)."""
        targets: set[tuple[str, str, str]] = set()
        for page in self._pages(
            "describe_aggregate_compliance_by_config_rules",
            page_size=1000,
            ConfigurationAggregatorName=aggregator,
        ):
            for entry in page.get("AggregateComplianceByConfigRules", []):
                wanted = only_account is None or entry.get("AccountId") == only_account
                if wanted and _names_rule(entry.get("ConfigRuleName", ""), rule_name):
                    targets.add((entry["AccountId"], entry["AwsRegion"], entry["ConfigRuleName"]))
        accounts: list[AccountHistory] = []
        unreadable: list[UnreadableAccount] = []
        for number, (account_id, region, rule) in enumerate(sorted(targets), start=1):
            self._progress(f"reading account {number}/{len(targets)}: {account_id} {region}")
            try:
                latest = self._aggregate_current(aggregator, rule, account_id, region)
            except HistoryUnavailableError as error:
                unreadable.append(UnreadableAccount(account_id, region, str(error)))
                continue
            accounts.append(AccountHistory(account_id, region, current=latest))
        return accounts, unreadable

    def _aggregate_current(
        self, aggregator: str, rule: str, account_id: str, region: str
    ) -> CurrentEvaluation | None:
        latest: CurrentEvaluation | None = None
        for page in self._pages(
            "get_aggregate_compliance_details_by_config_rule",
            page_size=100,
            ConfigurationAggregatorName=aggregator,
            ConfigRuleName=rule,
            AccountId=account_id,
            AwsRegion=region,
        ):
            found = (_evaluation(r, account_id) for r in page.get("AggregateEvaluationResults", []))
            latest = _latest(found, latest)
        return latest

    def _pages(
        self, operation: str, *, page_size: int | None = None, **request: Any
    ) -> Iterator[dict[str, Any]]:
        """Every page of `operation` (botocore's paginator), throttling retried."""
        try:
            yield from self._retrier.pages(self._config, operation, page_size=page_size, **request)
        except (ClientError, BotoCoreError) as error:
            raise _unavailable(operation, error) from None

    def _call(self, operation: str, **request: Any) -> dict[str, Any]:
        try:
            return self._retrier.call(self._config, operation, **request)
        except (ClientError, BotoCoreError) as error:
            raise _unavailable(operation, error) from None


def _unavailable(operation: str, error: Exception) -> HistoryUnavailableError:
    code = error_code(error)
    if isinstance(error, ClientError):
        reason = f"{operation}: {code}: {error_message(error)}".rstrip(": ")
    else:
        reason = f"{operation}: {error}"[:200]
    return HistoryUnavailableError(reason, code=code)


def _names_rule(candidate: str, name: str) -> bool:
    return (
        candidate == name
        or candidate.startswith(f"{name}-")  # conformance pack: NAME-conformance-pack-xxxx
        or candidate.endswith(f"-{name}")
        or f"-{name}-" in candidate  # organization rule: OrgConfigRule-NAME-xxxx
    )


def _parameters(raw: object) -> dict[str, Any]:
    try:
        loaded = json.loads(raw) if isinstance(raw, str) else {}
    except json.JSONDecodeError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _evaluation(result: dict[str, Any], account_id: str) -> CurrentEvaluation | None:
    qualifier = result.get("EvaluationResultIdentifier", {}).get("EvaluationResultQualifier", {})
    if qualifier.get("ResourceType") != RESOURCE_TYPE or qualifier.get("ResourceId") != account_id:
        return None
    return CurrentEvaluation(
        rule_name=qualifier.get("ConfigRuleName", ""),
        compliance_type=result.get("ComplianceType", "UNKNOWN"),
        annotation=result.get("Annotation", ""),
        recorded_at=result.get("ResultRecordedTime"),
    )


def _latest(
    evaluations: Iterable[CurrentEvaluation | None], latest: CurrentEvaluation | None
) -> CurrentEvaluation | None:
    """The most recently recorded of `latest` and `evaluations`."""
    for candidate in evaluations:
        if candidate is None or candidate.recorded_at is None:
            continue
        if (
            latest is None
            or latest.recorded_at is None
            or candidate.recorded_at > latest.recorded_at
        ):
            latest = candidate
    return latest


def _windows(since: datetime, until: datetime) -> Iterator[tuple[datetime, datetime]]:
    start = since
    while start < until:
        end = min(start + WINDOW, until)
        yield start, end
        start = end


def _deduplicated(changes: list[ComplianceChange]) -> list[ComplianceChange]:
    # Windows share their edges; keep each change once, in order.
    seen: set[ComplianceChange] = set()
    unique = []
    for change in sorted(changes):
        if change not in seen:
            seen.add(change)
            unique.append(change)
    return unique


def collect_evidence(
    config: ConfigServiceClient,
    *,
    rule_name: str,
    account_id: str,
    region: str,
    since: datetime,
    until: datetime,
    now: datetime,
    aggregator: str | None = None,
    only_account: str | None = None,
    progress: Progress = _quiet,
    sleep: Sleep | None = None,
) -> EvidenceReport:
    """Read everything AWS Config holds for the rule and the period into a report.

    Raises HistoryUnavailableError when AWS Config cannot be read at all; an account
    that cannot be read is listed in the report instead.
    """
    reader = ConfigHistoryReader(config, sleep=sleep, progress=progress)
    rules = reader.matching_rules(rule_name)
    notes: list[str] = []
    if not rules:
        notes.append(f"No AWS Config rule named like {rule_name!r} in {region}.")
    unreadable: list[UnreadableAccount] = []
    if aggregator:
        accounts, unreadable = reader.aggregate(aggregator, rule_name, only_account)
        notes.append(
            "Compliance history is kept in each account; timelines are shown for the "
            f"account these credentials belong to ({account_id}). Run history in the others "
            "for theirs."
        )
        source = f"aggregator {aggregator}, read from account {account_id} in {region}"
    else:
        accounts = [AccountHistory(account_id, region)]
        source = f"account {account_id} in {region}"
    if not reader.records_compliance():
        notes.append(
            "The configuration recorder does not record AWS::Config::ResourceCompliance, so "
            "AWS Config kept no compliance history; only the latest evaluation is shown."
        )
        recorded = False
    else:
        recorded = True
    completed = []
    for account in accounts:
        if account.account_id != account_id or account.region != region:
            completed.append(account._replace(history_note="history kept in that account"))
            continue
        try:
            history = (
                reader.history(account_id, region, sorted(rules), since, until)
                if recorded
                else AccountHistory(account_id, region, history_note="not recorded")
            )
            current = account.current or reader.current(account_id, sorted(rules))
        except HistoryUnavailableError as error:
            unreadable.append(UnreadableAccount(account_id, region, str(error)))
            continue
        completed.append(history._replace(current=current))
    return EvidenceReport(
        rule_name=rule_name,
        rules=rules,
        since=since,
        until=until,
        generated_at=now,
        source=source,
        accounts=tuple(completed),
        unreadable=tuple(unreadable),
        notes=tuple(notes),
    )
