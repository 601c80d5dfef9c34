"""Small pieces every AWS caller of the package shares: an error's code, and paging
with botocore's paginators where a throttled page is retried from where it stopped."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Collection, Iterator
from typing import Any

from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

from .budget import Backoff, Jitter, Sleep, TimeLeft

logger = logging.getLogger(__name__)

# What AWS services answer when a caller goes too fast.
THROTTLING_CODES = frozenset(
    {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException"}
)
# Failures of the connection rather than answers (timeouts, refused or dropped
# connections): worth another try, as botocore's standard retry mode has it.
TRANSIENT_ERRORS = (ConnectionError, HTTPClientError)
# Reads that may take a little longer: up to 6 tries, 0.5 s doubling to 8 s between them.
READ_BACKOFF = Backoff(base_delay=0.5, max_delay=8.0, max_attempts=6)


def error_code(error: BaseException) -> str:
    """The AWS error code of a ClientError; otherwise the exception's class name."""
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code") or "Unknown")
    return type(error).__name__


def http_status(error: ClientError) -> int:
    """The HTTP status of the answer behind a ClientError (0 when unknown)."""
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return status if isinstance(status, int) else 0


def error_message(error: BaseException, limit: int = 160) -> str:
    """The AWS error message of a ClientError (shortened); otherwise str(error)."""
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Message") or "")[:limit]
    return str(error)[:limit]


class Retrier:
    """Retries calls refused with one of `codes`, waiting by `backoff` between tries.

    With `time_left`, a retry is made only when, after its wait, `call_seconds` (the
    longest one call may take) still fit in the budget.
    """

    def __init__(
        self,
        codes: Collection[str] = THROTTLING_CODES,
        *,
        backoff: Backoff = READ_BACKOFF,
        sleep: Sleep | None = None,
        jitter: Jitter = random.uniform,
        time_left: TimeLeft | None = None,
        call_seconds: float = 0.0,
    ) -> None:
        self.codes = frozenset(codes)
        self.backoff = backoff
        # Looked up when built (not at import), so that tests can patch time.sleep.
        self._sleep = sleep or time.sleep
        self._jitter = jitter
        self._time_left = time_left
        self._call_seconds = call_seconds

    def should_retry(self, error: BaseException, attempt: int) -> bool:
        """Whether `error` on try number `attempt` (0-based) is worth another try, and
        the longest wait before it and one more call still fit in the time left."""
        if error_code(error) not in self.codes or attempt >= self.backoff.max_attempts:
            return False
        if self._time_left is None:
            return True
        longest_wait = self.backoff.delay(attempt, lambda low, high: high)
        return self._time_left() - longest_wait >= self._call_seconds

    def wait(self, attempt: int) -> None:
        self._sleep(self.backoff.delay(attempt, self._jitter))

    def call(self, client: Any, operation: str, **request: Any) -> dict[str, Any]:
        """One API call, retried on throttling."""
        attempt = 0
        while True:
            try:
                response: dict[str, Any] = getattr(client, operation)(**request)
                return response
            except ClientError as error:
                if not self.should_retry(error, attempt):
                    raise
                logger.info("throttled; retrying", extra={"fields": {"operation": operation}})
                self.wait(attempt)
                attempt += 1

    def pages(
        self, client: Any, operation: str, *, page_size: int | None = None, **request: Any
    ) -> Iterator[dict[str, Any]]:
        """Every page of `operation` through botocore's paginator.

        A throttled page is retried from the last page read (the paginator's resume
        token), so no page is read twice and none is skipped.
        """
        paginator = client.get_paginator(operation)
        token: str | None = None
        attempt = 0
        while True:
            pagination: dict[str, Any] = {"StartingToken": token} if token else {}
            if page_size is not None:
                pagination["PageSize"] = page_size
            iterator = paginator.paginate(**request, PaginationConfig=pagination)
            try:
                for page in iterator:
                    attempt = 0
                    yield page
                    token = iterator.resume_token
                return
            except ClientError as error:
                if not self.should_retry(error, attempt):
                    raise
                logger.info("throttled; retrying", extra={"fields": {"operation": operation}})
                self.wait(attempt)
                attempt += 1
