"""One report of what AWS Config holds for the rule (an account, aggregator or
organization), the auditor's AWS session, and member accounts read through their
read-only role, several at a time."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from ..core.annotation import read_threshold
from ..core.plain_text import LONG, shortened
from ..rule.aws import Retrier
from ..rule.budget import Sleep
from ..rule.clients import session_client
from .config_reader import (
    THROTTLED,
    ConfigHistoryReader,
    HistoryUnavailableError,
    Progress,
    count_nothing,
    unavailable_on_failure,
)
from .model import LATEST_DUE, AccountHistory, EvidenceReport, UnreadableAccount, bounded

if TYPE_CHECKING:
    from mypy_boto3_config import ConfigServiceClient
    from mypy_boto3_sts import STSClient

logger = logging.getLogger(__name__)
_SESSION_LOCK = threading.Lock()  # a boto3 session is not thread-safe

DEFAULT_MAX_WORKERS = 8
ALL_REGIONS = ""  # an account the aggregator knows in no particular region
SESSION_NAME = "root-account-usage-history"  # what each member account's CloudTrail shows
# Reading one account takes seconds; the shortest session STS grants is ample.
SESSION_SECONDS = 900
_SDK_KEYS = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")  # boto3's

# region, and temporary credentials (None: the auditor's own) -> a Config client there
ClientFactory = Callable[[str, "Mapping[str, str] | None"], "ConfigServiceClient"]


class MemberRoleRefusedError(HistoryUnavailableError):
    """The member account's read role could not be assumed."""


class AccountOpener(Protocol):
    description: str  # how accounts are reached, for the report's source line

    def open(self, account_id: str, region: str) -> ConfigServiceClient:
        """A Config client reading `account_id` in `region`."""


@dataclass(repr=False, eq=False)  # as before: no field (the external ID) in a repr
class MemberRoleOpener:
    """Opens an account's AWS Config through its read role (the auditor's: its own keys)."""

    sts: STSClient
    client_factory: ClientFactory
    _: KW_ONLY
    role_name: str
    partition: str
    own_account: str
    external_id: str | None = None
    sleep: Sleep | None = None
    description: str = field(init=False)

    def __post_init__(self) -> None:
        self.description = f"each account read through its role {self.role_name}"

    def role_arn(self, account_id: str) -> str:
        return f"arn:{self.partition}:iam::{account_id}:role/{self.role_name}"

    def open(self, account_id: str, region: str) -> ConfigServiceClient:
        if account_id == self.own_account:
            return self.client_factory(region, None)
        arn = self.role_arn(account_id)
        request = dict(RoleArn=arn, RoleSessionName=SESSION_NAME, DurationSeconds=SESSION_SECONDS)
        request |= {"ExternalId": self.external_id} if self.external_id else {}
        with unavailable_on_failure(f"cannot assume {arn}", MemberRoleRefusedError):
            retrier = Retrier(THROTTLED, sleep=self.sleep)
            credentials = retrier.call(self.sts, "assume_role", **request)["Credentials"]
        keys = zip(_SDK_KEYS, ("AccessKeyId", "SecretAccessKey", "SessionToken"), strict=True)
        return self.client_factory(region, {sdk: credentials[key] for sdk, key in keys})


class AccountOutcome(NamedTuple):
    account_id: str
    region: str
    read: list[AccountHistory] | None
    unreadable: UnreadableAccount | None


def read_accounts(
    targets: Sequence[tuple[str, str]],
    opener: AccountOpener,
    rule_name: str,
    since: datetime,
    until: datetime,
    *,
    functions: Collection[str] = (),
    max_workers: int = DEFAULT_MAX_WORKERS,
    sleep: Sleep | None = None,
    progress: Progress = count_nothing,
) -> list[AccountOutcome]:
    """Each (account, region) of `targets`, `max_workers` at a time: read, or why not."""

    def read_one(target: tuple[str, str]) -> AccountOutcome:
        account_id, region = target
        try:
            reader = ConfigHistoryReader(opener.open(account_id, region), sleep=sleep)
            read = reader.read_account(*target, rule_name, since, until, functions=functions)
            return AccountOutcome(*target, read, None)
        except HistoryUnavailableError as error:
            reason = str(error)
        except Exception as error:  # one account's surprise must not lose the others
            # Listed with the reason; the trace is for whoever logs INFO (users get none).
            fields = {"fields": {"account": account_id}}
            logger.info("reading account failed", exc_info=True, extra=fields)
            reason = shortened(f"unexpected {type(error).__name__}: {error}", LONG)
        return AccountOutcome(*target, None, UnreadableAccount(*target, reason))

    return each_in_parallel(read_one, targets, max_workers, progress)


def each_in_parallel[T, R](
    work: Callable[[T], R], items: Sequence[T], max_workers: int, progress: Progress
) -> list[R]:
    """work(item) for each item, `max_workers` at a time, in the order of `items`; what
    `work` raises stops the run at once, and an interrupt starts no more items."""
    executor = ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="account")
    try:
        futures = [executor.submit(work, item) for item in items]
        for done, future in enumerate(as_completed(futures), start=1):
            future.result()
            progress(done, len(futures))
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
    return [future.result() for future in futures]


