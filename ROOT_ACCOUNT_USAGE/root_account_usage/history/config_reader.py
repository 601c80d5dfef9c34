"""Read what AWS Config recorded for the rule in one account (or through an aggregator):
paged, in seven-day windows, throttling retried."""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import KW_ONLY, dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from botocore.exceptions import BotoCoreError, ClientError

from ..core.exceptions import RootAccountUsageError
from ..core.health import records_type
from ..core.plain_text import error_text, shortened
from ..core.rule_identity import names_rule
from ..core.verdict import RESOURCE_TYPE
from ..rule.aws import THROTTLING_CODES, Retrier, error_code
from ..rule.budget import Sleep
from . import model
from .timeline import RecordedStates, changes_by_rule, states_from_item

if TYPE_CHECKING:
    from mypy_boto3_config import ConfigServiceClient

COMPLIANCE_RESOURCE_TYPE = "AWS::Config::ResourceCompliance"
WINDOW = timedelta(days=7)  # the API's limit for one call
# Every type an evaluation can have (INSUFFICIENT_DATA is a summary's, never asked for):
# leaving NOT_APPLICABLE out would hide a latest evaluation that is one.
EVALUATION_TYPES = ["COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE"]
# AWS Config also answers LimitExceededException when called too fast.
THROTTLED = THROTTLING_CODES | {"LimitExceededException"}
# The most pages each read may take (several times the largest real answer, see
# docs/development.md): paging without end stops there, the account unreadable.
MAX_PAGES = {
    "describe_config_rules": 200,
    "get_resource_config_history": 2_000,
    "get_compliance_details_by_config_rule": 100,
    "describe_aggregate_compliance_by_config_rules": 50_000,
    "get_aggregate_compliance_details_by_config_rule": 100,
}


# The item in force at a period's start: seven days a page, about 14 months back at most.
PRIOR_PAGES = 60


class HistoryUnavailableError(RootAccountUsageError):
    """AWS Config could not be read for the history."""

    code = "HistoryUnavailable"


# Told as the work goes: how many parts are done, of how many (the seven-day windows
# of an account's history; the accounts of an organization).
Progress = Callable[[int, int], None]


def count_nothing(done: int, total: int) -> None:
    """Default: tell nobody."""


class AggregatorView(NamedTuple):
    """Where an aggregator sees a matching rule (with its names), and every account it knows."""

    targets: dict[tuple[str, str], list[str]]  # (account, region) -> matching rule names
    regions: dict[str, list[str]]  # every account it knows -> where it has results

    def ruleless(self) -> list[tuple[str, str]]:
        """(account, region) of each account with no matching rule anywhere now: its own
        records may still name one, deleted (config_reader.read_account reads them)."""
        ruled = {account for account, _ in self.targets}
        return [(a, r) for a in sorted(self.regions.keys() - ruled) for r in self.regions[a]]


