"""Fetch the IAM credential report, the one module that calls IAM (the lifecycle:
docs/development.md, "The credential-report lifecycle")."""

from __future__ import annotations

import contextlib
import itertools
import logging
import random
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from botocore.exceptions import BotoCoreError, ClientError

from ..core.exceptions import ReportUnavailableError, RootAccountUsageError
from ..core.timestamps import as_utc
from .aws import THROTTLING_CODES, TRANSIENT_ERRORS, error_code, error_message, http_status
from .budget import Backoff, Budget, Jitter, Sleep, limits_for

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
# A timeout, a dropped connection or a gateway error: tried again this many times at
# most, then the rule fails closed naming it.
MAX_TRANSIENT_RETRIES = 2


class FetchedReport(NamedTuple):
    """The raw report as IAM returned it."""

    content: bytes
    generated_at: datetime


class CredentialReportFetcher:
    """Runs the GetCredentialReport / GenerateCredentialReport lifecycle once."""

    def __init__(
        self,
        iam: IAMClient,
        *,
        budget: Budget,
        backoff: Backoff | None = None,
        sleep: Sleep | None = None,
        jitter: Jitter | None = None,
    ) -> None:
        self._iam = iam
        self._budget = budget
        # The longest one IAM call may take: no call starts with less time left.
        self._call_seconds = limits_for("iam").worst_case_seconds
        self._backoff = backoff or Backoff()
        # Looked up when built (not at import), so that tests can patch time.sleep.
        self._sleep = sleep or time.sleep
        self._jitter = jitter or random.uniform
        self._waits = 0

    def fetch(self, now: datetime) -> FetchedReport:
        """Return a report under four hours old, or the newest one IAM will give.

        Raises ReportUnavailableError (or OutOfTimeError, code ReportNotReady) when IAM
        refuses, keeps failing, or no report is ready in time and none exists.
        """
        existing = self._get_report(generate_if_missing=True)
        if existing is not None and _is_fresh(existing, now):
            return existing
        try:
            self._generate_until_complete()
        except RootAccountUsageError as error:
            if existing is None:
                raise
            # The older report is still evidence; the 24-hour rule judges it.
            logger.warning(
                "credential report generation failed; using the existing report",
                extra={"fields": {"error_code": error.code}},
            )
            return existing
        # After COMPLETE the next report is final, fresh or not.
        report = self._get_report(generate_if_missing=False)
        assert report is not None  # noqa: S101 - only generate_if_missing returns None
        return report

    def _get_report(self, *, generate_if_missing: bool) -> FetchedReport | None:
        """The report; None when there is none and one is to be generated."""
        while True:
            response, code = self._call("GetCredentialReport", self._iam.get_credential_report)
            if response is not None:
                return FetchedReport(
                    content=response.get("Content", b""),
                    generated_at=_generated_time(response.get("GeneratedTime")),
                )
            if code in REGENERATE_CODES and generate_if_missing:
                return None
            self._wait("GetCredentialReport", code)

    def _generate_until_complete(self) -> None:
        operation = "GenerateCredentialReport"
        while True:
            response, code = self._call(operation, self._iam.generate_credential_report)
            state = code if response is None else str(response.get("State"))
            if state == DONE_STATE:
                return
            self._wait(operation, state)

    def _call(self, operation: str, method: Callable[[], Any]) -> tuple[Any, str]:
        """(IAM's answer, "") or (None, a code that means "ask again later"); a timeout,
        dropped connection or 5xx is tried again MAX_TRANSIENT_RETRIES times at most.
        Raises ReportUnavailableError for any other failure."""
        for transient_failures in itertools.count():
            self._budget.require(
                self._call_seconds,
                f"no time left to call IAM {operation} within the Lambda's remaining time",
                code="ReportNotReady",
            )
            try:
                return method(), ""
            except ClientError as error:
                code = error_code(error)
                if code in RETRYABLE_CODES or code in REGENERATE_CODES:
                    return None, code
                failure = _failure(operation, error, f"{code}: {error_message(error, 120)}")
                if http_status(error) < 500:
                    raise failure from None
            except TRANSIENT_ERRORS as error:
                failure = _failure(operation, error, str(error))
            except BotoCoreError as error:
                raise _failure(operation, error, str(error)) from None
            except ValueError:
                # botocore raises binascii.Error (a ValueError) for Content that is not base64.
                raise ReportUnavailableError(
                    f"IAM {operation} returned a response that could not be decoded",
                    code="MalformedResponse",
                ) from None
            except Exception as error:
                # Anything else the SDK lets through (e.g. ResponseParserError on an HTML
                # error page) is still "no report": fail closed, never crash.
                raise _failure(operation, error, error_code(error)) from None
            if transient_failures >= MAX_TRANSIENT_RETRIES or not self._may_wait():
                raise failure from None
            self._wait(operation, failure.code)
        raise AssertionError("unreachable")  # pragma: no cover

    def _may_wait(self) -> bool:
        """Whether one more wait and one more call still fit the budget."""
        # Strictly more than one call: a wait of zero would only repeat the last answer.
        return self._waits < self._backoff.max_attempts and (
            self._budget.left() > self._call_seconds
        )

    def _wait(self, operation: str, reason: str) -> None:
        if not self._may_wait():
            raise ReportUnavailableError(
                f"credential report not ready: {operation} still {reason} after "
                f"{self._waits} retries, time budget exhausted",
                code="ReportNotReady",
            )
        # Never so long that the next call would not fit before the budget ends.
        room = self._budget.left() - self._call_seconds
        delay = min(self._backoff.delay(self._waits, self._jitter), room)
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


def _failure(operation: str, error: BaseException, detail: str) -> ReportUnavailableError:
    message = f"IAM {operation} failed: {detail}".rstrip(": ")[:200]
    return ReportUnavailableError(message, code=error_code(error))


def _is_fresh(report: FetchedReport, now: datetime) -> bool:
    return now - report.generated_at < FRESH_FOR


def _generated_time(value: object) -> datetime:
    """GeneratedTime in UTC. Without it a report's age, and so its worth as evidence
    (the 24-hour rule), is unknown: that answer is refused."""
    if isinstance(value, datetime):
        with contextlib.suppress(ValueError):
            return as_utc(value)
    raise ReportUnavailableError(
        "IAM GetCredentialReport returned no GeneratedTime in range", code="MalformedResponse"
    )
