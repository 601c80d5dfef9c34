"""Root activity outside the credential report (pure; docs/development.md explains it)."""

from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from operator import attrgetter
from typing import Any, NamedTuple

from . import annotation as text
from .events import ACCOUNT_ID
from .plain_text import load_record, shortened
from .timestamps import as_utc, parse_timestamp
from .verdict import COMPLIANT, NON_COMPLIANT, Verdict

PASSWORD_RECOVERY_REQUESTED = "PasswordRecoveryRequested"  # noqa: S105 - an event name
# What the console's root actions are called in an annotation (an API call otherwise).
_PLAIN_NAMES = {
    "PasswordUpdated": "console password change",
    "PasswordRecoveryCompleted": "password reset by e-mail recovery",
    "CheckMfa": "sign-in MFA check",
    "CreateAccessKey": "access key creation",
}
# invokedBy when root acts in the console itself, not a service; EventBridge patterns agree.
ROOT_CONSOLE_INVOKERS = ("signin.amazonaws.com",)


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
    attempt: bool = False  # a sign-in attempt that did not authenticate: not a use

    def describe(self, *, address: bool = True) -> str:
        """What was done, as an annotation names it."""
        name = shortened(self.event_name, 60)  # characters of an event name shown
        if self.attempt:
            recovery = self.event_name == PASSWORD_RECOVERY_REQUESTED
            what = "Root password recovery requested" if recovery else "Failed root sign-in attempt"
            # Only an address: this text follows the verdict's own, and must not read as it.
            with contextlib.suppress(ValueError):
                if address:
                    return f"{what} from {ipaddress.ip_address(self.source_ip or '')}"
            return what
        if self.assumed_root:
            return f"{text.ASSUMED_ROOT_SESSION}: {name} in {self.region}"
        if self.event_name == "ConsoleLogin":
            mfa = {True: " with MFA", False: " without MFA", None: ""}[self.mfa_used]
            # A recorded event keeps no address; CloudTrail's lacks one only when unknown.
            unknown = "an unknown address" if self.source == text.CLOUDTRAIL else ""
            where = self.source_ip or unknown
            return f"console sign-in{f' from {where}' if where else ''}{mfa}"
        plain_name = _PLAIN_NAMES.get(self.event_name) or f"API call {name}"
        return f"{plain_name} in {self.region}"

    def seen(self, limit: int = text.MAX_ACTIVITY_DESCRIPTION, *, address: bool = True) -> str:
        """The action with its time and where it was found (annotation.activity_seen)."""
        return text.activity_seen(
            self.describe(address=address), self.time, self.source, self.lookup_region, limit
        )


def is_attempt(detail: Mapping[str, Any]) -> bool:
    """Whether a root record is a failed sign-in or a password recovery request: no use."""
    name = detail.get("eventName")
    # PasswordUpdated is a sign-in event made signed in: a use whatever its outcome.
    if detail.get("eventType") != "AwsConsoleSignIn" or name == "PasswordUpdated":
        return False
    if name == PASSWORD_RECOVERY_REQUESTED:
        return True
    # Console sign-in events say their outcome in responseElements.<eventName>.
    response = detail.get("responseElements")
    outcome = response.get(name) if isinstance(response, dict) and isinstance(name, str) else None
    return outcome == "Failure" or (outcome != "Success" and bool(detail.get("errorMessage")))


class UnreadableRecordError(ValueError):
    """A LookupEvents record of a shape CloudTrail does not write: it is skipped."""


def root_activity(
    event: Mapping[str, Any], lookup_region: str, account_id: str | None = None
) -> RootActivity | None:
    """One LookupEvents record; None unless it is the root user's own action (of
    `account_id`, when given). Raises UnreadableRecordError for a record it cannot read."""
    raw = event.get("CloudTrailEvent")
    if not isinstance(raw, str):
        raise UnreadableRecordError("CloudTrailEvent is not a JSON string")
    detail = load_record(raw, UnreadableRecordError, "CloudTrailEvent")
    if not isinstance(detail, dict) or not isinstance(detail.get("userIdentity") or {}, dict):
        raise UnreadableRecordError("CloudTrailEvent is not an event object")
    if not _is_root_action(detail):
        return None
    if account_id is not None:
        named = detail["userIdentity"].get("accountId")
        if not isinstance(named, str) or ACCOUNT_ID.fullmatch(named) is None:
            raise UnreadableRecordError("root record names no account")
        # Another account's root, here or where recipientAccountId (if any) names another.
        if account_id != named or detail.get("recipientAccountId", named) != named:
            return None
    activity = root_activity_in_record(detail, lookup_region, lookup=event)
    if activity is None:
        raise UnreadableRecordError("record has no readable event time")
    return activity


