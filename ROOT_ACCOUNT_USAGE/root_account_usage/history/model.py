"""What `history` knows of an account and a period: plain records, no behaviour
beyond reading them. Shared by the reader, the timeline and the renderers."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from ..core.annotation import is_unable

UNABLE_TO_EVALUATE = "UNABLE_TO_EVALUATE"
UNKNOWN = "UNKNOWN"  # no record: before the first evaluation, or not recorded


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
        if is_unable(self.annotation):
            return UNABLE_TO_EVALUATE
        return self.compliance_type


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


class EvidenceReport(NamedTuple):
    rule_name: str
    rules: dict[str, dict[str, Any]]  # matched rule name -> its InputParameters
    since: datetime
    until: datetime
    generated_at: datetime
    source: str
    accounts: tuple[AccountHistory, ...]
    unreadable: tuple[UnreadableAccount, ...] = ()
    notes: tuple[str, ...] = ()
