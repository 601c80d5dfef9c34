"""Whether an AWS Config rule is ours, proven by what it runs, never by its name
(docs/deploy.md). Pure and standard library only: the removal's SSM document embeds it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from .plain_text import NAME, load_record, shortened

CUSTOM_LAMBDA = "CUSTOM_LAMBDA"
# The services that create the rules AWS derives from ours. CreatedBy is empty for a rule an
# account principal made; its exact value needs a real account, so any service is accepted
# for a derived name, and none for our own (docs/deploy.md).
ORGANIZATION_RULE_CREATOR = "config-multiaccountsetup.amazonaws.com"
CONFORMANCE_PACK_CREATOR = "config-conforms.amazonaws.com"
_SUFFIX = "[a-z0-9]+"  # AWS does not document its length: any is accepted
_DERIVED_NAMES = (
    ("OrgConfigRule-{}-" + _SUFFIX, ORGANIZATION_RULE_CREATOR),
    ("{}-conformance-pack-" + _SUFFIX, CONFORMANCE_PACK_CREATOR),
)
# The one problem that leaves a rule unverified, not another's (`history` counts it, flagged).
NO_FUNCTION = "no function ARN to compare its source with"


def derived_creator(candidate: str, name: str) -> str | None:
    """The creator a rule named `candidate` must have to be `name` ("") or a rule AWS
    derived from it (a service principal); None when the name is another rule's."""
    if not name:
        return None
    if candidate == name:
        return ""
    for pattern, creator in _DERIVED_NAMES:
        if re.fullmatch(pattern.format(re.escape(name)), candidate):
            return creator
    return None


def names_rule(candidate: str, name: str) -> bool:
    """Whether the rule name `candidate` is `name`, or one AWS derives from it."""
    return derived_creator(candidate, name) is not None


@dataclass(frozen=True)
class RuleIdentity:
    """A Config rule as DescribeConfigRules shows it; `problem` says why it is not ours."""

    name: str
    arn: str
    owner: str  # CUSTOM_LAMBDA, AWS (a managed rule) or CUSTOM_POLICY (Guard)
    source: str  # the Lambda function ARN, or the managed rule's identifier
    created_by: str  # the AWS service that created it; "" when an account principal did
    parameters: str  # InputParameters as AWS returns them
    problem: str

    @property
    def ours(self) -> bool:
        return not self.problem


def identify(
    rule: Mapping[str, Any],
    *,
    name: str,
    functions: Iterable[str],
    parameters: Mapping[str, str] | None = None,
) -> RuleIdentity:
    """A DescribeConfigRules entry, judged against our `name`, `functions` and `parameters`."""
    source = rule["Source"] if isinstance(rule.get("Source"), Mapping) else {}
    identity = RuleIdentity(
        name=_text(rule.get("ConfigRuleName")),
        arn=_text(rule.get("ConfigRuleArn")),
        owner=_text(source.get("Owner")),
        source=_text(source.get("SourceIdentifier")),
        created_by=_text(rule.get("CreatedBy")),
        parameters=_text(rule.get("InputParameters")),
        problem="",
    )
    return replace(identity, problem=_problem(identity, name, frozenset(functions), parameters))


def _problem(
    rule: RuleIdentity, name: str, functions: frozenset[str], parameters: Mapping[str, str] | None
) -> str:
    creator = derived_creator(rule.name, name)
    if creator is None:
        return f"named {_shown(rule.name)}, not {_shown(name)} or a rule AWS derived from it"
    if bool(rule.created_by) != bool(creator):
        made = _shown(rule.created_by) or "an account principal"
        wanted = f"AWS ({creator})" if creator else "an account principal"
        return f"created by {made}, where a rule of that name is created by {wanted}"
    if rule.owner != CUSTOM_LAMBDA:
        kind = _shown(rule.owner) if rule.owner else "sourceless"
        return f"a {kind} rule running {_shown(rule.source)}, not a custom Lambda rule"
    if not functions:
        return NO_FUNCTION
    if rule.source not in functions:
        return f"runs {_shown(rule.source)}, not {' or '.join(sorted(functions))}"
    rule_account, function_account = _account(rule.arn), _account(rule.source)
    if not rule.created_by and rule_account and function_account != rule_account:
        # Any account's Config may invoke the central function: only AWS's rule, elsewhere.
        return "created by an account principal in an account other than its function's"
    if parameters is not None:
        found = parameters_of(rule.parameters)
        if found is None:
            return f"its parameters {_shown(rule.parameters)} are not a JSON object of strings"
        if found != dict(parameters):
            deployed = json.dumps(dict(parameters), sort_keys=True)
            return f"its parameters {_shown(rule.parameters)} are not the deployed {deployed}"
    return ""


def parameters_of(raw: str) -> dict[str, str] | None:
    """InputParameters as a mapping ("" is none); None unless a JSON object of strings."""
    try:
        loaded = load_record(raw, ValueError, "InputParameters") if raw.strip() else {}
    except ValueError:
        return None
    strings = isinstance(loaded, dict) and all(isinstance(v, str) for v in loaded.values())
    return loaded if strings else None


def _account(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 else ""


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _shown(value: str) -> str:
    return repr(shortened(value, NAME)) if value else ""
