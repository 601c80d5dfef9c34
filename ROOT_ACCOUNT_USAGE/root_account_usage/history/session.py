"""The auditor's AWS session: account, region, AWS Config client, way into member accounts."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from botocore.exceptions import BotoCoreError, ClientError

from ..core.plain_text import shortened
from .config_reader import HistoryUnavailableError
from .organization import MemberRoleOpener

if TYPE_CHECKING:
    from mypy_boto3_config import ConfigServiceClient

_SESSION_LOCK = threading.Lock()


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
