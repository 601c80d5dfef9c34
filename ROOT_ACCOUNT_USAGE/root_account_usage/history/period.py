"""The period an evidence report can cover: what AWS Config can hold. Pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from ..core.timestamps import format_timestamp

MAX_RETENTION = timedelta(days=2557)
EARLIEST = datetime.min.replace(tzinfo=UTC)


class Period(NamedTuple):
    since: datetime
    until: datetime
    notes: tuple[str, ...] = ()


class PeriodOutOfReachError(ValueError):
    """No part of the period is one AWS Config can still hold."""


def bounded(since: datetime, until: datetime, now: datetime) -> Period:
    """[since, until) cut to [now - 2,557 days, now], with a note for each cut. Raises
    PeriodOutOfReachError when nothing of the period is left."""
    earliest = now - MAX_RETENTION
    notes = []
    if since < earliest:
        notes.append(
            f"The period asked for starts {format_timestamp(since)}; AWS Config keeps at most "
            f"2,557 days (7 years) of history, so the evidence starts {format_timestamp(earliest)}."
        )
        since = earliest
    if until > now:
        notes.append(
            f"The period asked for ends {format_timestamp(until)}, after this report was made; "
            f"the evidence ends {format_timestamp(now)}."
        )
        until = now
    if since >= until:
        raise PeriodOutOfReachError(
            "the period lies entirely outside what AWS Config can hold "
            f"({format_timestamp(earliest)} to {format_timestamp(now)})"
        )
    return Period(since, until, tuple(notes))
