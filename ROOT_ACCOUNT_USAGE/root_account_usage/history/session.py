"""The auditor's AWS session: which account, which region, an AWS Config client."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from botocore.exceptions import BotoCoreError, ClientError

from .config_reader import HistoryUnavailableError

if TYPE_CHECKING:
    from mypy_boto3_config import ConfigServiceClient


class NoRegionError(HistoryUnavailableError):
    """No region was given or configured, so there is no AWS Config to read."""

    code = "NoRegion"


class AuditorSession(NamedTuple):
    config: ConfigServiceClient
    account_id: str
    region: str


def open_session(
    profile: str | None, region: str | None, account_id: str | None = None
) -> AuditorSession:
    """A Config client through the standard credential chain; the account is the
    credentials' own unless given (sts:GetCallerIdentity needs no permission)."""
    import boto3

    try:
        session = boto3.Session(profile_name=profile, region_name=region)
        if not session.region_name:
            raise NoRegionError("no region given or configured for AWS Config")
        account = account_id or session.client("sts").get_caller_identity()["Account"]
        return AuditorSession(session.client("config"), account, session.region_name)
    except (BotoCoreError, ClientError) as error:
        raise HistoryUnavailableError(f"no AWS session: {error}"[:200]) from None
