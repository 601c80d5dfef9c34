"""The auditor's AWS session, and every account of an organization read through its
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

from ..core.plain_text import LONG, shortened
from ..rule.aws import Retrier
from ..rule.budget import Sleep
from .config_reader import (
    THROTTLED,
    ConfigHistoryReader,
    HistoryUnavailableError,
    Progress,
    count_nothing,
    unavailable_on_failure,
)
from .model import AccountHistory, UnreadableAccount

if TYPE_CHECKING:
    from mypy_boto3_config import ConfigServiceClient
    from mypy_boto3_sts import STSClient

logger = logging.getLogger(__name__)
_SESSION_LOCK = threading.Lock()

DEFAULT_MAX_WORKERS = 8
SESSION_NAME = "root-account-usage-history"  # what each member account's CloudTrail shows
# Reading one account takes seconds; the shortest session STS grants is ample.
SESSION_SECONDS = 900
_SDK_KEYS = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")  # boto3's

# region, and temporary credentials (None: the auditor's own) -> a Config client there
ClientFactory = Callable[[str, "Mapping[str, str] | None"], "ConfigServiceClient"]


class MemberRoleRefusedError(HistoryUnavailableError):
    """The member account's read role could not be assumed."""

    code = "AssumeRoleFailed"


class AccountOpener(Protocol):
    description: str  # how accounts are reached, for the report's source line

    def open(self, account_id: str, region: str) -> ConfigServiceClient:
        """A Config client reading `account_id` in `region`."""
        ...


@dataclass(repr=False, eq=False)  # as before: no field (the external ID) in a repr
class MemberRoleOpener:
    """Opens an account's AWS Config through its read role (the auditor's own account
    through the auditor's own credentials)."""

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
        external_id = {"ExternalId": self.external_id} if self.external_id else {}
        with unavailable_on_failure(f"cannot assume {arn}", MemberRoleRefusedError):
            credentials = Retrier(THROTTLED, sleep=self.sleep).call(
                self.sts,
                "assume_role",
                RoleArn=arn,
                RoleSessionName=SESSION_NAME,
                DurationSeconds=SESSION_SECONDS,
                **external_id,
            )["Credentials"]
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
    """Each (account, region) of `targets` read, `max_workers` at a time: what was read,
    or why not, in the order of `targets`."""

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


class NoRegionError(HistoryUnavailableError):
    """No region was given or configured, so there is no AWS Config to read."""

    code = "NoRegion"


class AuditorSession(NamedTuple):
    config: ConfigServiceClient
    account_id: str
    region: str
    session: Any = None  # the boto3 session, for member accounts' clients


def open_session(profile: str | None, region: str | None) -> AuditorSession:
    """A Config client through the standard credential chain, and the account those
    credentials belong to, as sts:GetCallerIdentity says (it needs no permission)."""
    import boto3

    try:
        session = boto3.Session(profile_name=profile, region_name=region)
        if not session.region_name:
            raise NoRegionError("no region given or configured for AWS Config")
        account = session.client("sts").get_caller_identity()["Account"]
        return AuditorSession(session.client("config"), account, session.region_name, session)
    except (BotoCoreError, ClientError) as error:
        raise HistoryUnavailableError(shortened(f"no AWS session: {error}")) from None


def member_opener(
    auditor: AuditorSession,
    role_name: str,
    external_id: str | None,
    client_factory: Callable[[str, Any], Any] | None = None,
) -> MemberRoleOpener:
    """Each account's read role, assumed from the auditor's session (the role's ARN in
    the partition of the auditor's region: aws, aws-cn, aws-us-gov, ...); the member's
    clients from `client_factory` (default: Config clients of the auditor's session)."""
    session = auditor.session
    return MemberRoleOpener(
        session.client("sts", region_name=auditor.region),  # the regional STS endpoint
        client_factory or (lambda region, keys: session_clients(session, keys)("config", region)),
        role_name=role_name,
        partition=session.get_partition_for_region(auditor.region),
        own_account=auditor.account_id,
        external_id=external_id,
    )


def session_clients(
    session: Any, credentials: Mapping[str, str] | None = None
) -> Callable[..., Any]:
    """(service, region) -> a client of the boto3 session, each made once and one at a
    time (a session is not thread-safe)."""

    @functools.cache
    def client(service: str, region: str) -> Any:
        with _SESSION_LOCK:
            return session.client(service, region_name=region, **(credentials or {}))

    return client
