"""ISO-8601 timestamps in and out: always timezone-aware UTC inside the rule."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from .plain_text import VALUE, shortened

# What AWS writes (IAM, Config, CloudTrail): a date and a time of day, at least to the
# minute. A date alone is refused: read as midnight it could move a use by up to a day.
_DATE_AND_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}")
# The earliest instant the rule judges at: AWS Config (2014) sends nothing earlier, and
# the threshold arithmetic (now - 3650 days) must stay inside datetime's range.
EARLIEST_EVALUATION_TIME = datetime(2000, 1, 1, tzinfo=UTC)


def parse_timestamp(text: str, *, date_only: bool = False) -> datetime:
    """An ISO-8601 timestamp (a date alone only if `date_only`) in UTC; else ValueError."""
    text = text.strip()
    if not date_only and not _DATE_AND_TIME.match(text):
        raise ValueError(f"{shortened(text, VALUE)!r} is not an ISO-8601 date and time")
    return as_utc(datetime.fromisoformat(text))


def as_utc(moment: datetime) -> datetime:
    """`moment` in UTC, naive taken as UTC (as AWS writes); ValueError past UTC's range."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{moment.isoformat()} is outside the range of UTC times") from None


def format_timestamp(moment: datetime) -> str:
    """`2026-11-27T08:00:00Z` (second precision, UTC)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
