"""What every AWS caller shares: an error's code, the one retry (Retrier) and one pager."""

from __future__ import annotations

import functools
import itertools
import logging
import random
import time
from collections.abc import Collection, Iterator
from dataclasses import KW_ONLY, dataclass
from typing import Any

from botocore.exceptions import ClientError, PaginationError
from botocore.loaders import create_loader

from ..core.exceptions import RootAccountUsageError
from ..core.plain_text import REASON, aws_error_code, aws_error_message, shortened
from .budget import Backoff, Budget, Jitter, Sleep

logger = logging.getLogger(__name__)

# What AWS services answer when a caller goes too fast.
THROTTLING_CODES = frozenset(
    {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException"}
)
# Reads that may take a little longer: up to 6 retries, 0.5 s doubling to 8 s between them.
READ_BACKOFF = Backoff(base_delay=0.5, max_delay=8.0, max_attempts=6)


def error_code(error: BaseException) -> str:
    """The AWS code of a ClientError, the code of the package's own, else the class name."""
    if isinstance(error, ClientError):
        return aws_error_code(error) or "Unknown"
    if isinstance(error, RootAccountUsageError):
        return error.code
    return type(error).__name__


def error_message(error: BaseException, limit: int = REASON) -> str:
    """The AWS error message of a ClientError (shortened); otherwise str(error)."""
    return shortened(aws_error_message(error) if isinstance(error, ClientError) else error, limit)


@dataclass
class Retrier:
    """Asks again a call refused with one of `codes` while `wait` allows (the one retry)."""

    codes: Collection[str] = THROTTLING_CODES
    _: KW_ONLY
    backoff: Backoff = READ_BACKOFF
    sleep: Sleep | None = None
    jitter: Jitter | None = None
    budget: Budget | None = None
    call_seconds: float = 0.0

    def wait(self, attempt: int, operation: str, reason: str) -> bool:
        """Sleeps before retry `attempt` (0-based); False, without sleeping, when the
        attempts are spent or, with a `budget`, it would not hold the wait and one call."""
        longest = self.backoff.delay(attempt, lambda _, high: high)
        if attempt >= self.backoff.max_attempts or (
            self.budget and not self.budget.fits(self.call_seconds, longest)
        ):
            return False
        # Looked up when used (not at import), so that tests can patch them.
        delay = self.backoff.delay(attempt, self.jitter or random.uniform)
        fields = {"operation": operation, "reason": reason, "delay_seconds": round(delay, 3)}
        logger.info("waiting to ask again", extra={"fields": fields})
        (self.sleep or time.sleep)(delay)
        return True

    def call(self, client: Any, operation: str, **request: Any) -> dict[str, Any]:
        """One API call, asked again on one of the codes while `wait` allows."""
        for attempt in itertools.count():
            try:
                response: dict[str, Any] = getattr(client, operation)(**request)
                return response
            except ClientError as error:
                code = error_code(error)
                if code not in self.codes or not self.wait(attempt, operation, code):
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def pages(
        self,
        client: Any,
        operation: str,
        *,
        page_size: int | None = None,
        max_pages: int = 1_000,  # more than any answer of the calls made here holds
        **request: Any,
    ) -> Iterator[dict[str, Any]]:
        """Every page of `operation`, a throttled page asked again with its own token; with a
        `budget`, each next page only if `call_seconds` fit. Raises EndlessPagingError on a
        token given before (a cycle) or past `max_pages`, or OutOfTimeError."""
        input_token, output_token, limit = paging_keys(client, operation)
        if page_size is not None:
            if limit is None:
                raise ValueError(f"{operation} takes no page size")
            request[limit] = page_size
        seen: set[str] = set()
        for number in itertools.count(1):
            page = self.call(client, operation, **request)
            yield page
            token = page.get(output_token)
            if not token:
                return
            if str(token) in seen:
                raise EndlessPagingError(
                    message=f"page {number} gave a page token an earlier page gave (a cycle)"
                )
            if number >= max_pages:
                raise EndlessPagingError(
                    message=f"more pages after {max_pages}, the most any real answer has"
                )
            seen.add(str(token))
            request[input_token] = token
            if self.budget:  # each page its own call: started only if its worst case fits
                self.budget.require(self.call_seconds, f"no time for page {number + 1}")


class EndlessPagingError(PaginationError):
    """A service would have been paged without end (like botocore's same-token check)."""

    fmt = "paging stopped: {message}"


def paging_keys(client: Any, operation: str) -> tuple[str, str, str | None]:
    """`operation`'s request token, answer token and page size names (botocore's model).
    Raises ValueError for paging by several tokens or a "more" flag (none used here)."""
    model = client.meta.service_model
    return _paging_keys(
        model.service_name, model.api_version, client.meta.method_to_api_mapping[operation]
    )


@functools.cache
def _paging_keys(service: str, api_version: str, operation: str) -> tuple[str, str, str | None]:
    pagination = create_loader().load_service_model(service, "paginators-1", api_version)
    config = pagination["pagination"][operation]
    tokens = (config["input_token"], config["output_token"])
    if not all(isinstance(token, str) for token in tokens) or "more_results" in config:
        raise ValueError(f"{service} {operation}: paging this operation is not supported")
    return (*tokens, config.get("limit_key"))
