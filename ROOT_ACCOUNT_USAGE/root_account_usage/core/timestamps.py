"""ISO-8601 timestamps in and out: always timezone-aware UTC inside the rule."""

from __future__ import annotations

import re
from datetime import UTC, datetime

# What AWS writes (IAM, Config, CloudTrail): a date and a time of day, at least to the
# minute. A date alone is refused: read as midnight it could move a use by up to a day.
_DATE_AND_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}")
# The earliest instant the rule judges at: AWS Config (2014) sends nothing earlier, and
# the threshold arithmetic (now - 3650 days) must stay inside datetime's range.
EARLIEST_EVALUATION_TIME = datetime(2000, 1, 1, tzinfo=UTC)


def parse_timestamp(text: str, *, date_only: bool = False) -> datetime:
    """Parse an ISO-8601 timestamp into an aware UTC datetime.

    A timestamp without an offset is taken as UTC, as IAM and Config write UTC. A date
    without a time of day is refused unless `date_only` (options people type).
    Raises ValueError when the text is not such a timestamp, or names an instant
    outside the range a datetime can hold in UTC (9999-12-31T23:59:59-01:00).
    """
    text = text.strip()
    if not date_only and not _DATE_AND_TIME.match(text):
        raise ValueError(f"{text[:40]!r} is not an ISO-8601 date and time")
    return as_utc(datetime.fromisoformat(text))


def as_utc(moment: datetime) -> datetime:
    """`moment` as an aware UTC datetime; a naive one is taken as UTC, as AWS writes UTC.

    Raises ValueError for an instant a datetime cannot hold in UTC
    (9999-12-31T23:59:59-01:00).
    """
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{moment.isoformat()} is outside the range of UTC times") from None


def format_timestamp(moment: datetime) -> str:
    """Format as `2026-11-27T08:00:00Z` (second precision, UTC)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
