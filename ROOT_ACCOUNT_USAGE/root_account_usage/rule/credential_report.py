"""Fetch the IAM credential report: the one module that calls IAM."""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from botocore import xform_name
from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, HTTPClientError

from ..core.exceptions import ReportUnavailableError, RootAccountUsageError
from ..core.plain_text import NAME, shortened
from ..core.timestamps import as_utc
from .aws import THROTTLING_CODES, Retrier, error_code, error_message
from .budget import Backoff, Budget, Jitter, Sleep, limits_for

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

logger = logging.getLogger(__name__)

FRESH_FOR = timedelta(hours=4)
GET, GENERATE = "GetCredentialReport", "GenerateCredentialReport"
# Codes that mean "not yet": wait and ask again.
RETRYABLE_CODES = THROTTLING_CODES | {"ReportInProgress", "LimitExceeded", "ServiceFailure"}
REGENERATE_CODES = frozenset({"ReportNotPresent", "ReportExpired"})  # "generate one first"
DONE_STATE = "COMPLETE"
# A timeout, a dropped connection or a 5xx: tried again this often, then it fails closed.
MAX_TRANSIENT_RETRIES = 2


class FetchedReport(NamedTuple):
    """The raw report as IAM returned it (or saved; a saved one may not say when it was made)."""

    content: bytes
    generated_at: datetime | None


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
        self._iam, self._budget, self._waits = iam, budget, 0
        # The longest one IAM call may take: no call starts with less time left.
        self._call_seconds = limits_for("iam").worst_case_seconds
        self._retrier = Retrier(
            backoff=backoff or Backoff(),
            sleep=sleep,
            jitter=jitter,
            budget=budget,
            call_seconds=self._call_seconds,
        )

    def fetch(self, now: datetime) -> FetchedReport:
        """A report under four hours old, or the newest one IAM will give. Raises
        ReportUnavailableError (or OutOfTimeError, code ReportNotReady)."""
        answer = self._ask(GET, until=REGENERATE_CODES)
        existing = _report(answer) if isinstance(answer, dict) else None
        if existing and existing.generated_at and now - existing.generated_at < FRESH_FOR:
            return existing
        try:
            self._ask(GENERATE)
        except RootAccountUsageError as generated:
            if existing is None:
                raise
            # The older report is still evidence; the 24-hour rule judges it.
            logger.warning(
                "credential report generation failed; using the existing report",
                extra={"fields": {"error_code": generated.code}},
            )
            return existing
        # After COMPLETE the next report is final, fresh or not (`until` alone gives a code).
        return _report(self._ask(GET))

    def _ask(self, operation: str, until: frozenset[str] = frozenset()) -> Any:
        """IAM's answer to `operation`, asked again while IAM says "not yet", or a code of
        `until` as IAM gave it. Raises ReportUnavailableError or OutOfTimeError."""
        transient_failures = 0
        while True:
            reason = f"no time left to call IAM {operation} within the Lambda's remaining time"
            self._budget.require(self._call_seconds, reason, code="ReportNotReady")
            try:
                answer: dict[str, Any] = getattr(self._iam, xform_name(operation))()
            except Exception as error:
                state = error_code(error)
                if state in until:
                    return state
                if state not in RETRYABLE_CODES | REGENERATE_CODES:
                    failure, transient = _failure(operation, error)
                    transient_failures += 1
                    retry = transient and transient_failures <= MAX_TRANSIENT_RETRIES
                    if retry and self._wait(operation, failure.code):
                        continue
                    raise failure from None
            else:
                state = DONE_STATE if operation == GET else str(answer.get("State"))
                if state == DONE_STATE:
                    return answer
            transient_failures = 0  # counted between two answers, as README's "three times"
            if not self._wait(operation, state):
                raise ReportUnavailableError(
                    f"credential report not ready: {operation} still {state} after "
                    f"{self._waits} retries, time budget exhausted",
                    code="ReportNotReady",
                )

    def _wait(self, operation: str, reason: str) -> bool:
        waited = self._retrier.wait(self._waits, operation, reason)
        self._waits += waited
        return waited


def _failure(operation: str, error: Exception) -> tuple[ReportUnavailableError, bool]:
    """The error to fail closed with, and whether another try may help."""
    transient = isinstance(error, (ConnectionError, HTTPClientError))
    # Anything else the SDK lets through (an HTML error page...) is still "no report".
    detail = error_code(error)
    if isinstance(error, ClientError):
        detail = f"{error_code(error)}: {error_message(error, NAME)}"
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        transient = isinstance(status, int) and status >= 500
    elif isinstance(error, BotoCoreError):
        detail = str(error)
    elif isinstance(error, ValueError):
        # botocore raises binascii.Error (a ValueError) for Content that is not base64.
        message = f"IAM {operation} returned a response that could not be decoded"
        return ReportUnavailableError(message, code="MalformedResponse"), False
    message = shortened(f"IAM {operation} failed: {detail}".rstrip(": "))
    return ReportUnavailableError(message, code=error_code(error)), transient


def _report(answer: dict[str, Any]) -> FetchedReport:
    """The report in IAM's answer; raises ReportUnavailableError without GeneratedTime
    (its age, and so its worth as evidence, unknown)."""
    generated = answer.get("GeneratedTime")
    if isinstance(generated, datetime):
        with contextlib.suppress(ValueError):
            return FetchedReport(answer.get("Content", b""), as_utc(generated))
    raise ReportUnavailableError(
        "IAM GetCredentialReport returned no GeneratedTime in range", code="MalformedResponse"
    )
