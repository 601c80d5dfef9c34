"""Root events recorded in SSM Parameter Store: written by the re-evaluation function,
read by the rule (core/recorded_activity.py says what a record holds and why)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ..core.cloudtrail_evidence import RootActivity
from ..core.exceptions import RootAccountUsageError
from ..core.recorded_activity import (
    SLOTS,
    MalformedRecordError,
    decode,
    encode,
    parameter_name,
    slot_of,
)
from . import budget
from .aws import THROTTLING_CODES, Retrier, error_code
from .budget import Backoff, TimeLeft

logger = logging.getLogger(__name__)

# Read last in an evaluation, with what time is left: two quick retries at most.
READ_BACKOFF = Backoff(base_delay=0.5, max_delay=1.0, max_attempts=2)


class RecordedEventsUnavailableError(RootAccountUsageError):
    """The recorded root events could not be read (the report and CloudTrail then decide)."""

    code = "RecordedEventsUnavailable"


def read_recorded_activity(
    build_client: Callable[[], Any],
    path: str,
    *,
    time_left: TimeLeft,
    retrier: Retrier | None = None,
) -> list[RootActivity]:
    """The root events recorded under `path`, one per kind at most.

    A parameter that does not exist holds nothing (it was never created, or was
    deleted: either way the report and CloudTrail decide). Raises
    RecordedEventsUnavailableError when SSM cannot be read or a record is malformed.
    """
    names = {parameter_name(path, slot): slot for slot in SLOTS}
    # A call starts only when its worst case still ends before the publish reserve.
    call_seconds = budget.SSM_LIMITS.worst_case_seconds
    if time_left() < call_seconds:
        raise RecordedEventsUnavailableError("time budget exhausted before reading them")
    try:
        client = build_client()
        retrier = retrier or Retrier(
            THROTTLING_CODES,
            backoff=READ_BACKOFF,
            time_left=time_left,
            call_seconds=call_seconds,
        )
        response = retrier.call(client, "get_parameters", Names=list(names))
    except Exception as error:
        raise RecordedEventsUnavailableError(
            f"GetParameters under {path[:80]}: {error_code(error)}"
        ) from None
    found: list[RootActivity] = []
    for parameter in response.get("Parameters", []):
        slot = names.get(str(parameter.get("Name")))
        if slot is None:
            continue  # not asked for; SSM answers with the names it was given
        try:
            activity = decode(str(parameter.get("Value", "")), slot)
        except MalformedRecordError as error:
            raise RecordedEventsUnavailableError(
                f"{parameter_name(path, slot)[:120]}: {error}"
            ) from None
        if activity is not None:
            found.append(activity)
    return found


def record_activity(client: Any, path: str, activity: RootActivity) -> str:
    """Store `activity` as the latest of its kind under `path`; returns the parameter name."""
    name = parameter_name(path, slot_of(activity))
    Retrier().call(
        client, "put_parameter", Name=name, Value=encode(activity), Type="String", Overwrite=True
    )
    return name
