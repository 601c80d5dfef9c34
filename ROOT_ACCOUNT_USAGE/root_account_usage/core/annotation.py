"""The annotation: written here, and read back here.

AWS Config keeps only the annotation of an evaluation, so `history` must recover from
it what the rule saw (which credential, when). Writer and reader live together so that
a change of wording cannot silently break the reading; a round-trip test covers every
kind of verdict.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import NamedTuple

from .timestamps import format_timestamp

MAX_ANNOTATION_LENGTH = 256  # AWS Config's limit
UNABLE_PREFIX = "Unable to evaluate: "

CREDENTIAL_LABELS = {
    "password": "console password",
    "access_key_1": "access key 1",
    "access_key_2": "access key 2",
}
CLOUDTRAIL = "cloudtrail"  # the "credential" of a use seen only in CloudTrail


def fit(base: str, suffix: str = "") -> str:
    """`base` + `suffix` in at most 256 characters, cutting `base` (never the suffix)."""
    room = MAX_ANNOTATION_LENGTH - len(suffix)
    if len(base) > room:
        base = base[: room - 3].rstrip() + "..."
    return base + suffix


def generated_text(report_generated_at: datetime | None) -> str:
    """How an annotation states the report's age."""
    if report_generated_at is None:
        return "report generation time unknown"
    return f"report generated {format_timestamp(report_generated_at)}"


def no_recorded_use(threshold_days: int, report_generated_at: datetime | None) -> str:
    return fit(
        "Root user has no recorded use of its console password or access keys; "
        f"threshold {threshold_days} days; {generated_text(report_generated_at)}."
    )


def recent_use(
    credential: str,
    last_used: datetime,
    *,
    after_now: bool,
    threshold_days: int,
    report_generated_at: datetime | None,
) -> str:
    later = " (after the evaluation time)" if after_now else ""
    return fit(
        f"Root {CREDENTIAL_LABELS[credential]} was used at {format_timestamp(last_used)}{later}, "
        f"within the {threshold_days}-day threshold; {generated_text(report_generated_at)}."
    )


def old_use(
    credential: str,
    last_used: datetime,
    *,
    threshold_days: int,
    report_generated_at: datetime | None,
) -> str:
    return fit(
        f"Root last used at {format_timestamp(last_used)} ({CREDENTIAL_LABELS[credential]}), "
        f"outside the {threshold_days}-day threshold; {generated_text(report_generated_at)}."
    )


def unable(reason: str, code: str) -> str:
    """The fail-closed annotation: the reason, then the error code in brackets."""
    return fit(f"{UNABLE_PREFIX}{reason}", f" [{code}]")


def cloudtrail_seen(what: str, when: datetime, lookup_region: str) -> str:
    """One root action found in CloudTrail, as annotations name it."""
    return f"{what} at {format_timestamp(when)} (CloudTrail {lookup_region})"


def cloudtrail_use(seen: str, threshold_days: int, report_generated_at: datetime | None) -> str:
    """A use CloudTrail shows and the report does not (or not as recently)."""
    return fit(
        f"Root {seen}, within the {threshold_days}-day threshold; "
        f"{generated_text(report_generated_at)}."
    )


def with_cloudtrail_also(annotation: str, seen: str) -> str:
    return fit(annotation, f" CloudTrail also: {seen}.")


def with_no_cloudtrail_activity(annotation: str) -> str:
    return fit(annotation, " No root activity in CloudTrail.")


def with_cloudtrail_unavailable(annotation: str) -> str:
    return fit(annotation, " CloudTrail unavailable.")


class RootUseSeen(NamedTuple):
    """The most recent root use an annotation names."""

    credential: str  # "console password", "access key 1|2", or "CloudTrail: <what>"
    time: str  # as written: YYYY-MM-DDTHH:MM:SSZ


_TIME = r"(?P<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"
_LABEL = "|".join(re.escape(label) for label in CREDENTIAL_LABELS.values())
_READERS = (
    re.compile(rf"^Root (?P<label>{_LABEL}) was used at {_TIME}"),
    re.compile(rf"^Root last used at {_TIME} \((?P<label>{_LABEL})\)"),
    re.compile(rf"^Root (?P<seen>.+?) at {_TIME} \(CloudTrail [a-z0-9-]+\), within"),
)


def is_unable(annotation: str) -> bool:
    """Whether the annotation is a fail-closed one."""
    return annotation.startswith(UNABLE_PREFIX)


def read_root_use(annotation: str) -> RootUseSeen | None:
    """The root use an annotation written above names first; None when it names none."""
    for reader in _READERS:
        match = reader.search(annotation)
        if match is not None:
            groups = match.groupdict()
            credential = groups.get("label") or f"CloudTrail: {groups['seen']}"
            return RootUseSeen(credential=credential, time=match.group("time"))
    return None
