"""`doctor`'s judgements, one line per check from what AWS returned: PASS (seen working),
WARN (not seen, or optional and off) or FAIL (seen broken, with its fix). Pure."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, NamedTuple

PASS, WARN, FAIL = "PASS", "WARN", "FAIL"
# Sections of docs/deploy.md a fix points to.
STACK = "docs/deploy.md 'The stack'"
ORGANIZATION = "docs/deploy.md 'Organization rollout, step by step'"
EVIDENCE = "docs/deploy.md 'Minutes, not days'"
DOCTOR = "docs/deploy.md 'Run doctor'"
# MaximumExecutionFrequency -> hours between runs.
EVERY = dict(One_Hour=1, Three_Hours=3, Six_Hours=6, Twelve_Hours=12, TwentyFour_Hours=24)
# How late a run may be (doctor's checks, history's staleness): AWS Config starts periodic
# evaluations late by minutes, the credential report may take some too.
GRACE = timedelta(hours=2)
Trail = tuple[Mapping[str, Any], bool, bool]  # DescribeTrails entry, IsLogging, management
# Each check's fix; failing one of OPTIONAL is only a WARN (optional, or not provable).
FIXES = {
    "stack": f"give --stack-name or --function-arn; {DOCTOR}",
    "rule.exists": f"deploy template.yaml with CreateConfigRule true; {STACK}",
    "rule.ours": f"the rule must run the stack's function: redeploy; {STACK}",
    "rule.parameters": f"correct the stack's parameters and redeploy; {STACK}",
    "rule.invoked": f"check the function's permission for config.amazonaws.com; {STACK}",
    "rule.evaluation": f"stale, failed closed or unreadable: its annotation says why; {STACK}",
    "function.active": f"redeploy the stack; {STACK}",
    "function.runtime": f"redeploy template.yaml (python3.13 on arm64); {STACK}",
    "function.on-failure": f"give NotificationTopicArn or NotificationEmail; {STACK}",
    "function.alarm": f"ALARM: read the function's log; none: redeploy; {STACK}",
    "function.metric-filter": f"redeploy the stack (UnableToEvaluateMetricFilter); {STACK}",
    "function.role": f"redeploy the stack: FunctionRole grants exactly these; {STACK}",
    "function.role.least": f"remove the extra grants from the function's role; {STACK}",
    "config.recorder": f"turn on AWS Config in this region (a recorder); {STACK}",
    "config.delivery": f"fix the delivery channel's bucket or its permissions; {STACK}",
    "config.records-compliance": f"record AWS::Config::ResourceCompliance for `history`; {STACK}",
    "config.resource-id": f"wait for the first evaluation; {DOCTOR}",
    "evidence.cloudtrail": f"set CloudTrailEvidence true to see root use in minutes; {EVIDENCE}",
    "evidence.trail": f"a multi-region trail logging management events; {EVIDENCE}",
    "evidence.forwarders": f"deploy rdk_config/forward-root-signin.yaml there; {EVIDENCE}",
    "evidence.records": f"redeploy with ReevaluateOnRootActivity true; {EVIDENCE}",
    "evidence.records-guard": f"attach the records' guard SCP; {ORGANIZATION}",
    "events": f"the rule skips records it cannot read: report them; {DOCTOR}",
    "account": f"deploy the read role in that account; {ORGANIZATION}",
}
OPTIONAL = frozenset(
    {"function.on-failure", "function.role.least", "config.records-compliance"}
    | {"config.resource-id", "evidence.cloudtrail", "evidence.records-guard", "events"}
)


class Check(NamedTuple):
    """One line of the doctor's report."""

    name: str
    status: str
    saw: str
    fix: str = ""
    account: str = ""
    region: str = ""


def judged(name: str, ok: bool, saw: str, *, warn: bool | None = None) -> Check:
    """PASS when `ok`; else the check's fix, a WARN when `warn` (default: OPTIONAL) says so."""
    kind = name.split(":")[0]
    fix = FIXES[kind]  # a name without a fix is a mistake, even where it passes
    if ok:
        return Check(name, PASS, saw)
    return Check(name, WARN if (kind in OPTIONAL if warn is None else warn) else FAIL, saw, fix)


def unreadable(name: str, reason: str) -> Check:
    """A check AWS would not answer: a WARN naming why."""
    return Check(name, WARN, f"not readable: {reason}", f"grant the reader this read; {DOCTOR}")


def period(rule: Mapping[str, Any]) -> timedelta:
    """How often a DescribeConfigRules rule runs: the shortest frequency it or a
    ScheduledNotification source detail names, else 24 hours (AWS Config API, ConfigRule)."""
    details = (rule.get("Source") or {}).get("SourceDetails") or []
    named = [d for d in details if d.get("MessageType") == "ScheduledNotification"] + [rule]
    frequencies = (EVERY.get(d.get("MaximumExecutionFrequency"), 24) for d in named)
    return timedelta(hours=min(frequencies))


def invocation(status: Mapping[str, Any], every: timedelta, now: datetime) -> Check:
    """DescribeConfigRuleEvaluationStatus: a success within the period, no failure since."""
    success = status.get("LastSuccessfulInvocationTime")
    failure = status.get("LastFailedInvocationTime")
    if failure and (not success or failure > success):
        code = status.get("LastErrorCode") or "an error"
        saw = f"last run failed at {failure:%Y-%m-%dT%H:%MZ}: {code}"
        return judged("rule.invoked", False, saw)
    fresh = success is not None and now - success <= every + GRACE
    ran = f"last successful run {success:%Y-%m-%dT%H:%MZ}" if success else "never run"
    return judged("rule.invoked", fresh, f"{ran}; runs every {every.total_seconds() / 3600:g} h")


