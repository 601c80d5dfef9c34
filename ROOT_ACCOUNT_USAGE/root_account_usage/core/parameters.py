"""Rule parameters: the raw ruleParameters mapping becomes typed values here."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from typing import NamedTuple

from .exceptions import InvalidParameterError
from .regions import is_region_name

DEFAULT_THRESHOLD_DAYS = 7
MIN_THRESHOLD_DAYS = 1
MAX_THRESHOLD_DAYS = 3650

# Parameters rdklib itself reads to choose the role the rule runs as.
RDKLIB_PARAMETERS = frozenset({"ExecutionRoleName", "ExecutionRoleRegion", "AssumeRoleMode"})
# The organization rule names its organization; a central function refuses other rules.
ORGANIZATION_PARAMETER = "OrganizationId"
RULE_PARAMETERS = frozenset(
    {"ThresholdDays", "CloudTrailEvidence", "AssumeRootSessions", "RootActivityEvidence"}
)

# AssumeRoot sessions (privileged tasks only the management account or IAM's delegated
# administrator can run, each in CloudTrail) are left out unless "count": otherwise the
# credential removal's own dry run would make the account NON_COMPLIANT (docs/deploy.md).
COUNT_ASSUME_ROOT = "count"
EXCLUDE_ASSUME_ROOT = "exclude"
ASSUME_ROOT_SESSIONS = (EXCLUDE_ASSUME_ROOT, COUNT_ASSUME_ROOT)  # the first is the default

_WHOLE_NUMBER = re.compile(r"^[0-9]{1,12}$")
# The SSM parameter path the re-evaluation function records root events under
# (template.yaml sets it): SSM's name characters, absolute, no empty segment.
_EVIDENCE_PATH = re.compile(r"^(/[A-Za-z0-9_.-]+){1,15}$")
MAX_EVIDENCE_PATH_CHARS = 900  # SSM names are at most 1011 characters, with the slot
# An IAM role name (64 characters at most), optionally after a path: team/reader.
_ROLE_NAME = re.compile(r"(?:[A-Za-z0-9+=,.@_-]+/)*[A-Za-z0-9+=,.@_-]{1,64}")
_MAX_ROLE_PATH_AND_NAME = 512 + 64


class RoleChoice(NamedTuple):
    """Which role reads IAM and publishes, as rdklib's parameters choose it."""

    assume_role: bool = True  # AssumeRoleMode: absent means rdklib assumes a role
    role_name: str | None = None  # ExecutionRoleName; None: the event's executionRoleArn
    region: str | None = None  # ExecutionRoleRegion; None: the function's region


class RuleParameters(NamedTuple):
    """The validated rule parameters."""

    threshold_days: int = DEFAULT_THRESHOLD_DAYS
    cloudtrail_evidence: bool = True  # on unless "false": the deleted key is seen
    assume_root_sessions: str = EXCLUDE_ASSUME_ROOT
    root_activity_evidence: str | None = None  # SSM path of recorded root events
    role: RoleChoice = RoleChoice()


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


def parse_rule_parameters(
    raw: Mapping[str, object], repeated: Collection[str] = ()
) -> RuleParameters:
    """Turn the event's ruleParameters into RuleParameters.

    An unknown key is refused rather than ignored, so that a typo such as
    `ThresholdDay` never silently falls back to the default; so are a null value and a
    key given twice (`repeated`, found by the event parser) rather than the last one
    winning.
    """
    if repeated:
        shown = ", ".join(_shown_key(key) for key in sorted(repeated)[:3])
        raise InvalidParameterError(f"rule parameter(s) {shown} given more than once")
    unknown = sorted(set(raw) - RULE_PARAMETERS - RDKLIB_PARAMETERS - {ORGANIZATION_PARAMETER})
    if unknown:
        shown = ", ".join(_shown_key(key) for key in unknown[:3])
        raise InvalidParameterError(
            f"unknown rule parameter(s) {shown}; expected {', '.join(sorted(RULE_PARAMETERS))}"
        )
    # null is not "absent": a template that meant a value and produced none is an error.
    nulls = sorted(key for key, value in raw.items() if value is None)
    if nulls:
        raise InvalidParameterError(f"rule parameter {nulls[0]} is null; give a string or omit it")
    return RuleParameters(
        threshold_days=parse_threshold_days(raw.get("ThresholdDays")),
        cloudtrail_evidence=parse_switch(
            "CloudTrailEvidence", raw.get("CloudTrailEvidence"), default=True
        ),
        assume_root_sessions=parse_choice(
            "AssumeRootSessions", raw.get("AssumeRootSessions"), ASSUME_ROOT_SESSIONS
        ),
        root_activity_evidence=parse_evidence_path(raw.get("RootActivityEvidence")),
        role=parse_role_choice(raw),
    )


