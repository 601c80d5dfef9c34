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
RULE_PARAMETERS = frozenset(
    {"ThresholdDays", "CloudTrailEvidence", "AssumeRootSessions", "RootActivityEvidence"}
)

# AssumeRoot sessions (privileged tasks from the management account) are root use; an
# organization that sanctions them may leave them out of the verdict.
COUNT_ASSUME_ROOT = "count"
EXCLUDE_ASSUME_ROOT = "exclude"
ASSUME_ROOT_SESSIONS = (COUNT_ASSUME_ROOT, EXCLUDE_ASSUME_ROOT)

_WHOLE_NUMBER = re.compile(r"^[0-9]{1,12}$")
# The SSM parameter path the re-evaluation function records root events under
# (template.yaml sets it): SSM's name characters, absolute, no empty segment.
_EVIDENCE_PATH = re.compile(r"^(/[A-Za-z0-9_.-]+){1,15}$")
MAX_EVIDENCE_PATH_CHARS = 900  # SSM names are at most 1011 characters, with the slot


class RuleParameters(NamedTuple):
    """The validated rule parameters."""

    threshold_days: int = DEFAULT_THRESHOLD_DAYS
    cloudtrail_evidence: bool = False
    assume_root_sessions: str = COUNT_ASSUME_ROOT
    root_activity_evidence: str | None = None  # SSM path of recorded root events


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
            f"unknown rule parameter(s) {shown}; expected {', '.join(sorted(RULE_PARAMETERS))}"
        )
    return RuleParameters(
        threshold_days=parse_threshold_days(raw.get("ThresholdDays")),
        cloudtrail_evidence=parse_switch("CloudTrailEvidence", raw.get("CloudTrailEvidence")),
        assume_root_sessions=parse_choice(
            "AssumeRootSessions", raw.get("AssumeRootSessions"), ASSUME_ROOT_SESSIONS
        ),
        root_activity_evidence=parse_evidence_path(raw.get("RootActivityEvidence")),
    )


def parse_switch(name: str, value: object) -> bool:
    """A "true"/"false" parameter (any case); absent or blank is false."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return False
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise InvalidParameterError(f'{name} must be "true" or "false", got {str(value)[:20]!r}')


def parse_choice(name: str, value: object, choices: tuple[str, ...]) -> str:
    """One of `choices` (any case); absent or blank is the first."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return choices[0]
    if isinstance(value, str) and value.strip().lower() in choices:
        return value.strip().lower()
    allowed = " or ".join(f'"{choice}"' for choice in choices)
    raise InvalidParameterError(f"{name} must be {allowed}, got {str(value)[:20]!r}")


def parse_evidence_path(value: object) -> str | None:
    """RootActivityEvidence: an SSM parameter path such as /root-account-usage/my-rule;
    absent or blank means no recorded events are read."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if (
        not isinstance(value, str)
        or len(value.strip()) > MAX_EVIDENCE_PATH_CHARS
        or not _EVIDENCE_PATH.match(value.strip())
    ):
        raise InvalidParameterError(
            "RootActivityEvidence must be an SSM parameter path such as "
            f"/root-account-usage/rule, got {str(value)[:40]!r}"
        )
    return value.strip()
