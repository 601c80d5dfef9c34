"""The annotation, written and read back here: no change of wording breaks `history`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import NamedTuple

from .timestamps import format_timestamp

MAX_ANNOTATION_LENGTH = 256  # AWS Config's limit
UNABLE_PREFIX = "Unable to evaluate: "
_KNOWN_MARKER = " Last known root use: "  # the rule's memory (remembered_note)

CREDENTIAL_LABELS = {
    "password": "console password",
    "access_key_1": "access key 1",
    "access_key_2": "access key 2",
}
# Every root credential gone, not merely the active ones (core/report.py, ABSENT_CREDENTIALS).
NO_CREDENTIALS = "no console password, access keys or signing certificates"
# Where a root action outside the report was found: event history, or a recorded event.
ACTIVITY_SOURCES = ("CloudTrail", "EventBridge")
CLOUDTRAIL, EVENTBRIDGE = ACTIVITY_SOURCES
RECORDED_EVENTS = "Recorded root events"  # the store of EventBridge events, when unreadable
# AssumeRoot: a task run from the management account or IAM's delegated administrator.
ASSUMED_ROOT_SESSION = "privileged session from the management account (AssumeRoot)"
MAX_ACTIVITY_DESCRIPTION = 100  # a root action's, so its time and source fit after it
MAX_ALSO_DESCRIPTION = 70  # after "also:", so the report's use and a failed source fit too
MAX_RECORD_DESCRIPTION = 55  # a record deciding early: RECORD_DECIDES and its note fit too
NO_CLOUDTRAIL_ACTIVITY = " No root activity in CloudTrail."
NO_CLOUDTRAIL_USE = " No root use in CloudTrail."  # only failed sign-in attempts
# CloudTrailEvidence "false": said on every verdict (a key used and deleted goes unseen);
# the second when the recorded root events are read besides the report.
REPORT_ONLY = " Credential report only: CloudTrailEvidence is false."
CLOUDTRAIL_OFF = " CloudTrail not searched: CloudTrailEvidence is false."
RECORD_DECIDES = "; credential report and CloudTrail not read: a recorded root use decides."
# A recorded root event's problems, most telling first (core/recorded_activity.py).
RECORD_PROBLEMS = ("reset", "unreadable", "missing")
RECORD_RESET, RECORD_UNREADABLE, RECORD_MISSING = RECORD_PROBLEMS
# The rule's memory: its own last evaluation of the account, read back from AWS Config.
LAST_EVALUATION = "This rule's last evaluation"


def fit(base: str, suffix: str = "") -> str:
    """`base` + `suffix` in at most 256 characters, cutting `base` (never the suffix)."""
    room = MAX_ANNOTATION_LENGTH - len(suffix)
    if len(base) > room:
        base = base[: max(room - 3, 0)].rstrip() + "..."
    # AWS Config refuses a longer annotation, even where the suffix alone is too long.
    return (base + suffix)[:MAX_ANNOTATION_LENGTH]


def fit_optional(base: str, optional: Iterable[Sequence[str]], required: str = "") -> str:
    """`base`, the first form of each `optional` item that fits whole, then `required`."""
    for forms in optional:
        room = MAX_ANNOTATION_LENGTH - len(base) - len(required)
        base += next((suffix for suffix in forms if len(suffix) <= room), "")
    return fit(base, required)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _dated(said: str, report_generated_at: datetime | None) -> str:
    """`said`, then the report's age."""
    if report_generated_at is None:
        return f"{said}; report generation time unknown."
    return f"{said}; report generated {format_timestamp(report_generated_at)}."


def no_use(
    threshold_days: int, report_generated_at: datetime | None, credentials_removed: bool = False
) -> str:
    """No recorded use; said more strongly when the report shows the credentials gone."""
    if credentials_removed:
        said = f"Root has {NO_CREDENTIALS} (no recorded use)"
    else:
        said = "Root user has no recorded use of its console password or access keys"
    return fit(_dated(f"{said}; threshold {threshold_days} days", report_generated_at))


def report_use(
    credential: str,
    last_used: datetime,
    threshold_days: int,
    report_generated_at: datetime | None,
    credentials_removed: bool = False,
    *,
    recent: bool = True,
    after_now: bool = False,
) -> str:
    """The report's latest use, inside the threshold when `recent`, else outside it."""
    when, label = format_timestamp(last_used), CREDENTIAL_LABELS[credential]
    removed = f"; root has {NO_CREDENTIALS} now" if credentials_removed else ""
    if recent:
        later = " (after the evaluation time)" if after_now else ""
        used = f"Root {label} was used at {when}{later}, within"
    else:
        used = f"Root last used at {when} ({label}), outside"
    return fit(_dated(f"{used} the {threshold_days}-day threshold{removed}", report_generated_at))


def unable(reason: str, code: str) -> str:
    """The fail-closed annotation: the reason, then the error code in brackets."""
    # A reason may repeat outside text: it must never read back as the rule's memory.
    reason = reason.replace(_KNOWN_MARKER.strip(), "Last known root use -")
    return fit(f"{UNABLE_PREFIX}{reason}", f" [{code}]")


