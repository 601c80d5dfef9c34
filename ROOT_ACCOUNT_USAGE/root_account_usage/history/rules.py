"""Which AWS Config rules are the rule asked for, and what their parameters say. Pure.

A rule is matched by its exact name, or by a name AWS derives from it when it creates
the rule for you (AWS calls these service-linked rules):
- an organization rule `NAME` is `OrgConfigRule-NAME-<suffix>` in each account;
- a rule `NAME` of a conformance pack (an organization conformance pack too) is
  `NAME-conformance-pack-<suffix>`.
The suffix is lowercase letters and digits (8 and 9 characters in every example; AWS
does not document the length, so any length is accepted). Nothing else matches:
`legacy-NAME` and `NAME-v2` are other rules.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from ..core.exceptions import InvalidParameterError
from ..core.parameters import parse_threshold_days

_SUFFIX = "[a-z0-9]+"


def names_rule(candidate: str, name: str) -> bool:
    """Whether the Config rule `candidate` is the rule `name`, or one AWS derived from it."""
    if candidate == name:
        return True
    escaped = re.escape(name)
    return (
        re.fullmatch(rf"OrgConfigRule-{escaped}-{_SUFFIX}", candidate) is not None
        or re.fullmatch(rf"{escaped}-conformance-pack-{_SUFFIX}", candidate) is not None
    )


def input_parameters(raw: object) -> dict[str, Any]:
    """A rule's InputParameters (a JSON string) as a mapping; {} when absent or garbled.

    Numbers JSON cannot hold (NaN, Infinity, 1e999) are kept as the text they were
    written as, so that the evidence stays valid JSON and still shows them.
    """
    if not isinstance(raw, str):
        return {}
    try:
        loaded = json.loads(raw, parse_constant=str, parse_float=_finite_or_text)
    except (json.JSONDecodeError, RecursionError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _finite_or_text(text: str) -> float | str:
    number = float(text)
    return number if math.isfinite(number) else text


def threshold_of(parameters: Mapping[str, Any]) -> int | None:
    """The ThresholdDays the rule applies with these parameters; None if it cannot
    apply them (the rule then fails closed, which its evaluations show)."""
    try:
        return parse_threshold_days(parameters.get("ThresholdDays"))
    except InvalidParameterError:
        return None
