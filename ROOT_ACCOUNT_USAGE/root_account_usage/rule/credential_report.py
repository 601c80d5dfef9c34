"""Fetch the IAM credential report: the one module that calls IAM.

Get first, and use the report when it is under four hours old (IAM regenerates
at most every four hours, so this is one API call in the common case).
Otherwise generate, poll with capped exponential backoff and jitter, and get
again. Every wait is bounded by the caller's time budget and an attempt cap.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from botocore.exceptions import BotoCoreError, ClientError

from ..core.exceptions import ReportUnavailableError
from .aws import THROTTLING_CODES, error_code, error_message
from .budget import Backoff, Jitter, Sleep, TimeLeft

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

logger = logging.getLogger(__name__)

FRESH_FOR = timedelta(hours=4)

# Codes that mean "not yet": wait and ask again.
RETRYABLE_CODES = frozenset({"ReportInProgress", "LimitExceeded", "ServiceFailure"}) | (
    THROTTLING_CODES
)
# Codes of GetCredentialReport that mean "generate one first".
REGENERATE_CODES = frozenset({"ReportNotPresent", "ReportExpired"})
DONE_STATE = "COMPLETE"


class FetchedReport(NamedTuple):
    """The raw report as IAM returned it."""

    content: bytes
    generated_at: datetime | None


class CredentialReportFetcher:
    """Runs the GetCredentialReport / GenerateCredentialReport lifecycle once."""

    def __init__(
        self,
        iam: IAMClient,
        *,
        time_left: TimeLeft,
        backoff: Backoff | None = None,
        sleep: Sleep | None = None,
        jitter: Jitter | None = None,
    ) -> None:
        self._iam = iam
        self._time_left = time_left
        self._backoff = backoff or Backoff()
        # Looked up when built (not at import), so that tests can patch time.sleep.
        self._sleep = sleep or time.sleep
        self._jitter = jitter or random.uniform
        self._waits = 0

    def fetch(self, now: datetime) -> FetchedReport:
        """Return a report under four hours old, or the newest one IAM will give.

        Raises ReportUnavailableError when IAM refuses, keeps failing, or the
        report is not ready within the time budget and no earlier report exists.
        """
        existing: FetchedReport | None
        try:
            existing = self._get_report(wait_if_missing=False)
        except _ReportMissingError:
            existing = None
        if existing is not None and _is_fresh(existing, now):
            return existing
        try:
            self._generate_until_complete()
        except ReportUnavailableError as error:
            if existing is None:
                raise
            # The older report is still evidence; the 24-hour rule judges it.
            logger.warning(
                "credential report generation failed; using the existing report",
                extra={"fields": {"error_code": error.code}},
            )
            return existing
        # After COMPLETE the next report is final, fresh or not.
        return self._get_report(wait_if_missing=True)

    def _get_report(self, *, wait_if_missing: bool) -> FetchedReport:
        while True:
            try:
                response = self._call("GetCredentialReport", self._iam.get_credential_report)
            except _RetryableError as retry:
                if retry.code in REGENERATE_CODES and not wait_if_missing:
                    raise _ReportMissingError(retry.code) from None
                self._wait("GetCredentialReport", retry.code)
                continue
            return FetchedReport(
                content=response.get("Content", b""),
                generated_at=_as_utc(response.get("GeneratedTime")),
            )

    def _generate_until_complete(self) -> None:
        while True:
            try:
                response = self._call(
                    "GenerateCredentialReport", self._iam.generate_credential_report
                )
            except _RetryableError as retry:
                self._wait("GenerateCredentialReport", retry.code)
                continue
            state = response.get("State")
            if state == DONE_STATE:
                return
            self._wait("GenerateCredentialReport", str(state))

    def _call(self, operation: str, method: Callable[[], Any]) -> Any:
        try:
            return method()
        except ClientError as error:
            code = error_code(error)
            if code in RETRYABLE_CODES or code in REGENERATE_CODES:
                raise _RetryableError(code) from None
            raise ReportUnavailableError(
                f"IAM {operation} failed: {code}: {error_message(error, 120)}".rstrip(": "),
                code=code,
            ) from None
        except BotoCoreError as error:
            raise ReportUnavailableError(
                f"IAM {operation} failed: {error}"[:200], code=error_code(error)
            ) from None
        except ValueError:
            # botocore raises binascii.Error (a ValueError) for Content that is not base64.
            raise ReportUnavailableError(
                f"IAM {operation} returned a response that could not be decoded",
                code="MalformedResponse",
            ) from None
        except Exception as error:
            # Anything else the SDK lets through (e.g. ResponseParserError on an HTML
            # error page) is still "no report": fail closed, never crash.
            code = error_code(error)
            raise ReportUnavailableError(f"IAM {operation} failed: {code}", code=code) from None

    def _wait(self, operation: str, reason: str) -> None:
        left = self._time_left()
        if self._waits >= self._backoff.max_attempts or left <= 0:
            raise ReportUnavailableError(
                f"credential report not ready: {operation} still {reason} after "
                f"{self._waits} retries, time budget exhausted",
                code="ReportNotReady",
            )
        delay = min(self._backoff.delay(self._waits, self._jitter), left)
        self._waits += 1
        logger.info(
            "waiting for the credential report",
            extra={
                "fields": {
                    "operation": operation,
                    "state": reason,
                    "delay_seconds": round(delay, 3),
                }
            },
        )
        self._sleep(delay)


class _RetryableError(Exception):
    """Internal: IAM answered with a code that means 'ask again later'."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class _ReportMissingError(Exception):
    """Internal: no report exists yet (ReportNotPresent / ReportExpired)."""


def _is_fresh(report: FetchedReport, now: datetime) -> bool:
    return report.generated_at is not None and now - report.generated_at < FRESH_FOR


def _as_utc(value: object) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
