"""Rule parameters: the raw ruleParameters mapping becomes typed values here."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

from .exceptions import InvalidParameterError

DEFAULT_THRESHOLD_DAYS = 7
MIN_THRESHOLD_DAYS = 1
MAX_THRESHOLD_DAYS = 3650

# Parameters rdklib itself reads to choose the role the rule runs as.
RDKLIB_PARAMETERS = frozenset({"ExecutionRoleName", "ExecutionRoleRegion", "AssumeRoleMode"})
RULE_PARAMETERS = frozenset({"ThresholdDays", "CloudTrailEvidence"})

_WHOLE_NUMBER = re.compile(r"^[0-9]{1,12}$")


class RuleParameters(NamedTuple):
    """The validated rule parameters."""

    threshold_days: int = DEFAULT_THRESHOLD_DAYS
    cloudtrail_evidence: bool = False


def parse_threshold_days(value: object) -> int:
    """Validate ThresholdDays: a whole number of days, 1..3650; absent or blank is 7."""
    if value is None:
        return DEFAULT_THRESHOLD_DAYS
    if isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            return DEFAULT_THRESHOLD_DAYS
    else:
        raise InvalidParameterError(
            f"ThresholdDays must be a whole number of days as a string, got {type(value).__name__}"
        )
    if not _WHOLE_NUMBER.match(text):
        raise InvalidParameterError(
            f"ThresholdDays must be a whole number of days from {MIN_THRESHOLD_DAYS} "
            f"to {MAX_THRESHOLD_DAYS}, got {text[:20]!r}"
        )
    days = int(text)
    if not MIN_THRESHOLD_DAYS <= days <= MAX_THRESHOLD_DAYS:
        raise InvalidParameterError(
            f"ThresholdDays must be from {MIN_THRESHOLD_DAYS} to {MAX_THRESHOLD_DAYS} days, "
            f"got {days}"
        )
    return days


def parse_rule_parameters(raw: Mapping[str, object]) -> RuleParameters:
    """Turn the event's ruleParameters into RuleParameters.

    An unknown key is refused rather than ignored, so that a typo such as
    `ThresholdDay` never silently falls back to the default.
    """
    unknown = sorted(set(raw) - RULE_PARAMETERS - RDKLIB_PARAMETERS)
    if unknown:
        shown = ", ".join(key[:40] for key in unknown[:3])
        raise InvalidParameterError(
            f"unknown rule parameter(s) {shown}; expected ThresholdDays, CloudTrailEvidence"
        )
    return RuleParameters(
        threshold_days=parse_threshold_days(raw.get("ThresholdDays")),
        cloudtrail_evidence=parse_switch("CloudTrailEvidence", raw.get("CloudTrailEvidence")),
    )


def parse_switch(name: str, value: object) -> bool:
    """A "true"/"false" parameter (any case); absent or blank is false."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return False
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise InvalidParameterError(f'{name} must be "true" or "false", got {str(value)[:20]!r}')
