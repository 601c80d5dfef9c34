"""Rule parameters: the raw ruleParameters mapping becomes typed values here."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from functools import partial
from typing import Any, NamedTuple

from .exceptions import InvalidParameterError
from .plain_text import SHORT, VALUE, shortened
from .regions import is_region_name

DEFAULT_THRESHOLD_DAYS = 7
MIN_THRESHOLD_DAYS = 1
MAX_THRESHOLD_DAYS = 3650
ORGANIZATION_PARAMETER = "OrganizationId"  # names the rule's organization: others are refused
# AssumeRoot sessions (run only from the management account or IAM's delegated admin) are
# left out unless "count": else the removal's own dry run is a root use (docs/deploy.md).
EXCLUDE_ASSUME_ROOT = "exclude"
ASSUME_ROOT_SESSIONS = (EXCLUDE_ASSUME_ROOT, "count")  # the first is the default

_WHOLE_NUMBER = re.compile(r"^[0-9]{1,12}$")
# Where the re-evaluation function records root events: an absolute SSM parameter path.
_EVIDENCE_PATH = re.compile(r"^(/[A-Za-z0-9_.-]+){1,15}$")
MAX_EVIDENCE_PATH_CHARS = 900  # SSM names are at most 1011 characters, with the slot
# An IAM role name (64 characters at most), optionally after a path: team/reader.
_ROLE_NAME = re.compile(r"(?:[A-Za-z0-9+=,.@_-]+/)*[A-Za-z0-9+=,.@_-]{1,64}")
_MAX_ROLE_PATH_AND_NAME = 512 + 64
_SWITCH = {"true": True, "false": False}
_SESSIONS = {choice: choice for choice in ASSUME_ROOT_SESSIONS}


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
    if _blank(value):
        return DEFAULT_THRESHOLD_DAYS
    if not isinstance(value, str) and (not isinstance(value, int) or isinstance(value, bool)):
        raise InvalidParameterError(
            f"ThresholdDays must be a whole number of days as a string, got {type(value).__name__}"
        )
    text = str(value).strip()
    if not _WHOLE_NUMBER.match(text):
        raise InvalidParameterError(
            f"ThresholdDays must be a whole number of days from {MIN_THRESHOLD_DAYS} "
            f"to {MAX_THRESHOLD_DAYS}, got {shortened(text, SHORT)!r}"
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
    """The event's ruleParameters. Raises InvalidParameterError for a bad value, an unknown
    key (never the default), a null, and a key given twice (`repeated`)."""
    if repeated:
        raise InvalidParameterError(
            f"rule parameter(s) {_shown_keys(repeated)} given more than once"
        )
    unknown = set(raw) - RULE_PARAMETERS - set(_ROLE_PARSERS) - {ORGANIZATION_PARAMETER}
    if unknown:
        raise InvalidParameterError(
            f"unknown rule parameter(s) {_shown_keys(unknown)}; "
            f"expected {', '.join(sorted(RULE_PARAMETERS))}"
        )
    # null is not "absent": a template that meant a value and produced none is an error.
    nulls = sorted(key for key, value in raw.items() if value is None)
    if nulls:
        raise InvalidParameterError(f"rule parameter {nulls[0]} is null; give a string or omit it")
    parsed = [parse(key, raw.get(key)) for key, parse in _RULE_PARSERS.items()]
    role = RoleChoice(*(parse(key, raw.get(key)) for key, parse in _ROLE_PARSERS.items()))
    return RuleParameters._make([*parsed, role])


def usable_role_choice(raw: Mapping[str, object]) -> RoleChoice:
    """The role to publish the fail-closed verdict with: a bad value counts as absent."""
    chosen = []
    for (key, parse), default in zip(_ROLE_PARSERS.items(), RoleChoice(), strict=True):
        try:
            chosen.append(parse(key, raw.get(key)))
        except InvalidParameterError:
            chosen.append(default)
    return RoleChoice(*chosen)


def is_role_name(text: str) -> bool:
    """Whether `text` is an IAM role name, optionally after a path (team/reader)."""
    return len(text) <= _MAX_ROLE_PATH_AND_NAME and _ROLE_NAME.fullmatch(text) is not None


def _choice(name: str, value: object, *, choices: Mapping[str, Any], default: Any) -> Any:
    """The value of one of `choices` (any case); absent or blank is `default`."""
    if _blank(value):
        return default
    if isinstance(value, str) and value.strip().lower() in choices:
        return choices[value.strip().lower()]
    allowed = " or ".join(f'"{choice}"' for choice in choices)
    raise InvalidParameterError(f"{name} must be {allowed}, got {_shown(value)}")


def _evidence_path(name: str, value: object) -> str | None:
    """RootActivityEvidence: an SSM parameter path; absent or blank is None (none read)."""
    if _blank(value):
        return None
    path = value.strip() if isinstance(value, str) else ""
    if len(path) > MAX_EVIDENCE_PATH_CHARS or not _EVIDENCE_PATH.match(path):
        raise InvalidParameterError(
            f"{name} must be an SSM parameter path such as "
            f"/root-account-usage/rule, got {shortened(value, VALUE)!r}"
        )
    return path


def _role_text(name: str, value: object, *, valid: Callable[[str], bool], wanted: str) -> Any:
    """A string role parameter, kept as given; absent or blank is None."""
    if value is not None and not isinstance(value, str):
        raise InvalidParameterError(f"{name} must be a string, got {type(value).__name__}")
    if _blank(value):
        return None
    if not valid(str(value)):
        raise InvalidParameterError(f"{name} must be {wanted}, got {_shown(value)}")
    return value


_RULE_PARSERS: dict[str, Callable[[str, object], Any]] = {
    "ThresholdDays": lambda _, value: parse_threshold_days(value),
    "CloudTrailEvidence": partial(_choice, choices=_SWITCH, default=True),
    "AssumeRootSessions": partial(_choice, choices=_SESSIONS, default=EXCLUDE_ASSUME_ROOT),
    "RootActivityEvidence": _evidence_path,
}
RULE_PARAMETERS = frozenset(_RULE_PARSERS)
# The parameters choosing the role the rule runs as: rdklib reads them unchecked (`null` or
# `1` crash it; any AssumeRoleMode but "false" is true to it).
_ROLE_PARSERS: dict[str, Callable[[str, object], Any]] = {
    "AssumeRoleMode": partial(_choice, choices=_SWITCH, default=True),
    "ExecutionRoleName": partial(
        _role_text,
        valid=is_role_name,
        wanted="an IAM role name, optionally after a path (team/reader)",
    ),
    "ExecutionRoleRegion": partial(
        _role_text, valid=is_region_name, wanted="a region name such as us-east-1"
    ),
}


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _shown(value: object) -> str:
    return repr(shortened(value, SHORT)) if isinstance(value, str) else type(value).__name__


def _shown_keys(keys: Collection[str]) -> str:
    """The first keys, each a name or a placeholder: no outside text reaches the memory."""
    return ", ".join(
        key if re.fullmatch(r"[A-Za-z0-9_]{1,40}", key) else "(a key that is not a name)"
        for key in sorted(keys)[:3]
    )
