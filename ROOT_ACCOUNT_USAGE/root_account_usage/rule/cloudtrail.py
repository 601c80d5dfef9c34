"""Look up the root user's activity in CloudTrail event history (LookupEvents).

Within the API's limits: 2 requests a second per region (a pause between pages),
50 events a page, a bounded number of pages, and the caller's time budget: a call
starts only when the budget covers its worst case (budget.CLOUDTRAIL_LIMITS). Events
come newest first, so the first root action found in a region is its latest. A record
of a shape CloudTrail does not write is skipped, with a WARNING that names it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from ..core.cloudtrail_evidence import RootActivity, UnreadableRecordError, root_activity
from ..core.exceptions import RootAccountUsageError
from . import budget
from .aws import THROTTLING_CODES, Retrier, error_code
from .budget import Backoff, Sleep, TimeLeft

if TYPE_CHECKING:
    from mypy_boto3_cloudtrail import CloudTrailClient

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
MAX_PAGES_PER_REGION = 20
PAUSE_BETWEEN_CALLS = 0.5  # LookupEvents allows 2 requests per second per region
THROTTLE_BACKOFF = Backoff(base_delay=1.0, max_delay=4.0, max_attempts=3)
# Root console sign-ins are recorded in us-east-1, whatever the home region.
SIGN_IN_REGION = "us-east-1"


class CloudTrailUnavailableError(RootAccountUsageError):
    """CloudTrail event history could not be read (the verdict then rests on the report)."""

    code = "CloudTrailUnavailable"


def lookup_root_activity(
    build_client: Callable[[str], CloudTrailClient],
    regions: Iterable[str],
    *,
    start: datetime,
    end: datetime,
    time_left: TimeLeft,
    sleep: Sleep | None = None,
    include: Callable[[RootActivity], bool] | None = None,
) -> list[RootActivity]:
    """The latest root action in each region's event history within [start, end].

    `include` leaves actions out (AssumeRoot sessions, when excluded) while the search
    goes on, so that an excluded newer action never hides an older one that counts.
    """
    pause = sleep or time.sleep
    call_seconds = budget.CLOUDTRAIL_LIMITS.worst_case_seconds
    retrier = Retrier(
        THROTTLING_CODES,
        backoff=THROTTLE_BACKOFF,
        sleep=pause,
        time_left=time_left,
        call_seconds=call_seconds,
    )
    found: list[RootActivity] = []
    for region in dict.fromkeys(regions):
        try:
            client = build_client(region)
        except Exception as error:
            raise CloudTrailUnavailableError(
                f"no CloudTrail client for {region}: {error}"[:200]
            ) from None
        try:
            activity = _latest_in_region(
                client,
                region,
                start,
                end,
                _Timer(time_left, call_seconds),
                retrier,
                pause,
                include,
            )
        except CloudTrailUnavailableError:
            raise
        except Exception as error:
            # Supplementary evidence: any failure leaves the verdict to the report.
            raise CloudTrailUnavailableError(
                f"LookupEvents in {region}: {error_code(error)}"
            ) from None
        if activity is not None:
            found.append(activity)
    return found


def _latest_in_region(
    client: CloudTrailClient,
    region: str,
    start: datetime,
    end: datetime,
    timer: _Timer,
    retrier: Retrier,
    pause: Sleep,
    include: Callable[[RootActivity], bool] | None,
) -> RootActivity | None:
    timer.check(region)
    pages = retrier.pages(
        client,
        "lookup_events",
        LookupAttributes=[{"AttributeKey": "Username", "AttributeValue": "root"}],
        StartTime=start,
        EndTime=end,
        page_size=PAGE_SIZE,
    )
    for number, page in enumerate(pages, start=1):
        for event in page.get("Events", []):
            # Username "root" may also be an IAM user named root: type Root decides.
            try:
                activity = root_activity(event, region)
            except UnreadableRecordError as error:
                logger.warning(
                    "CloudTrail record skipped",
                    extra={
                        "fields": {
                            "region": region,
                            "event_id": str(event.get("EventId"))[:64],
                            "reason": str(error),
                        }
                    },
                )
                continue
            if activity is not None and (include is None or include(activity)):
                return activity
        if not page.get("NextToken"):
            return None
        if number == MAX_PAGES_PER_REGION:
            logger.warning(
                "CloudTrail lookup stopped at its page limit",
                extra={"fields": {"region": region, "pages": MAX_PAGES_PER_REGION}},
            )
            return None
        timer.check(region, PAUSE_BETWEEN_CALLS)
        pause(PAUSE_BETWEEN_CALLS)
    return None


class _Timer:
    """Refuses to start a call that might not end inside the budget."""

    def __init__(self, time_left: TimeLeft, call_seconds: float) -> None:
        self._time_left = time_left
        self._call_seconds = call_seconds

    def check(self, region: str, wait: float = 0.0) -> None:
        if self._time_left() - wait < self._call_seconds:
            raise CloudTrailUnavailableError(f"time budget exhausted in {region}")