def parse_switch(name: str, value: object, default: bool = False) -> bool:
    """A "true"/"false" parameter (any case); absent or blank is `default`."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise InvalidParameterError(f'{name} must be "true" or "false", got {_shown(value)}')


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


def parse_role_choice(raw: Mapping[str, object]) -> RoleChoice:
    """rdklib's role parameters, validated here because rdklib reads them unchecked
    (`null` or `1` crash it; any AssumeRoleMode but "false" means true to it)."""
    return RoleChoice(
        assume_role=parse_switch("AssumeRoleMode", raw.get("AssumeRoleMode"), default=True),
        role_name=_optional_name("ExecutionRoleName", raw.get("ExecutionRoleName")),
        region=_optional_region(raw.get("ExecutionRoleRegion")),
    )


def usable_role_choice(raw: Mapping[str, object]) -> RoleChoice:
    """The role to publish with even when a role parameter is bad: each bad value counts
    as absent (rdklib's default), so that the fail-closed verdict naming it still gets
    published."""
    default = RoleChoice()
    return RoleChoice(
        assume_role=_or_default(
            lambda: parse_switch("AssumeRoleMode", raw.get("AssumeRoleMode"), default=True),
            default.assume_role,
        ),
        role_name=_or_default(
            lambda: _optional_name("ExecutionRoleName", raw.get("ExecutionRoleName")),
            default.role_name,
        ),
        region=_or_default(lambda: _optional_region(raw.get("ExecutionRoleRegion")), None),
    )


def is_role_name(text: str) -> bool:
    """Whether `text` is an IAM role name (up to 64 of A-Z a-z 0-9 +=,.@_-), optionally
    after a path of such segments (team/reader)."""
    return len(text) <= _MAX_ROLE_PATH_AND_NAME and _ROLE_NAME.fullmatch(text) is not None


def _optional_name(name: str, value: object) -> str | None:
    text = _optional_text(name, value)
    if text is None:
        return None
    if not is_role_name(text):
        raise InvalidParameterError(
            f"{name} must be an IAM role name, optionally after a path (team/reader), "
            f"got {_shown(text)}"
        )
    return text


def _optional_region(value: object) -> str | None:
    text = _optional_text("ExecutionRoleRegion", value)
    if text is None:
        return None
    if not is_region_name(text):
        raise InvalidParameterError(
            f"ExecutionRoleRegion must be a region name such as us-east-1, got {_shown(text)}"
        )
    return text


def _optional_text(name: str, value: object) -> str | None:
    """A string parameter, as given; absent or blank is None; a non-string is refused."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidParameterError(f"{name} must be a string, got {type(value).__name__}")
    return value if value.strip() else None


def _or_default[T](parse: Callable[[], T], default: T) -> T:
    try:
        return parse()
    except InvalidParameterError:
        return default


def _shown(value: object) -> str:
    return repr(value)[:24] if isinstance(value, str) else type(value).__name__


def _shown_key(key: str) -> str:
    """A parameter key as a reason may repeat it: a name, or a placeholder. The reason
    lands in the annotation the rule's memory reads back, so no outside text goes there."""
    return key if re.fullmatch(r"[A-Za-z0-9_]{1,40}", key) else "(a key that is not a name)"
