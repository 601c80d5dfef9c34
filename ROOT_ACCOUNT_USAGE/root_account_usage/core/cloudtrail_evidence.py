"""Root activity in CloudTrail as supplementary evidence for the verdict. Pure.

A CloudTrail event counts as root activity as the CIS metric filter has it:
userIdentity.type is Root, and it was not made by an AWS service on the account's
behalf (no userIdentity.invokedBy, eventType not AwsServiceEvent).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from . import annotation as text
from .timestamps import parse_timestamp
from .verdict import NON_COMPLIANT, Verdict


class RootActivity(NamedTuple):
    """One root action CloudTrail recorded."""

    time: datetime
    event_name: str
    region: str
    source_ip: str | None
    mfa_used: bool | None  # console sign-ins only
    lookup_region: str  # the event history it was found in

    def describe(self) -> str:
        if self.event_name == "ConsoleLogin":
            mfa = {True: " with MFA", False: " without MFA", None: ""}[self.mfa_used]
            return f"console sign-in from {self.source_ip or 'an unknown address'}{mfa}"
        return f"API call {self.event_name[:60]} in {self.region}"


def root_activity(event: Mapping[str, Any], lookup_region: str) -> RootActivity | None:
    """Read one LookupEvents record; None unless it is the root user's own action."""
    try:
        detail = json.loads(event.get("CloudTrailEvent") or "{}")
    except json.JSONDecodeError:
        return None
    if not isinstance(detail, dict):
        return None
    identity = detail.get("userIdentity") or {}
    if not isinstance(identity, dict) or identity.get("type") != "Root":
        return None
    if "invokedBy" in identity or detail.get("eventType") == "AwsServiceEvent":
        return None
    try:
        time = parse_timestamp(str(detail["eventTime"]))
    except (KeyError, ValueError):
        time_value = event.get("EventTime")
        if not isinstance(time_value, datetime):
            return None
        time = time_value
    mfa = (detail.get("additionalEventData") or {}).get("MFAUsed")
    return RootActivity(
        time=time,
        event_name=str(detail.get("eventName", event.get("EventName", "unknown"))),
        region=str(detail.get("awsRegion", lookup_region)),
        source_ip=detail.get("sourceIPAddress"),
        mfa_used=None if mfa is None else mfa == "Yes",
        lookup_region=lookup_region,
    )


def latest_activity(activities: Iterable[RootActivity]) -> RootActivity | None:
    return max(activities, key=lambda activity: activity.time, default=None)


def apply_cloudtrail(
    verdict: Verdict,
    activities: Iterable[RootActivity],
    *,
    now: datetime,
    threshold_days: int,
    unavailable: str | None = None,
) -> Verdict:
    """Combine the report's verdict with CloudTrail's root activity in the window.

    NON_COMPLIANT when either source shows root use in [now - threshold, now] (or
    later). A fail-closed verdict stays as it is; CloudTrail unavailable leaves the
    report's verdict and says so.
    """
    if not verdict.evaluated:
        return verdict
    if unavailable is not None:
        return verdict._replace(annotation=text.with_cloudtrail_unavailable(verdict.annotation))
    window_start = now - timedelta(days=threshold_days)
    latest = latest_activity(a for a in activities if a.time >= window_start)
    if latest is None:
        return verdict._replace(annotation=text.with_no_cloudtrail_activity(verdict.annotation))
    seen = text.cloudtrail_seen(latest.describe(), latest.time, latest.lookup_region)
    report_is_newer = (
        verdict.compliance_type == NON_COMPLIANT
        and verdict.last_used is not None
        and verdict.last_used >= latest.time
    )
    if report_is_newer:
        return verdict._replace(annotation=text.with_cloudtrail_also(verdict.annotation, seen))
    return verdict._replace(
        compliance_type=NON_COMPLIANT,
        annotation=text.cloudtrail_use(seen, threshold_days, verdict.report_generated_at),
    )