def root_activity_in_record(
    detail: Mapping[str, Any],
    lookup_region: str,
    *,
    source: str = text.CLOUDTRAIL,
    lookup: Mapping[str, Any] | None = None,
) -> RootActivity | None:
    """One CloudTrail record; None unless it is the root user's own action with a time.
    `lookup`: its LookupEvents entry, whose EventTime and EventName botocore read."""
    if not _is_root_action(detail):
        return None
    lookup, time = lookup or {}, None
    with contextlib.suppress(KeyError, ValueError):
        time = parse_timestamp(str(detail["eventTime"]))
    fallback = lookup.get("EventTime")  # botocore's reading, for an unreadable eventTime
    if time is None and isinstance(fallback, datetime):
        with contextlib.suppress(ValueError):
            time = as_utc(fallback)
    if time is None:
        return None
    extra, source_ip = detail.get("additionalEventData"), detail.get("sourceIPAddress")
    mfa = extra.get("MFAUsed") if isinstance(extra, dict) else None
    context = detail["userIdentity"].get("sessionContext")
    assumed_root = context.get("assumedRoot") if isinstance(context, dict) else None
    return RootActivity(
        time=time,
        event_name=str(detail.get("eventName", lookup.get("EventName", "unknown"))),
        region=str(detail.get("awsRegion", lookup_region)),
        source_ip=source_ip if isinstance(source_ip, str) else None,
        # AWS's own examples write "Yes" and "YES".
        mfa_used=mfa.strip().lower() == "yes" if isinstance(mfa, str) else None,
        lookup_region=lookup_region,
        assumed_root=assumed_root is True
        or (isinstance(assumed_root, str) and assumed_root.strip().lower() == "true"),
        source=source,
        attempt=is_attempt(detail),
    )


def _is_root_action(detail: Mapping[str, Any]) -> bool:
    """userIdentity.type Root, and not an AWS service acting for the account."""
    identity = detail.get("userIdentity") or {}
    if not isinstance(identity, dict) or identity.get("type") != "Root":
        return False
    console = identity.get("invokedBy", ROOT_CONSOLE_INVOKERS[0]) in ROOT_CONSOLE_INVOKERS
    return console and detail.get("eventType") != "AwsServiceEvent"


def counted(activity: RootActivity, *, exclude_assume_root: bool) -> bool:
    """Whether `activity` counts as root use (AssumeRootSessions "exclude" drops sessions)."""
    return not (exclude_assume_root and activity.assumed_root)


def apply_activity(
    verdict: Verdict,
    activities: Iterable[RootActivity],
    *,
    now: datetime,
    threshold_days: int,
    cloudtrail_read: bool = False,
    scope: str = "",
    unavailable: Sequence[str] = (),
    notes: Sequence[str] = (),
) -> Verdict:
    """The verdict with root activity seen outside the report: NON_COMPLIANT for a use inside
    the threshold. `cloudtrail_read`: searched to the end, so finding nothing is said."""
    if not verdict.evaluated:
        return verdict
    required = "".join(text.unavailable_note(source) for source in unavailable) + "".join(notes)
    in_window = [a for a in activities if a.time >= now - timedelta(days=threshold_days)]
    latest = max((a for a in in_window if not a.attempt), key=attrgetter("time"), default=None)
    attempt = max((a for a in in_window if a.attempt), key=attrgetter("time"), default=None)
    # Named where there is room: with its address, else without.
    attempt_said = (
        [] if attempt is None else [(f" {attempt.seen()}.", f" {attempt.seen(address=False)}.")]
    )
    if latest is None:
        nothing = ""
        if cloudtrail_read:
            tried = any(a.source == text.CLOUDTRAIL for a in in_window)
            nothing = text.NO_CLOUDTRAIL_USE if tried else text.NO_CLOUDTRAIL_ACTIVITY
            nothing = nothing.removesuffix(".") + scope + "."
        annotation = text.fit_optional(verdict.annotation, attempt_said, nothing + required)
        # COMPLIANT: what was (not) searched is a caveat every later fit keeps. Not where a
        # use is named: its words, which the removal and the memory read, come first.
        kept = nothing + required if verdict.compliance_type == COMPLIANT else ""
        return verdict._replace(annotation=annotation, kept=kept)
    report_is_newer = verdict.last_used is not None and verdict.last_used >= latest.time
    if report_is_newer and verdict.compliance_type == NON_COMPLIANT:
        also = f" {latest.source} also: {latest.seen(text.MAX_ALSO_DESCRIPTION)}."
        annotation = text.fit_optional(verdict.annotation, [(also,), *attempt_said], required)
        return verdict._replace(annotation=annotation)
    use = text.activity_use(latest.seen(), threshold_days, verdict.report_generated_at)
    return verdict._replace(
        compliance_type=NON_COMPLIANT,
        annotation=text.fit_optional(use, attempt_said, required),
        credential=latest.source.lower(),
        last_used=latest.time,
    )
