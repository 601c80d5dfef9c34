"""An account's compliance history as a timeline over a period, and its figures. Pure."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import datetime, timedelta
from itertools import groupby
from typing import Any, NamedTuple

from ..core.parameters import MIN_THRESHOLD_DAYS
from ..core.plain_text import load_json
from ..core.verdict import COMPLIANT, NON_COMPLIANT, remembered_use
from . import model

# Every state the evidence can show, in the order legends list them.
STATES = (
    COMPLIANT,
    NON_COMPLIANT,
    model.UNABLE_TO_EVALUATE,
    model.NOT_APPLICABLE,
    model.INSUFFICIENT_DATA,
    model.STALE,
    model.UNKNOWN,
)
# The states that count as non-compliant: the rule publishes a fail-closed verdict as
# NON_COMPLIANT too.
NON_COMPLIANT_STATES = frozenset({NON_COMPLIANT, model.UNABLE_TO_EVALUATE})


class RecordedStates(NamedTuple):
    """The state of each matching rule one configuration item lists."""

    time: datetime
    states: dict[str, str]  # rule name -> compliance type; a rule not listed has no record


class Segment(NamedTuple):
    start: datetime
    end: datetime
    state: str


def states_from_item(
    item: Mapping[str, Any], matches: Callable[[str], bool]
) -> RecordedStates | None:
    """The states one ResourceCompliance item records for the rules that `matches`
    (UNKNOWN for one it does not list); None when it cannot be read."""
    time = item.get("configurationItemCaptureTime")
    if not isinstance(time, datetime):
        return None
    # Deleted, or no longer recorded (the recorder stopped): no state until the next item.
    gone = ("ResourceDeleted", "ResourceDeletedNotRecorded", "ResourceNotRecorded")
    if item.get("configurationItemStatus") in gone:
        return RecordedStates(time, {})
    raw = item.get("configuration")
    try:
        configuration = load_json(raw) if isinstance(raw, str) else None
    except ValueError:
        configuration = None
    entries = configuration.get("configRuleList") if isinstance(configuration, dict) else None
    if not isinstance(entries, list):
        return None
    named = (e for e in entries if isinstance(e, dict) and isinstance(e.get("configRuleName"), str))
    listed = {e["configRuleName"]: str(e.get("complianceType") or model.UNKNOWN) for e in named}
    return RecordedStates(time, {name: state for name, state in listed.items() if matches(name)})


def changes_by_rule(
    recorded: Iterable[RecordedStates],
    rule_names: Collection[str],
    state_at_start: Mapping[str, str | None],
) -> dict[str, list[model.ComplianceChange]]:
    """For each rule, the items at which its own state changed, in time order."""
    last: dict[str, str | None] = {name: state_at_start.get(name) for name in rule_names}
    changes: dict[str, list[model.ComplianceChange]] = {name: [] for name in rule_names}
    for states in sorted(recorded, key=lambda r: r.time):
        for name in rule_names:
            state = states.states.get(name, model.UNKNOWN)
            if state != (last[name] or model.UNKNOWN):
                changes[name].append(model.ComplianceChange(states.time, state, name))
            last[name] = state
    return changes


def stale_from(history: model.AccountHistory) -> datetime | None:
    """When the latest evaluation was due again and none came (None when unknown)."""
    current = history.current
    if current is None or current.recorded_at is None or history.stale_after is None:
        return None
    return current.recorded_at + history.stale_after


def segments(history: model.AccountHistory, since: datetime, until: datetime) -> list[Segment]:
    """The period cut into stretches of one state, first to last."""
    state = history.state_at_start or model.UNKNOWN
    cursor = since
    pieces: list[Segment] = []
    for change in sorted(history.changes):
        if change.time >= until:
            break
        if change.time > cursor:
            pieces.append(Segment(cursor, change.time, state))
            cursor = change.time
        state = change.compliance_type
    recorded = history.current.recorded_at if history.current else None
    unable = history.current is not None and history.current.state == model.UNABLE_TO_EVALUATE
    if unable and state == NON_COMPLIANT and recorded is not None and recorded < until:
        # Only the latest evaluation says it failed closed, and only from when it was
        # recorded (docs/development.md, "Two records").
        if cursor < recorded:
            pieces.append(Segment(cursor, recorded, state))
            cursor = recorded
        state = model.UNABLE_TO_EVALUATE
    if cursor < until:
        pieces.append(Segment(cursor, until, state))
    stale = stale_from(history)
    if stale is not None and stale < until:  # the time after it is stale, counted apart
        pieces = [p._replace(end=min(p.end, stale)) for p in pieces if p.start < stale]
        pieces.append(Segment(max(stale, since), until, model.STALE))
    runs = (list(run) for _, run in groupby(pieces, key=lambda piece: piece.state))
    return [run[0]._replace(end=run[-1].end) for run in runs]  # one piece per run of a state


def share(pieces: list[Segment], states: Collection[str]) -> float:
    """The fraction of the period spent in any of `states` (0..1)."""
    total = sum((piece.end - piece.start).total_seconds() for piece in pieces)
    inside = sum((p.end - p.start).total_seconds() for p in pieces if p.state in states)
    return inside / total if total > 0 else 0.0


def ever_non_compliant(history: model.AccountHistory, since: datetime, until: datetime) -> bool:
    """Whether the account was non-compliant under the rule at any time in [since, until):
    by its timeline, its latest evaluation, or the root use that names (docs/development.md)."""
    # What the records hold (the state at the start, each change in the period), even
    # without a timeline: a recorder that stopped recording hides no past change.
    states = [history.state_at_start, *(c.compliance_type for c in history.changes)]
    if any(state in NON_COMPLIANT_STATES for state in states):
        return True
    if (current := history.current) is None:
        return False
    recorded = current.recorded_at
    if current.state in NON_COMPLIANT_STATES and (recorded is None or recorded < until):
        return True
    if (remembered := remembered_use(current.annotation)) is None:
        return False
    used = remembered.time
    # The threshold the rule applies now; when its parameters are invalid, the shortest
    # it can apply (a use inside the period counts whatever the threshold).
    days = history.threshold_days or MIN_THRESHOLD_DAYS
    # Inside at `since` itself, as the rule judges: a use exactly `days` before it counts.
    return used < until and since <= used + timedelta(days=days)
