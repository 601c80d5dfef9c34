"""What `history` knows of an account, its rules and a period: plain records and the
pure readings they come from, shared by its modules."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from ..core.annotation import is_unable
from ..core.events import load_json_object
from ..core.exceptions import InvalidEventError, InvalidParameterError
from ..core.health import GRACE, period
from ..core.parameters import RuleParameters, parse_rule_parameters
from ..core.plain_text import load_json
from ..core.rule_identity import NO_FUNCTION, RuleIdentity, identify, names_rule
from ..core.timestamps import format_timestamp

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
        return UNABLE_TO_EVALUATE if is_unable(self.annotation) else self.compliance_type


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


MAX_RETENTION = timedelta(days=2557)
EARLIEST = datetime.min.replace(tzinfo=UTC)


class PeriodOutOfReachError(ValueError):
    """No part of the period is one AWS Config can still hold."""


def bounded(
    since: datetime, until: datetime, now: datetime
) -> tuple[datetime, datetime, list[str]]:
    """[since, until) cut to [now - 2,557 days, now], and a note for each cut. Raises
    PeriodOutOfReachError when nothing of the period is left."""
    earliest = now - MAX_RETENTION
    notes: list[str] = []
    if since < earliest:
        notes.append(
            f"The period asked for starts {format_timestamp(since)}; AWS Config keeps at most "
            f"2,557 days (7 years) of history, so the evidence starts {format_timestamp(earliest)}."
        )
        since = earliest
    if until > now:
        notes.append(
            f"The period asked for ends {format_timestamp(until)}, after this report was made; "
            f"the evidence ends {format_timestamp(now)}."
        )
        until = now
    if since >= until:
        raise PeriodOutOfReachError(
            "the period lies entirely outside what AWS Config can hold "
            f"({format_timestamp(earliest)} to {format_timestamp(now)})"
        )
    return since, until, notes


# A periodic rule runs at least daily: no evaluation is due later than this.
LATEST_DUE = timedelta(hours=24) + GRACE


def input_parameters(raw: str) -> dict[str, Any]:
    """A rule's InputParameters as a mapping to show ({} when absent or garbled);
    numbers JSON cannot hold are kept as their text."""
    try:
        loaded = load_json(
            raw, parse_constant=str, parse_float=_finite_or_text, parse_int=_int_or_text
        )
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _finite_or_text(text: str) -> float | str:
    number = float(text)
    return number if math.isfinite(number) else text


def _int_or_text(text: str) -> int | str:
    try:
        return int(text)
    except ValueError:  # more digits than Python converts
        return text


def rule_parameters(raw: object) -> tuple[RuleParameters | None, str | None]:
    """A rule's InputParameters as the rule reads them (none given: the defaults), or None
    and why it refuses them (it then fails closed)."""
    try:
        if not isinstance(raw, str):
            return parse_rule_parameters({}, frozenset()), None
        return parse_rule_parameters(*load_json_object(raw, "InputParameters")), None
    except (InvalidEventError, InvalidParameterError) as error:
        return None, str(error)


class MatchedRule(NamedTuple):
    """What an account's history shows of its rule (AccountHistory's fields of the same names)."""

    identity: RuleIdentity
    threshold_days: int | None  # the threshold it applies; None when it refuses its parameters
    parameters_invalid: str | None  # why it refuses them
    stale_after: timedelta  # its frequency and GRACE


def match_rule(
    rule: Mapping[str, Any], name: str, functions: Collection[str]
) -> MatchedRule | None:
    """A DescribeConfigRules entry named `name` or by AWS from it, judged
    (core.rule_identity) against `functions`; None for a rule of another name."""
    if not names_rule(str(rule.get("ConfigRuleName", "")), name):
        return None
    parameters, invalid = rule_parameters(rule.get("InputParameters"))
    return MatchedRule(
        identify(rule, name=name, functions=functions),
        parameters.threshold_days if parameters else None,
        invalid,
        period(rule) + GRACE,  # as doctor judges its runs
    )
