"""Root activity seen outside the credential report, as supplementary evidence. Pure.

A CloudTrail record counts as root activity as the CIS metric filter has it:
userIdentity.type is Root, and it was not made by an AWS service on the account's
behalf (no userIdentity.invokedBy, eventType not AwsServiceEvent). The same decision
reads LookupEvents records (CloudTrail event history) and the records EventBridge
delivers to the re-evaluation function.

A record whose userIdentity.sessionContext.assumedRoot is "true" was made in an
AssumeRoot session: a privileged task the management account (or IAM's delegated
administrator) ran in this account with short-term root credentials. It is root
activity; the AssumeRootSessions parameter says whether it counts.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from . import annotation as text
from .timestamps import parse_timestamp
from .verdict import NON_COMPLIANT, Verdict


class RootActivity(NamedTuple):
    """One root action, from CloudTrail event history or a recorded EventBridge event."""

    time: datetime
    event_name: str
    region: str
    source_ip: str | None
    mfa_used: bool | None  # console sign-ins only
    lookup_region: str  # the event history it was found in (or the recording region)
    assumed_root: bool = False  # made in an AssumeRoot session
    source: str = text.CLOUDTRAIL  # CloudTrail event history, or a recorded EventBridge event

    def describe(self) -> str:
        if self.assumed_root:
            return f"{text.ASSUMED_ROOT_SESSION}: {self.event_name[:60]} in {self.region}"
        if self.event_name == "ConsoleLogin":
            mfa = {True: " with MFA", False: " without MFA", None: ""}[self.mfa_used]
            if self.source_ip:
                where = f" from {self.source_ip}"
            elif self.source == text.CLOUDTRAIL:
                where = " from an unknown address"
            else:
                where = ""  # a recorded event keeps no address
            return f"console sign-in{where}{mfa}"
        return f"API call {self.event_name[:60]} in {self.region}"

    def seen(self, limit: int = text.MAX_ACTIVITY_DESCRIPTION) -> str:
        return text.activity_seen(
            self.describe(), self.time, self.source, self.lookup_region, limit
        )


class UnreadableRecordError(ValueError):
    """A LookupEvents record of a shape CloudTrail does not write: it is skipped."""


def root_activity(event: Mapping[str, Any], lookup_region: str) -> RootActivity | None:
    """Read one LookupEvents record; None unless it is the root user's own action.

    Raises UnreadableRecordError for a record that cannot be read (CloudTrailEvent not
    a JSON object, a root action with no usable time). An odd additionalEventData only
    loses the MFA flag.
    """
    raw = event.get("CloudTrailEvent")
    if not isinstance(raw, str):
        raise UnreadableRecordError("CloudTrailEvent is not a JSON string")
    try:
        detail = json.loads(raw)
    except (json.JSONDecodeError, RecursionError):
        raise UnreadableRecordError("CloudTrailEvent is not valid JSON") from None
    if not isinstance(detail, dict) or not isinstance(detail.get("userIdentity") or {}, dict):
        raise UnreadableRecordError("CloudTrailEvent is not an event object")
    activity = root_activity_in_record(
        detail,
        lookup_region,
        fallback_time=_utc_or_none(event.get("EventTime")),
        fallback_name=str(event.get("EventName", "unknown")),
    )
    if activity is None and _is_root_action(detail):
        raise UnreadableRecordError("record has no readable event time")
    return activity


def root_activity_in_record(
    detail: Mapping[str, Any],
    lookup_region: str,
    *,
    fallback_time: datetime | None = None,
    fallback_name: str = "unknown",
    source: str = text.CLOUDTRAIL,
) -> RootActivity | None:
    """Read one CloudTrail record (a dict); None unless it is the root user's own action
    (or when it has no time to place it by)."""
    if not _is_root_action(detail):
        return None
    try:
        time = parse_timestamp(str(detail["eventTime"]))
    except (KeyError, ValueError):
        if fallback_time is None:
            return None
        time = fallback_time
    extra = detail.get("additionalEventData")
    mfa = extra.get("MFAUsed") if isinstance(extra, dict) else None
    source_ip = detail.get("sourceIPAddress")
    return RootActivity(
        time=time,
        event_name=str(detail.get("eventName", fallback_name)),
        region=str(detail.get("awsRegion", lookup_region)),
        source_ip=source_ip if isinstance(source_ip, str) else None,
        mfa_used=None if mfa is None else mfa == "Yes",
        lookup_region=lookup_region,
        assumed_root=is_assumed_root(detail["userIdentity"]),
        source=source,
    )


def _is_root_action(detail: Mapping[str, Any]) -> bool:
    """userIdentity.type Root, and not an AWS service acting for the account."""
    identity = detail.get("userIdentity") or {}
    if not isinstance(identity, dict) or identity.get("type") != "Root":
        return False
    return "invokedBy" not in identity and detail.get("eventType") != "AwsServiceEvent"


def _utc_or_none(value: object) -> datetime | None:
    """A datetime LookupEvents parsed, in UTC; None when there is none in range."""
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        return None


def is_assumed_root(identity: Mapping[str, Any]) -> bool:
    """Whether a Root userIdentity is an AssumeRoot session (sessionContext.assumedRoot)."""
    context = identity.get("sessionContext")
    if not isinstance(context, dict):
        return False
    flag = context.get("assumedRoot")
    return flag is True or (isinstance(flag, str) and flag.strip().lower() == "true")


def counted(activity: RootActivity, *, exclude_assume_root: bool) -> bool:
    """Whether `activity` counts as root use (AssumeRootSessions "exclude" leaves out
    AssumeRoot sessions; the root user's own sign-ins and calls always count)."""
    return not (exclude_assume_root and activity.assumed_root)


def latest_activity(activities: Iterable[RootActivity]) -> RootActivity | None:
    return max(activities, key=lambda activity: activity.time, default=None)


def apply_activity(
    verdict: Verdict,
    activities: Iterable[RootActivity],
    *,
    now: datetime,
    threshold_days: int,
    cloudtrail_read: bool = False,
    unavailable: Sequence[str] = (),
) -> Verdict:
    """Combine the report's verdict with root activity seen elsewhere in the window.

    NON_COMPLIANT when any source shows root use in [now - threshold, now] (or later).
    Evidence only adds use: nothing here turns a verdict COMPLIANT, and a fail-closed
    verdict stays as it is. `cloudtrail_read` says CloudTrail was searched (so finding
    nothing is worth saying); `unavailable` names sources that could not be read, each
    said at the end of the annotation.
    """
    if not verdict.evaluated:
        return verdict
    notes = "".join(text.unavailable_note(source) for source in unavailable)
    window_start = now - timedelta(days=threshold_days)
    latest = latest_activity(a for a in activities if a.time >= window_start)
    if latest is None:
        nothing = text.NO_CLOUDTRAIL_ACTIVITY if cloudtrail_read else ""
        return verdict._replace(annotation=text.fit(verdict.annotation, nothing + notes))
    report_is_newer = (
        verdict.compliance_type == NON_COMPLIANT
        and verdict.last_used is not None
        and verdict.last_used >= latest.time
    )
    if report_is_newer:
        suffix = text.also_seen(latest.source, latest.seen(text.MAX_ALSO_DESCRIPTION)) + notes
        return verdict._replace(annotation=text.fit(verdict.annotation, suffix))
    use = text.activity_use(latest.seen(), threshold_days, verdict.report_generated_at)
    return verdict._replace(
        compliance_type=NON_COMPLIANT,
        annotation=text.fit(use, notes),
        credential=latest.source.lower(),
        last_used=latest.time,
    )


def apply_cloudtrail(
    verdict: Verdict,
    activities: Iterable[RootActivity],
    *,
    now: datetime,
    threshold_days: int,
    unavailable: str | None = None,
) -> Verdict:
    """apply_activity for CloudTrail alone: found activity, or none, or unavailable."""
    return apply_activity(
        verdict,
        [] if unavailable is not None else activities,
        now=now,
        threshold_days=threshold_days,
        cloudtrail_read=unavailable is None,
        unavailable=(text.CLOUDTRAIL,) if unavailable is not None else (),
    )
