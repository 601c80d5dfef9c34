"""Time and retries: how long the rule may wait, and how long between tries.

One backoff formula for the whole package (IAM report polling, CloudTrail, AWS Config
reads): capped exponential, half fixed and half random ("equal jitter"), so that many
accounts evaluated at once do not retry in step. And the bounds of every SDK call, so
that an invocation always ends inside the Lambda's remaining time with the verdict
published.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import NamedTuple

TimeLeft = Callable[[], float]
Jitter = Callable[[float, float], float]
Sleep = Callable[[float], None]

# Waiting budget when there is no Lambda context (CLI, local tests).
DEFAULT_BUDGET_SECONDS = 60.0

# botocore's standard retry mode waits at most min(2**i, 20) s before retry i+1 (older
# botocore: the same bound for every error), and an x-amz-retry-after header may add
# up to 5 s more.
_SDK_MAX_BACKOFF = 20.0
_SDK_RETRY_AFTER_EXTRA = 5.0


class CallLimits(NamedTuple):
    """How long one SDK call may take: per attempt, a connect and a read timeout."""

    connect_timeout: float
    read_timeout: float
    max_attempts: int  # in all, the first included (botocore's total_max_attempts)

    @property
    def worst_case_seconds(self) -> float:
        """The longest one call can last, every attempt timing out after its backoff.

        Not bounded by it: DNS resolution, and a server that answers a byte at a time
        (read_timeout is per socket read); see docs/development.md.
        """
        backoff = sum(
            min(2.0**retry, _SDK_MAX_BACKOFF) + _SDK_RETRY_AFTER_EXTRA
            for retry in range(self.max_attempts - 1)
        )
        return self.max_attempts * (self.connect_timeout + self.read_timeout) + backoff


# IAM, CloudTrail and SSM: one attempt per call; the rule retries them itself, within
# its budget (credential_report.py, cloudtrail.py, recorded_events.py), so no SDK retry
# can run past it.
IAM_LIMITS = CallLimits(connect_timeout=3.0, read_timeout=10.0, max_attempts=1)
CLOUDTRAIL_LIMITS = CallLimits(connect_timeout=3.0, read_timeout=10.0, max_attempts=1)
# SSM GetParameters (recorded root events): two small parameters, read last.
SSM_LIMITS = CallLimits(connect_timeout=2.0, read_timeout=3.0, max_attempts=1)
# STS AssumeRole and Config PutEvaluations: the SDK's own retries (throttling, 5xx).
STS_LIMITS = CallLimits(connect_timeout=3.0, read_timeout=5.0, max_attempts=3)
CONFIG_LIMITS = CallLimits(connect_timeout=3.0, read_timeout=5.0, max_attempts=3)

# Kept back from the Lambda's remaining time to publish the verdict: a quarter of the
# time left when the invocation starts, at least enough for a PutEvaluations answered
# promptly, at most its worst case with every retry.
PUBLISH_RESERVE_SHARE = 0.25
MIN_PUBLISH_RESERVE_SECONDS = 3.0


def publish_reserve(remaining_seconds: float) -> float:
    """Seconds kept to publish, for an invocation that starts with this much time."""
    share = remaining_seconds * PUBLISH_RESERVE_SHARE
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


def time_budget(seconds: float, clock: Callable[[], float] = time.monotonic) -> TimeLeft:
    """A TimeLeft that runs out `seconds` from now."""
    deadline = clock() + seconds
    return lambda: deadline - clock()


def lambda_time_left(context: object) -> TimeLeft:
    """Seconds the rule may still spend reading and waiting: the Lambda's remaining time
    less the publish reserve, sized once from the time left at the start.

    A caller starts a call only when the time left covers its worst case
    (CallLimits.worst_case_seconds), so the reserve is still there when it ends.
    Without a Lambda context (CLI, local runs) a fixed budget applies.
    """
    remaining_millis = getattr(context, "get_remaining_time_in_millis", None)
    if not callable(remaining_millis):
        return time_budget(DEFAULT_BUDGET_SECONDS)
    reserve = publish_reserve(remaining_millis() / 1000)
    return lambda: remaining_millis() / 1000 - reserve