def collect_evidence(
    auditor: AuditorSession,
    *,
    rule_name: str,
    since: datetime,
    until: datetime,
    now: datetime,
    only_account: str | None = None,
    functions: Collection[str] = (),
    max_workers: int = DEFAULT_MAX_WORKERS,
    progress: Progress = count_nothing,
    accounts_progress: Progress = count_nothing,
    sleep: Sleep | None = None,
) -> EvidenceReport:
    """Everything AWS Config holds for the rule and the period; an account not read is
    listed. Raises PeriodOutOfReachError, or HistoryUnavailableError (Config unreadable)."""
    config, account_id, region, _, aggregator, members = auditor
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
        ruleless = view.ruleless()  # read too: deleting a rule cannot clean an audit
        source = f"aggregator {aggregator}, read from account {account_id} in {region}"
        if members is not None:
            source += f"; {members.description}"
            outcomes = read_accounts(
                [*view.targets, *ruleless],
                members,
                rule_name,
                since,
                until,
                functions=functions,
                max_workers=max_workers,
                sleep=sleep,
                progress=accounts_progress,
            )
            # An account read for a deleted rule shows only what its records name.
            read_for_records = {account for account, _ in ruleless}
            accounts += [
                history
                for outcome in outcomes
                for history in outcome.read or ()
                if history.rule_name or history.account_id not in read_for_records
            ]
            unreadable += [outcome.unreadable for outcome in outcomes if outcome.unreadable]
        else:
            notes.append(
                "Compliance history is kept in each account; timelines are shown for the "
                f"account these credentials belong to ({account_id}). Give --member-role "
                "to read every account's own history."
            )
            own = [(account_id, region)] if (account_id, region) in ruleless else []
            for (account, where), names in [*view.targets.items(), *((t, []) for t in own)]:
                try:
                    if (account, where) == (account_id, region):
                        accounts += reader.read_account(
                            account, where, rule_name, since, until, functions=functions
                        )
                    else:
                        for name in names:
                            accounts.append(_aggregated(reader, aggregator, name, account, where))
                except HistoryUnavailableError as error:
                    unreadable.append(UnreadableAccount(account, where, str(error)))
        # Accounts the aggregator has results for, but none of this rule, and not read:
        # a gap to show.
        gap = f"the aggregator has results for other rules here, none for {rule_name}"
        read = {a.account_id for a in accounts} | {u.account_id for u in unreadable}
        for account in sorted(view.regions.keys() - {known for known, _ in view.targets} - read):
            accounts.append(AccountHistory(account, ALL_REGIONS, history_note=gap))
        if only_account is not None and only_account not in view.regions:
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
            "AWS::Config::ResourceCompliance now, no timeline is shown (when recording "
            "stopped is unknown): the changes it recorded before are listed, and count, "
            "with the latest evaluation."
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
    """The aggregator's latest evaluation, judged with the threshold it states."""
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


class NoRegionError(HistoryUnavailableError):
    """No region was given or configured, so there is no AWS Config to read."""

    code = "NoRegion"


class AuditorSession(NamedTuple):
    """The auditor's AWS Config, account and region; for `history`, also the aggregator
    read there and how member accounts open."""

    config: ConfigServiceClient
    account_id: str
    region: str
    session: Any = None  # the boto3 session, for member accounts' clients
    aggregator: str | None = None
    members: AccountOpener | None = None


def open_session(profile: str | None, region: str | None) -> AuditorSession:
    """A Config client through the standard credential chain, and its account (from
    sts:GetCallerIdentity, which needs no permission). Raises HistoryUnavailableError."""
    import boto3

    try:
        session = boto3.Session(profile_name=profile, region_name=region)
        if not session.region_name:
            raise NoRegionError("no region given or configured for AWS Config")
        account = session_client(session, "sts").get_caller_identity()["Account"]
        config = session_client(session, "config")
        return AuditorSession(config, account, session.region_name, session)
    except (BotoCoreError, ClientError) as error:
        raise HistoryUnavailableError(shortened(f"no AWS session: {error}")) from None


def member_opener(
    auditor: AuditorSession,
    role_name: str,
    external_id: str | None,
    client_factory: Callable[[str, Any], Any] | None = None,
) -> MemberRoleOpener:
    """Each account's read role, assumed from the auditor's session in the partition of
    its region; the member's clients from `client_factory` (default: the session's)."""
    session = auditor.session
    return MemberRoleOpener(
        session_client(session, "sts", region_name=auditor.region),  # the regional endpoint
        client_factory or (lambda region, keys: session_clients(session, keys)("config", region)),
        role_name=role_name,
        partition=session.get_partition_for_region(auditor.region),
        own_account=auditor.account_id,
        external_id=external_id,
    )


def session_clients(
    session: Any, credentials: Mapping[str, str] | None = None
) -> Callable[..., Any]:
    """(service, region) -> a client of the session, each made once, one at a time."""

    @functools.cache
    def client(service: str, region: str) -> Any:
        with _SESSION_LOCK:
            return session_client(session, service, region_name=region, **(credentials or {}))

    return client
