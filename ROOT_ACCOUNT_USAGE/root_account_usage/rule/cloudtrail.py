"""The root user's activity in each region's CloudTrail event history (LookupEvents)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

import boto3

from ..core.cloudtrail_evidence import RootActivity, UnreadableRecordError, root_activity
from ..core.exceptions import RootAccountUsageError
from ..core.plain_text import VALUE, shortened
from ..core.regions import cloudtrail_regions, is_region_name
from .aws import Retrier, error_code
from .budget import Backoff, Budget, Sleep, limits_for

if TYPE_CHECKING:
    from mypy_boto3_cloudtrail import CloudTrailClient

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
# Username "root" (LookupEvents' one filter) also matches an IAM user named root, whose
# calls can fill the pages: past this many the region's search is incomplete, never clean.
MAX_PAGES_PER_REGION = 40
PAUSE_BETWEEN_CALLS = 0.5  # LookupEvents allows 2 requests per second per region
MAX_THREADS = 32  # every commercial region at once
HISTORY_DAYS = 90  # event history's: a longer threshold is searched over these (and said)
THROTTLE_BACKOFF = Backoff(base_delay=1.0, max_delay=4.0, max_attempts=3)


def enabled_regions(build_client: Callable[[], Any], home_region: str, budget: Budget) -> list[str]:
    """The account's enabled regions, cloudtrail_regions' first; when they cannot be listed,
    every region of the home region's partition (one not enabled then reads incomplete)."""
    try:
        seconds = limits_for("account").worst_case_seconds
        budget.require(seconds, "no time to list the regions")
        enabled = ["ENABLED", "ENABLED_BY_DEFAULT"]  # opted in, or on by default
        pages = Retrier(budget=budget, call_seconds=seconds).pages(
            build_client(), "list_regions", RegionOptStatusContains=enabled
        )
        listed = [region.get("RegionName") for page in pages for region in page["Regions"]]
    except Exception as error:  # refused, unreachable, no time: the partition's list
        logger.warning(
            "regions not listed; searching every region of the partition",
            extra={"fields": {"error_code": error_code(error)}},
        )
        session = boto3.session.Session()
        partition = session.get_partition_for_region(home_region)
        listed = session.get_available_regions("cloudtrail", partition_name=partition)
    named = [r for r in listed if isinstance(r, str) and is_region_name(r)]
    return list(dict.fromkeys([*cloudtrail_regions(home_region), *named]))


class CloudTrailUnavailableError(RootAccountUsageError):
    """CloudTrail event history could not be read (the verdict then rests on the report)."""


class CloudTrailSearch(NamedTuple):
    """What the search of each region found, and where it did not finish."""

    found: list[RootActivity]  # per region: its latest use, and its latest attempt
    incomplete: dict[str, str]  # region -> why its search stopped before the end
    unavailable: bool  # no page could be read anywhere: CloudTrail said nothing at all


def lookup_root_activity(
    build_client: Callable[[str], CloudTrailClient],
    regions: Iterable[str],
    *,
    start: datetime,
    end: datetime,
    budget: Budget,
    sleep: Sleep | None = None,
    include: Callable[[RootActivity], bool] | None = None,
    account_id: str | None = None,
) -> CloudTrailSearch:
    """Each region's latest root action within [start, end] that `include` counts (one it
    leaves out never hides an older one), and its latest sign-in attempt newer than that;
    a region not searched to the end is named in `incomplete`."""
    pause = sleep or time.sleep
    seconds = limits_for("cloudtrail").worst_case_seconds
    retrier = Retrier(backoff=THROTTLE_BACKOFF, sleep=pause, budget=budget, call_seconds=seconds)

    def search(region: str, client: Any) -> _RegionSearch:
        searched = _RegionSearch(region, include, account_id)
        out_of_time = f"time budget exhausted in {region}"
        code = CloudTrailUnavailableError.code
        try:
            if isinstance(client, Exception):
                raise client
            budget.require(seconds, out_of_time, code=code)
            pages = retrier.pages(
                client,
                "lookup_events",
                LookupAttributes=[{"AttributeKey": "Username", "AttributeValue": "root"}],
                StartTime=start,
                EndTime=end,
                page_size=PAGE_SIZE,
            )
            for number, page in enumerate(pages, start=1):
                searched.pages = number
                found = any(searched.take(event) for event in page.get("Events", []))
                if found or not page.get("NextToken"):
                    break
                if number == MAX_PAGES_PER_REGION:
                    raise CloudTrailUnavailableError(
                        f"stopped at the page limit ({MAX_PAGES_PER_REGION} pages) in {region}"
                    )
                budget.require(seconds, out_of_time, wait=PAUSE_BETWEEN_CALLS, code=code)
                pause(PAUSE_BETWEEN_CALLS)
            if searched.unreadable:  # skipped records the lookup named root's: not clean
                searched.stopped = f"{searched.unreadable} unreadable record(s) in {region}"
        except RootAccountUsageError as error:  # out of time or pages
            searched.stopped = str(error)
        except Exception as error:
            searched.stopped = f"LookupEvents in {region}: {error_code(error)}"
        return searched

    # Concurrently: each region's own 2 requests a second, all inside the one budget.
    unique = list(dict.fromkeys(regions))
    clients: list[Any] = []
    for region in unique:  # here, not in the pool: boto3's session is not thread-safe
        try:
            clients.append(build_client(region))
        except Exception as error:  # said as the region's failure
            clients.append(error)
    with ThreadPoolExecutor(max_workers=max(1, min(len(unique), MAX_THREADS))) as pool:
        searches = list(pool.map(search, unique, clients))
    incomplete = {s.region: s.stopped for s in searches if s.stopped is not None}
    for s in searches:
        if s.stopped is not None:
            fields = {"region": s.region, "reason": shortened(s.stopped), "pages": s.pages}
            logger.warning(
                "CloudTrail search incomplete; what it found still counts",
                extra={"fields": fields | {"error_code": CloudTrailUnavailableError.code}},
            )
    found = [a for s in searches for a in (s.use, s.attempt) if a is not None]
    nothing_read = not found and not any(s.pages for s in searches)
    return CloudTrailSearch(found, incomplete, bool(incomplete) and nothing_read)


@dataclass
class _RegionSearch:
    """One region's search, newest first: what it found so far survives a failure."""

    region: str
    include: Callable[[RootActivity], bool] | None
    account_id: str | None
    unreadable: int = 0
    stopped: str | None = None  # why the search stopped before the end
    use: RootActivity | None = None
    attempt: RootActivity | None = None  # the latest, newer than `use`
    pages: int = 0

    def take(self, event: dict[str, Any]) -> bool:
        """Note one record; True once it is the region's latest root use."""
        # Username "root" may also be an IAM user named root: type Root decides.
        try:
            activity = root_activity(event, self.region, self.account_id)
        except UnreadableRecordError as error:
            self.unreadable += 1
            fields = {"region": self.region, "event_id": shortened(event.get("EventId"), VALUE)}
            logger.warning(
                "CloudTrail record skipped", extra={"fields": fields | {"reason": str(error)}}
            )
            return False
        if activity is not None and activity.attempt:
            self.attempt = self.attempt or activity  # newest first: keep the first
        elif activity is not None and (self.include is None or self.include(activity)):
            self.use = activity
        return self.use is not None