@dataclass(repr=False, eq=False)
class ConfigHistoryReader:
    """Calls AWS Config with paging, seven-day windows and retries on throttling."""

    config: ConfigServiceClient
    _: KW_ONLY
    sleep: Sleep | None = None
    progress: Progress = count_nothing

    def matching_rules(self, name: str, functions: Collection[str]) -> dict[str, model.MatchedRule]:
        """Rules named `name`, or named by AWS from it, judged against `functions`."""
        rules = (r for p in self._pages("describe_config_rules") for r in p.get("ConfigRules", []))
        found = (model.match_rule(rule, name, functions) for rule in rules)
        return {matched.identity.name: matched for matched in found if matched is not None}

    def records_compliance(self) -> bool:
        """Whether a configuration recorder records AWS::Config::ResourceCompliance."""
        recorders = self._call("describe_configuration_recorders").get("ConfigurationRecorders", [])
        return any(records_type(recorder, COMPLIANCE_RESOURCE_TYPE) for recorder in recorders)

    def read_account(
        self,
        account_id: str,
        region: str,
        rule_name: str,
        since: datetime,
        until: datetime,
        *,
        functions: Collection[str] = (),
        rules: dict[str, model.MatchedRule] | None = None,
    ) -> list[model.AccountHistory]:
        """Every matching rule's changes in [since, until), state at `since` and latest
        evaluation for the account (one entry saying there is none otherwise): the rules
        there now (looked up unless given) and those only its records name, marked as gone.
        A rule shown to be another's is listed, never read."""
        if rules is None:
            rules = self.matching_rules(rule_name, functions)
        ours = {name: matched for name, matched in rules.items() if model.counted(matched.identity)}
        others = [
            model.AccountHistory(
                account_id, region, history_note=f"not this rule: {m.identity.problem}"
            )._replace(rule_name=name, identity=m.identity)
            for name, m in rules.items()
            if name not in ours
        ]

        def matches(name: str) -> bool:
            return name in ours or (name not in rules and names_rule(name, rule_name))

        resource = f"{RESOURCE_TYPE}/{account_id}"
        where = dict(resourceType=COMPLIANCE_RESOURCE_TYPE, resourceId=resource)
        # Read even when the recorder does not record the type now: what it kept stays
        # readable (AWS Config guide), and stopping it must not hide a past week. No
        # timeline then (when it stopped is unknown), but its changes count.
        recording, note = self.records_compliance(), None
        prior: list[RecordedStates] = []
        recorded: list[RecordedStates] = []
        try:
            prior = self._in_force_at(since, where, matches)
            recorded = list(prior)
            weeks = math.ceil((until - since) / WINDOW)  # 366 at most (bounded)
            starts = [since + WINDOW * n for n in range(weeks)]
            for done, start in enumerate(starts, start=1):
                for page in self._pages(
                    "get_resource_config_history",
                    page_size=100,
                    **where,
                    earlierTime=start,
                    laterTime=min(start + WINDOW, until),
                    chronologicalOrder="Forward",
                ):
                    for item in page.get("configurationItems", []):
                        states = states_from_item(item, matches)
                        if states is not None and since <= states.time < until:
                            recorded.append(states)
                self.progress(done, len(starts))
        except HistoryUnavailableError as error:
            if error.code != "ResourceNotDiscoveredException":
                raise
            note = "no compliance history recorded"
        if not recording:
            note = "not recorded"
        at_start = {n: s for r in prior for n, s in r.states.items() if s != model.UNKNOWN}
        names = sorted(set(ours) | {n for r in recorded for n in r.states})
        changes = changes_by_rule(recorded, names, at_start)
        # When the records first and last list a rule (its state at the start: the start).
        times = {name: [r.time for r in recorded if name in r.states] for name in names}
        histories = others + [
            model.AccountHistory(
                account_id,
                region,
                tuple(changes[name]),
                at_start.get(name),
                current=self.current(account_id, name) if name in ours else None,
                history_note=note,
                rule_name=name,
                recorded=(min(times[name]), max(times[name])) if times[name] else None,
                exists=name in ours,
                **(ours[name]._asdict() if name in ours else {}),
            )
            for name in names
        ]
        note = f"no AWS Config rule {rule_name} (or one AWS named from it) in {region}"
        return histories or [model.AccountHistory(account_id, region, history_note=note)]

    def _in_force_at(
        self, since: datetime, where: dict[str, str], matches: Callable[[str], bool]
    ) -> list[RecordedStates]:
        """The item in force when the period began, timed at its start ([] if none). Each
        call spans at most seven days back, so an empty page with a token reads on."""
        pages = self._pages("get_resource_config_history", page_size=1, **where, laterTime=since)
        for number, page in enumerate(pages, start=1):
            # The newest item decides; unreadable, the state is unknown (never an older one's).
            if items := page.get("configurationItems", [])[:1]:
                in_force = states_from_item(items[0], matches)
                return [] if in_force is None else [in_force._replace(time=since)]
            if number == PRIOR_PAGES:
                break
        return []

    def aggregator_view(
        self, aggregator: str, rule_name: str, only_account: str | None = None
    ) -> AggregatorView:
        """Where the aggregator sees a matching rule (one account if asked)."""
        targets: dict[tuple[str, str], set[str]] = {}
        known: dict[str, set[str]] = {}
        for page in self._pages(
            "describe_aggregate_compliance_by_config_rules",
            page_size=1000,
            ConfigurationAggregatorName=aggregator,
        ):
            for entry in page.get("AggregateComplianceByConfigRules", []):
                account = entry.get("AccountId", "")
                if only_account is not None and account != only_account:
                    continue
                known.setdefault(account, set()).add(entry.get("AwsRegion", ""))
                if names_rule(entry.get("ConfigRuleName", ""), rule_name):
                    key = (account, entry.get("AwsRegion", ""))
                    targets.setdefault(key, set()).add(entry["ConfigRuleName"])
        return AggregatorView(
            {k: sorted(n) for k, n in sorted(targets.items())},
            {account: sorted(regions) for account, regions in known.items()},
        )

    def current(
        self, account_id: str, rule_name: str, aggregator: str | None = None, region: str = ""
    ) -> model.CurrentEvaluation | None:
        """The account's latest evaluation under exactly this rule (from `aggregator`)."""
        if aggregator is None:
            operation, results = "get_compliance_details_by_config_rule", "EvaluationResults"
            request: dict[str, Any] = {"ComplianceTypes": EVALUATION_TYPES}
        else:
            operation = "get_aggregate_compliance_details_by_config_rule"
            results = "AggregateEvaluationResults"
            request = dict(
                ConfigurationAggregatorName=aggregator, AccountId=account_id, AwsRegion=region
            )
        found = (
            evaluation
            for page in self._pages(operation, page_size=100, ConfigRuleName=rule_name, **request)
            for result in page.get(results, [])
            if (evaluation := _evaluation(result, account_id)) and evaluation.rule_name == rule_name
        )
        # The first of those recorded latest; one with no time only when none has one.
        return max(
            found,
            key=lambda e: (e.recorded_at is not None, e.recorded_at or model.EARLIEST),
            default=None,
        )

    def _pages(self, operation: str, **request: Any) -> Iterator[dict[str, Any]]:
        """Every page of `operation` (up to its MAX_PAGES), throttling retried."""
        with unavailable_on_failure(operation):
            pages = Retrier(THROTTLED, sleep=self.sleep).pages
            yield from pages(self.config, operation, max_pages=MAX_PAGES[operation], **request)

    def _call(self, operation: str, **request: Any) -> dict[str, Any]:
        with unavailable_on_failure(operation):
            return Retrier(THROTTLED, sleep=self.sleep).call(self.config, operation, **request)


@contextmanager
def unavailable_on_failure(
    what: str, kind: type[HistoryUnavailableError] = HistoryUnavailableError
) -> Iterator[None]:
    """Raises `kind` (with the AWS error code) saying in one line that `what` failed, and why."""
    try:
        yield
    except ClientError as error:
        raise kind(f"{what}: {error_text(error, 160)}", code=error_code(error)) from None
    except BotoCoreError as error:
        raise kind(shortened(f"{what}: {error}"), code=error_code(error)) from None


def _evaluation(result: Mapping[str, Any], account_id: str) -> model.CurrentEvaluation | None:
    qualifier = result.get("EvaluationResultIdentifier", {}).get("EvaluationResultQualifier", {})
    if qualifier.get("ResourceType") != RESOURCE_TYPE or qualifier.get("ResourceId") != account_id:
        return None
    return model.CurrentEvaluation(
        rule_name=qualifier.get("ConfigRuleName", ""),
        compliance_type=result.get("ComplianceType", "UNKNOWN"),
        annotation=result.get("Annotation", ""),
        recorded_at=result.get("ResultRecordedTime"),
    )
