"""What `history` knows of an account and a period: plain records, shared by its modules."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from ..core.annotation import is_unable
from ..core.rule_identity import NO_FUNCTION, RuleIdentity

# What AWS Config records beside COMPLIANT and NON_COMPLIANT (core.verdict): a custom
# rule may publish NOT_APPLICABLE; Config's own summaries say INSUFFICIENT_DATA.
NOT_APPLICABLE = "NOT_APPLICABLE"
INSUFFICIENT_DATA = "INSUFFICIENT_DATA"
# Ours: a NON_COMPLIANT that failed closed, and no record at all.
UNABLE_TO_EVALUATE = "UNABLE_TO_EVALUATE"
UNKNOWN = "UNKNOWN"  # no record: before the first evaluation, or not recorded
STALE = "STALE"  # after the latest evaluation was due again: no evaluation known


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
    """Everything known of one account (in one region) under one rule for the period
    (rule_name None: no matching rule)."""

    account_id: str
    region: str
    changes: tuple[ComplianceChange, ...] = ()
    state_at_start: str | None = None
    current: CurrentEvaluation | None = None
    history_note: str | None = None  # why there is no timeline, when there is none
    rule_name: str | None = None  # the matched rule, as named in that account
    threshold_days: int | None = None  # what that rule's parameters set
    parameters_invalid: str | None = None  # why the rule refuses its parameters, if it does
    identity: RuleIdentity | None = None  # None: the rule is gone, or read via an aggregator
    stale_after: timedelta | None = None  # its frequency and a margin: older is stale
    recorded: tuple[datetime, datetime] | None = None  # first and last record naming it
    exists: bool = True  # False: named by the records only, deleted since


def counted(identity: RuleIdentity | None) -> bool:
    """Whether a rule's verdicts count: not shown to be another rule (one that is gone,
    or whose function nobody named, counts, flagged)."""
    return identity is None or identity.problem in ("", NO_FUNCTION)


class Segment(NamedTuple):
    start: datetime
    end: datetime
    state: str


class UnreadableAccount(NamedTuple):
    """An account (in a region) whose records could not be read, and why."""

    account_id: str
    region: str
    error: str


class EvidenceReport(NamedTuple):
    rule_name: str
    since: datetime
    until: datetime
    generated_at: datetime
    source: str
    accounts: tuple[AccountHistory, ...]
    unreadable: tuple[UnreadableAccount, ...] = ()
    notes: tuple[str, ...] = ()
