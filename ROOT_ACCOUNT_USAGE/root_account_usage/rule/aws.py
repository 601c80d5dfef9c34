"""Small pieces every AWS caller of the package shares: an error's code, and paging
with botocore's paginators where a throttled page is retried from where it stopped."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Collection, Iterator
from typing import Any

from botocore.exceptions import ClientError

from .budget import Backoff, Jitter, Sleep

logger = logging.getLogger(__name__)

# What AWS services answer when a caller goes too fast.
THROTTLING_CODES = frozenset(
    {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException"}
)
# Reads that may take a little longer: up to 6 tries, 0.5 s doubling to 8 s between them.
READ_BACKOFF = Backoff(base_delay=0.5, max_delay=8.0, max_attempts=6)


def error_code(error: BaseException) -> str:
    """The AWS error code of a ClientError; otherwise the exception's class name."""
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code") or "Unknown")
    return type(error).__name__


def error_message(error: BaseException, limit: int = 160) -> str:
    """The AWS error message of a ClientError (shortened); otherwise str(error)."""
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Message") or "")[:limit]
    return str(error)[:limit]


class Retrier:
    """Retries calls refused with one of `codes`, waiting by `backoff` between tries."""

    def __init__(
        self,
        codes: Collection[str] = THROTTLING_CODES,
        *,
        backoff: Backoff = READ_BACKOFF,
        sleep: Sleep | None = None,
        jitter: Jitter = random.uniform,
    ) -> None:
        self.codes = frozenset(codes)
        self.backoff = backoff
        # Looked up when built (not at import), so that tests can patch time.sleep.
        self._sleep = sleep or time.sleep
        self._jitter = jitter

    def should_retry(self, error: BaseException, attempt: int) -> bool:
        """Whether `error` on try number `attempt` (0-based) is worth another try."""
        return error_code(error) in self.codes and attempt < self.backoff.max_attempts

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