def activity_seen(
    what: str, when: datetime, source: str, region: str, limit: int = MAX_ACTIVITY_DESCRIPTION
) -> str:
    """One root action found outside the report (CloudTrail, or a recorded event)."""
    return f"{_cut(what, limit)} at {format_timestamp(when)} ({source} {region})"


def activity_use(seen: str, threshold_days: int, report_generated_at: datetime | None) -> str:
    """A use seen outside the report, not yet fitted: the caller adds its notes."""
    return _dated(f"Root {seen}, within the {threshold_days}-day threshold", report_generated_at)


def record_decides(seen: str, threshold_days: int, note: str = "") -> str:
    """A recorded use inside the threshold, published before the report is read; never
    cut is RECORD_DECIDES, which makes the next evaluation a full one."""
    return fit(f"Root {seen}, within the {threshold_days}-day threshold", RECORD_DECIDES + note)


def searched_scope(regions: int, days: int, threshold_days: int) -> str:
    """Where and how far back CloudTrail was searched (its event history keeps 90 days)."""
    kept = ": all it keeps" if threshold_days > days else ""
    return f" ({regions} region{'s' * (regions != 1)}, last {days} days{kept})"


def unavailable_note(source: str) -> str:
    """The suffix saying a supplementary source could not be read."""
    return f" {source} unavailable."


def incomplete_note(source: str, where: str | None = None) -> str:
    """The suffix saying a search of `source` did not finish in `where` (else anywhere)."""
    return f" {source} search incomplete{f' in {where}' if where else ''}."


def record_note(problems: Iterable[str]) -> str:
    """The suffix naming the most telling of `problems` (RECORD_PROBLEMS); "" for none."""
    found = set(problems)
    worst = next((problem for problem in RECORD_PROBLEMS if problem in found), None)
    return "" if worst is None else f" Recorded root event {worst}."


def remembered_note(credential: str, when: datetime) -> str:
    """The suffix carrying the most recent root use known (read back by read_root_use)."""
    return f"{_KNOWN_MARKER}{credential} at {format_timestamp(when)}."


def remembered_use(
    credential: str, when: datetime, threshold_days: int, report_generated_at: datetime | None
) -> str:
    """A use inside the threshold only the rule's last evaluation still shows."""
    source, _, what = credential.partition(": ")
    if source in ACTIVITY_SOURCES:
        used = f"{what} at {format_timestamp(when)} ({source} remembered)"
    else:
        used = f"{credential} was used at {format_timestamp(when)}"
    within = f"within the {threshold_days}-day threshold"
    shown = "shown by this rule's last evaluation, not by the report now"
    return fit(_dated(f"Root {used}, {within}; {shown}", report_generated_at))


class RootUseSeen(NamedTuple):
    """The most recent root use an annotation names."""

    # "console password", "access key 1|2", "CloudTrail: <what>" or "EventBridge: <what>"
    credential: str
    time: str  # as written: YYYY-MM-DDTHH:MM:SSZ


_TIME = r"(?P<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"
_LABEL = "|".join(re.escape(label) for label in CREDENTIAL_LABELS.values())
_SOURCE = "|".join(ACTIVITY_SOURCES)
_OLD_USE = re.compile(rf"^Root last used at {_TIME} \((?P<label>{_LABEL})\)")
_READERS = (
    # The rule's memory first: carried only when newer than the use the verdict names.
    # Only the shapes remembered_note writes; the last one, which follows any reason.
    re.compile(rf"{_KNOWN_MARKER}(?P<known>(?:{_LABEL})|(?:{_SOURCE}): .+?) at {_TIME}\."),
    re.compile(rf"^Root (?P<label>{_LABEL}) was used at {_TIME}"),
    _OLD_USE,
    # Greedy, so that an event's own text cannot end the description early: the last
    # "at <time> (<source> <region>), within" is the one activity_use wrote.
    re.compile(
        rf"^Root (?P<seen>.+) at {_TIME} \((?P<source>{_SOURCE}) [a-z0-9-]+\), within", re.DOTALL
    ),
)
# What the writers above say of the threshold: "within the 7-day threshold", "threshold 7 days".
_THRESHOLD = re.compile(r"\bthe ([0-9]{1,4})-day threshold\b|; threshold ([0-9]{1,4}) days;")


def is_unable(annotation: str) -> bool:
    """Whether the annotation is a fail-closed one."""
    return annotation.startswith(UNABLE_PREFIX)


def read_root_use(annotation: str) -> RootUseSeen | None:
    """The most recent root use an annotation written above names; None when none."""
    for reader in _READERS:
        match = next(reversed(list(reader.finditer(annotation))), None)
        if match is not None:
            g = match.groupdict()
            credential = g.get("label") or g.get("known") or f"{g['source']}: {g['seen']}"
            return RootUseSeen(credential=credential, time=match.group("time"))
    return None


def read_recent_root_use(annotation: str) -> RootUseSeen | None:
    """read_root_use, but None for a use outside the threshold."""
    return None if _OLD_USE.search(annotation) else read_root_use(annotation)


def read_threshold(annotation: str) -> int | None:
    """The threshold an annotation written above states it applied; None if none."""
    match = _THRESHOLD.search(annotation)
    return None if match is None else int(match.group(1) or match.group(2))
