"""The rule's SDK clients, each bounded in time (budget.py), built through rdklib's
ClientFactory interface; why rdklib's own factory is not used: docs/development.md,
"Time bounds"."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from rdklib import ClientFactory

from ..core.parameters import RoleChoice
from .budget import Budget, CallLimits, limits_for

if TYPE_CHECKING:
    from mypy_boto3_sts import STSClient
    from mypy_boto3_sts.type_defs import CredentialsTypeDef

# rdklib's session name and duration for the role it assumes.
ROLE_SESSION_NAME = "configLambdaExecution"
ROLE_SESSION_SECONDS = 900
_GLOBAL_STS_HOST = "sts.amazonaws.com"

# (service, region) -> client, kept for the life of the Lambda container.
_CLIENTS: dict[tuple[str, str | None], Any] = {}


def sdk_config(service: str, limits: CallLimits | None = None) -> Config:
    """botocore's Config for `service`: explicit timeouts, standard retries, N attempts
    (`limits`, or the service's own)."""
    limits = limits or limits_for(service)
    return Config(
        connect_timeout=limits.connect_timeout,
        read_timeout=limits.read_timeout,
        retries={"mode": "standard", "total_max_attempts": limits.max_attempts},
    )


def new_client(service: Any, limits: CallLimits | None = None, **options: Any) -> Any:
    """A boto3 client of the default session (whose event hooks tests use), bounded."""
    return boto3.client(service, config=sdk_config(service, limits), **options)


def sts_limits_within(within: Budget) -> CallLimits:
    """STS's limits with as many of its attempts as end `within` the budget; raises
    OutOfTimeError (code AssumeRoleOutOfTime) when not even one does."""
    sts = limits_for("sts")
    for attempts in range(sts.max_attempts, 1, -1):
        limits = sts._replace(max_attempts=attempts)
        if within.fits(limits.worst_case_seconds):
            return limits
    one = sts._replace(max_attempts=1)
    reason = f"{within.left():.0f} s left: too little for AssumeRole to end before publishing"
    within.require(one.worst_case_seconds, reason, code="AssumeRoleOutOfTime")
    return one


class BoundedClientFactory(ClientFactory):  # type: ignore[misc] # rdklib has no type hints
    """rdklib's ClientFactory, with bounded clients: the function's own role's clients are
    reused by warm invocations; an assumed role's credentials are fresh per invocation,
    from the regional STS endpoint, and a refusal is not asked again."""

    def __init__(
        self,
        role_arn: str | None,
        region: str | None,
        assume_role: bool,
        within: Budget | None = None,
    ) -> None:
        self._role_arn = role_arn
        self._region = region or os.environ.get("AWS_REGION")
        self._assume_role = assume_role
        self._budget = within
        self._credentials: CredentialsTypeDef | None = None
        self._refusal: Exception | None = None
        super().__init__(role_arn=role_arn, region=self._region, assume_role_mode=assume_role)

    def build_client(
        self, service: str, region: str | None = None, assume_role_mode: bool = True
    ) -> Any:
        region = region or self._region
        if not (assume_role_mode and self._assume_role):
            key = (service, region)
            client = _CLIENTS.get(key)
            if client is None:
                client = _CLIENTS[key] = new_client(service, region_name=region)
            return client
        credentials = self._assumed_credentials()
        return new_client(
            service,
            region_name=region,
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )

    def _assumed_credentials(self) -> CredentialsTypeDef:
        if self._refusal is not None:
            raise self._refusal  # refused once, within this invocation: do not wait again
        if self._credentials is None:
            if not self._role_arn:
                raise ValueError("no role to assume: the event has no executionRoleArn")
            try:
                limits = None if self._budget is None else sts_limits_within(self._budget)
                response = regional_sts_client(self._region, limits).assume_role(
                    RoleArn=self._role_arn,
                    RoleSessionName=ROLE_SESSION_NAME,
                    DurationSeconds=ROLE_SESSION_SECONDS,
                )
            except Exception as error:
                self._refusal = error
                raise
            self._credentials = response["Credentials"]
        return self._credentials


def regional_sts_client(region: str | None, limits: CallLimits | None = None) -> STSClient:
    """An STS client for `region`'s own endpoint, never the global one (which older
    botocore, or AWS_STS_REGIONAL_ENDPOINTS=legacy, picks for some commercial regions)."""
    client: STSClient = new_client("sts", limits, region_name=region)
    if region and client.meta.endpoint_url.rstrip("/").endswith("//" + _GLOBAL_STS_HOST):
        client = new_client(
            "sts", limits, region_name=region, endpoint_url=f"https://sts.{region}.amazonaws.com"
        )
    return client


def execution_role_arn(event_role_arn: str, role: RoleChoice) -> str:
    """The role rdklib would assume: ExecutionRoleName in the account of the event's
    executionRoleArn, else the executionRoleArn itself."""
    if role.role_name is None:
        return event_role_arn
    return f"{event_role_arn.split('/')[0]}/{role.role_name}"


def client_factory_for(
    event_role_arn: str, role: RoleChoice, within: Budget | None = None
) -> BoundedClientFactory:
    """The factory for an invocation, from validated role parameters (never the raw event);
    AssumeRole, when it is made, ends `within` the budget."""
    region = role.region or os.environ.get("AWS_REGION")
    if not role.assume_role:
        return BoundedClientFactory(None, region, assume_role=False)
    return BoundedClientFactory(
        execution_role_arn(event_role_arn, role), region, assume_role=True, within=within
    )


def forget_clients() -> None:
    """Drop the reused clients (tests switch endpoints and credentials between cases)."""
    _CLIENTS.clear()
