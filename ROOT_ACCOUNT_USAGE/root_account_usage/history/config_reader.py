"""Read what AWS Config recorded for the rule in one account (or through an aggregator).

get_resource_config_history spans at most seven days a call, so the period is read
in seven-day windows, page by page. Throttling is retried with backoff; an account
that cannot be read is reported, never dropped. Every rule that matches is read on its
own: its own entries of the history, its own latest evaluation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from botocore.exceptions import BotoCoreError, ClientError

from ..core.exceptions import RootAccountUsageError
from ..core.verdict import RESOURCE_TYPE
from ..rule.aws import THROTTLING_CODES, Retrier, error_code, error_message
from ..rule.budget import Sleep
from .model import UNKNOWN, AccountHistory, CurrentEvaluation
from .rules import RuleSettings, names_rule, rule_settings
from .timeline import RecordedStates, changes_by_rule, states_from_item

if TYPE_CHECKING:
    from mypy_boto3_config import ConfigServiceClient

logger = logging.getLogger(__name__)

COMPLIANCE_RESOURCE_TYPE = "AWS::Config::ResourceCompliance"
WINDOW = timedelta(days=7)  # the API's limit for one call
# Every type an evaluation can have (INSUFFICIENT_DATA cannot be asked for: it is a
# summary's, never an evaluation's). Leaving NOT_APPLICABLE out would hide the latest
# evaluation when it is one.
EVALUATION_TYPES = ["COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE"]
# AWS Config also answers LimitExceededException when called too fast.
THROTTLED = THROTTLING_CODES | {"LimitExceededException"}
# The most pages each read may take: several times what the largest real answer holds,
# so that AWS Config paging without end (a new token every time) stops there; a token
# given twice stops at once (rule.aws.Retrier.pages). The account is then unreadable,
# with the reason.
MAX_PAGES = {
    # At most 1,000 rules per account and region (AWS Config's quota), 25 a page: 40.
    "describe_config_rules": 200,
    # One seven-day window of the account's compliance changes, 100 a page: each of
    # 1,000 rules changing every hour of the week would take 1,680.
    "get_resource_config_history": 2_000,
    # One rule's evaluations in one account (the rule evaluates the account: one), 100 a page.
    "get_compliance_details_by_config_rule": 100,
    # Every account, region and rule the aggregator knows, 1,000 a page: 10,000 accounts
    # in 20 regions with 250 rules each would take 50,000.
    "describe_aggregate_compliance_by_config_rules": 50_000,
    # One rule's evaluations of one account in one region, 100 a page.
    "get_aggregate_compliance_details_by_config_rule": 100,
}


class HistoryUnavailableError(RootAccountUsageError):
    """AWS Config could not be read for the history."""

    code = "HistoryUnavailable"


# Told as the work goes: how many parts are done, of how many (the seven-day windows
# of an account's history; the accounts of an organization).
Progress = Callable[[int, int], None]


def count_nothing(done: int, total: int) -> None:
    """Default: tell nobody."""


class AccountRead(NamedTuple):
    """What one account's own AWS Config holds for the rule."""

    rules: dict[str, dict[str, Any]]  # matched rule name -> its InputParameters
    histories: list[AccountHistory]  # one per matched rule, or one saying there is none


class AggregatorView(NamedTuple):
    """What an aggregator knows: the accounts and regions where a matching rule runs,
    with those rules' names, and every account it has any rule's results for."""

    targets: dict[tuple[str, str], list[str]]  # (account, region) -> matching rule names
    known_accounts: frozenset[str]


