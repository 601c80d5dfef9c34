"""Time and retries: how long the rule may wait, and how long between tries.

One backoff formula for the whole package (IAM report polling, CloudTrail, AWS Config
reads): capped exponential, half fixed and half random ("equal jitter"), so that many
accounts evaluated at once do not retry in step.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import NamedTuple

TimeLeft = Callable[[], float]
Jitter = Callable[[float, float], float]
Sleep = Callable[[float], None]

# Time kept back from the Lambda's remaining time: one more IAM call with the SDK's own
# retries (up to about 15 s of backoff in botocore's legacy mode), then PutEvaluations.
SAFETY_MARGIN_SECONDS = 30.0
# Waiting budget when there is no Lambda context (CLI, local tests).
DEFAULT_BUDGET_SECONDS = 60.0


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
    """Seconds the rule may still spend waiting: the Lambda's remaining time less a margin.

    Without a Lambda context (CLI, local runs) a fixed budget applies.
    """
    remaining_millis = getattr(context, "get_remaining_time_in_millis", None)
    if callable(remaining_millis):
        return lambda: remaining_millis() / 1000 - SAFETY_MARGIN_SECONDS
    return time_budget(DEFAULT_BUDGET_SECONDS)
