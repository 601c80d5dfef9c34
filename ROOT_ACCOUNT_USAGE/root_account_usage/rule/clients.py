"""The rule's SDK clients, each bounded in time, through rdklib's ClientFactory interface."""

from __future__ import annotations

import contextvars
import logging
import os
import threading
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import ReadTimeoutError
from rdklib import ClientFactory

from ..core.parameters import RoleChoice
from .budget import CLI_LIMITS, Budget, CallLimits, limits_for

if TYPE_CHECKING:
    from mypy_boto3_sts import STSClient
    from mypy_boto3_sts.type_defs import CredentialsTypeDef

# rdklib's session name and duration for the role it assumes.
ROLE_SESSION_NAME = "configLambdaExecution"
ROLE_SESSION_SECONDS = 900

_CLIENTS: dict[tuple[str, str | None], Any] = {}  # (service, region): the container's

# The SDK logs whole responses at DEBUG, the credential report among them: its loggers
# stay at WARNING whatever the function's log level (both functions import this module).
for _sdk_logger in ("boto3", "botocore", "urllib3", "s3transfer"):
    logging.getLogger(_sdk_logger).setLevel(logging.WARNING)


def sdk_config(service: str, limits: CallLimits | None = None) -> Config:
    """botocore's Config for `service`: explicit timeouts, standard retries, N attempts."""
    limits = limits or limits_for(service)
    return Config(
        connect_timeout=limits.connect_timeout,
        read_timeout=limits.read_timeout,
        retries={"mode": "standard", "total_max_attempts": limits.max_attempts},
    )


def new_client(
    service: Any, limits: CallLimits | None = None, deadline: Budget | None = None, **options: Any
) -> Any:
    """A DeadlineClient over a boto3 client of the default session (tests use its hooks)."""
    limits = limits or limits_for(service)
    client = boto3.client(service, config=sdk_config(service, limits), **options)
    return DeadlineClient(client, limits, deadline)


def session_client(
    session: Any, service: str, limits: CallLimits = CLI_LIMITS, /, **options: Any
) -> Any:
    """`session`'s client for `service`, each call ended by its worst case: botocore's read
    timeout is per read, so a server sending a byte at a time would hold it for ever."""
    client = session.client(service, config=sdk_config(service, limits), **options)
    return DeadlineClient(client, limits, None)


class DeadlineClient:
    """A boto3 client whose every call ends by a deadline, else raises ReadTimeoutError."""

    def __init__(self, client: Any, limits: CallLimits, deadline: Budget | None) -> None:
        self.client, self._limits, self._deadline = client, limits, deadline

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.client, name)
        if name not in self.client.meta.method_to_api_mapping:
            return attribute
        return lambda **request: self._call(attribute, request)

    def _call(self, operation: Any, request: dict[str, Any]) -> Any:
        seconds = self._limits.worst_case_seconds
        if self._deadline is not None:
            seconds = max(0.0, min(seconds, self._deadline.left()))
        answer: Future[Any] = Future()

        def run() -> None:
            try:
                answer.set_result(operation(**request))
            except BaseException as error:  # handed to the caller as raised
                answer.set_exception(error)

        # The caller's context (its context variables) goes with the call.
        threading.Thread(target=contextvars.copy_context().run, args=(run,), daemon=True).start()
        try:
            return answer.result(timeout=seconds)
        except TimeoutError:
            url = self.client.meta.endpoint_url
            raise ReadTimeoutError(endpoint_url=f"{url} (no answer in {seconds:.1f} s)") from None


def sts_limits_within(within: Budget) -> CallLimits:
    """STS's limits with as many of its attempts as end `within` the budget; raises
    OutOfTimeError (code AssumeRoleOutOfTime) when not even one does."""
    sts = limits_for("sts")
    one = sts._replace(max_attempts=1)
    reason = f"{within.left():.0f} s left: too little for AssumeRole to end before publishing"
    within.require(one.worst_case_seconds, reason, code="AssumeRoleOutOfTime")
    more = (sts._replace(max_attempts=n) for n in range(sts.max_attempts, 1, -1))
    return next((limits for limits in more if within.fits(limits.worst_case_seconds)), one)


class BoundedClientFactory(ClientFactory):  # type: ignore[misc] # rdklib has no type hints
    """rdklib's ClientFactory: the role assumed once, `within` a budget; calls end `by` one."""

    def __init__(
        self, arn: str, role: RoleChoice, within: Budget | None = None, by: Budget | None = None
    ) -> None:
        named = arn if role.role_name is None else f"{arn.split('/')[0]}/{role.role_name}"
        self._role_arn = named if role.assume_role else None
        self._region = role.region or os.environ.get("AWS_REGION")
        self._assume_role, self._budget, self._deadline = role.assume_role, within, by
        self._assumed: CredentialsTypeDef | Exception | None = None  # or why it was refused
        super().__init__(self._role_arn, region=self._region, assume_role_mode=self._assume_role)

    def build_client(
        self, service: str, region: str | None = None, assume_role_mode: bool = True
    ) -> Any:
        region = region or self._region
        if not (assume_role_mode and self._assume_role):
            if (service, region) not in _CLIENTS:
                _CLIENTS[service, region] = new_client(service, region_name=region).client
            return DeadlineClient(_CLIENTS[service, region], limits_for(service), self._deadline)
        credentials = self._assumed_credentials()
        return new_client(
            service,
            deadline=self._deadline,
            region_name=region,
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )

    def _assumed_credentials(self) -> CredentialsTypeDef:
        if self._assumed is None:
            if not self._role_arn:
                raise ValueError("no role to assume: the event has no executionRoleArn")
            try:
                limits = None if self._budget is None else sts_limits_within(self._budget)
                sts = regional_sts_client(self._region, limits, self._deadline)
                self._assumed = sts.assume_role(
                    RoleArn=self._role_arn,
                    RoleSessionName=ROLE_SESSION_NAME,
                    DurationSeconds=ROLE_SESSION_SECONDS,
                )["Credentials"]
            except Exception as error:
                self._assumed = error
        if isinstance(self._assumed, Exception):
            raise self._assumed  # refused once, within this invocation: do not wait again
        return self._assumed


def regional_sts_client(
    region: str | None, limits: CallLimits | None = None, deadline: Budget | None = None
) -> STSClient:
    """An STS client for `region`'s own endpoint, never the global one (which older
    botocore, or AWS_STS_REGIONAL_ENDPOINTS=legacy, picks for some commercial regions)."""
    client: STSClient = new_client("sts", limits, deadline, region_name=region)
    if region and client.meta.endpoint_url.rstrip("/").endswith("//sts.amazonaws.com"):
        endpoint = f"https://sts.{region}.amazonaws.com"
        client = new_client("sts", limits, deadline, region_name=region, endpoint_url=endpoint)
    return client