class ConfigHistoryReader:
    """Calls AWS Config with paging, seven-day windows and retries on throttling."""

    def __init__(
        self,
        config: ConfigServiceClient,
        *,
        sleep: Sleep | None = None,
        progress: Progress = count_nothing,
    ) -> None:
        self._config = config
        self._retrier = Retrier(THROTTLED, sleep=sleep)
        self._progress = progress

    def matching_rules(self, name: str) -> dict[str, RuleSettings]:
        """Rules named `name`, or named by AWS from it (rules.names_rule), with their
        parameters and what the rule makes of them."""
        rules: dict[str, RuleSettings] = {}
        for page in self._pages("describe_config_rules"):
            for rule in page.get("ConfigRules", []):
                candidate = rule.get("ConfigRuleName", "")
                if names_rule(candidate, name):
                    rules[candidate] = rule_settings(rule.get("InputParameters"))
        return rules

    def records_compliance(self) -> bool:
        """Whether a configuration recorder records AWS::Config::ResourceCompliance, in
        each recording strategy AWS defines (API_RecordingStrategy): all supported types,
        the types listed, or all but the types excluded."""
        response = self._call("describe_configuration_recorders")
        for recorder in response.get("ConfigurationRecorders", []):
            group = recorder.get("recordingGroup", {})
            strategy = group.get("recordingStrategy", {}).get("useOnly")
            if strategy == "EXCLUSION_BY_RESOURCE_TYPES":
                excluded = group.get("exclusionByResourceTypes", {}).get("resourceTypes", [])
                recorded = COMPLIANCE_RESOURCE_TYPE not in excluded
            else:
                recorded = bool(group.get("allSupported")) or COMPLIANCE_RESOURCE_TYPE in group.get(
                    "resourceTypes", []
                )
            if recorded:
                return True
        return False

    def read_account(
        self,
        account_id: str,
        region: str,
        rule_name: str,
        since: datetime,
        until: datetime,
        *,
        rules: dict[str, RuleSettings] | None = None,
    ) -> AccountRead:
        """Every matching rule's history and latest evaluation for the account (the
        matching rules are looked up unless given)."""
        if rules is None:
            rules = self.matching_rules(rule_name)
        shown = {name: settings.parameters for name, settings in rules.items()}
        if not rules:
            note = f"no AWS Config rule {rule_name} (or one AWS named from it) in {region}"
            return AccountRead(shown, [AccountHistory(account_id, region, history_note=note)])
        names = sorted(rules)
        if self.records_compliance():
            histories = self.history(account_id, region, names, since, until)
        else:
            histories = [
                AccountHistory(account_id, region, history_note="not recorded", rule_name=name)
                for name in names
            ]
        return AccountRead(
            shown,
            [
                history._replace(
                    current=self.current(account_id, history.rule_name or ""),
                    threshold_days=rules[history.rule_name or ""].threshold_days,
                    parameters_invalid=rules[history.rule_name or ""].invalid,
                )
                for history in histories
            ],
        )

    def history(
        self, account_id: str, region: str, rule_names: list[str], since: datetime, until: datetime
    ) -> list[AccountHistory]:
        """Each rule's compliance changes in [since, until) and its state at `since`."""
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
            note = "no compliance history recorded"
            return [
                AccountHistory(account_id, region, history_note=note, rule_name=name)
                for name in rule_names
            ]
        at_start: dict[str, str | None] = dict.fromkeys(rule_names)
        for item in before.get("configurationItems", []):
            states = states_from_item(item, rule_names)
            if states is not None:  # None: no record of the rule when the period began
                at_start = {name: None if s == UNKNOWN else s for name, s in states.states.items()}
        recorded: list[RecordedStates] = []
        windows = list(_windows(since, until))  # 366 at most (period.bounded)
        for done, (start, end) in enumerate(windows, start=1):
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
                    states = states_from_item(item, rule_names)
                    if states is not None and since <= states.time < until:
                        recorded.append(states)
            self._progress(done, len(windows))
        changes = changes_by_rule(recorded, rule_names, at_start)
        return [
            AccountHistory(
                account_id,
                region,
                tuple(changes[name]),
                at_start[name],
                rule_name=name,
            )
            for name in rule_names
        ]

    def current(self, account_id: str, rule_name: str) -> CurrentEvaluation | None:
        """The latest evaluation of the account under exactly this rule."""
        return self._latest_evaluation(
            "get_compliance_details_by_config_rule",
            "EvaluationResults",
            account_id,
            ConfigRuleName=rule_name,
            ComplianceTypes=EVALUATION_TYPES,
        )

    def aggregator_view(
        self, aggregator: str, rule_name: str, only_account: str | None = None
    ) -> AggregatorView:
        """Where the aggregator sees a matching rule (one account if asked)."""
        targets: dict[tuple[str, str], set[str]] = {}
        known: set[str] = set()
        for page in self._pages(
            "describe_aggregate_compliance_by_config_rules",
            page_size=1000,
            ConfigurationAggregatorName=aggregator,
        ):
            for entry in page.get("AggregateComplianceByConfigRules", []):
                account = entry.get("AccountId", "")
                if only_account is not None and account != only_account:
                    continue
                known.add(account)
                if names_rule(entry.get("ConfigRuleName", ""), rule_name):
                    key = (account, entry.get("AwsRegion", ""))
                    targets.setdefault(key, set()).add(entry["ConfigRuleName"])
        return AggregatorView(
            {key: sorted(names) for key, names in sorted(targets.items())}, frozenset(known)
        )

    def aggregate_current(
        self, aggregator: str, rule: str, account_id: str, region: str
    ) -> CurrentEvaluation | None:
        """The latest evaluation of the account under exactly this rule, as the
        aggregator holds it."""
        return self._latest_evaluation(
            "get_aggregate_compliance_details_by_config_rule",
            "AggregateEvaluationResults",
            account_id,
            ConfigurationAggregatorName=aggregator,
            ConfigRuleName=rule,
            AccountId=account_id,
            AwsRegion=region,
        )

    def _latest_evaluation(
        self, operation: str, results: str, account_id: str, **request: Any
    ) -> CurrentEvaluation | None:
        """The most recently recorded evaluation of the account among every page of
        `operation` (whose answer lists them under `results`), under request's rule."""
        rule_name = request["ConfigRuleName"]
        latest: CurrentEvaluation | None = None
        for page in self._pages(operation, page_size=100, **request):
            found = (_evaluation(r, account_id) for r in page.get(results, []))
            latest = _latest(found, latest, rule_name)
        return latest

    def _pages(
        self, operation: str, *, page_size: int | None = None, **request: Any
    ) -> Iterator[dict[str, Any]]:
        """Every page of `operation` (up to its MAX_PAGES), throttling retried."""
        try:
            yield from self._retrier.pages(
                self._config,
                operation,
                page_size=page_size,
                max_pages=MAX_PAGES[operation],
                **request,
            )
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


def _evaluation(result: Mapping[str, Any], account_id: str) -> CurrentEvaluation | None:
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
    evaluations: Iterable[CurrentEvaluation | None],
    latest: CurrentEvaluation | None,
    rule_name: str,
) -> CurrentEvaluation | None:
    """The most recently recorded of `latest` and those of `evaluations` under `rule_name`."""
    for candidate in evaluations:
        if candidate is None or candidate.rule_name != rule_name:
            continue
        if latest is None or (
            candidate.recorded_at is not None
            and (latest.recorded_at is None or candidate.recorded_at > latest.recorded_at)
        ):
            latest = candidate
    return latest


def _windows(since: datetime, until: datetime) -> Iterator[tuple[datetime, datetime]]:
    start = since
    while start < until:
        end = min(start + WINDOW, until)
        yield start, end
        start = end