def records_type(recorder: Mapping[str, Any], resource_type: str) -> bool:
    """Whether a configuration recorder records `resource_type`, in every recording mode."""
    group = recorder.get("recordingGroup") or {"allSupported": True}  # absent: AWS's default
    strategy = (group.get("recordingStrategy") or {}).get("useOnly")
    excluded = (group.get("exclusionByResourceTypes") or {}).get("resourceTypes") or []
    if strategy == "EXCLUSION_BY_RESOURCE_TYPES":
        return resource_type not in excluded
    if group.get("allSupported") or strategy == "ALL_SUPPORTED_RESOURCE_TYPES":
        return True
    return resource_type in (group.get("resourceTypes") or [])


def trail_gaps(trails: Iterable[Trail], regions: Iterable[str]) -> list[str]:
    """The regions no logging trail with management events covers."""
    on = [trail for trail, logging, management in trails if logging and management]
    if any(trail.get("IsMultiRegionTrail") for trail in on):
        return []
    covered = {str(trail.get("HomeRegion")) for trail in on}
    return [region for region in regions if region not in covered]


def logs_management(selectors: Mapping[str, Any]) -> bool:
    """GetEventSelectors: whether the trail logs write management events."""
    basic, advanced = selectors.get("EventSelectors"), selectors.get("AdvancedEventSelectors")
    if not basic and not advanced:  # AWS's default: all management events
        return True
    for s in basic or []:
        if s.get("IncludeManagementEvents", True) and s.get("ReadWriteType") != "ReadOnly":
            return True
    for selector in advanced or []:
        fields = {f.get("Field"): f.get("Equals", []) for f in selector.get("FieldSelectors", [])}
        if "Management" in fields.get("eventCategory", []) and fields.get("readOnly") != ["true"]:
            return True
    return False


def pattern_key(text: object) -> str | None:
    """An EventBridge pattern (JSON text) with keys and lists sorted; None if not JSON."""

    def canonical(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: canonical(item) for key, item in value.items()}
        if isinstance(value, list):
            return sorted((canonical(item) for item in value), key=json.dumps)
        return value

    try:
        return json.dumps(canonical(json.loads(str(text))), sort_keys=True)
    except ValueError:
        return None


# Every call that changes or removes a record: the guard SCP must deny each one.
RECORD_CHANGES = ("ssm:PutParameter", "ssm:DeleteParameter", "ssm:DeleteParameters")
# A Condition the guard may have: one sparing the records' writers by aws:PrincipalArn. One
# sparing the role Organizations makes in each account to administer it spares anyone.
SPARING, KEY = ("ArnNotLike", "ArnNotEquals"), "aws:principalarn"
ADMINISTRATOR = "OrganizationAccountAccessRole"


def undenied(policies: Iterable[object], arns: tuple[str, ...]) -> list[str]:
    """The RECORD_CHANGES no Deny statement of `policies` (SCPs, JSON text) covers on every one
    of `arns`. Wildcards and case as IAM reads them; NotAction and NotResource are not proof,
    nor a Condition other than one sparing a few principals (SPARING, not ADMINISTRATOR)."""

    def listed(value: object) -> list[str]:
        items = value if isinstance(value, list) else [value]
        return [item for item in items if isinstance(item, str)]

    def matches(value: str, patterns: object, flags: int = 0) -> bool:
        regexes = (re.escape(p).replace(r"\*", ".*").replace(r"\?", ".") for p in listed(patterns))
        return any(re.fullmatch(regex, value, flags) for regex in regexes)

    def binds(condition: object, arn: str) -> bool:
        if condition is None:
            return True
        if not isinstance(condition, dict) or not set(condition) <= set(SPARING):
            return False
        tests = list(condition.values())
        if not all(isinstance(t, dict) and {str(k).lower() for k in t} <= {KEY} for t in tests):
            return False
        partition, account = arn.split(":")[1], arn.split(":")[4]
        administrator = f"arn:{partition}:iam::{account}:role/{ADMINISTRATOR}"
        return not any(matches(administrator, spared) for t in tests for spared in t.values())

    denies = [s for policy in policies for s in _statements(policy) if s.get("Effect") == "Deny"]

    def denied(action: str, arn: str) -> bool:
        return any(
            matches(action, s.get("Action"), re.I)
            and matches(arn, s.get("Resource"))
            and binds(s.get("Condition"), arn)
            for s in denies
        )

    return [a for a in RECORD_CHANGES if not arns or not all(denied(a, arn) for arn in arns)]


def _statements(policy: object) -> list[dict[str, Any]]:
    try:
        statements = json.loads(str(policy)).get("Statement", [])
    except (ValueError, AttributeError):
        return []
    return [
        s
        for s in (statements if isinstance(statements, list) else [statements])
        if isinstance(s, dict)
    ]


def exit_code(checks: Iterable[Check]) -> int:
    """0 when no check FAILs, else 1."""
    return 1 if any(check.status == FAIL for check in checks) else 0


def render_text(checks: Iterable[Check]) -> str:
    lines = []
    for c in checks:
        where = f"{c.account} {c.region} ".lstrip()
        fix = f"  -> {c.fix}" if c.fix else ""
        lines.append(f"{c.status}  {where}{c.name}: {c.saw}{fix}")
    return "\n".join(lines) + "\n"


def render_json(checks: Iterable[Check]) -> str:
    return json.dumps([c._asdict() for c in checks], indent=2, default=str) + "\n"
