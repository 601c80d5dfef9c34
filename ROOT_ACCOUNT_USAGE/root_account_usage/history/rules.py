"""Which AWS Config rules are the rule asked for, and what their parameters say. Pure."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from datetime import timedelta
from typing import Any, NamedTuple

from ..core.events import load_json_object
from ..core.exceptions import InvalidEventError, InvalidParameterError
from ..core.json_text import load_json
from ..core.parameters import RuleParameters, parse_rule_parameters
from ..core.rule_identity import RuleIdentity, identify, names_rule

# ConfigRule.MaximumExecutionFrequency (and a ScheduledNotification's): a periodic rule
# runs every 24 hours unless it names another (AWS Config API, ConfigRule).
_HOURS = {"One_Hour": 1, "Three_Hours": 3, "Six_Hours": 6, "Twelve_Hours": 12}
# How late an evaluation may be before the latest one is stale: AWS Config starts
# periodic evaluations late by minutes, the credential report may take some too.
STALE_MARGIN = timedelta(hours=2)
# A periodic rule runs at least daily: no evaluation is due later than this.
LATEST_DUE = timedelta(hours=24) + STALE_MARGIN


def input_parameters(raw: object) -> dict[str, Any]:
    """A rule's InputParameters as a mapping to show ({} when absent or garbled);
    numbers JSON cannot hold are kept as their text."""
    if not isinstance(raw, str):
        return {}
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
    stale_after: timedelta  # its frequency and STALE_MARGIN


def match_rule(
    rule: Mapping[str, Any], name: str, functions: Collection[str]
) -> MatchedRule | None:
    """A DescribeConfigRules entry named `name` or by AWS from it, judged
    (core.rule_identity) against `functions`; None for a rule of another name."""
    if not names_rule(str(rule.get("ConfigRuleName", "")), name):
        return None
    details = rule.get("Source", {}).get("SourceDetails") or []
    frequencies = [rule.get("MaximumExecutionFrequency")] + [
        d.get("MaximumExecutionFrequency")
        for d in details
        if d.get("MessageType") == "ScheduledNotification"
    ]
    hours = min((_HOURS.get(f, 24) for f in frequencies if f), default=24)
    parameters, invalid = rule_parameters(rule.get("InputParameters"))
    return MatchedRule(
        identify(rule, name=name, functions=functions),
        parameters.threshold_days if parameters else None,
        invalid,
        LATEST_DUE - timedelta(hours=24 - hours),
    )
