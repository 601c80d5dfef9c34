"""The rule's memory of root use: its last evaluation, read back from AWS Config. Pure."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from . import annotation as text
from .timestamps import parse_timestamp
from .verdict import NON_COMPLIANT, Verdict


class RememberedUse(NamedTuple):
    """The most recent root use a past evaluation named."""

    credential: str  # "console password", "access key 1", "CloudTrail: <what>", ...
    time: datetime


def remembered_use(annotation: str) -> RememberedUse | None:
    """The root use an annotation of this rule names; None when it names none."""
    seen = text.read_root_use(annotation)
    try:
        return None if seen is None else RememberedUse(seen.credential, parse_timestamp(seen.time))
    except ValueError:
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
    threshold, else carried at the end of the annotation (where there is room, unless
    fail-closed). `unavailable`: the memory could not be read, said, never "no use"."""
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
        annotation = text.fit_optional(verdict.annotation, [(carried,)], note)
        return verdict._replace(annotation=annotation)
    use = text.remembered_use(*remembered, threshold_days, verdict.report_generated_at)
    return verdict._replace(
        compliance_type=NON_COMPLIANT,
        annotation=text.fit(use, note),
        credential=remembered.credential,
        last_used=remembered.time,
    )
