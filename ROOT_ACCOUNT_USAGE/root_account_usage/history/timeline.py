"""The compliance history of an account, as AWS Config recorded it. Pure: no boto3.

AWS Config keeps two things: a configuration item of AWS::Config::ResourceCompliance
for every change of the account's compliance (the verdict per rule, no annotation),
and the latest evaluation of each rule (verdict and annotation). This module turns
both into a timeline over a period and the figures an auditor asks for.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from ..core.annotation import RootUseSeen, read_root_use
from ..core.verdict import COMPLIANT, NON_COMPLIANT
from .model import (
    UNABLE_TO_EVALUATE,
    UNKNOWN,
    AccountHistory,
    ComplianceChange,
    CurrentEvaluation,
    Segment,
)

STATES = (COMPLIANT, NON_COMPLIANT, UNABLE_TO_EVALUATE, UNKNOWN)


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
    return None if current is None else read_root_use(current.annotation)


def _merged(pieces: list[Segment]) -> list[Segment]:
    merged: list[Segment] = []
    for piece in pieces:
        if merged and merged[-1].state == piece.state:
            merged[-1] = Segment(merged[-1].start, piece.end, piece.state)
        else:
            merged.append(piece)
    return merged
