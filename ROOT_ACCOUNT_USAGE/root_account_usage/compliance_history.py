"""The compliance history of an account, as AWS Config recorded it. Pure: no boto3.

AWS Config keeps two things: a configuration item of AWS::Config::ResourceCompliance
for every change of the account's compliance (the verdict per rule, no annotation),
and the latest evaluation of each rule (verdict and annotation). This module turns
both into a timeline over a period and the figures an auditor asks for.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any, NamedTuple

from .verdict import COMPLIANT, NON_COMPLIANT, UNABLE_PREFIX

UNABLE_TO_EVALUATE = "UNABLE_TO_EVALUATE"
UNKNOWN = "UNKNOWN"  # no record: before the first evaluation, or not recorded
STATES = (COMPLIANT, NON_COMPLIANT, UNABLE_TO_EVALUATE, UNKNOWN)

_USE = re.compile(
    r"Root (?P<label>console password|access key [12]) was used at (?P<time>\S+Z)"
    r"|Root last used at (?P<time2>\S+Z) \((?P<label2>console password|access key [12])\)"
)


class ComplianceChange(NamedTuple):
    """The account's verdict under a rule changed at `time`."""

    time: datetime
    compliance_type: str
    rule_name: str


class CurrentEvaluation(NamedTuple):
    """The latest evaluation AWS Config holds for the account under a rule."""

    rule_name: str
    compliance_type: str
    annotation: str
    recorded_at: datetime | None

    @property
    def state(self) -> str:
        """NON_COMPLIANT evaluations that failed closed count as UNABLE_TO_EVALUATE."""
        if self.annotation.startswith(UNABLE_PREFIX):
            return UNABLE_TO_EVALUATE
        return self.compliance_type


class RootUseSeen(NamedTuple):
    credential: str
    time: str


class AccountHistory(NamedTuple):
    """Everything known of one account (in one region) for the period."""

    account_id: str
    region: str
    changes: tuple[ComplianceChange, ...] = ()
    state_at_start: str | None = None
    current: CurrentEvaluation | None = None
    history_note: str | None = None  # why there is no timeline, when there is none


class Segment(NamedTuple):
    start: datetime
    end: datetime
    state: str


class UnreadableAccount(NamedTuple):
    account_id: str
    region: str
    error: str


def change_from_item(
    item: Mapping[str, Any], rule_names: Collection[str]
) -> ComplianceChange | None:
    """Read one ResourceCompliance configuration item; None if it does not concern the rules.

    Its `configuration` is a JSON string with `configRuleList`, one entry per rule.
    """
    raw = item.get("configuration")
    time = item.get("configurationItemCaptureTime")
    if not isinstance(time, datetime):
        return None
    try:
        configuration = json.loads(raw) if isinstance(raw, str) else {}
    except json.JSONDecodeError:
        configuration = {}
    for entry in configuration.get("configRuleList") or []:
        if isinstance(entry, dict) and entry.get("configRuleName") in rule_names:
            return ComplianceChange(
                time, str(entry.get("complianceType", UNKNOWN)), entry["configRuleName"]
            )
    if item.get("configurationItemStatus") in ("ResourceDeleted", "ResourceDeletedNotRecorded"):
        return ComplianceChange(time, UNKNOWN, "")
    return None


def segments(history: AccountHistory, since: datetime, until: datetime) -> list[Segment]:
    """The period cut into stretches of one state, first to last."""
    state = history.state_at_start or UNKNOWN
    cursor = since
    pieces: list[Segment] = []
    for change in sorted(history.changes):
        if change.time >= until:
            break
        if change.time > cursor:
            pieces.append(Segment(cursor, change.time, state))
            cursor = change.time
        state = change.compliance_type
    current = history.current
    if current is not None and current.state == UNABLE_TO_EVALUATE and state == NON_COMPLIANT:
        # History items carry no annotation: only the latest evaluation says it failed closed.
        recorded = current.recorded_at
        if recorded is not None and cursor < recorded < until:
            pieces.append(Segment(cursor, recorded, state))
            cursor = recorded
        state = UNABLE_TO_EVALUATE
    if cursor < until:
        pieces.append(Segment(cursor, until, state))
    return _merged(pieces)


def share(pieces: list[Segment], states: Collection[str]) -> float:
    """The fraction of the period spent in any of `states` (0..1)."""
    total = sum((piece.end - piece.start).total_seconds() for piece in pieces)
    if total <= 0:
        return 0.0
    inside = sum((p.end - p.start).total_seconds() for p in pieces if p.state in states)
    return inside / total


def most_recent_root_use(current: CurrentEvaluation | None) -> RootUseSeen | None:
    """The root use the latest evaluation names, if it names one."""
    if current is None:
        return None
    match = _USE.search(current.annotation)
    if match is None:
        return None
    label = match.group("label") or match.group("label2")
    return RootUseSeen(credential=label, time=match.group("time") or match.group("time2"))


def _merged(pieces: list[Segment]) -> list[Segment]:
    merged: list[Segment] = []
    for piece in pieces:
        if merged and merged[-1].state == piece.state:
            merged[-1] = Segment(merged[-1].start, piece.end, piece.state)
        else:
            merged.append(piece)
    return merged
