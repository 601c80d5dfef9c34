"""One report of what AWS Config holds for the rule: an account, aggregator or organization."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import TYPE_CHECKING

from ..core.annotation import read_threshold
from ..rule.budget import Sleep
from .config_reader import ConfigHistoryReader, HistoryUnavailableError, Progress, count_nothing
from .model import LATEST_DUE, AccountHistory, EvidenceReport, UnreadableAccount, bounded
from .organization import DEFAULT_MAX_WORKERS, AccountOpener, read_accounts

if TYPE_CHECKING:
    from mypy_boto3_config import ConfigServiceClient


ALL_REGIONS = ""  # an account the aggregator knows in no particular region


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
    functions: Collection[str] = (),
    members: AccountOpener | None = None,
    max_workers: int = DEFAULT_MAX_WORKERS,
    progress: Progress = count_nothing,
    accounts_progress: Progress = count_nothing,
    sleep: Sleep | None = None,
) -> EvidenceReport:
    """Everything AWS Config holds for the rule and the period (model.bounded), with
    `members` from each account the aggregator knows; an account not read is listed.
    Raises PeriodOutOfReachError, or HistoryUnavailableError when Config cannot be read."""
    since, until, notes = bounded(since, until, now)
    reader = ConfigHistoryReader(config, sleep=sleep, progress=progress)
    accounts: list[AccountHistory] = []
    unreadable: list[UnreadableAccount] = []
    if aggregator is None:
        local_rules = reader.matching_rules(rule_name, functions)  # raises: Config unreadable
        try:
            accounts.extend(
                reader.read_account(account_id, region, rule_name, since, until, rules=local_rules)
            )
        except HistoryUnavailableError as error:
            unreadable.append(UnreadableAccount(account_id, region, str(error)))
        source = f"account {account_id} in {region}"
    else:
        view = reader.aggregator_view(aggregator, rule_name, only_account)
        source = f"aggregator {aggregator}, read from account {account_id} in {region}"
        if members is not None:
            source += f"; {members.description}"
            for outcome in read_accounts(
                list(view.targets),
                members,
                rule_name,
                since,
                until,
                functions=functions,
                max_workers=max_workers,
                sleep=sleep,
                progress=accounts_progress,
            ):
                if outcome.read is not None:
                    accounts.extend(outcome.read)
                if outcome.unreadable is not None:
                    unreadable.append(outcome.unreadable)
        else:
            notes.append(
                "Compliance history is kept in each account; timelines are shown for the "
                f"account these credentials belong to ({account_id}). Give --member-role "
                "to read every account's own history."
            )
            for (account, where), names in view.targets.items():
                try:
                    if (account, where) == (account_id, region):
                        read = reader.read_account(
                            account, where, rule_name, since, until, functions=functions
                        )
                        accounts.extend(read)
                    else:
                        for name in names:
                            accounts.append(_aggregated(reader, aggregator, name, account, where))
                except HistoryUnavailableError as error:
                    unreadable.append(UnreadableAccount(account, where, str(error)))
        # Accounts the aggregator has results for, but none of this rule: a gap to show.
        gap = f"the aggregator has results for other rules here, none for {rule_name}"
        for account in sorted(view.known_accounts - {known for known, _ in view.targets}):
            accounts.append(AccountHistory(account, ALL_REGIONS, history_note=gap))
        if only_account is not None and only_account not in view.known_accounts:
            # Asked for by name: a gap to show, never an empty report.
            notes.append(
                f"The aggregator {aggregator} has no results for account {only_account}: "
                "it is not an account the aggregator covers, or AWS Config evaluates no "
                "rule there."
            )
            note = "the aggregator has no results for this account"
            accounts.append(AccountHistory(only_account, ALL_REGIONS, history_note=note))
    if not any(a.rule_name for a in accounts):
        notes.append(f"No AWS Config rule {rule_name} (or one AWS named from it) was found.")
    if any(a.history_note == "not recorded" for a in accounts):
        notes.append(
            "Where the configuration recorder does not record "
            "AWS::Config::ResourceCompliance, AWS Config kept no compliance history; only the "
            "latest evaluation is shown."
        )
    return EvidenceReport(
        rule_name=rule_name,
        since=since,
        until=until,
        generated_at=now,
        source=source,
        accounts=tuple(sorted(accounts, key=lambda a: (a.account_id, a.region, a.rule_name or ""))),
        unreadable=tuple(sorted(unreadable)),
        notes=tuple(notes),
    )


def _aggregated(
    reader: ConfigHistoryReader, aggregator: str, rule: str, account_id: str, region: str
) -> AccountHistory:
    """The aggregator's latest evaluation, judged with the threshold it states (it shows
    no account's parameters); the history stays in that account."""
    current = reader.current(account_id, rule, aggregator, region)
    return AccountHistory(
        account_id,
        region,
        current=current,
        history_note="history kept in that account",
        rule_name=rule,
        threshold_days=read_threshold(current.annotation) if current else None,
        stale_after=LATEST_DUE,  # its frequency is that account's to know
    )
