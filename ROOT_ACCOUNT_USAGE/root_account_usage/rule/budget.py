"""Time: every SDK call's bounds, the one time Budget and the one backoff formula."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import NamedTuple

from ..core.exceptions import OutOfTimeError

Jitter = Callable[[float, float], float]
Sleep = Callable[[float], None]

DEFAULT_BUDGET_SECONDS = 60.0  # without a Lambda context (CLI, local tests)

# botocore's standard retry mode waits at most min(2**i, 20) s before retry i+1, and an
# x-amz-retry-after header may add up to 5 s more.
_SDK_MAX_BACKOFF, _SDK_RETRY_AFTER_EXTRA = 20.0, 5.0


class CallLimits(NamedTuple):
    """How long one SDK call may take: its attempts, each a connect and a read timeout."""

    connect_timeout: float
    read_timeout: float
    max_attempts: int  # in all, the first included (botocore's total_max_attempts)

    @property
    def worst_case_seconds(self) -> float:
        """The longest one call lasts (clients.DeadlineClient holds it to this)."""
        backoff = sum(
            min(2.0**retry, _SDK_MAX_BACKOFF) + _SDK_RETRY_AFTER_EXTRA
            for retry in range(self.max_attempts - 1)
        )
        return self.max_attempts * (self.connect_timeout + self.read_timeout) + backoff


# IAM, CloudTrail and SSM: one attempt per call, so that no SDK retry can run past the
# budget: the rule retries them itself, within it.
IAM_LIMITS = CallLimits(connect_timeout=3.0, read_timeout=10.0, max_attempts=1)
CLOUDTRAIL_LIMITS = CallLimits(connect_timeout=3.0, read_timeout=10.0, max_attempts=1)
# SSM GetParameters (recorded root events): two small parameters, read twice.
SSM_LIMITS = CallLimits(connect_timeout=2.0, read_timeout=3.0, max_attempts=1)
# STS AssumeRole and Config PutEvaluations: the SDK's own retries (throttling, 5xx).
STS_LIMITS = CallLimits(connect_timeout=3.0, read_timeout=5.0, max_attempts=3)
CONFIG_LIMITS = CallLimits(connect_timeout=3.0, read_timeout=5.0, max_attempts=3)
# The CLI's calls (history, doctor): time for AWS Config's large pages, none without end.
CLI_LIMITS = CallLimits(connect_timeout=10.0, read_timeout=30.0, max_attempts=3)


def limits_for(service: str) -> CallLimits:
    """The bounds of `service`'s calls, read when used (so that tests may patch them)."""
    return {
        "iam": IAM_LIMITS,
        "cloudtrail": CLOUDTRAIL_LIMITS,
        "account": CLOUDTRAIL_LIMITS,  # ListRegions, before the search
        "ssm": SSM_LIMITS,
        "sts": STS_LIMITS,
    }.get(service, CONFIG_LIMITS)


RETURN_SECONDS = 1.0  # kept back from every call's deadline: the handler's return
MIN_PUBLISH_RESERVE_SECONDS = 3.0  # the least publish_reserve keeps: a prompt PutEvaluations


def publish_reserve(remaining_seconds: float) -> float:
    """Seconds kept back to publish the verdict (docs/development.md, "Time bounds")."""
    share = remaining_seconds * 0.25
    return min(CONFIG_LIMITS.worst_case_seconds, max(MIN_PUBLISH_RESERVE_SECONDS, share))


class Backoff(NamedTuple):
    """Capped exponential backoff with jitter; max_attempts bounds the waits in total."""

    base_delay: float = 1.0
    max_delay: float = 8.0
    max_attempts: int = 25

    def delay(self, attempt: int, jitter: Jitter = random.uniform) -> float:
        """Seconds to wait before retry number `attempt` (0-based): half fixed, half random."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** min(attempt, 32))
        return ceiling / 2 + jitter(0.0, ceiling / 2)


class Budget:
    """The time an invocation may still spend on AWS calls, and the check before each."""

    def __init__(self, left: Callable[[], float]) -> None:
        self.left = left  # seconds left now

    @classmethod
    def fixed(cls, seconds: float, clock: Callable[[], float] = time.monotonic) -> Budget:
        """A budget that runs out `seconds` from now."""
        deadline = clock() + seconds
        return cls(lambda: deadline - clock())

    @classmethod
    def for_lambda(
        cls,
        context: object,
        reserve: Callable[[float], float] = publish_reserve,
        default_seconds: float = DEFAULT_BUDGET_SECONDS,
    ) -> Budget:
        """The Lambda's remaining time less `reserve(time left at the start)`."""
        remaining_millis = getattr(context, "get_remaining_time_in_millis", None)
        if not callable(remaining_millis):
            return cls.fixed(default_seconds)
        return cls(lambda: remaining_millis() / 1000).less(reserve(remaining_millis() / 1000))

    def less(self, seconds: float) -> Budget:
        """This budget with `seconds` kept back."""
        return Budget(lambda: self.left() - seconds)

    def fits(self, worst_case: float, wait: float = 0.0) -> bool:
        """Whether a call that may take `worst_case` seconds, after `wait`, ends in time."""
        return self.left() - wait >= worst_case

    def require(
        self, worst_case: float, reason: str, *, wait: float = 0.0, code: str | None = None
    ) -> None:
        """Raises OutOfTimeError(reason, code) unless `fits(worst_case, wait)`."""
        if not self.fits(worst_case, wait):
            raise OutOfTimeError(reason, code=code)
