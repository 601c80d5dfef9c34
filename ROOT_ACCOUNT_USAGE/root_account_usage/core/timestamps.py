"""ISO-8601 timestamps in and out: always timezone-aware UTC inside the rule."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_timestamp(text: str) -> datetime:
    """Parse an ISO-8601 timestamp into an aware UTC datetime.

    A timestamp without an offset is taken as UTC, as IAM and Config write UTC.
    Raises ValueError when the text is not ISO-8601.
    """
    parsed = datetime.fromisoformat(text.strip())
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_timestamp(moment: datetime) -> str:
    """Format as `2026-11-27T08:00:00Z` (second precision, UTC)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
