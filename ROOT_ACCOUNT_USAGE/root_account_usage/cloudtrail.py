"""Look up the root user's activity in CloudTrail event history (LookupEvents).

Within the API's limits: 2 requests a second per region (a pause between pages),
50 events a page, a bounded number of pages, and the caller's time budget. Events
come newest first, so the first root action found in a region is its latest.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from .cloudtrail_evidence import RootActivity, root_activity
from .credential_report import TimeLeft
from .exceptions import RootAccountUsageError

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
MAX_PAGES_PER_REGION = 20
PAUSE_BETWEEN_CALLS = 0.5  # LookupEvents allows 2 requests per second per region
THROTTLE_RETRIES = 3
# Root console sign-ins are recorded in us-east-1, whatever the home region.
SIGN_IN_REGION = "us-east-1"


class CloudTrailUnavailableError(RootAccountUsageError):
    """CloudTrail event history could not be read (the verdict then rests on the report)."""

    code = "CloudTrailUnavailable"


def lookup_root_activity(
    build_client: Callable[[str], Any],
    regions: Iterable[str],
    *,
    start: datetime,
    end: datetime,
    time_left: TimeLeft,
    sleep: Callable[[float], None] | None = None,
) -> list[RootActivity]:
    """The latest root action in each region's event history within [start, end]."""
    pause = sleep or time.sleep
    found: list[RootActivity] = []
    for region in dict.fromkeys(regions):
        try:
            client = build_client(region)
        except Exception as error:
            raise CloudTrailUnavailableError(
                f"no CloudTrail client for {region}: {error}"[:200]
            ) from None
        activity = _latest_in_region(client, region, start, end, time_left, pause)
        if activity is not None:
            found.append(activity)
    return found


def _latest_in_region(
    client: Any,
    region: str,
    start: datetime,
    end: datetime,
    time_left: TimeLeft,
    pause: Callable[[float], None],
) -> RootActivity | None:
    request: dict[str, Any] = {
        "LookupAttributes": [{"AttributeKey": "Username", "AttributeValue": "root"}],
        "StartTime": start,
        "EndTime": end,
        "MaxResults": PAGE_SIZE,
    }
    for page in range(MAX_PAGES_PER_REGION):
        if page:
            pause(PAUSE_BETWEEN_CALLS)
        response = _call(client, region, request, time_left, pause)
        for event in response.get("Events", []):
            # Username "root" may also be an IAM user named root: type Root decides.
            activity = root_activity(event, region)
            if activity is not None:
                return activity
        if not response.get("NextToken"):
            return None
        request["NextToken"] = response["NextToken"]
    logger.warning(
        "CloudTrail lookup stopped at its page limit",
        extra={"fields": {"region": region, "pages": MAX_PAGES_PER_REGION}},
    )
    return None


def _call(
    client: Any,
    region: str,
    request: dict[str, Any],
    time_left: TimeLeft,
    pause: Callable[[float], None],
) -> dict[str, Any]:
    for attempt in range(THROTTLE_RETRIES + 1):
        if time_left() <= 0:
            raise CloudTrailUnavailableError(f"time budget exhausted in {region}")
        try:
            response: dict[str, Any] = client.lookup_events(**request)
            return response
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "Unknown")
            if code == "ThrottlingException" and attempt < THROTTLE_RETRIES:
                pause(PAUSE_BETWEEN_CALLS * 2 ** (attempt + 1))
                continue
            raise CloudTrailUnavailableError(f"LookupEvents in {region}: {code}") from None
        except Exception as error:
            # Supplementary evidence: any failure leaves the verdict to the report.
            raise CloudTrailUnavailableError(
                f"LookupEvents in {region}: {type(error).__name__}"
            ) from None
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises
