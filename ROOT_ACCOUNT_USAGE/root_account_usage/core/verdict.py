"""The verdict: was root used within the threshold? Pure: time is an argument."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, NamedTuple

from . import annotation as text
from . import exceptions
from .report import RootCredentials
from .timestamps import format_timestamp, parse_timestamp

COMPLIANT = "COMPLIANT"
NON_COMPLIANT = "NON_COMPLIANT"
RESOURCE_TYPE = "AWS::::Account"
# A report older than this is no evidence of the present.
MAX_REPORT_AGE = timedelta(hours=24)


class Verdict(NamedTuple):
    """What the rule reports for one account, and the evidence behind it."""

    compliance_type: str
    annotation: str
    threshold_days: int | None = None
    credential: str | None = None
    last_used: datetime | None = None
    report_generated_at: datetime | None = None
    account_id: str | None = None
    error_code: str | None = None
    kept: str = ""  # the annotation's ending (caveats) a later fit keeps whole

    @property
    def evaluated(self) -> bool:
        """False when the rule failed closed instead of deciding."""
        return self.error_code is None


def require_account(root: RootCredentials, account_id: str) -> None:
    """Refuse a report that is not `account_id`'s own: raises AccountMismatchError, or
    MalformedReportError when the root ARN names no account."""
    if root.account_id is None:
        raise exceptions.MalformedReportError(
            f"root row has an ARN that is not an account root ARN, so the report cannot be "
            f"shown to belong to account {account_id}"
        )
    if root.account_id != account_id:
        raise exceptions.AccountMismatchError(
            f"credential report belongs to account {root.account_id}, not {account_id}"
        )


def decide(
    root: RootCredentials,
    *,
    now: datetime,
    threshold_days: int,
    report_generated_at: datetime | None,
) -> Verdict:
    """NON_COMPLIANT when root's latest use is at or after `now - threshold_days` (a future
    use counts, removed credentials too). Raises StaleReportError past MAX_REPORT_AGE."""
    if report_generated_at is not None and now - report_generated_at > MAX_REPORT_AGE:
        raise exceptions.StaleReportError(
            f"newest credential report was generated {format_timestamp(report_generated_at)}, "
            f"more than {MAX_REPORT_AGE.total_seconds() / 3600:.0f} hours before "
            f"{format_timestamp(now)}"
        )
    never_used = Verdict(
        COMPLIANT,
        text.no_use(threshold_days, report_generated_at, root.credentials_removed),
        threshold_days,
        report_generated_at=report_generated_at,
        account_id=root.account_id,
    )
    # Ties name the password first: max() keeps the first of equals.
    recorded = [(use.credential, use.last_used) for use in root.uses if use.last_used]
    if not recorded:
        return never_used
    credential, last_used = max(recorded, key=lambda pair: pair[1])
    used = (credential, last_used, threshold_days, report_generated_at, root.credentials_removed)
    recent = last_used >= now - timedelta(days=threshold_days)
    return never_used._replace(
        compliance_type=NON_COMPLIANT if recent else COMPLIANT,
        annotation=text.report_use(*used, recent=recent, after_now=last_used > now),
        credential=credential,
        last_used=last_used,
    )


def unable_to_evaluate(error: exceptions.RootAccountUsageError, **known: Any) -> Verdict:
    """The fail-closed verdict (NON_COMPLIANT, the reason), with what is `known` of it."""
    reason = str(error).strip() or error.code
    return Verdict(NON_COMPLIANT, text.unable(reason, error.code), error_code=error.code, **known)


class RememberedUse(NamedTuple):
    """The most recent root use an earlier evaluation of this rule named."""

    credential: str
    time: datetime


def remembered_use(annotation: str) -> RememberedUse | None:
    """The root use an annotation of this rule names; None if none."""
    seen = text.read_root_use(annotation)
    try:
        return None if seen is None else RememberedUse(seen.credential, parse_timestamp(seen.time))
    except ValueError:  # a time the annotation wrote but no calendar has
        return None


def apply_memory(
    verdict: Verdict,
    remembered: RememberedUse | None,
    *,
    now: datetime,
    threshold_days: int | None,
    unavailable: bool = False,
) -> Verdict:
    """The verdict with a remembered use newer than its own: NON_COMPLIANT inside the
    threshold, else carried at the end. `unavailable`: said, never read as "no use"."""
    note = text.unavailable_note(text.LAST_EVALUATION) if unavailable else ""
    if remembered is not None and verdict.last_used is not None:
        remembered = remembered if remembered.time > verdict.last_used else None
    carried = "" if remembered is None else text.remembered_note(*remembered)
    if not verdict.evaluated:
        # The error code stays last, as every fail-closed annotation has it.
        code = f" [{verdict.error_code}]"
        base = verdict.annotation.removesuffix(code)
        if (carried or note) and not base.endswith("."):
            base += "."
        return verdict._replace(annotation=text.fit(base, carried + note + code))
    window = timedelta(days=threshold_days or 0)
    if remembered is None or threshold_days is None or remembered.time < now - window:
        head = verdict.annotation.removesuffix(verdict.kept)
        kept = verdict.kept + note
        annotation = text.fit_optional(head, [(carried,)], kept)
        return verdict._replace(annotation=annotation, kept=kept)
    credential, last_used = remembered
    use = text.remembered_use(credential, last_used, threshold_days, verdict.report_generated_at)
    return verdict._replace(
        compliance_type=NON_COMPLIANT,
        annotation=text.fit(use, note),
        credential=credential,
        last_used=last_used,
    )
