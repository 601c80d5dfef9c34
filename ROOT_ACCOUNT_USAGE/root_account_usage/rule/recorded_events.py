"""Root events recorded in SSM by the re-evaluation function, read by the rule."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from ..core import annotation as text
from ..core import recorded_activity as record
from ..core.cloudtrail_evidence import RootActivity
from ..core.exceptions import RootAccountUsageError
from ..core.plain_text import NAME, shortened
from .aws import THROTTLING_CODES, Retrier, error_code
from .budget import Backoff, Budget, limits_for

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient

logger = logging.getLogger(__name__)

# Read twice an evaluation, written before one starts: two quick retries at most.
RECORD_BACKOFF = Backoff(base_delay=0.5, max_delay=1.0, max_attempts=2)


class RecordedEventsUnavailableError(RootAccountUsageError):
    """The recorded root events could not be read (the report and CloudTrail then decide)."""


class RecordedEvents(NamedTuple):
    """The recorded root events that could be read, and what was wrong with the others."""

    found: list[RootActivity]
    # parameter name -> (RECORD_RESET, RECORD_UNREADABLE or _MISSING; the reason, logged)
    problems: dict[str, tuple[str, str]]

    def note(self) -> str:
        """Log each problem at WARNING; the annotation's note naming the worst one."""
        for name, (problem, reason) in self.problems.items():
            fields = {
                "parameter": shortened(name, NAME),
                "error_code": RecordedEventsUnavailableError.code,
                "problem": problem,
                "reason": shortened(reason),
            }
            logger.warning(
                "recorded root event not counted; the other evidence decides",
                extra={"fields": fields},
            )
        return text.record_note(problem for problem, _ in self.problems.values())


def read_recorded_activity(
    build_client: Callable[[], SSMClient], path: str, *, budget: Budget
) -> RecordedEvents:
    """The root events recorded under `path`; one malformed, reset or missing is named in
    `problems`. Raises RecordedEventsUnavailableError, or OutOfTimeError."""
    names = {record.parameter_name(path, slot): slot for slot in record.SLOTS}
    retrier = _retrier(budget, "time budget exhausted before reading them")
    try:
        response = retrier.call(build_client(), "get_parameters", Names=list(names))
    except Exception as error:
        raise RecordedEventsUnavailableError(
            f"GetParameters under {shortened(path, NAME)}: {error_code(error)}"
        ) from None
    found: list[RootActivity] = []
    # The stack creates every parameter: one SSM does not answer for was deleted.
    missing = (text.RECORD_MISSING, "no such parameter")
    problems = dict.fromkeys(names, missing)
    for parameter in response.get("Parameters", []):
        name = str(parameter.get("Name"))
        slot = names.get(name)
        if slot is None:
            continue  # not asked for; SSM answers with the names it was given
        if problems.get(name) == missing:  # a problem an answer showed stays, even if repeated
            del problems[name]
        value = str(parameter.get("Value", ""))
        try:
            activity = record.decode(value, slot)
        except record.MalformedRecordError as error:
            problems[name] = (text.RECORD_UNREADABLE, str(error))
            continue
        if activity is not None:
            found.append(activity)
        elif record.was_reset(value, parameter.get("Version")):
            reset = f"none written at version {parameter.get('Version')}"
            problems[name] = (text.RECORD_RESET, reset)
    return RecordedEvents(found, problems)


def record_activity(client: SSMClient, path: str, activity: RootActivity, *, budget: Budget) -> str:
    """Store `activity` as the latest of its kind under `path`; returns the parameter name.
    Raises OutOfTimeError when no call could start within `budget`."""
    name = record.parameter_name(path, record.slot_of(activity))
    value = record.encode(activity)
    _retrier(budget, "time budget exhausted before recording").call(
        client, "put_parameter", Name=name, Value=value, Type="String", Overwrite=True
    )
    return name


def _retrier(budget: Budget, reason: str) -> Retrier:
    """SSM's retrier within `budget`; raises OutOfTimeError when not even one call fits."""
    seconds = limits_for("ssm").worst_case_seconds
    budget.require(seconds, reason, code=RecordedEventsUnavailableError.code)
    return Retrier(THROTTLING_CODES, backoff=RECORD_BACKOFF, budget=budget, call_seconds=seconds)
